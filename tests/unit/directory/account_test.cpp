#include <gtest/gtest.h>

#include "fixture.h"

namespace postern::directory::testing {
namespace {

class Accounts : public DirectoryTest {
  protected:
    void SetUp() override {
        DirectoryTest::SetUp();
        add_domain("example.com");
    }
};

TEST_F(Accounts, AddWithPlainPassword) {
    auto added = dir_->add_account(
        {.address = "John.Doe@Example.COM", .password = PlainPassword{"Correct-Horse-1"}});
    ASSERT_OK(added);
    EXPECT_EQ(added->account.address, "john.doe@example.com");
    EXPECT_EQ(added->account.domain, "example.com");
    EXPECT_EQ(added->account.password_scheme, "ARGON2ID");
    EXPECT_EQ(added->account.password_generation, 1u);
    EXPECT_TRUE(added->account.enabled);
    EXPECT_FALSE(added->account.account_class);
    EXPECT_FALSE(added->generated_password);

    auto creds = dir_->find_credentials("john.doe@example.com");
    ASSERT_OK(creds);
    ASSERT_TRUE(creds->has_value());
    EXPECT_TRUE(auth::verify_hash((*creds)->secrets.hash, "Correct-Horse-1"));
    EXPECT_FALSE(auth::verify_hash((*creds)->secrets.hash, "correct-horse-1"));
    // SCRAM-SHA-256 secret is derived at once, with the configured iterations.
    auto scram = auth::parse_scram_secret((*creds)->secrets.scram_sha256);
    ASSERT_TRUE(scram);
    EXPECT_EQ(scram->iterations, cheap_options().hash.scram_iterations);
}

TEST_F(Accounts, AddWithImportedHashes) {
    struct Case {
        std::string hash, scheme;
    };
    // crypt(3) forms are checked for their prefix only; verification is auth's job.
    const Case cases[] = {
        {"{ssha512}Enu6C74BUnsH3FJ5DbcJeTfPKMqMpMZOm66wJaf/"
         "iZqtrDfdcDyFhEmcwbcWyY5CUEDqbpdskEI2yPdeCZGVPXNhbHQxMjM0",
         "SSHA512"},
        {"{plain}secret", "PLAIN"},
        {"{CLEAR}secret", "PLAIN"},
        {"{SHA512-CRYPT}$6$saltsalt$abc", "SHA512-CRYPT"},
        {"{BLF-CRYPT}$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "BLF-CRYPT"},
    };
    int i = 0;
    for (const auto& c : cases) {
        auto address = "imp" + std::to_string(i++) + "@example.com";
        auto added = dir_->add_account({.address = address, .password = HashedPassword{c.hash}});
        ASSERT_OK(added);
        EXPECT_EQ(added->account.password_scheme, c.scheme) << c.hash;
        auto creds = dir_->find_credentials(address);
        ASSERT_TRUE(creds && *creds);
        EXPECT_TRUE((*creds)->secrets.hash.starts_with("{" + c.scheme + "}"));  // stored canonical
        EXPECT_TRUE((*creds)->secrets.scram_sha256.empty());  // filled in at first login
    }
    EXPECT_TRUE(auth::verify_hash(dir_->find_credentials("imp0@example.com")->value().secrets.hash,
                                  "secret"));
    EXPECT_TRUE(auth::verify_hash(dir_->find_credentials("imp1@example.com")->value().secrets.hash,
                                  "secret"));
    EXPECT_TRUE(
        auth::verify_hash(dir_->find_credentials("imp4@example.com")->value().secrets.hash, "U*U"));

    for (auto bad :
         {"{MD4}abc", "{SHA512-CRYPT}$1$x", "{SSHA256}!!!", "{ARGON2ID}nope", "{PLAIN}a\nb"}) {
        auto r = dir_->add_account({.address = "bad@example.com", .password = HashedPassword{bad}});
        EXPECT_FALSE(r) << bad;
        if (!r) {
            EXPECT_EQ(r.error().code, Errc::invalid_argument);
        }
    }
    EXPECT_ERRC(dir_->get_account("bad@example.com"), Errc::not_found);
}

TEST_F(Accounts, AddWithGeneratedPassword) {
    ASSERT_OK(dir_->set_setting(SettingTarget::for_domain("example.com"), "password_classes", "4"));
    ASSERT_OK(
        dir_->set_setting(SettingTarget::for_domain("example.com"), "password_min_length", "20"));
    auto added = dir_->add_account({.address = "gen@example.com", .password = RandomPassword{}});
    ASSERT_OK(added);
    ASSERT_TRUE(added->generated_password);
    EXPECT_EQ(added->generated_password->size(), 20u);
    EXPECT_TRUE(check_password(*added->generated_password, {20, 4}));
    auto creds = dir_->find_credentials("gen@example.com");
    EXPECT_TRUE(auth::verify_hash((*creds)->secrets.hash, *added->generated_password));
}

TEST_F(Accounts, AddWithoutPassword) {
    auto added = dir_->add_account({.address = "shared@example.com"});
    ASSERT_OK(added);
    EXPECT_EQ(added->account.password_scheme, "");
    auto creds = dir_->find_credentials("shared@example.com");
    ASSERT_TRUE(creds && *creds);
    EXPECT_TRUE((*creds)->secrets.hash.empty());
    EXPECT_FALSE(auth::verify_hash((*creds)->secrets.hash, ""));
}

TEST_F(Accounts, PolicyIsEnforcedAtTheEffectiveLevel) {
    ASSERT_OK(dir_->add_class("example.com", "strict"));
    ASSERT_OK(dir_->set_setting(SettingTarget::for_class("example.com", "strict"),
                                "password_min_length", "16"));
    // Default policy: 10 characters, 2 classes.
    auto weak =
        dir_->add_account({.address = "a@example.com", .password = PlainPassword{"short1"}});
    ASSERT_FALSE(weak);
    EXPECT_EQ(weak.error().code, Errc::invalid_argument);
    EXPECT_NE(weak.error().message.find("at least 10"), std::string::npos) << weak.error().message;
    ASSERT_OK(
        dir_->add_account({.address = "a@example.com", .password = PlainPassword{"longenough1"}}));
    // The class asks for more.
    auto in_class = dir_->add_account({.address = "b@example.com",
                                       .password = PlainPassword{"longenough1"},
                                       .account_class = "strict"});
    ASSERT_FALSE(in_class);
    EXPECT_NE(in_class.error().message.find("at least 16"), std::string::npos);
    // The account's own settings count too.
    auto own = dir_->add_account({.address = "c@example.com",
                                  .password = PlainPassword{"longenough1"},
                                  .settings = {{"password_min_length", "12"}}});
    ASSERT_FALSE(own);
    EXPECT_NE(own.error().message.find("at least 12"), std::string::npos);
    // Policy applies on set_password too, at the account's effective level.
    ASSERT_OK(
        dir_->set_setting(SettingTarget::for_account("a@example.com"), "password_classes", "3"));
    auto change = dir_->set_password("a@example.com", PlainPassword{"longenough2"});
    ASSERT_FALSE(change);
    EXPECT_NE(change.error().message.find("at least 3"), std::string::npos);
    ASSERT_OK(dir_->set_password("a@example.com", PlainPassword{"Longenough2"}));
    auto policy = dir_->password_policy(SettingTarget::for_account("a@example.com"));
    ASSERT_OK(policy);
    EXPECT_EQ(*policy, (PasswordPolicy{10, 3}));
    EXPECT_EQ(*dir_->password_policy(SettingTarget::for_class("example.com", "strict")),
              (PasswordPolicy{16, 2}));
}

TEST_F(Accounts, AddErrors) {
    add_account("taken@example.com");
    ASSERT_OK(dir_->add_alias("alias@example.com", "taken@example.com"));
    std::vector<std::string> members;
    ASSERT_OK(dir_->add_group("group@example.com", members));
    ASSERT_OK(dir_->add_domain_alias("example.net", "example.com"));
    struct Case {
        NewAccount account;
        Errc code;
        std::string message_part;
    };
    const Case cases[] = {
        {{.address = "TAKEN@example.com"}, Errc::already_exists, "already exists as an account"},
        {{.address = "alias@example.com"}, Errc::already_exists, "already exists as an alias"},
        {{.address = "group@example.com"}, Errc::already_exists, "already exists as a group"},
        {{.address = "x@missing.com"}, Errc::not_found, "domain missing.com does not exist"},
        {{.address = "x@example.net"}, Errc::invalid_argument, "domain alias of example.com"},
        {{.address = "no-at-sign"}, Errc::invalid_argument, "no '@'"},
        {{.address = "a..b@example.com"}, Errc::invalid_argument, "'..'"},
        {{.address = "x@example.com", .account_class = "nope"},
         Errc::not_found,
         "class nope does not exist"},
        {{.address = "x@example.com", .settings = {{"quota", "lots"}}},
         Errc::invalid_argument,
         "quota"},
        {{.address = "x@example.com", .settings = {{"colour", "red"}}},
         Errc::invalid_argument,
         "unknown setting"},
    };
    for (const auto& c : cases) {
        auto r = dir_->add_account(c.account);
        ASSERT_FALSE(r) << c.account.address;
        EXPECT_EQ(r.error().code, c.code) << r.error().to_string();
        EXPECT_NE(r.error().message.find(c.message_part), std::string::npos) << r.error().message;
    }
    EXPECT_EQ(dir_->list_accounts({.domain = "example.com"})->size(), 1u);
}

TEST_F(Accounts, AddWithClassSettingsAndDisabled) {
    ASSERT_OK(dir_->add_class("example.com", "staff"));
    auto added = dir_->add_account({.address = "u@example.com",
                                    .password = PlainPassword{"Correct-Horse-1"},
                                    .account_class = "Staff",
                                    .enabled = false,
                                    .settings = {{"quota", "1G"}, {"services", "imap"}}});
    ASSERT_OK(added);
    EXPECT_EQ(added->account.account_class, "staff");
    EXPECT_FALSE(added->account.enabled);
    auto own = dir_->explicit_settings(SettingTarget::for_account("u@example.com"));
    ASSERT_OK(own);
    ASSERT_EQ(own->size(), 2u);
    EXPECT_EQ((*own)[0].key, "quota");
    EXPECT_EQ((*own)[0].value, "1073741824");
    EXPECT_EQ((*own)[1].key, "services");
    EXPECT_EQ((*own)[1].value, "imap");
}

TEST_F(Accounts, GetAndList) {
    add_domain("other.org");
    for (auto a : {"carol@example.com", "alice@example.com", "bob@example.com", "alice@other.org"})
        add_account(a);
    ASSERT_OK(dir_->add_alias("al@example.com", "alice@example.com"));
    ASSERT_OK(dir_->add_alias("ally@other.org", "alice@example.com"));

    auto alice = dir_->get_account("ALICE@example.com");
    ASSERT_OK(alice);
    EXPECT_EQ(alice->aliases, (std::vector<std::string>{"al@example.com", "ally@other.org"}));
    auto by_id = dir_->get_account(alice->id);
    ASSERT_OK(by_id);
    EXPECT_EQ(by_id->address, "alice@example.com");
    EXPECT_ERRC(dir_->get_account(std::int64_t{999999}), Errc::not_found);

    // Account calls want the account's own address, and say so.
    auto via_alias = dir_->get_account("al@example.com");
    ASSERT_FALSE(via_alias);
    EXPECT_EQ(via_alias.error().code, Errc::invalid_argument);
    EXPECT_NE(via_alias.error().message.find("an alias of alice@example.com"), std::string::npos);
    EXPECT_ERRC(dir_->get_account("nobody@example.com"), Errc::not_found);

    auto names = [](const Result<std::vector<AccountInfo>>& r) {
        std::vector<std::string> out;
        for (const auto& a : *r)
            out.push_back(a.address);
        return out;
    };
    EXPECT_EQ(
        names(dir_->list_accounts({.domain = "example.com"})),
        (std::vector<std::string>{"alice@example.com", "bob@example.com", "carol@example.com"}));
    EXPECT_EQ(names(dir_->list_accounts({.domain = "example.com", .pattern = "?o*"})),
              (std::vector<std::string>{"bob@example.com"}));
    EXPECT_EQ(names(dir_->list_accounts({.pattern = "alice@*"})),
              (std::vector<std::string>{"alice@example.com", "alice@other.org"}));
    EXPECT_EQ(names(dir_->list_accounts({})).size(), 4u);
    EXPECT_EQ(names(dir_->list_accounts({.domain = "example.com", .offset = 1, .limit = 1})),
              (std::vector<std::string>{"bob@example.com"}));
    EXPECT_ERRC(dir_->list_accounts({.domain = "missing.com"}), Errc::not_found);
    EXPECT_EQ(dir_->get_domain("example.com")->accounts, 3u);
}

TEST_F(Accounts, SetPasswordBumpsGeneration) {
    add_account("u@example.com", "First-password-1");
    auto first = dir_->find_credentials("u@example.com")->value();
    auto change = dir_->set_password("u@example.com", PlainPassword{"Second-password-2"});
    ASSERT_OK(change);
    EXPECT_EQ(change->generation, first.password_generation + 1);
    auto second = dir_->find_credentials("u@example.com")->value();
    EXPECT_EQ(second.password_generation, change->generation);
    EXPECT_TRUE(auth::verify_hash(second.secrets.hash, "Second-password-2"));
    EXPECT_FALSE(auth::verify_hash(second.secrets.hash, "First-password-1"));

    auto generated = dir_->set_password("u@example.com", RandomPassword{});
    ASSERT_OK(generated);
    ASSERT_TRUE(generated->generated_password);
    EXPECT_EQ(generated->generation, change->generation + 1);
    EXPECT_TRUE(auth::verify_hash(dir_->find_credentials("u@example.com")->value().secrets.hash,
                                  *generated->generated_password));

    auto hashed = dir_->set_password("u@example.com", HashedPassword{"{PLAIN}imported"});
    ASSERT_OK(hashed);
    auto third = dir_->find_credentials("u@example.com")->value();
    EXPECT_EQ(third.secrets.hash, "{PLAIN}imported");
    EXPECT_TRUE(third.secrets.scram_sha256.empty());  // stale SCRAM secret must not survive

    ASSERT_OK(dir_->set_password("u@example.com", NoPassword{}));
    EXPECT_TRUE(dir_->find_credentials("u@example.com")->value().secrets.hash.empty());
    EXPECT_ERRC(dir_->set_password("nobody@example.com", PlainPassword{"Whatever-123"}),
                Errc::not_found);
    EXPECT_ERRC(dir_->set_password("u@example.com", PlainPassword{"weak"}), Errc::invalid_argument);
}

TEST_F(Accounts, EnableDisable) {
    add_account("u@example.com");
    ASSERT_OK(dir_->set_enabled("u@example.com", false));
    EXPECT_FALSE(dir_->get_account("u@example.com")->enabled);
    EXPECT_FALSE(dir_->find_credentials("u@example.com")->value().enabled);
    EXPECT_FALSE(dir_->resolve("u@example.com")->account_enabled);
    ASSERT_OK(dir_->set_enabled("u@example.com", true));
    EXPECT_TRUE(dir_->find_credentials("u@example.com")->value().enabled);
    EXPECT_ERRC(dir_->set_enabled("nobody@example.com", true), Errc::not_found);
}

TEST_F(Accounts, Rename) {
    add_domain("new.org");
    ASSERT_OK(dir_->add_class("example.com", "staff"));
    add_account("old@example.com");
    add_account("other@example.com");
    ASSERT_OK(dir_->set_account_class("old@example.com", "staff"));
    std::vector<std::string> members = {"old@example.com"};
    ASSERT_OK(dir_->add_group("g@example.com", members));
    ASSERT_OK(dir_->add_forwarder("f@example.com", members));
    auto id = dir_->get_account("old@example.com")->id;

    ASSERT_OK(dir_->rename_account("old@example.com", "renamed@example.com",
                                   {.keep_old_as_alias = true}));
    auto r = dir_->resolve("old@example.com");
    ASSERT_OK(r);
    EXPECT_EQ(r->kind, AddressKind::alias);
    EXPECT_EQ(r->account_id, id);
    EXPECT_EQ(dir_->get_group("g@example.com")->targets,
              (std::vector<std::string>{"renamed@example.com"}));
    EXPECT_EQ(dir_->get_forwarder("f@example.com")->targets,
              (std::vector<std::string>{"renamed@example.com"}));

    EXPECT_ERRC(dir_->rename_account("renamed@example.com", "other@example.com"),
                Errc::already_exists);
    EXPECT_ERRC(dir_->rename_account("renamed@example.com", "x@missing.com"), Errc::not_found);
    // The class does not exist in new.org.
    EXPECT_ERRC(dir_->rename_account("renamed@example.com", "moved@new.org"),
                Errc::invalid_argument);
    ASSERT_OK(dir_->add_class("new.org", "staff"));
    ASSERT_OK(dir_->rename_account("renamed@example.com", "moved@new.org"));
    auto moved = dir_->get_account("moved@new.org");
    ASSERT_OK(moved);
    EXPECT_EQ(moved->id, id);
    EXPECT_EQ(moved->domain, "new.org");
    EXPECT_EQ(moved->account_class, "staff");
    EXPECT_EQ(moved->aliases, (std::vector<std::string>{"old@example.com"}));
    // Renaming to its own alias promotes the alias.
    ASSERT_OK(dir_->rename_account("moved@new.org", "old@example.com"));
    EXPECT_EQ(dir_->resolve("old@example.com")->kind, AddressKind::account);
    EXPECT_TRUE(dir_->get_account("old@example.com")->aliases.empty());
    EXPECT_EQ(dir_->resolve("moved@new.org")->kind, AddressKind::unknown_user);
}

TEST_F(Accounts, RemoveTakesAliasesSettingsAndMemberships) {
    add_account("u@example.com");
    add_account("v@example.com");
    ASSERT_OK(dir_->add_alias("alias@example.com", "u@example.com"));
    ASSERT_OK(dir_->set_setting(SettingTarget::for_account("u@example.com"), "quota", "1M"));
    std::vector<std::string> members = {"u@example.com", "alias@example.com", "v@example.com"};
    ASSERT_OK(dir_->add_group("g@example.com", members));
    ASSERT_OK(dir_->add_forwarder("f@example.com", members));

    ASSERT_OK(dir_->remove_account("u@example.com"));
    EXPECT_ERRC(dir_->get_account("u@example.com"), Errc::not_found);
    EXPECT_EQ(dir_->resolve("alias@example.com")->kind, AddressKind::unknown_user);
    EXPECT_EQ(dir_->get_group("g@example.com")->targets,
              (std::vector<std::string>{"v@example.com"}));
    // Forwarders are explicit routing and keep their targets (admins see them in listings).
    EXPECT_EQ(dir_->get_forwarder("f@example.com")->targets.size(), 3u);
    EXPECT_ERRC(dir_->remove_account("u@example.com"), Errc::not_found);
    EXPECT_ERRC(dir_->remove_account("g@example.com"), Errc::invalid_argument);
    // The address is free again, without the old settings.
    add_account("u@example.com");
    EXPECT_TRUE(dir_->explicit_settings(SettingTarget::for_account("u@example.com"))->empty());
}

}  // namespace
}  // namespace postern::directory::testing
