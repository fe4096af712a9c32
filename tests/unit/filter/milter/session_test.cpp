// The milter client against a scripted milter on a loopback socket: the order of steps,
// negotiated skips and no-reply steps, modifications, final replies and failures.
#include <map>
#include <optional>

#include <gtest/gtest.h>

#include "filter/milter/milter_filter.h"
#include "filter/test_server.h"

namespace postern::filter::milter {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using namespace postern::filter::testing;

std::string u32(std::uint32_t v) {
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

// A scripted milter: answers OPTNEG with `protocol`, every step with CONTINUE (or the reply
// `on[command]` gives), and the end of message with `eom` packets. Records every command.
struct ScriptedMilter {
    std::uint32_t protocol = 0;
    std::map<char, std::string> on;
    std::string eom = encode(reply::accept, "");
    std::string commands;  // command letters in order
    std::vector<Packet> packets;

    void serve(int fd) {
        PacketReader reader;
        char buffer[65536];
        for (;;) {
            auto n = ::read(fd, buffer, sizeof buffer);
            if (n <= 0)
                return;
            ASSERT_TRUE(reader.feed(std::string_view(buffer, static_cast<std::size_t>(n))));
            while (auto p = reader.next()) {
                commands.push_back(p->command);
                packets.push_back(*p);
                std::string out;
                switch (p->command) {
                    case cmd::optneg:
                        out = encode(reply::optneg, u32(6) + u32(action::all) + u32(protocol));
                        break;
                    case cmd::macro:
                        break;
                    case cmd::quit:
                        return;
                    case cmd::eob:
                        out = eom;
                        break;
                    default: {
                        auto it = on.find(p->command);
                        bool no_reply = (p->command == cmd::header && (protocol & step::nr_hdr)) ||
                                        (p->command == cmd::body && (protocol & step::nr_body));
                        if (!no_reply)
                            out = it != on.end() ? it->second : encode(reply::cont, "");
                    }
                }
                write_str(fd, out);
            }
        }
    }
};

config::ScannerConfig milter_config(const std::string& address) {
    config::ScannerConfig c;
    c.name = "m";
    c.type = "milter";
    c.address = address;
    c.connect_timeout = 1s;
    c.timeout = 1s;
    return c;
}

const std::string kRaw =
    "From: a@example.org\r\nSubject: hello\r\n there\r\n\r\nline one\r\nline two\r\n";

struct Sample {
    std::vector<std::string> rcpts = {"b@example.com", "c@example.com"};
    MessageView view() const {
        MessageView m;
        m.queue_id = "Q9";
        m.sender = "a@example.org";
        m.recipients = rcpts;
        m.raw = kRaw;
        m.client_ip = "192.0.2.7";
        m.helo = "mx.example.org";
        return m;
    }
};

TEST(MilterSession, FullTransactionAndModifications) {
    ScriptedMilter milter;
    milter.eom = encode(reply::addheader, "X-Milter\0yes\0"s) + encode(reply::progress, "") +
                 encode(reply::chgheader, u32(1) + "Subject\0changed\0"s) +
                 encode(reply::insheader, u32(0) + "X-Top\0a\n\tb\0"s) +
                 encode(reply::delrcpt, "<c@example.com>\0"s) + encode(reply::accept, "");
    std::optional<TestServer> server;
    server.emplace([&](int fd) { milter.serve(fd); });
    auto address = server->address();
    MilterFilter f(milter_config(address), *scan::ScanAddress::parse(address), log::Logger());
    Sample run;
    auto outcome = f.converse(run.view());
    ASSERT_TRUE(outcome) << outcome.error().message;
    // OPTNEG, macros, CONNECT, HELO, macros, MAIL, (macros, RCPT) x2, DATA, 2 headers, EOH,
    // body, macros, EOB, QUIT.
    server.reset();  // joins: the milter has seen everything, QUIT included
    EXPECT_EQ(milter.commands, "ODCHDMDRDRTLLNBDEQ");
    EXPECT_EQ(milter.packets[2].data,
              "[192.0.2.7]\0"
              "4\0\0"
              "192.0.2.7\0"s);
    EXPECT_EQ(milter.packets[5].data, "<a@example.org>\0"s);
    EXPECT_EQ(milter.packets[11].data, "From\0a@example.org\0"s);
    EXPECT_EQ(milter.packets[12].data, "Subject\0hello\n there\0"s);
    EXPECT_EQ(milter.packets[14].data, "line one\r\nline two\r\n");
    EXPECT_EQ(outcome->final, MilterOutcome::Final::accept);
    ASSERT_EQ(outcome->modifications.size(), 4u);  // PROGRESS is not one
    EXPECT_EQ(outcome->modifications[3].code, reply::delrcpt);
    auto v = to_verdict(*outcome, milter_config(address), run.view());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->remove_recipients, std::vector<std::string>{"c@example.com"});
    EXPECT_TRUE(v->add_recipients.empty());
    EXPECT_FALSE(v->sender);
    EXPECT_EQ(v->add_headers[0], (std::pair<std::string, std::string>{"X-Milter", "yes"}));
    EXPECT_EQ(v->add_headers[1], (std::pair<std::string, std::string>{"Subject", "changed"}));
    EXPECT_EQ(v->add_headers[2], (std::pair<std::string, std::string>{"X-Top", "a\r\n\tb"}));
    EXPECT_EQ(v->remove_headers, std::vector<std::string>{"Subject"});
}

TEST(MilterSession, NegotiatedSkipsAndNoReplySteps) {
    ScriptedMilter milter;
    milter.protocol = step::noconnect | step::nohelo | step::nr_hdr | step::nobody | step::nodata;
    std::optional<TestServer> server;
    server.emplace([&](int fd) { milter.serve(fd); });
    auto address = server->address();
    MilterFilter f(milter_config(address), *scan::ScanAddress::parse(address), log::Logger());
    Sample run;
    auto outcome = f.converse(run.view());
    ASSERT_TRUE(outcome) << outcome.error().message;
    server.reset();  // joins: the milter has seen everything, QUIT included
    // No CONNECT (nor its macros), no HELO, no DATA, no body; the EOB macros (D) before EOB.
    EXPECT_EQ(milter.commands, "ODMDRDRLLNDEQ");
}

TEST(MilterSession, RejectAtMailAndReplyCodeAtEnd) {
    ScriptedMilter milter;
    milter.on[cmd::mail] = encode(reply::replycode, "550 5.7.0 go away\0"s);
    std::optional<TestServer> server;
    server.emplace([&](int fd) { milter.serve(fd); });
    auto address = server->address();
    auto c = milter_config(address);
    MilterFilter f(c, *scan::ScanAddress::parse(c.address), log::Logger());
    Sample run;
    auto v = f.run(run.view());
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->action, Verdict::Action::reject);
    EXPECT_EQ(v->status, "5.7.0");
    EXPECT_EQ(v->text, "go away");
    server.reset();  // joins: the milter has seen everything, QUIT included
    EXPECT_EQ(milter.commands, "ODCHDMQ");
}

TEST(MilterSession, TempfailKeepsTheMessageButNotTheScannerDown) {
    ScriptedMilter milter;
    milter.eom = encode(reply::tempfail, "");
    TestServer server([&](int fd) { milter.serve(fd); });
    auto c = milter_config(server.address());
    MilterFilter f(c, *scan::ScanAddress::parse(c.address), log::Logger());
    Sample run;
    auto v = f.run(run.view());
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, Errc::unavailable);
    EXPECT_TRUE(f.up());
}

TEST(MilterSession, AllRecipientsRefusedRejects) {
    ScriptedMilter milter;
    milter.on[cmd::rcpt] = encode(reply::reject, "");
    TestServer server([&](int fd) { milter.serve(fd); });
    auto c = milter_config(server.address());
    MilterFilter f(c, *scan::ScanAddress::parse(c.address), log::Logger());
    Sample run;
    auto v = f.run(run.view());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->action, Verdict::Action::reject);
}

TEST(MilterSession, DiscardAndQuarantine) {
    ScriptedMilter milter;
    milter.eom = encode(reply::quarantine, "suspicious\0"s) + encode(reply::cont, "");
    TestServer server([&](int fd) { milter.serve(fd); });
    auto c = milter_config(server.address());
    MilterFilter f(c, *scan::ScanAddress::parse(c.address), log::Logger());
    Sample run;
    auto v = f.run(run.view());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->mailbox, "Quarantine");
    milter.eom = encode(reply::discard, "");
    auto d = f.run(run.view());
    ASSERT_TRUE(d);
    EXPECT_EQ(d->action, Verdict::Action::discard);
}

TEST(MilterSession, HostilePeerIsAFailure) {
    for (std::string garbage : {"\x7f\xff\xff\xff"
                                "O"s,
                                "\0\0\0\0"s, "\0\0\0\x02Zx"s, encode(reply::optneg, "short")}) {
        TestServer server([&](int fd) {
            read_request(fd, 17);
            write_str(fd, garbage);
        });
        auto c = milter_config(server.address());
        MilterFilter f(c, *scan::ScanAddress::parse(c.address), log::Logger());
        Sample run;
        auto v = f.run(run.view());
        ASSERT_FALSE(v);
        EXPECT_EQ(v.error().code, Errc::unavailable);
        EXPECT_FALSE(f.up());
    }
}

TEST(MilterSession, SilentMilterTimesOut) {
    TestServer server([&](int fd) {
        read_request(fd, 17);
        std::this_thread::sleep_for(1500ms);
    });
    auto c = milter_config(server.address());
    c.timeout = 300ms;
    MilterFilter f(c, *scan::ScanAddress::parse(c.address), log::Logger());
    Sample run;
    auto t0 = std::chrono::steady_clock::now();
    EXPECT_FALSE(f.run(run.view()));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 1200ms);
}

}  // namespace
}  // namespace postern::filter::milter
