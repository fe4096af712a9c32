// Tests of the system log type: level → syslog priority mapping, message text, the sink's
// ordering and its queue.
#include <gtest/gtest.h>
#include <syslog.h>

#include "log/syslog_sink.h"
#include "log_test_util.h"

namespace postern::log {
namespace {

TEST(SyslogPriority, LevelsMapAsTheManualSays) {
    struct Case {
        unsigned level;
        int severity;
    };
    const Case cases[] = {
        {1, LOG_CRIT},
        {2, LOG_ERR},
        {4, LOG_WARNING},
        {8, LOG_INFO},
        {16, LOG_DEBUG},
        // Masks by their most severe bit; nothing as info.
        {3, LOG_CRIT},
        {12, LOG_WARNING},
        {24, LOG_INFO},
        {31, LOG_CRIT},
        {0, LOG_INFO},
    };
    for (const auto& c : cases) {
        int p = syslog_priority(static_cast<Level>(c.level));
        EXPECT_EQ(LOG_PRI(p), c.severity) << c.level;
        EXPECT_EQ(LOG_FAC(p) << 3, LOG_MAIL) << c.level;
    }
}

TEST(SyslogMessage, ModuleSessionText) {
    EXPECT_EQ(syslog_message(
                  test::make_record(kInfo, "SMTP-IN", "connection accepted", "mx1", "0000001A")),
              "SMTP-IN:0000001A: connection accepted");
    EXPECT_EQ(syslog_message(test::make_record(kInfo, "SUPERVISOR", "started", "mx1", "")),
              "SUPERVISOR:00000000: started");
    // A '%' must reach syslog as text, not as a format directive (the emitter uses "%s").
    EXPECT_EQ(syslog_message(test::make_record(kInfo, "M", "100% %s %n", "h", "1")),
              "M:1: 100% %s %n");
}

TEST(SyslogSink, EmitsInOrderOffTheCallersThread) {
    std::mutex mutex;
    std::vector<std::pair<int, std::string>> got;
    std::thread::id emitter_thread;
    SyslogSink sink([&](int priority, const std::string& message) {
        std::lock_guard lock(mutex);
        emitter_thread = std::this_thread::get_id();
        got.emplace_back(priority, message);
    });
    sink.write(test::make_record(kCritical, "SMTP-IN", "a", "h", "1"));
    sink.write(test::make_record(kProtocol, "IMAP", "b", "h", "2"));
    sink.flush();
    std::lock_guard lock(mutex);
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0], std::make_pair(LOG_MAIL | LOG_CRIT, std::string("SMTP-IN:1: a")));
    EXPECT_EQ(got[1], std::make_pair(LOG_MAIL | LOG_DEBUG, std::string("IMAP:2: b")));
    EXPECT_NE(emitter_thread, std::this_thread::get_id());
    EXPECT_EQ(sink.stats().written, 2u);
}

TEST(SyslogSink, StopEmitsWhatIsQueuedThenCountsLateLines) {
    std::atomic<int> emitted{0};
    SyslogSink sink([&](int, const std::string&) { ++emitted; });
    for (int i = 0; i < 500; ++i)
        sink.write(test::make_record(kInfo, "M", "x"));
    sink.stop();
    EXPECT_EQ(emitted.load(), 500);
    sink.write(test::make_record(kInfo, "M", "late"));
    EXPECT_EQ(sink.stats().dropped_after_stop, 1u);
}

}  // namespace
}  // namespace postern::log
