// Scanner clients over real loopback sockets against small in-test servers: timeouts,
// refused connections, fail-fast while down, the monitor's recovery, on_failure = pass.
#include <atomic>
#include <functional>
#include <thread>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "filter/scan/clamd_filter.h"
#include "filter/scan/socket_filter.h"
#include "filter/scan/spamd_filter.h"
#include "filter/test_server.h"

namespace postern::filter::scan {
namespace {

using namespace postern::filter::testing;

using namespace std::chrono_literals;
using namespace std::string_literals;

config::ScannerConfig make_config(std::string type, std::string address) {
    config::ScannerConfig c;
    c.name = type;
    c.type = type;
    c.address = std::move(address);
    c.connect_timeout = 500ms;
    c.timeout = 500ms;
    return c;
}

template <class F>
std::shared_ptr<F> make(const config::ScannerConfig& c) {
    return std::make_shared<F>(c, *ScanAddress::parse(c.address), log::Logger());
}

const std::string kMessage = "Subject: test\r\n\r\nhello\r\n";

MessageView view() {
    MessageView m;
    m.queue_id = "Q";
    m.raw = kMessage;
    return m;
}

TEST(ScanAddress, Parses) {
    auto u = ScanAddress::parse("unix:/run/clamd.ctl");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->kind, ScanAddress::Kind::unix_socket);
    EXPECT_EQ(u->path, "/run/clamd.ctl");
    auto t = ScanAddress::parse("[::1]:3310");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->host, "::1");
    EXPECT_EQ(t->port, 3310);
    EXPECT_FALSE(ScanAddress::parse("localhost"));
    EXPECT_FALSE(ScanAddress::parse("unix:/" + std::string(200, 'x')));
}

TEST(SpamdFilter, ScansThroughARealSocket) {
    std::string seen;
    TestServer server([&](int fd) {
        seen = read_request(fd, 60 + kMessage.size());
        write_str(fd,
                  "SPAMD/1.1 0 EX_OK\r\nContent-length: 6\r\nSpam: True ; 1000.0 / 5.0\r\n\r\n"
                  "GTUBE\n");
    });
    auto c = make_config("spamd", server.address());
    c.spamd_user = "alice";
    auto f = make<SpamdFilter>(c);
    auto v = f->run(view());
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_TRUE(seen.starts_with("SYMBOLS SPAMC/1.5\r\nContent-length: 24\r\nUser: alice\r\n\r\n"));
    EXPECT_TRUE(seen.ends_with(kMessage));
    EXPECT_EQ(v->add_headers[0].second, "10");
    EXPECT_EQ(v->add_headers[2].second, "Yes, score=1000.0 required=5.0 tests=GTUBE");
}

TEST(SpamdFilter, TimeoutMarksDownAndFailsFastUntilPingAnswers) {
    std::atomic<bool> answer{false};
    TestServer server([&](int fd) {
        auto in = read_request(fd, 10);
        if (!answer) {
            std::this_thread::sleep_for(800ms);  // longer than the 500 ms timeout
            return;
        }
        if (in.starts_with("PING"))
            write_str(fd, "SPAMD/1.5 0 PONG\r\n");
    });
    auto c = make_config("spamd", server.address());
    auto f = make<SpamdFilter>(c);
    auto t0 = std::chrono::steady_clock::now();
    auto v = f->run(view());
    ASSERT_FALSE(v);
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 750ms);
    EXPECT_EQ(v.error().code, Errc::unavailable);
    EXPECT_NE(v.error().message.find("scanner spamd unavailable"), std::string::npos);
    EXPECT_FALSE(f->up());
    // While down: no connection at all.
    int before = server.accepted;
    EXPECT_FALSE(f->run(view()));
    EXPECT_EQ(server.accepted, before);

    std::atomic<int> recovered{0};
    {
        ScannerMonitor monitor(
            50ms, [&](const Scanner& s) { recovered += s.name() == "spamd"; }, log::Logger());
        monitor.set_scanners({f});
        std::this_thread::sleep_for(200ms);  // pings time out meanwhile
        EXPECT_FALSE(f->up());
        answer = true;
        for (int i = 0; i < 100 && recovered < 1; ++i)
            std::this_thread::sleep_for(20ms);
    }
    EXPECT_TRUE(f->up());
    EXPECT_GE(recovered.load(), 1);
}

TEST(SpamdFilter, RefusedConnectionFailsOrPassesByConfiguration) {
    auto c = make_config("spamd", dead_address());
    auto v = make<SpamdFilter>(c)->run(view());
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, Errc::unavailable);
    c.on_failure = "pass";
    auto p = make<SpamdFilter>(c)->run(view());
    ASSERT_TRUE(p);
    EXPECT_EQ(p->action, Verdict::Action::pass);
    EXPECT_EQ(p->add_headers[0],
              (std::pair<std::string, std::string>{"X-Postern-Spam-Level", "0"}));
}

TEST(SpamdFilter, TooLargeIsNotScanned) {
    auto c = make_config("spamd", dead_address());
    c.max_size = 10;
    auto v = make<SpamdFilter>(c)->run(view());
    ASSERT_TRUE(v);
    EXPECT_EQ(v->add_headers[0].second, "0");
}

TEST(SpamdFilter, GarbageReplyIsAFailure) {
    TestServer server([&](int fd) {
        read_request(fd, 30);
        write_str(fd, std::string(5000, '\xff'));
    });
    auto v = make<SpamdFilter>(make_config("spamd", server.address()))->run(view());
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, Errc::unavailable);
}

TEST(ClamdFilter, StreamsInChunksAndReadsTheVerdict) {
    std::string seen;
    TestServer server([&](int fd) {
        // zINSTREAM\0 + 3 chunks of 10 + 1 of 4 + end mark
        seen = read_request(fd, 10 + 3 * 14 + 8 + 4);
        write_str(fd, "stream: Eicar-Test FOUND\0"s);
    });
    auto c = make_config("clamd", server.address());
    c.chunk_size = 10;
    auto f = make<ClamdFilter>(c);
    std::string body(34, 'x');
    MessageView m;
    m.raw = body;
    auto v = f->run(m);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->action, Verdict::Action::reject);
    EXPECT_EQ(v->text, "message contains a virus: Eicar-Test");
    EXPECT_EQ(seen, "zINSTREAM\0"s + clamd_stream(body, 10));
}

TEST(ClamdFilter, SizeLimitAnswerMidStreamIsNotScanned) {
    TestServer server([&](int fd) {
        read_request(fd, 100);
        write_str(fd, "INSTREAM size limit exceeded. ERROR\0"s);
    });
    auto c = make_config("clamd", server.address());
    c.chunk_size = 1024;
    auto f = make<ClamdFilter>(c);
    std::string body(1 << 20, 'x');
    MessageView m;
    m.raw = body;
    auto v = f->run(m);
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->add_headers[0].second, "0");
    EXPECT_TRUE(f->up());
}

TEST(ClamdFilter, PingWantsPong) {
    TestServer server([&](int fd) {
        auto in = read_request(fd, 6);
        write_str(fd, in == "zPING\0"s ? "PONG\0"s : "ERROR\0"s);
    });
    EXPECT_TRUE(make<ClamdFilter>(make_config("clamd", server.address()))->ping());
}

TEST(SocketFilter, TempfailKeepsItUp) {
    TestServer server([&](int fd) {
        read_request(fd, 20);
        write_str(fd, "POSTERN-FILTER/1 TEMPFAIL 4.7.0 later\r\n\r\n");
    });
    auto f = make<SocketFilter>(make_config("socket", server.address()));
    auto v = f->run(view());
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().code, Errc::unavailable);
    EXPECT_TRUE(f->up());
}

TEST(SocketFilter, RejectWithHeaders) {
    TestServer server([&](int fd) {
        read_request(fd, 100);
        write_str(fd,
                  "POSTERN-FILTER/1 REJECT 5.7.1 bad\r\nAdd-Header: X-Checked: 1\r\n"
                  "Spam-Score: 3 / 5\r\n\r\n");
    });
    auto v = make<SocketFilter>(make_config("socket", server.address()))->run(view());
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(v->action, Verdict::Action::reject);
    EXPECT_EQ(v->text, "bad");
    EXPECT_EQ(v->add_headers.front().first, "X-Postern-Spam-Level");
    EXPECT_EQ(v->add_headers.back().first, "X-Checked");
}

TEST(Scanner, BoundsConcurrentScans) {
    std::atomic<int> inside{0}, peak{0};
    TestServer server(
        [&](int fd) {
            int now = ++inside;
            int p = peak.load();
            while (now > p && !peak.compare_exchange_weak(p, now)) {
            }
            read_request(fd, 30);
            std::this_thread::sleep_for(20ms);
            --inside;
            write_str(fd, "SPAMD/1.1 0 EX_OK\r\nSpam: False ; 0 / 5\r\n\r\n");
        },
        true);
    auto c = make_config("spamd", server.address());
    c.max_concurrent = 2;
    c.timeout = 5s;
    c.spamd_command = "check";
    auto f = make<SpamdFilter>(c);
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (int i = 0; i < 6; ++i) {
        threads.emplace_back([&] {
            for (int j = 0; j < 3; ++j)
                ok += f->run(view()).has_value();
        });
    }
    for (auto& t : threads)
        t.join();
    EXPECT_EQ(ok.load(), 18);
    EXPECT_EQ(peak.load(), 2);
}

}  // namespace
}  // namespace postern::filter::scan
