// spamd, clamd and socket filter codecs: requests, replies, limits and hostile input.
#include <gtest/gtest.h>

#include "filter/scan/actions.h"
#include "filter/scan/clamd_protocol.h"
#include "filter/scan/levels.h"
#include "filter/scan/socket_filter_protocol.h"
#include "filter/scan/spamd_protocol.h"

namespace postern::filter::scan {
namespace {

using namespace std::string_literals;

TEST(SpamdProtocol, RequestCarriesLengthAndUser) {
    auto r = spamd_request(SpamdCommand::symbols, "Subject: x\r\n\r\nbody\r\n", "bob\r\nX: y");
    EXPECT_EQ(r,
              "SYMBOLS SPAMC/1.5\r\nContent-length: 20\r\nUser: bobX: y\r\n\r\nSubject: x\r\n\r\n"
              "body\r\n");
    EXPECT_EQ(spamd_request(SpamdCommand::ping, "", ""), "PING SPAMC/1.5\r\n\r\n");
    EXPECT_EQ(spamd_request(SpamdCommand::check, "m", ""),
              "CHECK SPAMC/1.5\r\nContent-length: 1\r\n\r\nm");
}

TEST(SpamdProtocol, ParsesCheckSymbolsReportProcessPing) {
    auto check = parse_spamd_reply("SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1000.5 / 5.0\r\n\r\n",
                                   SpamdCommand::check);
    ASSERT_TRUE(check) << check.error().message;
    EXPECT_TRUE(check->spam);
    EXPECT_DOUBLE_EQ(check->score, 1000.5);
    EXPECT_DOUBLE_EQ(check->required, 5.0);

    auto symbols = parse_spamd_reply(
        "SPAMD/1.1 0 EX_OK\r\nContent-length: 23\r\nSpam: False ; -0.1 / 5.0\r\n\r\n"
        "GTUBE,MISSING_DATE, X\r\n",
        SpamdCommand::symbols);
    ASSERT_TRUE(symbols) << symbols.error().message;
    EXPECT_FALSE(symbols->spam);
    EXPECT_DOUBLE_EQ(symbols->score, -0.1);
    EXPECT_EQ(symbols->symbols, (std::vector<std::string>{"GTUBE", "MISSING_DATE", "X"}));

    auto report =
        parse_spamd_reply("SPAMD/1.1 0 EX_OK\nSpam: Yes ; 7 / 5\n\nContent analysis details:\n",
                          SpamdCommand::report);
    ASSERT_TRUE(report) << report.error().message;
    EXPECT_EQ(report->body, "Content analysis details:\n");

    auto process = parse_spamd_reply("SPAMD/1.1 0 EX_OK\r\nContent-length: 3\r\n\r\nabc",
                                     SpamdCommand::process);
    ASSERT_TRUE(process);
    EXPECT_EQ(process->body, "abc");

    auto pong = parse_spamd_reply("SPAMD/1.5 0 PONG\r\n", SpamdCommand::ping);
    ASSERT_TRUE(pong);
    EXPECT_TRUE(pong->pong);
}

TEST(SpamdProtocol, RejectsHostileReplies) {
    const std::vector<std::string> bad = {
        "",
        "HTTP/1.1 200 OK\r\n\r\n",
        "SPAMD/1.1\r\n\r\n",
        "SPAMD/1.1 x EX_OK\r\n\r\n",
        "SPAMD/1.1 0 EX_OK\r\n\r\n",                            // no Spam header
        "SPAMD/1.1 0 EX_OK\r\nSpam: Maybe ; 1 / 5\r\n\r\n",     // flag
        "SPAMD/1.1 0 EX_OK\r\nSpam: True ; nan / 5\r\n\r\n",    // NaN
        "SPAMD/1.1 0 EX_OK\r\nSpam: True ; inf / 5\r\n\r\n",    // infinity
        "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1e300 / 5\r\n\r\n",  // absurd
        "SPAMD/1.1 0 EX_OK\r\nSpam: True 1 / 5\r\n\r\n",        // no ;
        "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5\r\n",          // no end of headers
        "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5\r\nnocolon\r\n\r\n",
        "SPAMD/1.1 0 EX_OK\r\nContent-length: 99\r\nSpam: True ; 1 / 5\r\n\r\nshort",
        "SPAMD/1.1 0 EX_OK\r\nContent-length: -1\r\nSpam: True ; 1 / 5\r\n\r\n",
        "SPAMD/1.5 0 EX_OK\r\n",  // PING answered without PONG (checked below)
    };
    for (std::size_t i = 0; i + 1 < bad.size(); ++i) {
        EXPECT_FALSE(parse_spamd_reply(bad[i], SpamdCommand::symbols)) << i << ": " << bad[i];
    }
    EXPECT_FALSE(parse_spamd_reply(bad.back(), SpamdCommand::ping));
    auto err = parse_spamd_reply("SPAMD/1.1 76 Bad header line\r\n", SpamdCommand::check);
    ASSERT_FALSE(err);
    EXPECT_EQ(err.error().code, Errc::unavailable);
}

TEST(SpamdProtocol, EnforcesLimits) {
    SpamdLimits limits;
    limits.max_header_line = 64;
    limits.max_headers = 3;
    limits.max_body = 10;
    auto long_line = "SPAMD/1.1 0 " + std::string(100, 'x') + "\r\n\r\n";
    EXPECT_EQ(parse_spamd_reply(long_line, SpamdCommand::check, limits).error().code,
              Errc::limit_exceeded);
    auto unterminated = "SPAMD/1.1 0 " + std::string(100, 'x');
    EXPECT_EQ(parse_spamd_reply(unterminated, SpamdCommand::check, limits).error().code,
              Errc::limit_exceeded);
    std::string many = "SPAMD/1.1 0 EX_OK\r\n";
    for (int i = 0; i < 5; ++i)
        many += "X-" + std::to_string(i) + ": y\r\n";
    many += "\r\n";
    EXPECT_EQ(parse_spamd_reply(many, SpamdCommand::check, limits).error().code,
              Errc::limit_exceeded);
    auto big = "SPAMD/1.1 0 EX_OK\r\nSpam: True ; 1 / 5\r\n\r\n" + std::string(11, 'a');
    EXPECT_EQ(parse_spamd_reply(big, SpamdCommand::report, limits).error().code,
              Errc::limit_exceeded);
    auto big_len = "SPAMD/1.1 0 EX_OK\r\nContent-length: 11\r\nSpam: True ; 1 / 5\r\n\r\n";
    EXPECT_EQ(parse_spamd_reply(big_len, SpamdCommand::report, limits).error().code,
              Errc::limit_exceeded);
}

TEST(SpamdProtocol, EveryPrefixOfAReplyIsRejectedOrComplete) {
    std::string full =
        "SPAMD/1.1 0 EX_OK\r\nContent-length: 6\r\nSpam: True ; 9.5 / 5.0\r\n\r\nGTUBE\n";
    for (std::size_t n = 0; n < full.size(); ++n) {
        auto r = parse_spamd_reply(std::string_view(full).substr(0, n), SpamdCommand::symbols);
        EXPECT_FALSE(r) << n;
    }
    EXPECT_TRUE(parse_spamd_reply(full, SpamdCommand::symbols));
}

TEST(ClamdProtocol, FramesChunks) {
    EXPECT_EQ(clamd_chunk("abc"), "\0\0\0\3abc"s);
    EXPECT_EQ(clamd_chunk(""), "\0\0\0\0"s);
    EXPECT_EQ(clamd_stream("abcde", 2), "\0\0\0\2ab\0\0\0\2cd\0\0\0\1e\0\0\0\0"s);
    EXPECT_EQ(clamd_stream("", 2), "\0\0\0\0"s);
    auto big = clamd_chunk(std::string(0x01020304 & 0xffff, 'x'));
    EXPECT_EQ(big.substr(0, 4), "\0\0\x03\x04"s);
    EXPECT_EQ(kClamdInstream, "zINSTREAM\0"s);
}

TEST(ClamdProtocol, ParsesReplies) {
    auto clean = parse_clamd_reply("stream: OK\0"s);
    ASSERT_TRUE(clean);
    EXPECT_EQ(clean->status, ClamdResult::Status::clean);
    auto found = parse_clamd_reply("stream: Eicar-Signature FOUND\n");
    ASSERT_TRUE(found);
    EXPECT_EQ(found->status, ClamdResult::Status::infected);
    EXPECT_EQ(found->virus, "Eicar-Signature");
    auto session = parse_clamd_reply("1: stream: Win.Test.EICAR_HDB-1 FOUND\0"s);
    ASSERT_TRUE(session);
    EXPECT_EQ(session->virus, "Win.Test.EICAR_HDB-1");
    auto limit = parse_clamd_reply("INSTREAM size limit exceeded. ERROR\0"s);
    ASSERT_TRUE(limit);
    EXPECT_EQ(limit->status, ClamdResult::Status::size_limit);
    auto err = parse_clamd_reply("Can't allocate memory ERROR\0"s);
    ASSERT_FALSE(err);
    EXPECT_EQ(err.error().code, Errc::unavailable);
    EXPECT_TRUE(is_clamd_pong("PONG\0"s));
    EXPECT_TRUE(is_clamd_pong("PONG\n"));
    EXPECT_FALSE(is_clamd_pong("PING\0"s));
}

TEST(ClamdProtocol, RejectsHostileReplies) {
    for (std::string bad : {""s, "\0"s, "OK"s, "stream: "s, "stream:  FOUND"s, "stream: maybe"s,
                            "stream: \x01 FOUND"s, "stream: OK\0junk"s}) {
        EXPECT_FALSE(parse_clamd_reply(bad)) << bad;
    }
    EXPECT_EQ(parse_clamd_reply(std::string(5000, 'a')).error().code, Errc::limit_exceeded);
    auto longname = parse_clamd_reply("stream: " + std::string(1000, 'v') + " FOUND");
    ASSERT_TRUE(longname);
    EXPECT_EQ(longname->virus.size(), 256u);
}

TEST(SocketFilterProtocol, RequestHasEnvelopeAndLength) {
    std::vector<std::string> rcpts = {"a@example.com", "b@example.com\r\nInjected: 1"};
    MessageView m;
    m.queue_id = "Q1";
    m.sender = "s@example.org";
    m.recipients = rcpts;
    m.raw = "Subject: hi\r\n\r\nbody\r\n";
    m.client_ip = "192.0.2.1";
    m.helo = "mx.example.org";
    auto r = socket_filter_request(m);
    EXPECT_EQ(r,
              "POSTERN-FILTER/1 SCAN\r\nQueue-Id: Q1\r\nClient-Address: 192.0.2.1\r\n"
              "Helo: mx.example.org\r\nAuth: \r\nFrom: s@example.org\r\nRcpt: a@example.com\r\n"
              "Rcpt: b@example.comInjected: 1\r\nSize: 21\r\n\r\nSubject: hi\r\n\r\nbody\r\n");
}

TEST(SocketFilterProtocol, ParsesReplies) {
    auto r = parse_socket_filter_reply(
        "POSTERN-FILTER/1 REJECT 5.7.0 no thanks\r\nAdd-Header: X-Scanned: yes: really\r\n"
        "Remove-Header: X-Old\r\nMailbox: Junk\r\nSpam-Score: 12.5 / 5\r\nVirus: \r\n"
        "Future-Field: ignored\r\n\r\n");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->action, SocketFilterReply::Action::reject);
    EXPECT_EQ(r->status, "5.7.0");
    EXPECT_EQ(r->text, "no thanks");
    ASSERT_EQ(r->add_headers.size(), 1u);
    EXPECT_EQ(r->add_headers[0].first, "X-Scanned");
    EXPECT_EQ(r->add_headers[0].second, "yes: really");
    EXPECT_EQ(r->remove_headers, std::vector<std::string>{"X-Old"});
    EXPECT_EQ(r->mailbox, "Junk");
    ASSERT_TRUE(r->spam_score);
    EXPECT_DOUBLE_EQ(r->spam_score->first, 12.5);
    ASSERT_TRUE(r->virus);
    EXPECT_EQ(*r->virus, "");
    auto pass = parse_socket_filter_reply("POSTERN-FILTER/1 PASS\n\n");
    ASSERT_TRUE(pass);
    EXPECT_EQ(pass->action, SocketFilterReply::Action::pass);
    auto pong = parse_socket_filter_reply("POSTERN-FILTER/1 PONG\r\n\r\n");
    ASSERT_TRUE(pong);
    EXPECT_EQ(pong->action, SocketFilterReply::Action::pong);
    auto tf = parse_socket_filter_reply("POSTERN-FILTER/1 TEMPFAIL busy\r\n\r\n");
    ASSERT_TRUE(tf);
    EXPECT_EQ(tf->status, "");
    EXPECT_EQ(tf->text, "busy");
}

TEST(SocketFilterProtocol, RejectsHostileReplies) {
    for (std::string bad : {
             ""s,
             "POSTERN-FILTER/1 PASS\r\n"s,         // no end
             "POSTERN-FILTER/2 PASS\r\n\r\n"s,     // version
             "POSTERN-FILTER/1 ACCEPTX\r\n\r\n"s,  // action
             "POSTERN-FILTER/1\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nAdd-Header: NoColon\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nAdd-Header: Bad Name: v\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nRemove-Header: \r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nSpam-Score: 1\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nSpam-Score: nan / 5\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nAdd-Header: X: a\x01 b\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nno colon\r\n\r\n"s,
             "POSTERN-FILTER/1 PASS\r\nMailbox: \r\n\r\n"s,
         }) {
        EXPECT_FALSE(parse_socket_filter_reply(bad)) << bad;
    }
    SocketFilterLimits limits;
    limits.max_line = 50;
    limits.max_lines = 4;
    EXPECT_EQ(parse_socket_filter_reply(
                  "POSTERN-FILTER/1 PASS " + std::string(60, 'x') + "\r\n\r\n", limits)
                  .error()
                  .code,
              Errc::limit_exceeded);
    EXPECT_EQ(parse_socket_filter_reply(std::string(60, 'x'), limits).error().code,
              Errc::limit_exceeded);
    EXPECT_EQ(parse_socket_filter_reply(
                  "POSTERN-FILTER/1 PASS\r\nA: 1\r\nA: 1\r\nA: 1\r\nA: 1\r\n\r\n", limits)
                  .error()
                  .code,
              Errc::limit_exceeded);
}

TEST(Levels, SpamLevelFollowsRfc5235) {
    EXPECT_EQ(spam_level(-3, 5), 1);
    EXPECT_EQ(spam_level(0, 5), 1);
    EXPECT_EQ(spam_level(0.6, 5), 1);
    EXPECT_EQ(spam_level(2.5, 5), 5);
    EXPECT_EQ(spam_level(4.99, 5), 8);
    EXPECT_EQ(spam_level(5, 5), 9);
    EXPECT_EQ(spam_level(9.9, 5), 9);
    EXPECT_EQ(spam_level(10, 5), 10);
    EXPECT_EQ(spam_level(1000, 5), 10);
    EXPECT_EQ(spam_level(3, 0), 5);  // nonsense required: spamd's default 5
    EXPECT_EQ(spam_percent(0, 5), 0);
    EXPECT_EQ(spam_percent(5, 5), 50);
    EXPECT_EQ(spam_percent(100, 5), 100);
}

TEST(Levels, HeaderLookupUnfoldsAndStopsAtBody) {
    std::string raw =
        "Received: x\r\nSubject: hello\r\n  world\r\nX-Postern-Spam-Level: 1\r\n\r\n"
        "X-Postern-Virus-Level: 1\r\n";
    EXPECT_EQ(header_value(raw, "subject"), "hello  world");
    EXPECT_TRUE(has_header(raw, "x-postern-spam-level"));
    EXPECT_FALSE(has_header(raw, "X-Postern-Virus-Level"));
    EXPECT_FALSE(header_value(raw, "From"));
    EXPECT_FALSE(has_header("", "A"));
    EXPECT_FALSE(has_header("no header section at all", "no header section at all"));
}

TEST(Actions, SpamVerdictByConfiguration) {
    config::ScannerConfig c;
    std::string raw = "Subject: Buy now\r\n\r\nx";
    auto ham = spam_verdict(c, raw, {false, 1.0, 5.0, "A,B"});
    EXPECT_EQ(ham.action, Verdict::Action::pass);
    EXPECT_FALSE(ham.mailbox);
    ASSERT_EQ(ham.add_headers.size(), 3u);
    EXPECT_EQ(ham.add_headers[0],
              (std::pair<std::string, std::string>{"X-Postern-Spam-Level", "2"}));
    EXPECT_EQ(ham.add_headers[2].second, "No, score=1.0 required=5.0 tests=A,B");
    EXPECT_EQ(ham.remove_headers, scan_header_names());

    c.spam_action = "junk";
    c.subject_prefix = "[SPAM] ";
    auto junk = spam_verdict(c, raw, {true, 6.0, 5.0, ""});
    EXPECT_EQ(junk.action, Verdict::Action::pass);
    EXPECT_EQ(junk.mailbox, "Junk");
    EXPECT_EQ(junk.add_headers.back(),
              (std::pair<std::string, std::string>{"Subject", "[SPAM] Buy now"}));
    EXPECT_EQ(junk.remove_headers.back(), "Subject");

    c.reject_score = 10;
    auto rej = spam_verdict(c, raw, {true, 10.0, 5.0, ""});
    EXPECT_EQ(rej.action, Verdict::Action::reject);
    EXPECT_EQ(rej.status, "5.7.1");
    c.reject_score = 0;
    c.discard_score = 8;
    EXPECT_EQ(spam_verdict(c, raw, {true, 9.0, 5.0, ""}).action, Verdict::Action::discard);
    c.discard_score = 0;
    c.spam_action = "quarantine";
    EXPECT_EQ(spam_verdict(c, raw, {true, 9.0, 5.0, ""}).mailbox, "Quarantine");
    c.spam_action = "reject";
    EXPECT_EQ(spam_verdict(c, raw, {true, 9.0, 5.0, ""}).action, Verdict::Action::reject);
    EXPECT_EQ(spam_verdict(c, raw, {false, 4.0, 5.0, ""}).action, Verdict::Action::pass);
}

TEST(Actions, VirusVerdictByConfiguration) {
    config::ScannerConfig c;
    auto clean = virus_verdict(c, false, "");
    EXPECT_EQ(clean.action, Verdict::Action::pass);
    EXPECT_EQ(clean.add_headers[0].second, "1");
    auto bad = virus_verdict(c, true, "Eicar\r\nX: y");
    EXPECT_EQ(bad.action, Verdict::Action::reject);
    EXPECT_EQ(bad.add_headers[0].second, "5");
    EXPECT_EQ(bad.add_headers[1].second, "infected (Eicar  X: y)");
    c.virus_action = "quarantine";
    EXPECT_EQ(virus_verdict(c, true, "E").mailbox, "Quarantine");
    c.virus_action = "discard";
    EXPECT_EQ(virus_verdict(c, true, "E").action, Verdict::Action::discard);
    c.virus_action = "tag";
    EXPECT_EQ(virus_verdict(c, true, "E").action, Verdict::Action::pass);
    EXPECT_EQ(virus_not_scanned("big").add_headers[0].second, "0");
}

}  // namespace
}  // namespace postern::filter::scan
