#include <gtest/gtest.h>

#include "fixture.h"

namespace postern::directory::testing {
namespace {

class Credentials : public DirectoryTest {
  protected:
    void SetUp() override {
        DirectoryTest::SetUp();
        add_domain("example.com");
        ASSERT_OK(dir_->add_domain_alias("example.net", "example.com"));
        add_account("alice@example.com", "Alice-password-1");
        ASSERT_OK(dir_->add_alias("al@example.com", "alice@example.com"));
        ASSERT_OK(
            dir_->add_group("team@example.com", std::vector<std::string>{"alice@example.com"}));
        ASSERT_OK(dir_->set_catch_all("example.com", "alice@example.com"));
    }
};

TEST_F(Credentials, LoginForms) {
    auto id = dir_->get_account("alice@example.com")->id;
    struct Case {
        std::string login;
        bool found;
    };
    const Case cases[] = {
        {"alice@example.com", true},
        {"ALICE@Example.Com", true},       // local parts compare case-insensitively too
        {"al@example.com", true},          // alias
        {"alice@example.net", true},       // domain alias
        {"AL@EXAMPLE.NET", true},          // alias in a domain alias
        {"alice+tag@example.com", false},  // no sub-addressing for logins
        {"random@example.com", false},     // no catch-all for logins
        {"team@example.com", false},       // groups cannot log in
        {"alice@other.com", false},
        {"alice", false},
        {"", false},
        {"a b@example.com", false},
        {std::string(5000, 'x') + "@example.com", false},
    };
    for (const auto& c : cases) {
        auto r = dir_->find_credentials(c.login);
        ASSERT_OK(r);
        ASSERT_EQ(r->has_value(), c.found) << c.login;
        if (c.found) {
            EXPECT_EQ((*r)->account_id, id);
            EXPECT_EQ((*r)->address, "alice@example.com");
            EXPECT_TRUE((*r)->enabled);
            EXPECT_EQ((*r)->password_generation, 1u);
            EXPECT_TRUE(auth::verify_hash((*r)->secrets.hash, "Alice-password-1"));
        }
    }
}

TEST_F(Credentials, UpgradeSecretsChecksTheGeneration) {
    auto creds = dir_->find_credentials("alice@example.com")->value();
    auto stronger = cheap_options().hash;
    stronger.argon2_iterations = 2;
    stronger.cram_md5 = true;
    auto upgraded = auth::derive_secrets("Alice-password-1", stronger);
    ASSERT_OK(dir_->upgrade_secrets(creds.account_id, creds.password_generation, upgraded));
    auto after = dir_->find_credentials("alice@example.com")->value();
    EXPECT_EQ(after.secrets, upgraded);
    EXPECT_EQ(after.password_generation,
              creds.password_generation);  // same password, same generation

    // The password changes between reading and upgrading: the stale upgrade must not win.
    ASSERT_OK(dir_->set_password("alice@example.com", PlainPassword{"Changed-password-2"}));
    auto stale = auth::derive_secrets("Alice-password-1", stronger);
    ASSERT_OK(dir_->upgrade_secrets(creds.account_id, creds.password_generation, stale));
    auto now = dir_->find_credentials("alice@example.com")->value();
    EXPECT_TRUE(auth::verify_hash(now.secrets.hash, "Changed-password-2"));
    EXPECT_FALSE(auth::verify_hash(now.secrets.hash, "Alice-password-1"));
    EXPECT_EQ(now.password_generation, creds.password_generation + 1);

    EXPECT_ERRC(dir_->upgrade_secrets(999999, 1, upgraded), Errc::not_found);
    EXPECT_ERRC(dir_->upgrade_secrets(creds.account_id, now.password_generation,
                                      auth::StoredSecrets{"junk", "", ""}),
                Errc::invalid_argument);
    EXPECT_ERRC(dir_->upgrade_secrets(creds.account_id, now.password_generation,
                                      auth::StoredSecrets{upgraded.hash, "1,2,3", ""}),
                Errc::invalid_argument);
}

TEST_F(Credentials, ImportedHashUpgradePath) {
    // Migration: an account arrives with a foreign hash and no SCRAM secret; at first login
    // auth verifies the hash, sees needs_upgrade and stores fresh secrets.
    ASSERT_OK(dir_->add_account(
        {.address = "old@example.com", .password = HashedPassword{"{PLAIN}legacy-pass"}}));
    auto creds = dir_->find_credentials("old@example.com")->value();
    ASSERT_TRUE(auth::verify_hash(creds.secrets.hash, "legacy-pass"));
    ASSERT_TRUE(auth::needs_upgrade(creds.secrets, cheap_options().hash));
    ASSERT_OK(dir_->upgrade_secrets(creds.account_id, creds.password_generation,
                                    auth::derive_secrets("legacy-pass", cheap_options().hash)));
    auto after = dir_->find_credentials("old@example.com")->value();
    EXPECT_FALSE(auth::needs_upgrade(after.secrets, cheap_options().hash));
    EXPECT_TRUE(auth::verify_hash(after.secrets.hash, "legacy-pass"));
}

TEST_F(Credentials, BareLoginsUseTheDefaultDomain) {
    EXPECT_FALSE(dir_->find_credentials("alice")->has_value());
    auto options = cheap_options();
    options.default_login_domain = "example.net";  // a domain alias works too
    reopen(options);
    auto r = dir_->find_credentials("Alice");
    ASSERT_OK(r);
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->address, "alice@example.com");
    EXPECT_TRUE(dir_->find_credentials("al")->has_value());
    EXPECT_FALSE(dir_->find_credentials("nobody")->has_value());
    EXPECT_FALSE(dir_->find_credentials("")->has_value());
}

TEST_F(Credentials, UsableThroughTheAuthSeam) {
    auth::AccountLookup& lookup = *dir_;
    auto r = lookup.find_credentials("al@example.net");
    ASSERT_OK(r);
    ASSERT_TRUE(r->has_value());
    EXPECT_EQ((*r)->address, "alice@example.com");
}

}  // namespace
}  // namespace postern::directory::testing
