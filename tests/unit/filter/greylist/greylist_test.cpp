// Greylisting: triplets, delay, retry window, expiry, auto-whitelist, persistence across a
// reopen and bounded size. Times are passed in: no sleeping.
#include "filter/greylist/greylist.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

namespace postern::filter::greylist {
namespace {

namespace fs = std::filesystem;
using Kind = Decision::Kind;

IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

class GreylistTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ =
            fs::temp_directory_path() / ("greylist_test_" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        open();
        cfg_.delay = std::chrono::seconds(300);
        cfg_.retry_window = std::chrono::seconds(3600);
        cfg_.expiry = std::chrono::seconds(86400);
        cfg_.auto_whitelist = 3;
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }
    void open() {
        store_.reset();
        auto s = GreylistStore::open(dir_ / "grey.db");
        ASSERT_TRUE(s) << s.error().to_string();
        store_ = std::move(*s);
    }
    Decision check(const Triplet& t, std::int64_t now) {
        auto d = store_->check(t, now, cfg_);
        EXPECT_TRUE(d) << d.error().to_string();
        return d.value_or(Decision{});
    }

    fs::path dir_;
    std::unique_ptr<GreylistStore> store_;
    config::GreylistConfig cfg_;
    const std::int64_t t0_ = 1'700'000'000;
};

TEST(GreylistTriplet, NetworksAreSlash24AndSlash64) {
    EXPECT_EQ(client_network(ip("192.0.2.77")), "192.0.2.0/24");
    EXPECT_EQ(client_network(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), "2001:db8:1:2::/64");
    auto t = make_triplet(ip("192.0.2.77"), "Bob@Remote.TEST", "Alice@Example.test");
    EXPECT_EQ(t.sender, "bob@remote.test");
    EXPECT_EQ(t.recipient, "alice@example.test");
    // Hostile lengths are cut, not refused.
    auto long_sender = std::string(100'000, 'a') + "@x";
    EXPECT_EQ(make_triplet(ip("192.0.2.1"), long_sender, "r@x").sender.size(), 512u);
}

TEST_F(GreylistTest, FirstAttemptDefersRetryAfterDelayPasses) {
    auto t = make_triplet(ip("192.0.2.7"), "bob@remote.test", "alice@example.test");
    auto d = check(t, t0_);
    EXPECT_EQ(d.kind, Kind::defer);
    EXPECT_EQ(d.retry_after, 300);
    d = check(t, t0_ + 100);  // too soon
    EXPECT_EQ(d.kind, Kind::defer);
    EXPECT_EQ(d.retry_after, 200);
    EXPECT_EQ(check(t, t0_ + 300).kind, Kind::pass);
    EXPECT_EQ(check(t, t0_ + 5000).kind, Kind::pass);  // known now
}

TEST_F(GreylistTest, SameNetworkOtherHostCountsAsTheSameClient) {
    auto t = make_triplet(ip("192.0.2.7"), "bob@remote.test", "alice@example.test");
    check(t, t0_);
    auto other = make_triplet(ip("192.0.2.200"), "bob@remote.test", "alice@example.test");
    EXPECT_EQ(check(other, t0_ + 301).kind, Kind::pass);
    auto elsewhere = make_triplet(ip("192.0.3.7"), "bob@remote.test", "alice@example.test");
    EXPECT_EQ(check(elsewhere, t0_ + 302).kind, Kind::defer);
}

TEST_F(GreylistTest, RetryAfterTheWindowStartsOver) {
    auto t = make_triplet(ip("192.0.2.7"), "bob@remote.test", "alice@example.test");
    check(t, t0_);
    EXPECT_EQ(check(t, t0_ + 3601).kind, Kind::defer);
    EXPECT_EQ(check(t, t0_ + 3601 + 300).kind, Kind::pass);
}

TEST_F(GreylistTest, IdleTripletExpires) {
    auto t = make_triplet(ip("192.0.2.7"), "bob@remote.test", "alice@example.test");
    check(t, t0_);
    check(t, t0_ + 300);
    EXPECT_EQ(check(t, t0_ + 300 + 86401).kind, Kind::defer);
}

TEST_F(GreylistTest, NetworkIsWhitelistedAfterNPasses) {
    for (int i = 0; i < 3; ++i) {
        auto t = make_triplet(ip("192.0.2.7"), "s" + std::to_string(i) + "@remote.test",
                              "alice@example.test");
        check(t, t0_);
        EXPECT_EQ(check(t, t0_ + 300).kind, Kind::pass);
    }
    auto fresh = make_triplet(ip("192.0.2.9"), "new@remote.test", "carol@example.test");
    EXPECT_EQ(check(fresh, t0_ + 400).kind, Kind::whitelisted);
    cfg_.auto_whitelist = 0;  // off: greylisted again
    EXPECT_EQ(check(fresh, t0_ + 401).kind, Kind::defer);
}

TEST_F(GreylistTest, StateSurvivesReopen) {
    auto t = make_triplet(ip("2001:db8::5"), "", "alice@example.test");  // null sender
    EXPECT_EQ(check(t, t0_).kind, Kind::defer);
    open();
    EXPECT_EQ(check(t, t0_ + 300).kind, Kind::pass);
    EXPECT_TRUE(fs::exists(dir_ / "grey.db-wal") || fs::exists(dir_ / "grey.db"));
}

TEST_F(GreylistTest, CleanupDropsExpiredAndBoundsSize) {
    for (int i = 0; i < 150; ++i) {
        auto t = make_triplet(ip("192.0.2.7"), "s" + std::to_string(i) + "@r.test", "a@e.test");
        check(t, t0_ + i);
    }
    EXPECT_EQ(store_->size().value(), 150u);
    cfg_.max_entries = 100;
    auto removed = store_->cleanup(t0_ + 200, cfg_);
    ASSERT_TRUE(removed);
    EXPECT_EQ(store_->size().value(), 100u);
    // Unpassed triplets whose window closed go.
    removed = store_->cleanup(t0_ + 200 + 3601, cfg_);
    ASSERT_TRUE(removed);
    EXPECT_EQ(store_->size().value(), 0u);
}

TEST_F(GreylistTest, UnwritableFileFails) {
    auto s = GreylistStore::open(dir_ / "missing" / "\0bad" / "x.db");
    (void)s;  // may or may not open (the path is cut at NUL); must not crash
    auto bad = GreylistStore::open("/proc/version/grey.db");
    EXPECT_FALSE(bad);
}

TEST_F(GreylistTest, AdminListsDeletesAndWhitelists) {
    auto a = make_triplet(ip("192.0.2.7"), "carol@remote.test", "alice@example.test");
    auto b = make_triplet(ip("192.0.2.8"), "dave@remote.test", "alice@example.test");
    auto c = make_triplet(ip("198.51.100.1"), "", "bob@example.test");
    EXPECT_EQ(check(a, t0_).kind, Kind::defer);
    EXPECT_EQ(check(b, t0_ + 1).kind, Kind::defer);
    EXPECT_EQ(check(c, t0_ + 2).kind, Kind::defer);
    EXPECT_EQ(check(a, t0_ + 301).kind, Kind::pass);

    auto all = store_->entries("", 100);
    ASSERT_TRUE(all);
    ASSERT_EQ(all->size(), 3u);
    EXPECT_EQ((*all)[0].triplet.sender, "carol@remote.test");  // most recently seen first
    EXPECT_TRUE((*all)[0].passed);
    EXPECT_EQ(store_->entries("DAVE@", 100).value().size(), 1u);
    EXPECT_EQ(store_->entries("192.0.2.", 100).value().size(), 2u);
    EXPECT_EQ(store_->entries("", 1).value().size(), 1u);
    // LIKE wildcards in the text are literal.
    EXPECT_TRUE(store_->entries("%", 100).value().empty());
    EXPECT_TRUE(store_->entries("_", 100).value().empty());
    EXPECT_TRUE(store_->entries("\\", 100).value().empty());
    EXPECT_TRUE(store_->entries(std::string(5000, 'x'), 100).value().empty());
    auto nets = store_->networks("", 100);
    ASSERT_TRUE(nets);
    ASSERT_EQ(nets->size(), 1u);
    EXPECT_EQ((*nets)[0].network, "192.0.2.0/24");
    EXPECT_EQ((*nets)[0].passes, 1);

    // One sender's triplet, then a whole network with its pass count.
    EXPECT_EQ(store_->remove("192.0.2.0/24", "dave@remote.test", std::nullopt).value(), 1u);
    EXPECT_EQ(store_->remove("192.0.2.0/24", "nobody@remote.test", std::nullopt).value(), 0u);
    EXPECT_EQ(store_->remove("192.0.2.0/24", std::nullopt, std::nullopt).value(), 2u);
    EXPECT_TRUE(store_->networks("", 100).value().empty());
    EXPECT_EQ(check(a, t0_ + 400).kind, Kind::defer);  // forgotten: greylisted again

    // A whitelisted triplet passes at once, also the null sender's.
    ASSERT_TRUE(store_->whitelist(c, t0_ + 10));
    EXPECT_EQ(check(c, t0_ + 11).kind, Kind::pass);
    auto d = make_triplet(ip("203.0.113.9"), "eve@remote.test", "alice@example.test");
    ASSERT_TRUE(store_->whitelist(d, t0_ + 10));
    EXPECT_EQ(check(d, t0_ + 11).kind, Kind::pass);
}

}  // namespace
}  // namespace postern::filter::greylist
