// Tests of the log front end: line format, session ids, channels and loggers.
#include <ctime>

#include <gtest/gtest.h>

#include "log/log.h"
#include "log_test_util.h"

namespace postern::log {
namespace {

using test::ScopedTz;
using test::utc_time;

TEST(FormatLine, Table) {
    struct Case {
        const char* tz;
        Level level;
        const char* session;
        const char* text;
        const char* expected;
    };
    const Case cases[] = {
        {"UTC0", kInfo, "0000001A", "connection accepted from [192.0.2.7]",
         "2026-11-22 13:49:08 +0000 08 mx1 SMTP-IN:0000001A: connection accepted from [192.0.2.7]"},
        {"UTC0", kCritical, "", "x", "2026-11-22 13:49:08 +0000 01 mx1 SMTP-IN:00000000: x"},
        {"UTC0", kProtocol, "Q1", "", "2026-11-22 13:49:08 +0000 16 mx1 SMTP-IN:Q1: "},
        {"EST5", kError, "00000002", "e", "2026-11-22 08:49:08 -0500 02 mx1 SMTP-IN:00000002: e"},
        {"IST-5:30", kWarning, "00000003", "w",
         "2026-11-22 19:19:08 +0530 04 mx1 SMTP-IN:00000003: w"},
        // Europe in summer: the offset printed is the one in force at that instant.
        {"CET-1CEST,M3.5.0,M10.5.0/3", kInfo, "1", "s",
         "2026-11-22 14:49:08 +0100 08 mx1 SMTP-IN:1: s"},
    };
    for (const auto& c : cases) {
        ScopedTz tz(c.tz);
        Record r{utc_time(2026, 11, 22, 13, 49, 8), c.level, "mx1", "SMTP-IN", c.session, c.text};
        EXPECT_EQ(format_line(r), c.expected) << c.tz;
    }
    ScopedTz tz("CET-1CEST,M3.5.0,M10.5.0/3");
    Record summer{utc_time(2026, 7, 1, 12, 0, 0), kInfo, "h", "IMAP", "00000001", "t"};
    EXPECT_EQ(format_line(summer), "2026-07-01 14:00:00 +0200 08 h IMAP:00000001: t");
}

TEST(FormatLine, SubSecondTimeIsTruncatedNotRounded) {
    ScopedTz tz("UTC0");
    Record r{
        utc_time(2026, 1, 1, 0, 0, 0) + std::chrono::milliseconds(999), kInfo, "h", "M", "", "t"};
    EXPECT_EQ(format_line(r), "2026-01-01 00:00:00 +0000 08 h M:00000000: t");
}

TEST(FormatLine, AppendLineMatchesAndOddLevelsStillPrint) {
    ScopedTz tz("UTC0");
    Record r{utc_time(2026, 11, 22, 13, 49, 8), kInfo, "mx1", "IMAP", "1", "t"};
    std::string out = "prefix|";
    append_line(out, r);
    EXPECT_EQ(out, "prefix|" + format_line(r));
    // Not a level Logger would send, but a Record built by hand must not print garbage.
    r.level = static_cast<Level>(200);
    EXPECT_EQ(format_line(r), "2026-11-22 13:49:08 +0000 200 mx1 IMAP:1: t");
    r.level = static_cast<Level>(0);
    EXPECT_EQ(format_line(r), "2026-11-22 13:49:08 +0000 00 mx1 IMAP:1: t");
}

TEST(FormatLine, EveryFieldPaddedAcrossAYear) {
    ScopedTz tz("UTC0");
    // One instant per month at varied times: check against an independent strftime.
    for (int m = 1; m <= 12; ++m) {
        auto when = utc_time(2026, m, m * 2, m, m * 4, m * 3);
        Record r{when, kCritical, "h", "M", "s", "x"};
        auto secs = std::chrono::system_clock::to_time_t(when);
        char expected[64];
        struct tm tm {};
        gmtime_r(&secs, &tm);
        std::strftime(expected, sizeof(expected), "%Y-%m-%d %H:%M:%S +0000 01 h M:s: x", &tm);
        EXPECT_EQ(format_line(r), expected);
    }
}

TEST(SessionId, EightUpperHexDigits) {
    EXPECT_EQ(session_id(0), "00000000");
    EXPECT_EQ(session_id(0x1a), "0000001A");
    EXPECT_EQ(session_id(0xFFFFFFFF), "FFFFFFFF");
    EXPECT_EQ(session_id(0x1FFFFFFFFull), "1FFFFFFFF");  // never cut: ids stay unique
}

TEST(Channel, MaskFiltersLevelsAndUpdateSwapsSink) {
    auto a = std::make_shared<test::CaptureSink>();
    auto b = std::make_shared<test::CaptureSink>();
    auto channel = std::make_shared<Channel>("IMAP", "mx1", kError | kInfo, a);
    Logger log(channel, "00000007");
    EXPECT_TRUE(log.enabled(kError));
    EXPECT_FALSE(log.enabled(kWarning));
    log.crit("not logged {}", 1);
    log.error("disk {}", "full");
    log.info("hello");
    log.proto("not logged");
    ASSERT_EQ(a->size(), 2u);
    auto got = a->records();
    EXPECT_EQ(got[0].level, kError);
    EXPECT_EQ(got[0].text, "disk full");
    EXPECT_EQ(got[0].module, "IMAP");
    EXPECT_EQ(got[0].host, "mx1");
    EXPECT_EQ(got[0].session, "00000007");

    channel->update(kProtocol, b);
    log.info("not logged");
    log.proto("C: A1 NOOP");
    EXPECT_EQ(a->size(), 2u);
    ASSERT_EQ(b->size(), 1u);
    EXPECT_EQ(b->records()[0].text, "C: A1 NOOP");
    EXPECT_EQ(channel->mask(), kProtocol);
}

TEST(Channel, ControlCharactersBecomeSpacesSoOneRecordIsOneLine) {
    auto sink = std::make_shared<test::CaptureSink>();
    auto channel = std::make_shared<Channel>("SMTP-IN", "mx1", 31, sink);
    channel->write(kProtocol, "1", std::string("a\r\nb\0c\x1b[31m\td\x7f", 14));
    ASSERT_EQ(sink->size(), 1u);
    EXPECT_EQ(sink->records()[0].text, "a  b c [31m\td ");
}

TEST(Logger, DefaultLogsNothingAndWithSessionKeepsChannel) {
    Logger none;
    EXPECT_FALSE(none.enabled(kCritical));
    none.crit("ignored");  // must not crash

    auto sink = std::make_shared<test::CaptureSink>();
    Logger base(std::make_shared<Channel>("POP3", "h", 31, sink), "");
    auto session = base.with_session("0000000B");
    session.warn("w");
    ASSERT_EQ(sink->size(), 1u);
    EXPECT_EQ(sink->records()[0].session, "0000000B");
    EXPECT_EQ(session.session(), "0000000B");
}

}  // namespace
}  // namespace postern::log
