// Tests of rule matching (priority, host/module globs, level AND) and routing to files.
#include <gtest/gtest.h>

#include "log/file_router.h"
#include "log/rule_table.h"
#include "log_test_util.h"

namespace postern::log {
namespace {

using test::read_lines;
using test::ScopedTz;
using test::TempDir;

config::LogRule rule(int priority, std::string host, std::string module, std::uint8_t level,
                     std::string file) {
    config::LogRule r;
    r.priority = priority;
    r.host = std::move(host);
    r.module = std::move(module);
    r.level = level;
    r.file = std::move(file);
    return r;
}

TEST(RuleTable, FirstMatchingRuleByPriority) {
    // Given out of order on purpose: the table sorts by priority (stable for equal ones).
    RuleTable table({
        rule(50, "*", "*", 31, "all.log"),
        rule(10, "mx?", "SMTP-*", 1 | 2 | 4 | 8, "smtp.log"),
        rule(20, "*", "SMTP-IN", 16, "smtp-proto.log"),
        rule(10, "*", "IMAP", 9, "imap-crit-info.log"),
        rule(30, "backend*.example.org", "*", 31, "backends.log"),
        rule(5, "*", "NOTHING", 0, "never.log"),
    });
    struct Case {
        const char* host;
        const char* module;
        Level level;
        std::optional<std::string> file;
    };
    const Case cases[] = {
        {"mx1", "SMTP-IN", kInfo, "smtp.log"},
        {"MX1", "smtp-out", kError, "smtp.log"},          // globs ignore ASCII case
        {"mx1", "SMTP-IN", kProtocol, "smtp-proto.log"},  // level falls through to the next rule
        {"mx12", "SMTP-IN", kInfo, "all.log"},            // '?' is exactly one character
        {"mx1", "IMAP", kCritical, "imap-crit-info.log"},
        {"mx1", "IMAP", kInfo, "imap-crit-info.log"},
        // The reference manual's example: rule level 9 against a client sending 15 keeps
        // only critical and info lines for this rule; others go to later rules if any.
        {"mx1", "IMAP", kError, "all.log"},
        {"mx1", "IMAP", kWarning, "all.log"},
        {"backend3.example.org", "POP3", kProtocol, "backends.log"},
        // The host does not match "mx?", so the priority-30 host rule takes it.
        {"backend3.example.org", "SMTP-IN", kInfo, "backends.log"},
        {"mx1", "NOTHING", kCritical, "all.log"},  // level 0 rule takes nothing
    };
    for (const auto& c : cases) {
        auto idx = table.match(c.host, c.module, c.level);
        std::optional<std::string> file;
        if (idx)
            file = table.rules()[*idx].file;
        EXPECT_EQ(file, c.file) << c.host << " " << c.module << " " << int(c.level);
    }
}

TEST(RuleTable, NoMatchingRule) {
    RuleTable table({rule(1, "mx1", "SMTP-IN", 31, "a.log"), rule(2, "*", "IMAP", 1, "b.log")});
    EXPECT_FALSE(table.match("mx2", "SMTP-IN", kInfo));
    EXPECT_FALSE(table.match("mx1", "POP3", kInfo));
    EXPECT_FALSE(table.match("mx1", "IMAP", kInfo));
    EXPECT_TRUE(table.match("mx1", "IMAP", kCritical));
    EXPECT_FALSE(RuleTable().match("mx1", "IMAP", kCritical));
}

TEST(RuleTable, EqualPrioritiesKeepConfigOrder) {
    RuleTable table({rule(7, "*", "*", 31, "first.log"), rule(7, "*", "*", 31, "second.log")});
    EXPECT_EQ(table.rules()[*table.match("h", "M", kInfo)].file, "first.log");
}

class FileRouterTest : public ::testing::Test {
  protected:
    ScopedTz tz_{"UTC0"};
    TempDir dir_;
    test::FakeClock clock_{test::local_time(2026, 11, 22, 10)};
};

TEST_F(FileRouterTest, RoutesToFilesAndCountsUnmatched) {
    FileRouter router(clock_.fn());
    router.configure({dir_.path(),
                      {rule(1, "*", "SMTP-*", 31, "smtp.log"), rule(2, "*", "IMAP", 15, "imap.log"),
                       rule(3, "*", "POP3", 31, "smtp.log")}});
    router.write(test::make_record(kInfo, "SMTP-IN", "s1"));
    router.write(test::make_record(kInfo, "IMAP", "i1"));
    router.write(test::make_record(kProtocol, "IMAP", "dropped"));
    router.write(test::make_record(kInfo, "POP3", "p1"));  // shares smtp.log
    router.write(test::make_record(kInfo, "CLI", "dropped"));
    router.flush();
    auto smtp = read_lines(dir_ / "smtp.log");
    auto imap = read_lines(dir_ / "imap.log");
    ASSERT_EQ(smtp.size(), 2u);
    ASSERT_EQ(imap.size(), 1u);
    EXPECT_TRUE(smtp[0].ends_with(" 08 mx1 SMTP-IN:0000001A: s1")) << smtp[0];
    EXPECT_TRUE(smtp[1].ends_with(" 08 mx1 POP3:0000001A: p1")) << smtp[1];
    EXPECT_TRUE(imap[0].ends_with(" 08 mx1 IMAP:0000001A: i1")) << imap[0];
    EXPECT_EQ(router.unmatched(), 2u);
    EXPECT_EQ(router.counters().written.load(), 3u);
}

TEST_F(FileRouterTest, ReconfigureKeepsBufferedLinesAndMovesNewOnes) {
    FileRouter router(clock_.fn(), 1 << 20);
    router.configure({dir_.path(), {rule(1, "*", "*", 31, "a.log")}});
    router.write(test::make_record(kInfo, "M", "before"));  // still buffered
    router.configure({dir_.path(), {rule(1, "*", "*", 31, "b.log")}});
    router.write(test::make_record(kInfo, "M", "after"));
    router.flush();
    ASSERT_EQ(read_lines(dir_ / "a.log").size(), 1u);
    ASSERT_EQ(read_lines(dir_ / "b.log").size(), 1u);
    EXPECT_TRUE(read_lines(dir_ / "a.log")[0].ends_with("before"));
    EXPECT_TRUE(read_lines(dir_ / "b.log")[0].ends_with("after"));
}

TEST_F(FileRouterTest, SharedFileTakesPolicyOfItsFirstRule) {
    auto small = rule(1, "*", "A", 31, "shared.log");
    small.max_size = 1;  // every line after the first rotates
    small.rotation = config::Rotation::none;
    auto large = rule(2, "*", "B", 31, "shared.log");
    large.max_size = 1 << 20;
    FileRouter router(clock_.fn());
    router.configure({dir_.path(), {large, small}});
    router.write(test::make_record(kInfo, "B", "1"));
    router.write(test::make_record(kInfo, "B", "2"));
    router.write(test::make_record(kInfo, "A", "3"));
    router.flush();
    EXPECT_EQ(router.counters().rotations.load(), 2u);
}

TEST_F(FileRouterTest, TickFlushesAndRotatesIdleFiles) {
    auto daily = rule(1, "*", "*", 31, "d.log");
    daily.rotation = config::Rotation::daily;
    FileRouter router(clock_.fn(), 1 << 20);
    router.configure({dir_.path(), {daily}});
    router.write(test::make_record(kInfo, "M", "x"));
    router.tick();
    EXPECT_EQ(read_lines(dir_ / "d.log").size(), 1u);
    clock_.set(test::local_time(2026, 11, 23, 0, 0, 0));
    router.tick();
    EXPECT_FALSE(std::filesystem::exists(dir_ / "d.log"));
    EXPECT_TRUE(std::filesystem::exists(dir_ / "d.log.20261123-000000"));
}

TEST_F(FileRouterTest, OpenErrorsAreCountedWithTheirText) {
    std::filesystem::create_directories(dir_ / "dir.log");
    FileRouter router(clock_.fn());
    router.configure({dir_.path(), {rule(1, "*", "*", 31, "dir.log")}});
    router.write(test::make_record(kInfo, "M", "x"));
    EXPECT_EQ(router.counters().failed.load(), 1u);
    EXPECT_EQ(router.errors(), 1u);
    EXPECT_NE(router.last_error().find("dir.log"), std::string::npos);
}

}  // namespace
}  // namespace postern::log
