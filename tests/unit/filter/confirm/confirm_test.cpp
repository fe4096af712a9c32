// Identity confirmation: who is challenged, the token in a reply's subject, the challenge
// message, and the pending-challenge store (one token per sender, one challenge a week).
#include "filter/confirm/confirm.h"

#include <filesystem>
#include <random>

#include <gtest/gtest.h>

namespace postern::filter::confirm {
namespace {

namespace fs = std::filesystem;

std::string msg(std::string_view fields) {
    return "From: carol@remote.test\r\nTo: alice@example.test\r\n" + std::string(fields) +
           "Subject: hello\r\n\r\nList-Id: <in.the.body>\r\n";
}

TEST(ChallengeSkip, ListsBulkAutomaticAndFailedAuthAreNeverChallenged) {
    const std::string_view id = "mx.example.test";
    EXPECT_EQ(challenge_skip("carol@remote.test", msg(""), id), Skip::none);
    EXPECT_EQ(challenge_skip("", msg(""), id), Skip::null_sender);
    EXPECT_EQ(challenge_skip("x@l.test", msg("List-Id: Friends <friends.l.test>\r\n"), id),
              Skip::mailing_list);
    EXPECT_EQ(challenge_skip("x@l.test", msg("list-unsubscribe: <mailto:u@l.test>\r\n"), id),
              Skip::mailing_list);
    EXPECT_EQ(challenge_skip("x@l.test", msg("Precedence: BULK\r\n"), id), Skip::bulk);
    EXPECT_EQ(challenge_skip("x@l.test", msg("Precedence: list\r\n"), id), Skip::bulk);
    EXPECT_EQ(challenge_skip("x@l.test", msg("Precedence: first-class\r\n"), id), Skip::none);
    EXPECT_EQ(challenge_skip("x@l.test", msg("Auto-Submitted: auto-replied\r\n"), id),
              Skip::auto_submitted);
    EXPECT_EQ(challenge_skip("x@l.test", msg("Auto-Submitted: no (a person)\r\n"), id), Skip::none);
    // Only our own Authentication-Results field counts, folded or not.
    EXPECT_EQ(challenge_skip("x@l.test",
                             msg("Authentication-Results: mx.example.test;\r\n\tspf=fail "
                                 "smtp.mailfrom=x@l.test;\r\n\tdmarc=none\r\n"),
                             id),
              Skip::auth_failed);
    EXPECT_EQ(challenge_skip("x@l.test",
                             msg("Authentication-Results: mx.example.test; spf=pass; "
                                 "dmarc=fail (p=none) header.from=l.test\r\n"),
                             id),
              Skip::auth_failed);
    EXPECT_EQ(challenge_skip("x@l.test",
                             msg("Authentication-Results: mx.example.test; spf=pass; "
                                 "dkim=fail; dmarc=pass\r\n"),
                             id),
              Skip::none);
    EXPECT_EQ(
        challenge_skip("x@l.test", msg("Authentication-Results: other.test; spf=fail\r\n"), id),
        Skip::none);
    EXPECT_EQ(challenge_skip("x@l.test",
                             msg("Authentication-Results: mx.example.test; spf=failure\r\n"), id),
              Skip::none);
}

TEST(ChallengeSkip, HostileHeadersEndWithAnAnswer) {
    std::string many;
    for (int i = 0; i < 5000; ++i)
        many += "X-Junk: " + std::string(40, 'a') + "\r\n";
    EXPECT_EQ(challenge_skip("x@l.test", many + "List-Id: <l>\r\n\r\n", "mx"), Skip::none);
    EXPECT_EQ(challenge_skip("x@l.test", std::string(200000, ':'), "mx"), Skip::none);
    EXPECT_EQ(challenge_skip("x@l.test", std::string("\0\r\n\r\n", 5), "mx"), Skip::none);
    EXPECT_FALSE(token_in_subject(std::string(100000, '[')));
}

TEST(TokenInSubject, FindsTheCodeOfAReply) {
    std::string token(kTokenLength, 'a');
    token[3] = 'Z';
    token[7] = '7';
    auto raw =
        "Subject: Re: Please confirm your message to alice@example.test\r\n [confirm:" + token +
        "]\r\n\r\n";
    EXPECT_EQ(token_in_subject(raw).value_or(""), token);
    EXPECT_FALSE(token_in_subject("Subject: [confirm:short]\r\n\r\n"));
    EXPECT_FALSE(
        token_in_subject("Subject: [confirm:" + std::string(kTokenLength, '!') + "]\r\n\r\n"));
    EXPECT_FALSE(token_in_subject("X-Subject: [confirm:" + token + "]\r\n\r\n"));
    EXPECT_FALSE(token_in_subject("Subject: hi\r\n\r\nSubject: [confirm:" + token + "]\r\n"));
}

TEST(BuildChallenge, CarriesTheTokenAndIsMarkedAutomatic) {
    auto raw = build_challenge("alice@example.test", "carol@remote.test", "TOKEN123",
                               "Lunch\r\nBcc: victim@x.test", "mx.example.test", 1'700'000'000);
    EXPECT_NE(raw.find("Reply-To: <alice@example.test>\r\n"), std::string::npos);
    EXPECT_NE(raw.find("To: <carol@remote.test>\r\n"), std::string::npos);
    EXPECT_NE(raw.find("[confirm:TOKEN123]\r\n"), std::string::npos);
    EXPECT_NE(raw.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
    EXPECT_NE(raw.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos);
    EXPECT_EQ(raw.find("\r\nBcc:"), std::string::npos);  // the quoted subject stays on its line
    // The challenge itself is never challenged back.
    EXPECT_EQ(challenge_skip("", raw, "mx.example.test"), Skip::null_sender);
    EXPECT_EQ(challenge_skip("x@y.test", raw, "mx.example.test"), Skip::auto_submitted);
}

class ConfirmStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ =
            fs::temp_directory_path() / ("confirm_test_" + std::to_string(std::random_device{}()));
        fs::create_directories(dir_);
        auto s = ConfirmStore::open(dir_ / "confirm.db");
        ASSERT_TRUE(s) << s.error().to_string();
        store_ = std::move(*s);
    }
    void TearDown() override {
        store_.reset();
        fs::remove_all(dir_);
    }
    fs::path dir_;
    std::unique_ptr<ConfirmStore> store_;
    const std::int64_t t0_ = 1'700'000'000;
};

TEST_F(ConfirmStoreTest, OneTokenPerSenderOneChallengeAWeekAndConfirmOnce) {
    auto first = store_->hold("Alice@Example.test", "Carol@Remote.test", true, t0_);
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->send_challenge);
    EXPECT_EQ(first->token.size(), kTokenLength);
    auto again = store_->hold("alice@example.test", "carol@remote.test", true, t0_ + 60);
    ASSERT_TRUE(again);
    EXPECT_FALSE(again->send_challenge);
    EXPECT_EQ(again->token, first->token);
    EXPECT_TRUE(store_->hold("alice@example.test", "carol@remote.test", true, t0_ + kResendSeconds)
                    ->send_challenge);
    // A skipped sender is held without a challenge, now and later.
    auto list = store_->hold("alice@example.test", "news@l.test", false, t0_);
    ASSERT_TRUE(list);
    EXPECT_FALSE(list->send_challenge);
    EXPECT_NE(list->token, first->token);
    EXPECT_FALSE(store_->hold("alice@example.test", "news@l.test", false, t0_ + kResendSeconds)
                     ->send_challenge);
    // Another account's token does not confirm; the right one does, once.
    EXPECT_FALSE(store_->confirm("bob@example.test", first->token).value());
    EXPECT_FALSE(store_->confirm("alice@example.test", "nonsense").value());
    EXPECT_EQ(store_->confirm("ALICE@example.test", first->token).value().value_or(""),
              "carol@remote.test");
    EXPECT_FALSE(store_->confirm("alice@example.test", first->token).value());
    // Survives a reopen.
    store_.reset();
    store_ = std::move(*ConfirmStore::open(dir_ / "confirm.db"));
    EXPECT_EQ(store_->confirm("alice@example.test", list->token).value().value_or(""),
              "news@l.test");
}

}  // namespace
}  // namespace postern::filter::confirm
