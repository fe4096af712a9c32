#include <gtest/gtest.h>

#include "fixture.h"

namespace postern::directory::testing {
namespace {

class Domains : public DirectoryTest {};

TEST_F(Domains, AddGetList) {
    auto added = dir_->add_domain("Example.COM");
    ASSERT_TRUE(added) << added.error().to_string();
    EXPECT_EQ(added->name, "example.com");
    EXPECT_GT(added->id, 0);
    EXPECT_GT(added->created, 1600000000);
    EXPECT_EQ(added->accounts, 0u);

    add_domain("b.org");
    add_domain("a.net");
    auto all = dir_->list_domains();
    ASSERT_OK(all);
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].name, "a.net");
    EXPECT_EQ((*all)[1].name, "b.org");
    EXPECT_EQ((*all)[2].name, "example.com");

    auto some = dir_->list_domains("*.org");
    ASSERT_OK(some);
    ASSERT_EQ(some->size(), 1u);
    EXPECT_EQ(some->front().name, "b.org");

    auto got = dir_->get_domain("EXAMPLE.com.");
    ASSERT_OK(got);
    EXPECT_EQ(got->id, added->id);
}

TEST_F(Domains, AddErrors) {
    add_domain("example.com");
    EXPECT_ERRC(dir_->add_domain("EXAMPLE.COM"), Errc::already_exists);
    EXPECT_ERRC(dir_->add_domain("bad_name.com"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->add_domain(""), Errc::invalid_argument);
    EXPECT_ERRC(dir_->add_domain("1.2.3.4"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->get_domain("missing.com"), Errc::not_found);
    ASSERT_OK(dir_->add_domain_alias("alias.com", "example.com"));
    auto clash = dir_->add_domain("alias.com");
    ASSERT_FALSE(clash);
    EXPECT_EQ(clash.error().code, Errc::already_exists);
    EXPECT_NE(clash.error().message.find("domain alias of example.com"), std::string::npos);
    // A domain alias is not a domain for admin operations: the message points at the domain.
    auto by_alias = dir_->get_domain("alias.com");
    ASSERT_FALSE(by_alias);
    EXPECT_EQ(by_alias.error().code, Errc::invalid_argument);
    EXPECT_NE(by_alias.error().message.find("use example.com"), std::string::npos);
}

TEST_F(Domains, Aliases) {
    add_domain("example.com");
    add_domain("other.com");
    ASSERT_OK(dir_->add_domain_alias("Example.NET", "example.com"));
    ASSERT_OK(dir_->add_domain_alias("example.org", "example.com"));
    EXPECT_ERRC(dir_->add_domain_alias("example.net", "other.com"), Errc::already_exists);
    EXPECT_ERRC(dir_->add_domain_alias("other.com", "example.com"), Errc::already_exists);
    EXPECT_ERRC(dir_->add_domain_alias("x.com", "missing.com"), Errc::not_found);
    EXPECT_ERRC(dir_->add_domain_alias("y.com", "example.net"),
                Errc::invalid_argument);  // alias of an alias
    auto aliases = dir_->list_domain_aliases("example.com");
    ASSERT_OK(aliases);
    EXPECT_EQ(*aliases, (std::vector<std::string>{"example.net", "example.org"}));
    EXPECT_EQ(*dir_->is_local_domain("EXAMPLE.NET"), true);
    ASSERT_OK(dir_->remove_domain_alias("example.net"));
    EXPECT_EQ(*dir_->is_local_domain("example.net"), false);
    EXPECT_ERRC(dir_->remove_domain_alias("example.net"), Errc::not_found);
    EXPECT_ERRC(dir_->remove_domain_alias("bad..name"), Errc::invalid_argument);
}

TEST_F(Domains, IsLocal) {
    add_domain("example.com");
    EXPECT_TRUE(*dir_->is_local_domain("example.com"));
    EXPECT_TRUE(*dir_->is_local_domain("ExAmPlE.CoM."));
    EXPECT_FALSE(*dir_->is_local_domain("example.org"));
    EXPECT_FALSE(*dir_->is_local_domain("sub.example.com"));
    EXPECT_FALSE(*dir_->is_local_domain("not a domain"));
}

TEST_F(Domains, RenameKeepsAccountsAliasesAndMembership) {
    add_domain("old.com");
    add_domain("lists.com");
    add_account("alice@old.com");
    add_account("bob@old.com");
    ASSERT_OK(dir_->add_alias("ali@old.com", "alice@old.com"));
    ASSERT_OK(dir_->add_class("old.com", "staff"));
    ASSERT_OK(dir_->set_account_class("bob@old.com", "staff"));
    ASSERT_OK(dir_->set_setting(SettingTarget::for_domain("old.com"), "quota", "5M"));
    ASSERT_OK(dir_->set_catch_all("old.com", "alice@old.com"));
    std::vector<std::string> members = {"alice@old.com", "ext@elsewhere.org", "x@sub.old.com"};
    ASSERT_OK(dir_->add_group("team@lists.com", members));
    auto before = dir_->get_account("alice@old.com");
    ASSERT_OK(before);

    ASSERT_OK(dir_->rename_domain("old.com", "New.com"));

    EXPECT_ERRC(dir_->get_domain("old.com"), Errc::not_found);
    EXPECT_FALSE(*dir_->is_local_domain("old.com"));
    auto after = dir_->get_account("alice@new.com");
    ASSERT_OK(after);
    EXPECT_EQ(after->id, before->id);
    EXPECT_EQ(after->aliases, (std::vector<std::string>{"ali@new.com"}));
    EXPECT_EQ(dir_->get_account("bob@new.com")->account_class, "staff");
    auto alias = dir_->resolve("ali@new.com");
    ASSERT_OK(alias);
    EXPECT_EQ(alias->kind, AddressKind::alias);
    EXPECT_EQ(alias->account_address, "alice@new.com");
    EXPECT_EQ(dir_->resolve("nobody@new.com")->kind, AddressKind::catch_all);
    auto effective = dir_->effective_settings(SettingTarget::for_account("bob@new.com"));
    ASSERT_OK(effective);
    EXPECT_EQ(effective->front().key, "quota");
    EXPECT_EQ(effective->front().text, "5242880");
    EXPECT_EQ(effective->front().level, SettingLevel::domain);
    // Members in the renamed domain follow; others (even a subdomain) do not.
    auto group = dir_->get_group("team@lists.com");
    ASSERT_OK(group);
    EXPECT_EQ(group->targets,
              (std::vector<std::string>{"alice@new.com", "ext@elsewhere.org", "x@sub.old.com"}));
    auto expanded = dir_->expand("team@lists.com");
    ASSERT_OK(expanded);
    ASSERT_EQ(expanded->recipients.size(), 3u);
    EXPECT_EQ(expanded->recipients[0].kind, Recipient::Kind::account);
}

TEST_F(Domains, RenameErrorsAndKeepOldAsAlias) {
    add_domain("a.com");
    add_domain("b.com");
    add_account("u@a.com");
    EXPECT_ERRC(dir_->rename_domain("a.com", "b.com"), Errc::already_exists);
    EXPECT_ERRC(dir_->rename_domain("missing.com", "c.com"), Errc::not_found);
    EXPECT_ERRC(dir_->rename_domain("a.com", "bad_name"), Errc::invalid_argument);
    ASSERT_OK(dir_->rename_domain("a.com", "c.com", {.keep_old_as_alias = true}));
    auto r = dir_->resolve("u@a.com");
    ASSERT_OK(r);
    EXPECT_EQ(r->kind, AddressKind::account);
    EXPECT_TRUE(r->via_domain_alias);
    EXPECT_EQ(r->account_address, "u@c.com");
}

TEST_F(Domains, RemoveRefusesWithContentUnlessForced) {
    add_domain("a.com");
    add_domain("keep.com");
    add_account("u@a.com");
    add_account("k@keep.com");
    ASSERT_OK(dir_->add_alias("u2@keep.com", "u@a.com"));  // an alias in another domain
    std::vector<std::string> members = {"u@a.com", "k@keep.com"};
    ASSERT_OK(dir_->add_group("g@keep.com", members));

    auto refused = dir_->remove_domain("a.com");
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Errc::permission_denied);
    EXPECT_NE(refused.error().message.find("1 account"), std::string::npos)
        << refused.error().message;
    ASSERT_OK(dir_->remove_domain("a.com", true));

    EXPECT_ERRC(dir_->get_domain("a.com"), Errc::not_found);
    EXPECT_EQ(dir_->resolve("u@a.com")->kind, AddressKind::not_local);
    EXPECT_EQ(dir_->resolve("u2@keep.com")->kind,
              AddressKind::unknown_user);  // alias went with the account
    EXPECT_EQ(dir_->get_group("g@keep.com")->targets, (std::vector<std::string>{"k@keep.com"}));
    EXPECT_ERRC(dir_->remove_domain("a.com"), Errc::not_found);

    add_domain("empty.com");
    ASSERT_OK(dir_->remove_domain("empty.com"));
}

TEST_F(Domains, ForcedRemovalLeavesNoRowsBehind) {
    add_domain("a.com");
    add_account("u@a.com");
    ASSERT_OK(dir_->add_class("a.com", "c"));
    ASSERT_OK(dir_->set_account_class("u@a.com", "c"));
    ASSERT_OK(dir_->set_setting(SettingTarget::for_account("u@a.com"), "quota", "1M"));
    ASSERT_OK(dir_->set_setting(SettingTarget::for_class("a.com", "c"), "quota", "1M"));
    ASSERT_OK(dir_->set_catch_all("a.com", "u@a.com"));
    ASSERT_OK(dir_->remove_domain("a.com", true));
    // Re-adding gives a clean domain: no stale classes, accounts or catch-all.
    add_domain("a.com");
    EXPECT_TRUE(dir_->list_classes("a.com")->empty());
    EXPECT_TRUE(dir_->list_accounts({.domain = "a.com"})->empty());
    EXPECT_FALSE(dir_->get_domain("a.com")->catch_all);
    EXPECT_EQ(dir_->resolve("u@a.com")->kind, AddressKind::unknown_user);
}

TEST_F(Domains, Classes) {
    add_domain("a.com");
    add_domain("b.com");
    ASSERT_OK(dir_->add_class("a.com", "Staff"));
    ASSERT_OK(dir_->add_class("a.com", "students"));
    ASSERT_OK(dir_->add_class("b.com", "staff"));  // per domain
    EXPECT_ERRC(dir_->add_class("a.com", "staff"), Errc::already_exists);
    EXPECT_ERRC(dir_->add_class("a.com", "bad name"), Errc::invalid_argument);
    EXPECT_ERRC(dir_->add_class("a.com", ""), Errc::invalid_argument);
    EXPECT_ERRC(dir_->add_class("a.com", std::string(65, 'x')), Errc::invalid_argument);
    EXPECT_ERRC(dir_->add_class("missing.com", "x"), Errc::not_found);

    add_account("u@a.com");
    ASSERT_OK(dir_->set_account_class("u@a.com", "STAFF"));
    EXPECT_ERRC(dir_->set_account_class("u@a.com", "nope"), Errc::not_found);
    auto classes = dir_->list_classes("a.com");
    ASSERT_OK(classes);
    ASSERT_EQ(classes->size(), 2u);
    EXPECT_EQ((*classes)[0].name, "staff");
    EXPECT_EQ((*classes)[0].accounts, 1u);
    EXPECT_EQ((*classes)[1].name, "students");
    EXPECT_EQ((*classes)[1].accounts, 0u);

    EXPECT_ERRC(dir_->remove_class("a.com", "staff"), Errc::permission_denied);
    ASSERT_OK(dir_->remove_class("a.com", "students"));
    ASSERT_OK(dir_->remove_class("a.com", "staff", true));
    EXPECT_FALSE(dir_->get_account("u@a.com")->account_class);
    EXPECT_ERRC(dir_->remove_class("a.com", "staff"), Errc::not_found);
    ASSERT_OK(dir_->set_account_class("u@a.com", std::nullopt));
}

TEST_F(Domains, CatchAll) {
    add_domain("a.com");
    add_domain("b.com");
    add_account("u@a.com");
    add_account("v@b.com");
    EXPECT_EQ(dir_->resolve("x@a.com")->kind, AddressKind::unknown_user);
    ASSERT_OK(dir_->set_catch_all("a.com", "v@b.com"));  // any local account
    auto r = dir_->resolve("x@a.com");
    ASSERT_OK(r);
    EXPECT_EQ(r->kind, AddressKind::catch_all);
    EXPECT_EQ(r->account_address, "v@b.com");
    EXPECT_EQ(dir_->get_domain("a.com")->catch_all, "v@b.com");
    EXPECT_EQ(dir_->resolve("u@a.com")->kind, AddressKind::account);  // existing addresses win
    EXPECT_ERRC(dir_->set_catch_all("a.com", "nobody@a.com"), Errc::not_found);
    EXPECT_ERRC(dir_->set_catch_all("missing.com", "u@a.com"), Errc::not_found);
    ASSERT_OK(dir_->set_catch_all("a.com", std::nullopt));
    EXPECT_EQ(dir_->resolve("x@a.com")->kind, AddressKind::unknown_user);
    // Removing the catch-all account removes the catch-all.
    ASSERT_OK(dir_->set_catch_all("a.com", "u@a.com"));
    ASSERT_OK(dir_->remove_account("u@a.com"));
    EXPECT_EQ(dir_->resolve("x@a.com")->kind, AddressKind::unknown_user);
}

}  // namespace
}  // namespace postern::directory::testing
