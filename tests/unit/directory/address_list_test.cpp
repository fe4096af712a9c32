#include <gtest/gtest.h>

#include "fixture.h"

namespace postern::directory::testing {
namespace {

using Strings = std::vector<std::string>;

class Addresses : public DirectoryTest {
  protected:
    void SetUp() override {
        DirectoryTest::SetUp();
        add_domain("example.com");
        add_domain("other.org");
        add_account("alice@example.com");
        add_account("bob@example.com");
        add_account("carol@other.org");
    }

    // The recipients of an expansion as "kind:address" strings.
    Strings expanded(const std::string& address) {
        auto e = dir_->expand(address);
        if (!e)
            return {"ERROR " + e.error().to_string()};
        Strings out;
        for (const auto& r : e->recipients) {
            std::string kind = r.kind == Recipient::Kind::account    ? "account:"
                               : r.kind == Recipient::Kind::external ? "external:"
                                                                     : "unknown:";
            out.push_back(kind + r.address);
        }
        return out;
    }
};

TEST_F(Addresses, AliasesAddRemoveList) {
    ASSERT_OK(dir_->add_alias("Al@Example.com", "alice@example.com"));
    ASSERT_OK(dir_->add_alias("alice@other.org", "alice@example.com"));  // another local domain
    EXPECT_ERRC(dir_->add_alias("al@example.com", "bob@example.com"), Errc::already_exists);
    EXPECT_ERRC(dir_->add_alias("bob@example.com", "alice@example.com"), Errc::already_exists);
    EXPECT_ERRC(dir_->add_alias("x@example.com", "nobody@example.com"), Errc::not_found);
    EXPECT_ERRC(dir_->add_alias("x@example.com", "al@example.com"),
                Errc::invalid_argument);  // alias of alias
    EXPECT_ERRC(dir_->add_alias("x@external.net", "alice@example.com"), Errc::not_found);
    EXPECT_ERRC(dir_->add_alias("bad address@example.com", "alice@example.com"),
                Errc::invalid_argument);

    auto list = dir_->list_aliases("example.com");
    ASSERT_OK(list);
    ASSERT_EQ(list->size(), 1u);
    EXPECT_EQ((*list)[0].address, "al@example.com");
    EXPECT_EQ((*list)[0].account, "alice@example.com");
    EXPECT_EQ(*dir_->aliases_of("alice@example.com"),
              (Strings{"al@example.com", "alice@other.org"}));

    EXPECT_ERRC(dir_->remove_alias("alice@example.com"), Errc::invalid_argument);  // an account
    ASSERT_OK(dir_->remove_alias("AL@example.com"));
    EXPECT_ERRC(dir_->remove_alias("al@example.com"), Errc::not_found);
    EXPECT_EQ(*dir_->aliases_of("alice@example.com"), (Strings{"alice@other.org"}));
}

TEST_F(Addresses, ResolveEveryKind) {
    ASSERT_OK(dir_->add_domain_alias("example.net", "example.com"));
    ASSERT_OK(dir_->add_alias("al@example.com", "alice@example.com"));
    Strings members = {"alice@example.com"};
    ASSERT_OK(dir_->add_group("team@example.com", members));
    ASSERT_OK(dir_->add_forwarder("fwd@example.com", members));

    struct Case {
        std::string address;
        AddressKind kind;
        std::string canonical;
        std::string account;
        bool via_domain_alias;
        std::string subaddress;
    };
    const Case cases[] = {
        {"alice@example.com", AddressKind::account, "alice@example.com", "alice@example.com", false,
         ""},
        {"ALICE@EXAMPLE.COM", AddressKind::account, "alice@example.com", "alice@example.com", false,
         ""},
        {"<alice@example.com>", AddressKind::account, "alice@example.com", "alice@example.com",
         false, ""},
        {"al@example.com", AddressKind::alias, "al@example.com", "alice@example.com", false, ""},
        {"alice@example.net", AddressKind::account, "alice@example.com", "alice@example.com", true,
         ""},
        {"al@Example.NET", AddressKind::alias, "al@example.com", "alice@example.com", true, ""},
        {"team@example.com", AddressKind::group, "team@example.com", "", false, ""},
        {"fwd@example.net", AddressKind::forwarder, "fwd@example.com", "", true, ""},
        {"alice+lists@example.com", AddressKind::account, "alice+lists@example.com",
         "alice@example.com", false, "lists"},
        {"al+x+y@example.com", AddressKind::alias, "al+x+y@example.com", "alice@example.com", false,
         "x+y"},
        {"nobody@example.com", AddressKind::unknown_user, "nobody@example.com", "", false, ""},
        {"nobody+x@example.com", AddressKind::unknown_user, "nobody+x@example.com", "", false, ""},
        {"+x@example.com", AddressKind::unknown_user, "+x@example.com", "", false, ""},
        {"alice@elsewhere.com", AddressKind::not_local, "alice@elsewhere.com", "", false, ""},
        {"carol@other.org", AddressKind::account, "carol@other.org", "carol@other.org", false, ""},
    };
    for (const auto& c : cases) {
        auto r = dir_->resolve(c.address);
        ASSERT_OK(r);
        EXPECT_EQ(r->kind, c.kind) << c.address << " is " << kind_name(r->kind);
        EXPECT_EQ(r->address, c.canonical) << c.address;
        EXPECT_EQ(r->account_address, c.account) << c.address;
        EXPECT_EQ(r->via_domain_alias, c.via_domain_alias) << c.address;
        EXPECT_EQ(r->subaddress, c.subaddress) << c.address;
        if (!c.account.empty()) {
            EXPECT_GT(r->account_id, 0) << c.address;
            EXPECT_TRUE(r->account_enabled);
        }
        if (c.kind == AddressKind::group || c.kind == AddressKind::forwarder) {
            EXPECT_GT(r->list_id, 0);
        }
    }
    for (auto bad : {"", "no-at", "a@@b", "a b@example.com", "x@-bad-.com"}) {
        EXPECT_ERRC(dir_->resolve(bad), Errc::invalid_argument);
    }
}

TEST_F(Addresses, ExactAddressBeatsSubaddressing) {
    add_account("alice+special@example.com");
    auto r = dir_->resolve("alice+special@example.com");
    ASSERT_OK(r);
    EXPECT_EQ(r->account_address, "alice+special@example.com");
    EXPECT_EQ(r->subaddress, "");
}

TEST_F(Addresses, SubaddressingCanBeTurnedOff) {
    auto options = cheap_options();
    options.recipient_delimiters = "";
    reopen(options);
    EXPECT_EQ(dir_->resolve("alice+x@example.com")->kind, AddressKind::unknown_user);
    options.recipient_delimiters = "-+";
    reopen(options);
    EXPECT_EQ(dir_->resolve("alice-x@example.com")->subaddress, "x");
    EXPECT_EQ(dir_->resolve("alice+x@example.com")->subaddress, "x");
}

TEST_F(Addresses, Groups) {
    Strings members = {"Alice@Example.com", "ext@Remote.NET"};
    ASSERT_OK(dir_->add_group("team@example.com", members));
    EXPECT_ERRC(dir_->add_group("team@example.com", {}), Errc::already_exists);
    EXPECT_ERRC(dir_->add_group("alice@example.com", {}), Errc::already_exists);
    EXPECT_ERRC(dir_->add_group("g@missing.com", {}), Errc::not_found);
    Strings bad = {"not an address"};
    EXPECT_ERRC(dir_->add_group("g2@example.com", bad), Errc::invalid_argument);
    EXPECT_ERRC(dir_->get_group("g2@example.com"), Errc::not_found);  // nothing half-created
    Strings self = {"g3@example.com"};
    EXPECT_ERRC(dir_->add_group("g3@example.com", self), Errc::invalid_argument);

    ASSERT_OK(dir_->add_domain_alias("example.net", "example.com"));
    Strings more = {"bob@example.net",
                    "alice@example.com"};  // domain alias → primary; duplicate ignored
    ASSERT_OK(dir_->add_group_members("team@example.com", more));
    auto group = dir_->get_group("TEAM@example.com");
    ASSERT_OK(group);
    EXPECT_EQ(group->address, "team@example.com");
    EXPECT_EQ(group->targets, (Strings{"alice@example.com", "bob@example.com", "ext@remote.net"}));

    Strings gone = {"ext@remote.net"};
    ASSERT_OK(dir_->remove_group_members("team@example.com", gone));
    EXPECT_ERRC(dir_->remove_group_members("team@example.com", gone), Errc::not_found);
    EXPECT_ERRC(dir_->add_group_members("alice@example.com", gone),
                Errc::invalid_argument);  // not a group

    ASSERT_OK(dir_->add_group("empty@example.com", {}));
    auto groups = dir_->list_groups("example.com");
    ASSERT_OK(groups);
    ASSERT_EQ(groups->size(), 2u);
    EXPECT_EQ((*groups)[0].address, "empty@example.com");
    EXPECT_TRUE((*groups)[0].targets.empty());
    EXPECT_EQ((*groups)[1].targets, (Strings{"alice@example.com", "bob@example.com"}));

    ASSERT_OK(dir_->remove_group("team@example.com"));
    EXPECT_ERRC(dir_->remove_group("team@example.com"), Errc::not_found);
    EXPECT_ERRC(dir_->remove_group("alice@example.com"), Errc::invalid_argument);
}

TEST_F(Addresses, Forwarders) {
    EXPECT_ERRC(dir_->add_forwarder("f@example.com", {}), Errc::invalid_argument);
    Strings targets = {"someone@remote.net", "bob@example.com"};
    ASSERT_OK(dir_->add_forwarder("f@example.com", targets));
    EXPECT_ERRC(dir_->add_forwarder("f@example.com", targets), Errc::already_exists);
    Strings more = {"carol@other.org"};
    ASSERT_OK(dir_->add_forwarder_targets("f@example.com", more));
    EXPECT_EQ(dir_->get_forwarder("f@example.com")->targets,
              (Strings{"bob@example.com", "carol@other.org", "someone@remote.net"}));
    Strings two = {"bob@example.com", "carol@other.org"};
    ASSERT_OK(dir_->remove_forwarder_targets("f@example.com", two));
    Strings last = {"someone@remote.net"};
    EXPECT_ERRC(dir_->remove_forwarder_targets("f@example.com", last), Errc::invalid_argument);
    EXPECT_EQ(dir_->get_forwarder("f@example.com")->targets,
              (Strings{"someone@remote.net"}));  // rolled back
    EXPECT_EQ(dir_->list_forwarders("example.com")->size(), 1u);
    EXPECT_ERRC(dir_->get_group("f@example.com"), Errc::invalid_argument);
    ASSERT_OK(dir_->remove_forwarder("f@example.com"));
    EXPECT_EQ(dir_->resolve("f@example.com")->kind, AddressKind::unknown_user);
}

TEST_F(Addresses, ExpandFollowsEverything) {
    ASSERT_OK(dir_->add_alias("al@example.com", "alice@example.com"));
    Strings inner = {"bob@example.com", "carol@other.org", "outside@remote.net"};
    ASSERT_OK(dir_->add_group("inner@example.com", inner));
    Strings fwd = {"al@example.com", "ghost@example.com"};
    ASSERT_OK(dir_->add_forwarder("fwd@example.com", fwd));
    Strings outer = {"inner@example.com", "fwd@example.com", "alice@example.com",
                     "bob+tag@example.com"};
    ASSERT_OK(dir_->add_group("outer@example.com", outer));

    EXPECT_EQ(expanded("outer@example.com"),
              (Strings{"account:alice@example.com", "account:bob@example.com",
                       "unknown:ghost@example.com", "account:carol@other.org",
                       "external:outside@remote.net"}));
    EXPECT_EQ(expanded("alice@example.com"), (Strings{"account:alice@example.com"}));
    EXPECT_EQ(expanded("al@example.com"), (Strings{"account:alice@example.com"}));
    EXPECT_EQ(expanded("x@remote.net"), (Strings{"external:x@remote.net"}));
    EXPECT_FALSE(dir_->expand("outer@example.com")->cycle);
    EXPECT_ERRC(dir_->expand("bad address"), Errc::invalid_argument);
}

TEST_F(Addresses, ExpandCutsCycles) {
    ASSERT_OK(dir_->add_group("a@example.com", {}));
    ASSERT_OK(dir_->add_group("b@example.com", {}));
    ASSERT_OK(dir_->add_forwarder("c@example.com", Strings{"a@example.com"}));
    ASSERT_OK(
        dir_->add_group_members("a@example.com", Strings{"b@example.com", "alice@example.com"}));
    ASSERT_OK(
        dir_->add_group_members("b@example.com", Strings{"c@example.com", "bob@example.com"}));
    for (auto start : {"a@example.com", "b@example.com", "c@example.com"}) {
        auto e = dir_->expand(start);
        ASSERT_OK(e);
        EXPECT_TRUE(e->cycle) << start;
        EXPECT_EQ(e->recipients.size(), 2u) << start;
    }
    // A diamond (two paths to one group) is not a cycle.
    ASSERT_OK(dir_->add_group("d1@example.com", Strings{"leaf@example.com"}));
    ASSERT_OK(dir_->add_group("leaf@example.com", Strings{"alice@example.com"}));
    ASSERT_OK(dir_->add_group("top@example.com", Strings{"d1@example.com", "leaf@example.com"}));
    auto diamond = dir_->expand("top@example.com");
    ASSERT_OK(diamond);
    EXPECT_FALSE(diamond->cycle);
    EXPECT_EQ(diamond->recipients.size(), 1u);
}

TEST_F(Addresses, ExpandLimits) {
    auto options = cheap_options();
    options.expand.max_depth = 3;
    options.expand.max_recipients = 5;
    reopen(options);
    // A chain g0 → g1 → g2 → g3 → alice: g3 is nested too deep.
    ASSERT_OK(dir_->add_group("g3@example.com", Strings{"alice@example.com"}));
    ASSERT_OK(dir_->add_group("g2@example.com", Strings{"g3@example.com"}));
    ASSERT_OK(dir_->add_group("g1@example.com", Strings{"g2@example.com"}));
    ASSERT_OK(dir_->add_group("g0@example.com", Strings{"g1@example.com"}));
    EXPECT_EQ(expanded("g1@example.com"), (Strings{"account:alice@example.com"}));
    auto deep = dir_->expand("g0@example.com");
    ASSERT_FALSE(deep);
    EXPECT_EQ(deep.error().code, Errc::limit_exceeded);
    EXPECT_NE(deep.error().message.find("deeper than 3"), std::string::npos);

    Strings many;
    for (int i = 0; i < 6; ++i)
        many.push_back("r" + std::to_string(i) + "@remote.net");
    ASSERT_OK(dir_->add_group("big@example.com", many));
    EXPECT_ERRC(dir_->expand("big@example.com"), Errc::limit_exceeded);
    ASSERT_OK(dir_->remove_group_members("big@example.com", Strings{"r5@remote.net"}));
    EXPECT_EQ(expanded("big@example.com").size(), 5u);
}

TEST_F(Addresses, DisabledAccountsAreMarkedInExpansion) {
    ASSERT_OK(dir_->set_enabled("bob@example.com", false));
    ASSERT_OK(dir_->add_group("g@example.com", Strings{"alice@example.com", "bob@example.com"}));
    auto e = dir_->expand("g@example.com");
    ASSERT_OK(e);
    ASSERT_EQ(e->recipients.size(), 2u);
    EXPECT_TRUE(e->recipients[0].enabled);
    EXPECT_FALSE(e->recipients[1].enabled);
}

}  // namespace
}  // namespace postern::directory::testing
