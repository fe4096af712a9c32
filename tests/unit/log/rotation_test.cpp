// Tests of the rotation policy: calendar boundaries in local time, due checks, names, pruning.
#include "log/rotation.h"

#include <gtest/gtest.h>

#include "log_test_util.h"

namespace postern::log {
namespace {

using config::Rotation;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using test::local_time;
using test::ScopedTz;

constexpr const char* kBerlin = "CET-1CEST,M3.5.0,M10.5.0/3";

TEST(NextBoundary, Table) {
    struct Case {
        const char* tz;
        Rotation rotation;
        int from[6];
        int expected[6];  // local time
    };
    const Case cases[] = {
        {"UTC0", Rotation::daily, {2026, 11, 22, 13, 49, 8}, {2026, 11, 23, 0, 0, 0}},
        {"UTC0", Rotation::daily, {2026, 11, 22, 0, 0, 0}, {2026, 11, 23, 0, 0, 0}},
        {"UTC0", Rotation::daily, {2026, 12, 31, 23, 59, 59}, {2027, 1, 1, 0, 0, 0}},
        {"UTC0", Rotation::daily, {2028, 2, 28, 12, 0, 0}, {2028, 2, 29, 0, 0, 0}},
        {"UTC0", Rotation::monthly, {2026, 11, 22, 13, 0, 0}, {2026, 12, 1, 0, 0, 0}},
        {"UTC0", Rotation::monthly, {2026, 12, 1, 0, 0, 0}, {2027, 1, 1, 0, 0, 0}},
        {"UTC0", Rotation::monthly, {2026, 1, 31, 23, 0, 0}, {2026, 2, 1, 0, 0, 0}},
        {"UTC0", Rotation::yearly, {2026, 11, 22, 13, 0, 0}, {2027, 1, 1, 0, 0, 0}},
        {"UTC0", Rotation::yearly, {2026, 1, 1, 0, 0, 0}, {2027, 1, 1, 0, 0, 0}},
        // Local midnight, not UTC midnight.
        {"EST5", Rotation::daily, {2026, 11, 22, 20, 0, 0}, {2026, 11, 23, 0, 0, 0}},
        {"IST-5:30", Rotation::daily, {2026, 11, 22, 1, 0, 0}, {2026, 11, 23, 0, 0, 0}},
        // Across DST changes (29 March and 25 October 2026 in Europe).
        {kBerlin, Rotation::daily, {2026, 3, 28, 22, 0, 0}, {2026, 3, 29, 0, 0, 0}},
        {kBerlin, Rotation::daily, {2026, 3, 29, 1, 0, 0}, {2026, 3, 30, 0, 0, 0}},
        {kBerlin, Rotation::daily, {2026, 10, 25, 1, 0, 0}, {2026, 10, 26, 0, 0, 0}},
        {kBerlin, Rotation::monthly, {2026, 3, 15, 0, 0, 0}, {2026, 4, 1, 0, 0, 0}},
    };
    for (const auto& c : cases) {
        ScopedTz tz(c.tz);
        auto from = local_time(c.from[0], c.from[1], c.from[2], c.from[3], c.from[4], c.from[5]);
        auto want = local_time(c.expected[0], c.expected[1], c.expected[2], c.expected[3],
                               c.expected[4], c.expected[5]);
        auto got = next_boundary(from, c.rotation);
        ASSERT_TRUE(got) << c.tz;
        EXPECT_EQ(*got, want) << c.tz << " from " << c.from[0] << "-" << c.from[1] << "-"
                              << c.from[2];
    }
    EXPECT_FALSE(next_boundary(std::chrono::system_clock::now(), Rotation::none));
}

TEST(NextBoundary, DstDaysAreNotTwentyFourHours) {
    ScopedTz tz(kBerlin);
    auto spring = local_time(2026, 3, 29, 0, 0, 0);
    EXPECT_EQ(*next_boundary(spring, Rotation::daily) - spring, hours(23));
    auto autumn = local_time(2026, 10, 25, 0, 0, 0);
    EXPECT_EQ(*next_boundary(autumn, Rotation::daily) - autumn, hours(25));
}

TEST(RotationDue, Table) {
    ScopedTz tz("UTC0");
    auto t0 = local_time(2026, 11, 22, 10, 0, 0);
    struct Case {
        FileState state;
        FilePolicy policy;
        TimePoint now;
        std::uint64_t incoming;
        RotateReason expected;
    };
    const FilePolicy sized{1000, {}, 3, Rotation::none};
    const FilePolicy aged{0, std::chrono::duration_cast<std::chrono::milliseconds>(hours(1)), 3,
                          Rotation::none};
    const FilePolicy daily{0, {}, 3, Rotation::daily};
    const FilePolicy everything{
        1000, std::chrono::duration_cast<std::chrono::milliseconds>(hours(1)), 3, Rotation::daily};
    const Case cases[] = {
        {{900, t0, t0}, sized, t0, 100, RotateReason::none},  // exactly max_size fits
        {{900, t0, t0}, sized, t0, 101, RotateReason::size},  // one byte over
        {{0, t0, t0}, sized, t0, 5000, RotateReason::none},   // empty file takes a huge line
        {{1, t0, t0}, sized, t0, 5000, RotateReason::size},
        {{10, t0, t0}, aged, t0 + minutes(59), 1, RotateReason::none},
        {{10, t0, t0}, aged, t0 + hours(1), 1, RotateReason::age},
        {{10, t0, t0}, daily, local_time(2026, 11, 22, 23, 59, 59), 1, RotateReason::none},
        {{10, t0, t0}, daily, local_time(2026, 11, 23, 0, 0, 0), 1, RotateReason::period},
        {{0, t0, t0}, daily, local_time(2026, 11, 24, 0, 0, 0), 1, RotateReason::none},
        // Several reasons at once: period is reported first.
        {{999, t0, t0}, everything, local_time(2026, 11, 23, 1, 0, 0), 10, RotateReason::period},
        {{999, t0, t0}, everything, t0 + hours(2), 10, RotateReason::age},
        {{10, t0, t0},
         FilePolicy{0, {}, 3, Rotation::none},
         t0 + hours(10000),
         1 << 30,
         RotateReason::none},  // no limits at all
    };
    int i = 0;
    for (const auto& c : cases) {
        EXPECT_EQ(rotation_due(c.state, c.policy, c.now, c.incoming), c.expected) << "case " << i;
        ++i;
    }
}

TEST(RotatedName, LocalTimeStampAndSequence) {
    ScopedTz tz("EST5");
    auto t = local_time(2026, 11, 22, 13, 49, 8);
    EXPECT_EQ(rotated_name("postern.log", t, 0), "postern.log.20261122-134908");
    EXPECT_EQ(rotated_name("postern.log", t, 1), "postern.log.20261122-134908-1");
    EXPECT_EQ(rotated_name("smtp.log", t, 12), "smtp.log.20261122-134908-12");
}

TEST(ParseRotatedName, Table) {
    struct Case {
        const char* name;
        std::optional<RotatedKey> expected;
    };
    const Case cases[] = {
        {"postern.log.20261122-134908", RotatedKey{20261122134908, 0}},
        {"postern.log.20261122-134908-1", RotatedKey{20261122134908, 1}},
        {"postern.log.20261122-134908-123", RotatedKey{20261122134908, 123}},
        {"postern.log", std::nullopt},
        {"postern.log.", std::nullopt},
        {"postern.log.2026112-134908", std::nullopt},
        {"postern.log.20261122_134908", std::nullopt},
        {"postern.log.20261122-13490x", std::nullopt},
        {"postern.log.20261122-134908-", std::nullopt},
        {"postern.log.20261122-134908-0", std::nullopt},
        {"postern.log.20261122-134908-01", std::nullopt},
        {"postern.log.20261122-134908.gz", std::nullopt},  // compressed by someone else: not ours
        {"postern.log.20261122-134908-99999999999", std::nullopt},
        {"other.log.20261122-134908", std::nullopt},
        {"xpostern.log.20261122-134908", std::nullopt},
        {"postern.logx20261122-134908", std::nullopt},
    };
    for (const auto& c : cases)
        EXPECT_EQ(parse_rotated_name("postern.log", c.name), c.expected) << c.name;
}

TEST(FilesToPrune, OldestBeyondKeepByStampThenSequence) {
    std::vector<std::string> names = {
        "postern.log",
        "postern.log.20261122-134908-2",
        "postern.log.20261122-134908-10",  // newer than -2 although it sorts before as text
        "postern.log.20261121-000000",
        "postern.log.20261122-134908",
        "smtp.log.20200101-000000",
        "postern.log.20261122-134908-1",
        "notes.txt",
    };
    EXPECT_EQ(files_to_prune("postern.log", names, 5), std::vector<std::string>{});
    EXPECT_EQ(
        files_to_prune("postern.log", names, 3),
        (std::vector<std::string>{"postern.log.20261121-000000", "postern.log.20261122-134908"}));
    EXPECT_EQ(files_to_prune("postern.log", names, 1),
              (std::vector<std::string>{
                  "postern.log.20261121-000000", "postern.log.20261122-134908",
                  "postern.log.20261122-134908-1", "postern.log.20261122-134908-2"}));
    EXPECT_EQ(files_to_prune("postern.log", names, 0).size(), 5u);
}

}  // namespace
}  // namespace postern::log
