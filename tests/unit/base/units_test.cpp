#include "base/units.h"

#include <gtest/gtest.h>

namespace postern {
namespace {

using namespace std::chrono_literals;

TEST(Units, Durations) {
    EXPECT_EQ(parse_duration("30"), 30s);
    EXPECT_EQ(parse_duration("30s"), 30s);
    EXPECT_EQ(parse_duration("250ms"), 250ms);
    EXPECT_EQ(parse_duration("10m"), 10min);
    EXPECT_EQ(parse_duration("2h"), 2h);
    EXPECT_EQ(parse_duration("7d"), 168h);
    EXPECT_FALSE(parse_duration("m"));
    EXPECT_FALSE(parse_duration("10x"));
    EXPECT_FALSE(parse_duration("-1s"));
    EXPECT_EQ(format_duration(600s), "10m");
    EXPECT_EQ(format_duration(1500ms), "1500ms");
}

TEST(Units, Sizes) {
    EXPECT_EQ(parse_size("512"), 512u);
    EXPECT_EQ(parse_size("64K"), 65536u);
    EXPECT_EQ(parse_size("10 MiB"), 10u << 20);
    EXPECT_EQ(parse_size("1G"), 1ull << 30);
    EXPECT_FALSE(parse_size("1T"));
    EXPECT_FALSE(parse_size("99999999999999999999G"));
    EXPECT_FALSE(parse_size("17179869184G"));
}

}  // namespace
}  // namespace postern
