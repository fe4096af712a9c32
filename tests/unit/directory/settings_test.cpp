#include "directory/settings.h"

#include <gtest/gtest.h>

namespace postern::directory {
namespace {

std::string canonical(std::string_view key, std::string_view text) {
    auto r = canonical_setting_text(key, text);
    return r ? *r : "ERROR: " + r.error().message;
}

TEST(Settings, RegistryHasTheRequiredKeysWithValidDefaults) {
    for (auto name : {key::kQuota, key::kMaxMessageSize, key::kServices, key::kSendLimitPerHour,
                      key::kPasswordMinLength, key::kPasswordClasses, key::kOverQuotaReply}) {
        const auto* def = find_setting(name);
        ASSERT_NE(def, nullptr) << name;
        auto value = parse_setting(*def, def->default_text);
        ASSERT_TRUE(value) << name;
        // Defaults are stored in canonical form already.
        EXPECT_EQ(format_setting(*def, *value), def->default_text) << name;
        EXPECT_FALSE(def->description.empty()) << name;
    }
    EXPECT_EQ(find_setting("Quota"), nullptr);
    EXPECT_EQ(find_setting("nope"), nullptr);
}

TEST(Settings, CanonicalText) {
    struct Case {
        std::string_view key, in, out;
    };
    const Case cases[] = {
        {"quota", "0", "0"},
        {"quota", "unlimited", "0"},
        {"quota", "Unlimited", "0"},
        {"quota", "10M", "10485760"},
        {"quota", " 2G ", "2147483648"},
        {"quota", "512", "512"},
        {"max_message_size", "64K", "65536"},
        {"send_limit_per_hour", "250", "250"},
        {"send_limit_per_hour", "unlimited", "0"},
        {"password_min_length", "12", "12"},
        {"password_classes", "4", "4"},
        {"services", "imap,smtp", "smtp,imap"},  // registry order
        {"services", "IMAP  pop3", "imap,pop3"},
        {"services", "imap,imap", "imap"},
        {"services", "", ""},
        {"services", "none", ""},
        {"services", "activesync", "activesync"},
        {"over_quota_reply", "PERMANENT", "permanent"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(canonical(c.key, c.in), c.out) << c.key << "=" << c.in;
}

TEST(Settings, BadValuesAreClearErrors) {
    struct Case {
        std::string_view key, in, message_part;
    };
    const Case cases[] = {
        {"quota", "-1", "not a size"},
        {"quota", "lots", "not a size"},
        {"quota", "", "not a size"},
        {"send_limit_per_hour", "1.5", "not a non-negative integer"},
        {"send_limit_per_hour", "2000000000", "out of range"},
        {"password_min_length", "0", "out of range 1..128"},
        {"password_min_length", "unlimited", "not a non-negative integer"},
        {"password_classes", "5", "out of range 0..4"},
        {"services", "imap,gopher", "unknown item 'gopher'"},
        {"services", "none,imap", "unknown item 'none'"},
        {"over_quota_reply", "maybe", "not one of temporary, permanent"},
        {"colour", "blue", "unknown setting 'colour'"},
    };
    for (const auto& c : cases) {
        auto r = canonical_setting_text(c.key, c.in);
        ASSERT_FALSE(r) << c.key << "=" << c.in;
        EXPECT_EQ(r.error().code, Errc::invalid_argument);
        EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
        if (c.key != "colour") {
            EXPECT_NE(r.error().message.find(c.key), std::string::npos) << r.error().message;
        }
    }
}

TEST(Settings, BooleanType) {
    SettingDef def{.name = "flag", .type = SettingType::boolean, .default_text = "false"};
    for (auto t : {"true", "YES", "on", "1"})
        EXPECT_EQ(format_setting(def, *parse_setting(def, t)), "true") << t;
    for (auto f : {"false", "No", "off", "0"})
        EXPECT_EQ(format_setting(def, *parse_setting(def, f)), "false") << f;
    EXPECT_FALSE(parse_setting(def, "maybe"));
    EXPECT_FALSE(parse_setting(def, ""));
}

const EffectiveSetting& find(const std::vector<EffectiveSetting>& all, std::string_view key) {
    for (const auto& e : all) {
        if (e.key == key)
            return e;
    }
    throw std::runtime_error("missing key");
}

TEST(Settings, ResolutionTakesTheMostSpecificLevel) {
    // Stored rows arrive in any order; the most specific level wins.
    std::vector<StoredSetting> stored = {
        {SettingLevel::server, "quota", "100"},
        {SettingLevel::account, "quota", "400"},
        {SettingLevel::domain, "quota", "200"},
        {SettingLevel::account_class, "quota", "300"},
        {SettingLevel::domain, "send_limit_per_hour", "50"},
        {SettingLevel::server, "send_limit_per_hour", "10"},
        {SettingLevel::server, "services", "imap"},
    };
    auto all = resolve_settings(stored);
    EXPECT_EQ(all.size(), setting_registry().size());
    EXPECT_EQ(find(all, "quota").text, "400");
    EXPECT_EQ(find(all, "quota").level, SettingLevel::account);
    EXPECT_EQ(find(all, "send_limit_per_hour").text, "50");
    EXPECT_EQ(find(all, "send_limit_per_hour").level, SettingLevel::domain);
    EXPECT_EQ(find(all, "services").text, "imap");
    EXPECT_EQ(find(all, "services").level, SettingLevel::server);
    EXPECT_EQ(find(all, "password_min_length").text, "10");
    EXPECT_EQ(find(all, "password_min_length").level, SettingLevel::builtin);
    EXPECT_EQ(std::get<std::uint64_t>(find(all, "quota").value), 400u);
}

TEST(Settings, InvalidAndUnknownStoredValuesFallThrough) {
    std::vector<StoredSetting> stored = {
        {SettingLevel::server, "password_classes", "3"},
        {SettingLevel::account, "password_classes", "9"},  // out of range now: ignored
        {SettingLevel::account, "retired_key", "1"},
    };
    auto all = resolve_settings(stored);
    EXPECT_EQ(find(all, "password_classes").text, "3");
    EXPECT_EQ(find(all, "password_classes").level, SettingLevel::server);
}

TEST(Settings, TypedView) {
    std::vector<StoredSetting> stored = {
        {SettingLevel::domain, "quota", "1048576"},
        {SettingLevel::domain, "services", "imap,smtp"},
        {SettingLevel::account, "password_min_length", "14"},
        {SettingLevel::account, "password_classes", "3"},
        {SettingLevel::server, "over_quota_reply", "permanent"},
        {SettingLevel::server, "max_message_size", "1000"},
        {SettingLevel::server, "send_limit_per_hour", "7"},
    };
    auto t = typed_settings(resolve_settings(stored));
    EXPECT_EQ(t.quota, 1048576u);
    EXPECT_EQ(t.max_message_size, 1000u);
    EXPECT_EQ(t.send_limit_per_hour, 7u);
    EXPECT_EQ(t.password_policy, (PasswordPolicy{14, 3}));
    EXPECT_TRUE(t.over_quota_permanent);
    EXPECT_TRUE(t.allows("imap"));
    EXPECT_TRUE(t.allows("SMTP"));
    EXPECT_FALSE(t.allows("pop3"));

    auto defaults = typed_settings(resolve_settings({}));
    EXPECT_EQ(defaults.services,
              (std::vector<std::string>{"smtp", "imap", "pop3", "webmail", "managesieve", "dav"}));
    EXPECT_EQ(defaults.password_policy, (PasswordPolicy{10, 2}));
    EXPECT_EQ(defaults.quota, 0u);
    EXPECT_FALSE(defaults.over_quota_permanent);
}

TEST(Settings, LevelNames) {
    EXPECT_EQ(level_name(SettingLevel::builtin), "default");
    EXPECT_EQ(level_name(SettingLevel::server), "server");
    EXPECT_EQ(level_name(SettingLevel::domain), "domain");
    EXPECT_EQ(level_name(SettingLevel::account_class), "class");
    EXPECT_EQ(level_name(SettingLevel::account), "account");
}

}  // namespace
}  // namespace postern::directory
