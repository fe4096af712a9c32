// Sieve at local delivery: the server → domain → account order, "later levels win", the
// implicit keep, :copy and vacation from every level, loop and reply tracking.
#include "services/processing/sieve_delivery.h"

#include <fstream>

#include <gtest/gtest.h>

namespace postern::services::processing {
namespace {

namespace fs = std::filesystem;

const char* kMessage =
    "From: carol@remote.test\r\nTo: alice@example.test\r\nSubject: Offer\r\n"
    "Message-ID: <m1@remote.test>\r\n\r\nHello\r\n";

class SieveDeliveryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("sieve-delivery-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        config_.server.data_dir = dir_;
        config_.server.hostname = "mx.example.test";
    }
    void TearDown() override { fs::remove_all(dir_); }

    void write(const fs::path& rel, const std::string& text) {
        fs::path p = dir_ / "sieve" / rel;
        fs::create_directories(p.parent_path());
        std::ofstream(p) << text;
    }
    SieveOutcome run(std::string sender = "carol@remote.test", std::string raw = kMessage) {
        SieveRecipient r{"alice@example.test", "example.test", 7};
        auto exists = [](std::string_view) { return true; };
        return delivery_.run(config_, raw, sender, r, exists, log::Logger());
    }
    static std::string folders(const SieveOutcome& o) {
        std::string out;
        for (const auto& s : o.stores)
            out += (out.empty() ? "" : " ") + s.mailbox;
        return out;
    }

    fs::path dir_;
    config::Config config_;
    SieveDelivery delivery_;
};

TEST_F(SieveDeliveryTest, NoScriptsMeansInbox) {
    auto o = run();
    EXPECT_EQ(o.kind, SieveOutcome::Kind::deliver);
    EXPECT_EQ(folders(o), "INBOX");
    EXPECT_FALSE(o.ran);
}

TEST_F(SieveDeliveryTest, LaterLevelDecisionWins) {
    write("server.sieve", "require \"fileinto\"; fileinto \"Spam\";");
    write("accounts/7/active.sieve", "require \"fileinto\"; fileinto \"Trash\";");
    EXPECT_EQ(folders(run()), "Trash");
}

TEST_F(SieveDeliveryTest, ImplicitKeepDoesNotOverrideEarlierDecision) {
    write("server.sieve", "require \"fileinto\"; fileinto \"Spam\";");
    write("domains/example.test.sieve", "if false { discard; }");
    write("accounts/7/active.sieve", "require \"imap4flags\"; addflag \"$Seen-by-user\";");
    EXPECT_EQ(folders(run()), "Spam");
}

TEST_F(SieveDeliveryTest, CopyAndVacationFromEveryLevel) {
    write("server.sieve", "require [\"fileinto\", \"copy\"]; fileinto :copy \"Archive\";");
    write("accounts/7/active.sieve", "require \"vacation\"; vacation \"away\"; discard;");
    auto o = run();
    EXPECT_EQ(o.kind, SieveOutcome::Kind::deliver);
    EXPECT_EQ(folders(o), "Archive");
    ASSERT_EQ(o.outgoing.size(), 1u);
    EXPECT_EQ(o.outgoing[0].envelope_to, "carol@remote.test");
    EXPECT_EQ(o.outgoing[0].envelope_from, "");
    // the second message from the same sender gets no reply (tracked for 7 days)
    EXPECT_TRUE(run().outgoing.empty());
    EXPECT_TRUE(fs::exists(dir_ / "sieve" / "accounts" / "7" / "vacation.track"));
}

TEST_F(SieveDeliveryTest, RejectDiscardRedirect) {
    write("accounts/7/active.sieve", "require \"reject\"; reject \"go away\";");
    auto r = run();
    EXPECT_EQ(r.kind, SieveOutcome::Kind::reject);
    EXPECT_EQ(r.reject_reason, "go away");
    write("accounts/7/active.sieve", "discard;");
    EXPECT_EQ(run().kind, SieveOutcome::Kind::discard);
    write("accounts/7/active.sieve", "redirect \"bob@example.test\";");
    auto d = run();
    EXPECT_EQ(d.kind, SieveOutcome::Kind::discard);
    ASSERT_EQ(d.outgoing.size(), 1u);
    EXPECT_EQ(d.outgoing[0].envelope_from, "carol@remote.test");
    EXPECT_EQ(d.outgoing[0].raw.rfind("X-Postern-Sieve-Redirect: alice@example.test\r\n", 0), 0u);
}

TEST_F(SieveDeliveryTest, RedirectLoopKeepsTheMessage) {
    write("accounts/7/active.sieve", "redirect \"bob@example.test\";");
    std::string looped = std::string("X-Postern-Sieve-Redirect: alice@example.test\r\n") + kMessage;
    auto o = run("carol@remote.test", looped);
    EXPECT_EQ(o.kind, SieveOutcome::Kind::deliver);
    EXPECT_EQ(folders(o), "INBOX");
    EXPECT_TRUE(o.outgoing.empty());
}

TEST_F(SieveDeliveryTest, BrokenScriptIsIgnored) {
    write("server.sieve", "require \"fileinto\"; fileinto \"Spam\";");
    write("accounts/7/active.sieve", "fileinto \"x\";");  // fileinto not required: error
    EXPECT_EQ(folders(run()), "Spam");
}

TEST_F(SieveDeliveryTest, EditheaderChangesTheStoredMessage) {
    write("accounts/7/active.sieve", "require \"editheader\"; addheader \"X-Filtered\" \"yes\";");
    auto o = run();
    EXPECT_TRUE(o.changed);
    EXPECT_EQ(o.message.rfind("X-Filtered: yes\r\n", 0), 0u);
    ASSERT_EQ(o.stores.size(), 1u);  // the implicit keep stores the final message
    ASSERT_TRUE(o.stores[0].message);
    EXPECT_EQ(*o.stores[0].message, o.message);
}

TEST_F(SieveDeliveryTest, ActionsSeeTheMessageAsItWasWhenTheyRan) {
    write("accounts/7/active.sieve",
          "require [\"editheader\", \"fileinto\"];\n"
          "fileinto \"Before\";\n"
          "addheader \"X-Tag\" \"one\";\n"
          "fileinto \"After\";\n"
          "redirect \"bob@example.test\";\n");
    auto o = run();
    ASSERT_EQ(o.stores.size(), 2u);
    EXPECT_FALSE(o.stores[0].message);  // as received
    ASSERT_TRUE(o.stores[1].message);
    EXPECT_EQ(o.stores[1].message->rfind("X-Tag: one\r\n", 0), 0u);
    ASSERT_EQ(o.outgoing.size(), 1u);
    EXPECT_NE(o.outgoing[0].raw.find("X-Tag: one\r\n"), std::string::npos);
}

TEST_F(SieveDeliveryTest, TrackingFile) {
    fs::create_directories(dir_);
    fs::path f = dir_ / "t.track";
    EXPECT_FALSE(tracking_seen(f, "k", 100));
    tracking_add(f, "k", 200, 100);
    EXPECT_TRUE(tracking_seen(f, "k", 150));
    EXPECT_FALSE(tracking_seen(f, "k", 250));  // expired
    tracking_add(f, "other", 300, 250);        // prunes the expired entry
    EXPECT_FALSE(tracking_seen(f, "k", 100));
    EXPECT_TRUE(tracking_seen(f, "other", 260));
}

}  // namespace
}  // namespace postern::services::processing
