// Address white/blacklists: patterns, the store, the level order, the From header, and the
// filter run by the chain once per account ("*" scope).
#include "filter/lists/lists.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

#include "filter/chain/chain.h"

namespace postern::filter::lists {
namespace {

namespace fs = std::filesystem;

TEST(AddressPattern, Forms) {
    EXPECT_TRUE(address_matches("bob@remote.test", "Bob@Remote.TEST"));
    EXPECT_FALSE(address_matches("bob@remote.test", "bobby@remote.test"));
    EXPECT_TRUE(address_matches("@remote.test", "x@remote.test"));
    EXPECT_TRUE(address_matches("remote.test", "x@REMOTE.test"));
    EXPECT_FALSE(address_matches("remote.test", "x@sub.remote.test"));
    EXPECT_TRUE(address_matches("*@*.remote.test", "x@sub.remote.test"));
    EXPECT_FALSE(address_matches("*@*.remote.test", "x@remote.test"));
    EXPECT_FALSE(address_matches("", "x@remote.test"));
    EXPECT_FALSE(normalize_pattern(""));
    EXPECT_FALSE(normalize_pattern("a b@c"));
    EXPECT_FALSE(normalize_pattern("a\r\nX: y"));
    EXPECT_FALSE(normalize_pattern(std::string(400, 'a')));
    EXPECT_EQ(normalize_pattern("  Bob@Remote.Test ").value_or(""), "bob@remote.test");
}

TEST(FromHeader, AddressesOfEveryFromField) {
    std::string raw =
        "Received: x\r\nFrom: \"Carol\" <Carol@Remote.test>,\r\n dave@other.test\r\n"
        "Subject: hi\r\nfrom: (group) g: e@x.test;\r\n\r\nFrom: body@not.header\r\n";
    auto a = from_addresses(raw);
    ASSERT_EQ(a.size(), 3u);
    EXPECT_EQ(a[0], "carol@remote.test");
    EXPECT_EQ(a[1], "dave@other.test");
    EXPECT_EQ(a[2], "e@x.test");
    EXPECT_TRUE(from_addresses("").empty());
    std::string hostile = "From: " + std::string(200'000, '<') + "\r\n\r\n";
    EXPECT_LE(from_addresses(hostile).size(), 32u);
}

class ListsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("lists_test_" + std::to_string(std::random_device{}()));
        auto l = AddressLists::open(dir_ / "lists.db");
        ASSERT_TRUE(l) << l.error().to_string();
        lists_ = std::move(*l);
    }
    void TearDown() override {
        lists_.reset();
        fs::remove_all(dir_);
    }
    std::optional<ListDecision> decide(std::vector<std::string> senders, std::string account) {
        auto at = account.find('@');
        auto d = lists_->decide(senders, account.substr(at + 1), account);
        EXPECT_TRUE(d) << d.error().to_string();
        return d.value_or(std::nullopt);
    }
    fs::path dir_;
    std::shared_ptr<AddressLists> lists_;
};

TEST_F(ListsTest, MostSpecificLevelDecidesAndWhitelistWinsWithinALevel) {
    lists_->set_configured({}, {"@spam.test", "bad@remote.test"});
    EXPECT_FALSE(decide({"carol@remote.test"}, "alice@example.test"));
    auto d = decide({"x@spam.test"}, "alice@example.test");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, ListKind::black);
    EXPECT_EQ(d->level, filter::Level::server);
    // The account whitelists it: the account's word counts for its own mail.
    ASSERT_TRUE(lists_->add("alice@example.test", ListKind::white, "x@spam.test"));
    d = decide({"x@spam.test"}, "alice@example.test");
    ASSERT_TRUE(d);
    EXPECT_EQ(d->kind, ListKind::white);
    EXPECT_EQ(d->level, filter::Level::account);
    EXPECT_EQ(decide({"x@spam.test"}, "bob@example.test")->kind, ListKind::black);
    // Domain level, both lists: whitelist first.
    ASSERT_TRUE(lists_->add("example.test", ListKind::black, "@remote.test"));
    ASSERT_TRUE(lists_->add("example.test", ListKind::white, "good@remote.test"));
    EXPECT_EQ(decide({"good@remote.test"}, "bob@example.test")->kind, ListKind::white);
    EXPECT_EQ(decide({"other@remote.test"}, "bob@example.test")->level, filter::Level::domain);
    // Any sender (envelope or From) may match.
    EXPECT_EQ(decide({"ok@fine.test", "bad@remote.test"}, "carol@elsewhere.test")->kind,
              ListKind::black);
}

TEST_F(ListsTest, StoreAddListRemoveAndRefuseJunk) {
    ASSERT_TRUE(lists_->add("Alice@Example.test", ListKind::white, "Bob@Remote.test"));
    ASSERT_TRUE(lists_->add("alice@example.test", ListKind::white, "bob@remote.test"));  // again
    auto e = lists_->entries("alice@example.test", ListKind::white);
    ASSERT_TRUE(e);
    EXPECT_EQ(*e, std::vector<std::string>{"bob@remote.test"});
    EXPECT_FALSE(lists_->add("alice@example.test", ListKind::white, "a\nb"));
    EXPECT_TRUE(lists_->remove("alice@example.test", ListKind::white, "bob@remote.test").value());
    EXPECT_FALSE(lists_->remove("alice@example.test", ListKind::white, "bob@remote.test").value());
    // Survives a reopen.
    ASSERT_TRUE(lists_->add("", ListKind::black, "@spam.test"));
    lists_.reset();
    lists_ = std::move(*AddressLists::open(dir_ / "lists.db"));
    EXPECT_EQ(lists_->entries("", ListKind::black).value().size(), 1u);
}

TEST_F(ListsTest, ListsEveryScopeOrOneAndTheConfiguredServerLists) {
    lists_->set_configured({"Partner@Remote.test", "bad pattern"}, {"@spam.test"});
    EXPECT_EQ(lists_->configured(ListKind::white), std::vector<std::string>{"partner@remote.test"});
    EXPECT_EQ(lists_->configured(ListKind::black), std::vector<std::string>{"@spam.test"});
    ASSERT_TRUE(lists_->add("alice@example.test", ListKind::black, "@bulk.test"));
    ASSERT_TRUE(lists_->add("alice@example.test", ListKind::white, "carol@remote.test"));
    ASSERT_TRUE(lists_->add("example.test", ListKind::black, "*@*.bulk.test"));
    ASSERT_TRUE(lists_->add("", ListKind::white, "@friends.test"));
    auto all = lists_->list(std::nullopt, 100);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 4u);  // stored only; the configured ones are not in the database
    EXPECT_EQ((*all)[0].scope, "");
    EXPECT_EQ((*all)[1].scope, "alice@example.test");
    EXPECT_EQ((*all)[1].kind, ListKind::white);  // white before black within a scope
    EXPECT_EQ((*all)[2].pattern, "@bulk.test");
    auto alice = lists_->list("Alice@Example.TEST", 100);
    ASSERT_TRUE(alice);
    EXPECT_EQ(alice->size(), 2u);
    EXPECT_EQ(lists_->list(std::nullopt, 1).value().size(), 1u);
    EXPECT_TRUE(lists_->list("nobody@example.test", 100).value().empty());
}

TEST_F(ListsTest, FilterRunsOncePerAccountThroughTheChain) {
    ASSERT_TRUE(lists_->add("alice@example.test", ListKind::black, "carol@remote.test"));
    ASSERT_TRUE(lists_->add("bob@example.test", ListKind::white, "@remote.test"));
    filter::FilterChain chain;
    auto lists = lists_;
    chain.add(filter::Level::account, "*", 0,
              std::make_shared<AddressListFilter>([lists] { return lists; }));
    std::string raw = "From: Carol <carol@remote.test>\r\nSubject: x\r\n\r\nHi\r\n";
    filter::MessageView view;
    view.sender = "";  // a bounce: only the From header names the sender
    view.raw = raw;
    std::vector<filter::ChainRecipient> rcpts = {{"alice@example.test", "example.test", "1"},
                                                 {"bob@example.test", "example.test", "2"},
                                                 {"dan@example.test", "example.test", "3"},
                                                 {"x@far.test", "far.test", ""}};
    auto r = chain.run(view, rcpts);
    ASSERT_TRUE(r) << r.error().to_string();
    EXPECT_EQ(r->recipients[0].action, filter::Verdict::Action::reject);
    EXPECT_EQ(r->recipients[0].status, "5.7.1");
    EXPECT_EQ(r->recipients[1].action, filter::Verdict::Action::pass);
    ASSERT_EQ(r->recipients[1].add_headers.size(), 1u);
    EXPECT_EQ(r->recipients[1].add_headers[0].first, "X-Postern-Address-List");
    EXPECT_EQ(r->recipients[2].action, filter::Verdict::Action::pass);
    EXPECT_TRUE(r->recipients[2].add_headers.empty());
    EXPECT_EQ(r->trace.size(), 3u);  // one run per account, none for the remote recipient
    EXPECT_EQ(r->trace[0], "account:1/address-lists: reject");
    // Off: the provider gives no store.
    filter::FilterChain off;
    off.add(filter::Level::account, "*", 0,
            std::make_shared<AddressListFilter>([] { return std::shared_ptr<AddressLists>(); }));
    EXPECT_EQ(off.run(view, rcpts)->recipients[0].action, filter::Verdict::Action::pass);
}

}  // namespace
}  // namespace postern::filter::lists
