#include <gtest/gtest.h>

#include "fixture.h"

namespace postern::directory::testing {
namespace {

class SettingsStore : public DirectoryTest {
  protected:
    void SetUp() override {
        DirectoryTest::SetUp();
        add_domain("example.com");
        add_domain("other.org");
        ASSERT_OK(dir_->add_class("example.com", "staff"));
        add_account("u@example.com");
        add_account("v@example.com");
        add_account("w@other.org");
        ASSERT_OK(dir_->set_account_class("u@example.com", "staff"));
    }

    // (text, level) of one key at a target.
    std::pair<std::string, SettingLevel> effective(const SettingTarget& target,
                                                   std::string_view key) {
        auto all = dir_->effective_settings(target);
        if (!all)
            return {"ERROR " + all.error().to_string(), SettingLevel::builtin};
        for (const auto& e : *all) {
            if (e.key == key)
                return {e.text, e.level};
        }
        return {"MISSING", SettingLevel::builtin};
    }

    const SettingTarget server_ = SettingTarget::server();
    const SettingTarget domain_ = SettingTarget::for_domain("example.com");
    const SettingTarget class_ = SettingTarget::for_class("example.com", "staff");
    const SettingTarget account_ = SettingTarget::for_account("u@example.com");
};

TEST_F(SettingsStore, InheritanceThroughAllFourLevels) {
    using L = SettingLevel;
    EXPECT_EQ(effective(account_, "quota"), std::pair(std::string("0"), L::builtin));

    // Each step sets a more specific level and the account sees it, with its source.
    const std::pair<const SettingTarget*, std::string> steps[] = {
        {&server_, "1000"}, {&domain_, "2000"}, {&class_, "3000"}, {&account_, "4000"}};
    for (const auto& [target, value] : steps) {
        ASSERT_OK(dir_->set_setting(*target, "quota", value));
        EXPECT_EQ(effective(account_, "quota"), std::pair(value, target->level));
    }
    // Other accounts only see what applies to them.
    EXPECT_EQ(effective(SettingTarget::for_account("v@example.com"), "quota"),
              std::pair(std::string("2000"), L::domain));
    EXPECT_EQ(effective(SettingTarget::for_account("w@other.org"), "quota"),
              std::pair(std::string("1000"), L::server));
    // Targets above the account resolve from their own level up.
    EXPECT_EQ(effective(class_, "quota"), std::pair(std::string("3000"), L::account_class));
    EXPECT_EQ(effective(domain_, "quota"), std::pair(std::string("2000"), L::domain));
    EXPECT_EQ(effective(server_, "quota"), std::pair(std::string("1000"), L::server));

    // Unsetting re-inherits, one level at a time.
    const std::pair<const SettingTarget*, std::pair<std::string, L>> unsets[] = {
        {&account_, {"3000", L::account_class}},
        {&class_, {"2000", L::domain}},
        {&domain_, {"1000", L::server}},
        {&server_, {"0", L::builtin}}};
    for (const auto& [target, expected] : unsets) {
        ASSERT_OK(dir_->unset_setting(*target, "quota"));
        EXPECT_EQ(effective(account_, "quota"), expected);
    }
    // Unsetting what is not set is fine.
    ASSERT_OK(dir_->unset_setting(account_, "quota"));
}

TEST_F(SettingsStore, HigherLevelChangesReachEveryoneWhoInherits) {
    ASSERT_OK(
        dir_->set_setting(SettingTarget::for_account("v@example.com"), "send_limit_per_hour", "5"));
    ASSERT_OK(dir_->set_setting(server_, "send_limit_per_hour", "100"));
    EXPECT_EQ(effective(account_, "send_limit_per_hour").first, "100");
    EXPECT_EQ(effective(SettingTarget::for_account("w@other.org"), "send_limit_per_hour").first,
              "100");
    EXPECT_EQ(effective(SettingTarget::for_account("v@example.com"), "send_limit_per_hour").first,
              "5");
    ASSERT_OK(dir_->set_setting(server_, "send_limit_per_hour", "200"));
    EXPECT_EQ(effective(account_, "send_limit_per_hour").first, "200");
}

TEST_F(SettingsStore, ServicesReachAuth) {
    auto services = [&](const std::string& address) {
        return dir_->find_credentials(address)->value().services;
    };
    EXPECT_EQ(services("u@example.com"),
              (std::vector<std::string>{"smtp", "imap", "pop3", "webmail", "managesieve", "dav"}));
    ASSERT_OK(dir_->set_setting(domain_, "services", "imap,smtp"));
    ASSERT_OK(dir_->set_setting(class_, "services", "imap smtp activesync"));
    EXPECT_EQ(services("u@example.com"), (std::vector<std::string>{"smtp", "imap", "activesync"}));
    EXPECT_EQ(services("v@example.com"), (std::vector<std::string>{"smtp", "imap"}));
    ASSERT_OK(dir_->set_setting(account_, "services", "none"));
    EXPECT_TRUE(services("u@example.com").empty());

    auto typed = dir_->account_settings(dir_->get_account("v@example.com")->id);
    ASSERT_OK(typed);
    EXPECT_TRUE(typed->allows("imap"));
    EXPECT_FALSE(typed->allows("pop3"));
    EXPECT_ERRC(dir_->account_settings(999999), Errc::not_found);
}

TEST_F(SettingsStore, ExplicitSettingsPerLevel) {
    ASSERT_OK(dir_->set_setting(domain_, "quota", "1G"));
    ASSERT_OK(dir_->set_setting(domain_, "max_message_size", "25M"));
    ASSERT_OK(dir_->set_setting(server_, "quota", "2G"));
    auto own = dir_->explicit_settings(domain_);
    ASSERT_OK(own);
    ASSERT_EQ(own->size(), 2u);
    EXPECT_EQ((*own)[0].key, "max_message_size");
    EXPECT_EQ((*own)[0].value, "26214400");
    EXPECT_EQ((*own)[0].level, SettingLevel::domain);
    EXPECT_EQ((*own)[1].key, "quota");
    auto server = dir_->explicit_settings(server_);
    ASSERT_OK(server);
    ASSERT_EQ(server->size(), 1u);
    EXPECT_EQ((*server)[0].value, "2147483648");
    EXPECT_TRUE(dir_->explicit_settings(account_)->empty());
    EXPECT_TRUE(dir_->explicit_settings(SettingTarget::for_domain("other.org"))->empty());
}

TEST_F(SettingsStore, Errors) {
    EXPECT_ERRC(dir_->set_setting(account_, "colour", "red"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->unset_setting(account_, "colour"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->set_setting(account_, "quota", "a lot"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->set_setting(account_, "password_classes", "7"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->set_setting(SettingTarget::for_account("nobody@example.com"), "quota", "1"),
                Errc::not_found);
    EXPECT_ERRC(dir_->set_setting(SettingTarget::for_domain("missing.com"), "quota", "1"),
                Errc::not_found);
    EXPECT_ERRC(dir_->set_setting(SettingTarget::for_class("example.com", "nope"), "quota", "1"),
                Errc::not_found);
    EXPECT_ERRC(dir_->set_setting(SettingTarget::for_class("other.org", "staff"), "quota", "1"),
                Errc::not_found);
    SettingTarget builtin{SettingLevel::builtin, "", ""};
    EXPECT_ERRC(dir_->set_setting(builtin, "quota", "1"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->effective_settings(SettingTarget::for_account("not an address")),
                Errc::invalid_argument);
    // Nothing was stored by the failed calls.
    EXPECT_TRUE(dir_->explicit_settings(account_)->empty());
    EXPECT_TRUE(dir_->explicit_settings(server_)->empty());
}

TEST_F(SettingsStore, ClassSettingsFollowClassChanges) {
    ASSERT_OK(dir_->set_setting(class_, "quota", "7M"));
    EXPECT_EQ(effective(account_, "quota").second, SettingLevel::account_class);
    ASSERT_OK(dir_->set_account_class("u@example.com", std::nullopt));
    EXPECT_EQ(effective(account_, "quota").second, SettingLevel::builtin);
    ASSERT_OK(dir_->set_account_class("u@example.com", "staff"));
    ASSERT_OK(dir_->remove_class("example.com", "staff", true));
    EXPECT_EQ(effective(account_, "quota").second, SettingLevel::builtin);
    // A new class of the same name starts without the old class's settings.
    ASSERT_OK(dir_->add_class("example.com", "staff"));
    EXPECT_TRUE(dir_->explicit_settings(class_)->empty());
}

}  // namespace
}  // namespace postern::directory::testing
