// Tests of one log file: buffering, rotation by size/age/day/month/year with a fake clock,
// `keep`, files left by an earlier run, and files moved away by someone else.
#include "log/log_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "log_test_util.h"

namespace postern::log {
namespace {

using config::Rotation;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using test::list_dir;
using test::local_time;
using test::read_lines;
using test::read_text;
using test::ScopedTz;
using test::TempDir;

std::chrono::milliseconds ms(auto d) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

class LogFileTest : public ::testing::Test {
  protected:
    ScopedTz tz_{"UTC0"};
    TempDir dir_;
    FileCounters counters_;

    std::filesystem::path path() const { return dir_ / "postern.log"; }
    std::vector<std::string> rotated() const {
        std::vector<std::string> out;
        for (auto& n : list_dir(dir_.path())) {
            if (parse_rotated_name("postern.log", n))
                out.push_back(n);
        }
        return out;
    }
};

TEST_F(LogFileTest, BuffersUntilFlushAndCountsWrittenLines) {
    LogFile file(path(), FilePolicy{}, counters_, 1 << 20);
    auto t = local_time(2026, 11, 22, 10);
    ASSERT_TRUE(file.append("one", t));
    ASSERT_TRUE(file.append("two", t));
    EXPECT_TRUE(file.dirty());
    EXPECT_EQ(read_text(path()), "");  // created on first append, but nothing written yet
    EXPECT_EQ(counters_.written.load(), 0u);
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(read_text(path()), "one\ntwo\n");
    EXPECT_EQ(counters_.written.load(), 2u);
    EXPECT_FALSE(file.dirty());
}

TEST_F(LogFileTest, SmallBufferWritesEarly) {
    LogFile file(path(), FilePolicy{}, counters_, 8);
    auto t = local_time(2026, 11, 22, 10);
    ASSERT_TRUE(file.append("0123456789", t));  // over the buffer: written at once
    EXPECT_EQ(read_text(path()), "0123456789\n");
}

TEST_F(LogFileTest, CreatedWithMode0640AndMissingParents) {
    auto nested = dir_ / "a" / "b" / "x.log";
    LogFile file(nested, FilePolicy{}, counters_);
    ASSERT_TRUE(file.append("x", local_time(2026, 1, 1)));
    ASSERT_TRUE(file.close());
    struct stat st {};
    ASSERT_EQ(::stat(nested.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777 & ~0640u,
              0u);  // never more than owner rw, group r (umask may take more)
}

TEST_F(LogFileTest, RotatesBySizeAndNeverSplitsALine) {
    // 10-byte lines ("line-0000\n") with max_size 35: three fit, the fourth starts a new file.
    LogFile file(path(), FilePolicy{35, {}, 100, Rotation::none}, counters_);
    auto t = local_time(2026, 11, 22, 13, 49, 8);
    for (int i = 0; i < 10; ++i)
        ASSERT_TRUE(file.append(fmt::format("line-{:04}", i), t));
    ASSERT_TRUE(file.flush());
    // Rotations 3 in the same second: -1, -2 follow the plain name, oldest content first.
    auto names = rotated();
    ASSERT_EQ(names, (std::vector<std::string>{"postern.log.20261122-134908",
                                               "postern.log.20261122-134908-1",
                                               "postern.log.20261122-134908-2"}));
    EXPECT_EQ(read_lines(dir_ / names[0]),
              (std::vector<std::string>{"line-0000", "line-0001", "line-0002"}));
    EXPECT_EQ(read_lines(dir_ / names[1]),
              (std::vector<std::string>{"line-0003", "line-0004", "line-0005"}));
    EXPECT_EQ(read_lines(dir_ / names[2]),
              (std::vector<std::string>{"line-0006", "line-0007", "line-0008"}));
    EXPECT_EQ(read_lines(path()), (std::vector<std::string>{"line-0009"}));
    EXPECT_EQ(counters_.rotations.load(), 3u);
    EXPECT_EQ(counters_.written.load(), 10u);
    for (auto& n : names)
        EXPECT_LE(std::filesystem::file_size(dir_ / n), 35u);
}

TEST_F(LogFileTest, LineLongerThanMaxSizeIsStillWritten) {
    LogFile file(path(), FilePolicy{10, {}, 5, Rotation::none}, counters_);
    auto t = local_time(2026, 11, 22, 10);
    std::string big(100, 'x');
    ASSERT_TRUE(file.append(big, t));
    ASSERT_TRUE(file.append(big, t + seconds(1)));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(read_text(path()), big + "\n");
    ASSERT_EQ(rotated().size(), 1u);
    EXPECT_EQ(read_text(dir_ / rotated()[0]), big + "\n");
}

TEST_F(LogFileTest, RotatesByAgeCountedFromOpen) {
    LogFile file(path(), FilePolicy{0, ms(hours(1)), 10, Rotation::none}, counters_);
    auto t0 = local_time(2026, 11, 22, 10, 0, 0);
    ASSERT_TRUE(file.append("a", t0));
    ASSERT_TRUE(file.append("b", t0 + minutes(59)));
    EXPECT_TRUE(rotated().empty());
    ASSERT_TRUE(file.append("c", t0 + minutes(60)));
    ASSERT_TRUE(file.append("d", t0 + minutes(119)));
    ASSERT_TRUE(file.append("e", t0 + minutes(120)));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(rotated(), (std::vector<std::string>{"postern.log.20261122-110000",
                                                   "postern.log.20261122-120000"}));
    EXPECT_EQ(read_lines(dir_ / "postern.log.20261122-110000"),
              (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(read_lines(dir_ / "postern.log.20261122-120000"),
              (std::vector<std::string>{"c", "d"}));
    EXPECT_EQ(read_lines(path()), (std::vector<std::string>{"e"}));
}

struct PeriodCase {
    Rotation rotation;
    TimePoint (*last_in_period)();
    TimePoint (*first_in_next)();
    const char* rotated_name;
};

class PeriodTest : public LogFileTest, public ::testing::WithParamInterface<PeriodCase> {};

TEST_P(PeriodTest, RotatesAtLocalBoundary) {
    const auto& c = GetParam();
    LogFile file(path(), FilePolicy{0, {}, 10, c.rotation}, counters_);
    auto start = local_time(2026, 11, 22, 10, 0, 0);
    ASSERT_TRUE(file.append("before", start));
    ASSERT_TRUE(file.append("last", c.last_in_period()));
    EXPECT_TRUE(rotated().empty());
    ASSERT_TRUE(file.append("after", c.first_in_next()));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(rotated(), std::vector<std::string>{c.rotated_name});
    EXPECT_EQ(read_lines(dir_ / c.rotated_name), (std::vector<std::string>{"before", "last"}));
    EXPECT_EQ(read_lines(path()), std::vector<std::string>{"after"});
}

INSTANTIATE_TEST_SUITE_P(
    Periods, PeriodTest,
    ::testing::Values(
        PeriodCase{Rotation::daily, [] { return local_time(2026, 11, 22, 23, 59, 59); },
                   [] { return local_time(2026, 11, 23, 0, 0, 1); }, "postern.log.20261123-000001"},
        PeriodCase{Rotation::monthly, [] { return local_time(2026, 11, 30, 23, 59, 59); },
                   [] { return local_time(2026, 12, 1, 0, 0, 0); }, "postern.log.20261201-000000"},
        PeriodCase{Rotation::yearly, [] { return local_time(2026, 12, 31, 23, 59, 59); },
                   [] { return local_time(2027, 1, 1, 0, 0, 5); }, "postern.log.20270101-000005"}));

TEST_F(LogFileTest, DailyRotationUsesLocalMidnight) {
    ScopedTz tz("EST5");
    LogFile file(path(), FilePolicy{0, {}, 10, Rotation::daily}, counters_);
    // 23:30 local is 04:30 UTC the next day: still the same local day, no rotation.
    ASSERT_TRUE(file.append("a", local_time(2026, 11, 22, 1, 0, 0)));
    ASSERT_TRUE(file.append("b", local_time(2026, 11, 22, 23, 30, 0)));
    EXPECT_TRUE(rotated().empty());
    ASSERT_TRUE(file.append("c", local_time(2026, 11, 23, 0, 0, 0)));
    EXPECT_EQ(rotated(), std::vector<std::string>{"postern.log.20261123-000000"});
}

TEST_F(LogFileTest, IdleFileRotatesOnTick) {
    LogFile file(path(), FilePolicy{0, {}, 10, Rotation::daily}, counters_);
    ASSERT_TRUE(file.append("a", local_time(2026, 11, 22, 10)));
    EXPECT_FALSE(file.rotate_if_due(local_time(2026, 11, 22, 23, 59, 59)).value());
    EXPECT_TRUE(file.rotate_if_due(local_time(2026, 11, 23, 0, 0, 0)).value());
    EXPECT_EQ(rotated(), std::vector<std::string>{"postern.log.20261123-000000"});
    EXPECT_FALSE(std::filesystem::exists(path()));  // the next line creates it
    EXPECT_FALSE(file.rotate_if_due(local_time(2026, 11, 24, 0, 0, 0)).value());
    ASSERT_TRUE(file.append("b", local_time(2026, 11, 23, 0, 0, 1)));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(read_lines(path()), std::vector<std::string>{"b"});
}

TEST_F(LogFileTest, SizeAloneNeverRotatesAnIdleFile) {
    LogFile file(path(), FilePolicy{2, {}, 10, Rotation::none}, counters_);
    ASSERT_TRUE(file.append("abcdef", local_time(2026, 11, 22, 10)));
    EXPECT_FALSE(file.rotate_if_due(local_time(2027, 1, 1)).value());
}

TEST_F(LogFileTest, KeepDeletesOldestRotatedFilesOnly) {
    std::filesystem::create_directories(dir_.path());
    // Files that are not ours stay whatever their names.
    for (auto name :
         {"postern.log.20261122-134908.gz", "other.log.20200101-000000", "postern.log.bak"}) {
        std::ofstream(dir_ / name) << "x";
    }
    LogFile file(path(), FilePolicy{5, {}, 2, Rotation::none}, counters_);
    auto t = local_time(2026, 11, 22, 10);
    for (int i = 0; i < 6; ++i)
        ASSERT_TRUE(file.append(fmt::format("l{}", i), t + seconds(i)));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(counters_.rotations.load(), 5u);
    EXPECT_EQ(rotated(), (std::vector<std::string>{"postern.log.20261122-100004",
                                                   "postern.log.20261122-100005"}));
    EXPECT_EQ(read_lines(dir_ / "postern.log.20261122-100005"), std::vector<std::string>{"l4"});
    for (auto name :
         {"postern.log.20261122-134908.gz", "other.log.20200101-000000", "postern.log.bak"}) {
        EXPECT_TRUE(std::filesystem::exists(dir_ / name)) << name;
    }
}

TEST_F(LogFileTest, KeepZeroDeletesOnRotation) {
    LogFile file(path(), FilePolicy{5, {}, 0, Rotation::none}, counters_);
    auto t = local_time(2026, 11, 22, 10);
    for (int i = 0; i < 4; ++i)
        ASSERT_TRUE(file.append(fmt::format("l{}", i), t));
    ASSERT_TRUE(file.flush());
    EXPECT_TRUE(rotated().empty());
    EXPECT_EQ(read_lines(path()), std::vector<std::string>{"l3"});
}

TEST_F(LogFileTest, FileFromAnEarlierDayIsRotatedBeforeAppending) {
    std::ofstream(path()) << "old line\n";
    auto yesterday = local_time(2026, 11, 21, 18, 0, 0);
    auto secs = std::chrono::system_clock::to_time_t(yesterday);
    struct timespec times[2] = {{secs, 0}, {secs, 0}};
    ASSERT_EQ(::utimensat(AT_FDCWD, path().c_str(), times, 0), 0);

    LogFile file(path(), FilePolicy{0, {}, 10, Rotation::daily}, counters_);
    ASSERT_TRUE(file.append("new line", local_time(2026, 11, 22, 9, 0, 0)));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(rotated(), std::vector<std::string>{"postern.log.20261122-090000"});
    EXPECT_EQ(read_text(dir_ / "postern.log.20261122-090000"), "old line\n");
    EXPECT_EQ(read_text(path()), "new line\n");
}

TEST_F(LogFileTest, FileFromTodayIsAppendedAndItsSizeCounts) {
    std::ofstream(path()) << "0123456789\n";  // 11 bytes
    LogFile file(path(), FilePolicy{20, {}, 10, Rotation::daily}, counters_);
    auto now = std::chrono::system_clock::now();
    ASSERT_TRUE(file.append("abcd", now));  // 16 bytes: fits
    ASSERT_TRUE(file.append("efgh", now));  // 21 > 20: rotates
    ASSERT_TRUE(file.flush());
    ASSERT_EQ(rotated().size(), 1u);
    EXPECT_EQ(read_text(dir_ / rotated()[0]), "0123456789\nabcd\n");
    EXPECT_EQ(read_text(path()), "efgh\n");
}

TEST_F(LogFileTest, MovedAwayFileKeepsTakingLinesUntilCloseThenStartsFresh) {
    LogFile file(path(), FilePolicy{}, counters_);
    auto t = local_time(2026, 11, 22, 10);
    ASSERT_TRUE(file.append("a", t));
    ASSERT_TRUE(file.flush());
    std::filesystem::rename(path(), dir_ / "moved.log");  // what logrotate does
    ASSERT_TRUE(file.append("b", t));
    ASSERT_TRUE(file.close());  // Hub::reopen()
    ASSERT_TRUE(file.append("c", t));
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(read_text(dir_ / "moved.log"), "a\nb\n");
    EXPECT_EQ(read_text(path()), "c\n");
}

TEST_F(LogFileTest, RotationWhenTheFileWasMovedAwayStillStartsANewFile) {
    LogFile file(path(), FilePolicy{3, {}, 10, Rotation::none}, counters_);
    auto t = local_time(2026, 11, 22, 10);
    ASSERT_TRUE(file.append("a", t));
    ASSERT_TRUE(file.flush());
    std::filesystem::remove(path());
    ASSERT_TRUE(file.append("bb", t));  // due by size; the rename finds nothing: fine
    ASSERT_TRUE(file.flush());
    EXPECT_EQ(read_text(path()), "bb\n");
    EXPECT_EQ(counters_.rotations.load(), 0u);
}

TEST_F(LogFileTest, OpenFailureIsReportedAndCounted) {
    std::filesystem::create_directories(dir_ / "taken");  // a directory where the file should be
    LogFile file(dir_ / "taken", FilePolicy{}, counters_);
    auto st = file.append("x", local_time(2026, 11, 22, 10));
    ASSERT_FALSE(st);
    EXPECT_EQ(st.error().code, Errc::io_error);
    EXPECT_EQ(counters_.failed.load(), 1u);
    EXPECT_EQ(counters_.written.load(), 0u);
}

TEST_F(LogFileTest, CloseWritesTheBuffer) {
    {
        LogFile file(path(), FilePolicy{}, counters_);
        ASSERT_TRUE(file.append("tail", local_time(2026, 11, 22, 10)));
    }  // destructor closes
    EXPECT_EQ(read_text(path()), "tail\n");
    EXPECT_EQ(counters_.written.load(), 1u);
}

}  // namespace
}  // namespace postern::log
