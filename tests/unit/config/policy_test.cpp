// The [policy] section: defaults, every key, relative script paths and range errors.
#include <gtest/gtest.h>

#include "config/load.h"

namespace postern::config {
namespace {

std::expected<ConfigPtr, LoadError> load(std::string_view text) {
    return load_string(text, "/etc/postern/postern.toml");
}

bool has_problem(const LoadError& e, std::string_view key) {
    for (const auto& p : e.problems) {
        if (p.key.find(key) != std::string::npos)
            return true;
    }
    return false;
}

TEST(ConfigLoadPolicy, NoSectionMeansNoPolicy) {
    auto cfg = load("");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& p = (*cfg)->policy;
    EXPECT_FALSE(p.active());
    EXPECT_TRUE(p.enabled);
    EXPECT_EQ(p.max_memory, 16u << 20);
    EXPECT_EQ(p.max_time, std::chrono::milliseconds(50));
    EXPECT_EQ(p.failure_action, "tempfail");
    EXPECT_EQ(p.states, 16u);
}

TEST(ConfigLoadPolicy, EveryKeyAndARelativeScript) {
    auto cfg = load(
        "[policy]\nscript = \"policy.lua\"\nmax_memory = \"4M\"\nmax_time = \"200ms\"\n"
        "failure_action = \"REJECT\"\nstates = 4\n");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    const auto& p = (*cfg)->policy;
    EXPECT_TRUE(p.active());
    EXPECT_EQ(p.script, "/etc/postern/policy.lua");
    EXPECT_EQ(p.max_memory, 4u << 20);
    EXPECT_EQ(p.max_time, std::chrono::milliseconds(200));
    EXPECT_EQ(p.failure_action, "reject");
    EXPECT_EQ(p.states, 4u);

    auto off = load("[policy]\nscript = \"/srv/p.lua\"\nenabled = false\n");
    ASSERT_TRUE(off) << off.error().to_string();
    EXPECT_FALSE((*off)->policy.active());
    EXPECT_EQ((*off)->policy.script, "/srv/p.lua");
}

TEST(ConfigLoadPolicy, OutOfRangeValuesAndUnknownKeysAreErrors) {
    auto cfg = load(
        "[policy]\nscript = \"p.lua\"\nmax_memory = \"100K\"\nmax_time = \"20s\"\n"
        "failure_action = \"accept\"\nstates = 0\nscrpit = \"typo.lua\"\n");
    ASSERT_FALSE(cfg);
    for (auto key : {"max_memory", "max_time", "failure_action", "states", "scrpit"})
        EXPECT_TRUE(has_problem(cfg.error(), key)) << key << "\n" << cfg.error().to_string();
}

}  // namespace
}  // namespace postern::config
