// POP3 APOP (RFC 1939 §7): the digest, check_apop's answers (only accounts that opted in and
// hold the clear-text secret pass; every other failure looks the same), and how a password
// login stores or drops that secret.
#include <future>

#include <gtest/gtest.h>

#include "auth/authenticator.h"
#include "auth_fixture.h"

namespace postern::auth {
namespace {

constexpr const char* kStamp = "<1896.697170952@dbc.mtview.ca.us>";

class ApopTest : public testing::AuthFixture {
  protected:
    static constexpr std::int64_t kPop = 10, kNoOpt = 11, kNotYet = 12;

    void SetUp() override {
        AuthFixture::SetUp();
        auto params = HashParams::from(cfg_);
        params.apop = true;
        AccountCredentials pop{kPop, "pop@example.com", derive_secrets("tanstaaf", params), 1,
                               true, {"pop3"}};
        pop.apop = true;
        directory_.add(pop);
        // Has a stored secret but the setting is off: refused.
        AccountCredentials off{
            kNoOpt, "noopt@example.com", derive_secrets("tanstaaf", params), 1, true, {"pop3"}};
        directory_.add(off);
        // Opted in, but no password login since: no secret yet.
        AccountCredentials later{kNotYet,
                                 "later@example.com",
                                 derive_secrets("tanstaaf", HashParams::from(cfg_)),
                                 1,
                                 true,
                                 {"pop3"}};
        later.apop = true;
        directory_.add(later);
    }

    AuthResult apop(std::string login, std::string digest, bool secure = true) {
        std::promise<AuthResult> result;
        auth().check_apop(
            {std::move(login), kStamp, std::move(digest), client("pop3", "192.0.2.7", secure)},
            [&](AuthResult r) { result.set_value(std::move(r)); });
        return result.get_future().get();
    }
};

TEST(ApopDigest, Rfc1939Example) {
    EXPECT_EQ(apop_digest(kStamp, "tanstaaf"), "c4c9334bac560ecc979e58001b3e22fb");
}

TEST(ApopSecrets, KeptOnlyWhenAsked) {
    HashParams params;
    params.argon2_memory_kib = 64;
    params.argon2_iterations = 1;
    auto plain = derive_secrets("pw", params);
    EXPECT_TRUE(plain.apop.empty());
    EXPECT_FALSE(needs_upgrade(plain, params));
    params.apop = true;
    EXPECT_TRUE(needs_upgrade(plain, params));  // opted in: store it at the next login
    auto kept = derive_secrets("pw", params);
    EXPECT_EQ(kept.apop, "pw");
    EXPECT_FALSE(needs_upgrade(kept, params));
    params.apop = false;
    EXPECT_TRUE(needs_upgrade(kept, params));  // opted out: drop it at the next login
}

TEST_F(ApopTest, RightDigestLogsIn) {
    auto r = apop("pop@example.com", "c4c9334bac560ecc979e58001b3e22fb");
    ASSERT_TRUE(r.ok()) << r.reason;
    EXPECT_EQ(r.account_id, kPop);
}

TEST_F(ApopTest, FailuresLookAlike) {
    const std::string right = "c4c9334bac560ecc979e58001b3e22fb";
    EXPECT_EQ(apop("pop@example.com", std::string(32, '0')).status, AuthStatus::bad_credentials);
    EXPECT_EQ(apop("noopt@example.com", right).status, AuthStatus::bad_credentials);
    EXPECT_EQ(apop("later@example.com", right).status, AuthStatus::bad_credentials);
    EXPECT_EQ(apop("nobody@example.com", right).status, AuthStatus::bad_credentials);
    // tim has no APOP secret and may not use pop3 anyway
    EXPECT_EQ(apop("tim@example.com", right).status, AuthStatus::bad_credentials);
}

TEST_F(ApopTest, ClearTextRuleApplies) {
    EXPECT_EQ(apop("pop@example.com", "c4c9334bac560ecc979e58001b3e22fb", false).status,
              AuthStatus::encryption_required);
}

TEST_F(ApopTest, FailuresCountTowardBans) {
    cfg_.ip_max_failures = 3;
    for (int i = 0; i < 3; ++i)
        apop("pop@example.com", std::string(32, '1'));
    EXPECT_EQ(apop("pop@example.com", "c4c9334bac560ecc979e58001b3e22fb").status,
              AuthStatus::banned);
}

TEST_F(ApopTest, PasswordLoginStoresTheSecret) {
    ASSERT_TRUE(check("later@example.com", "tanstaaf", client("pop3")).ok());
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrades == 1; }));
    EXPECT_EQ(directory_.get(kNotYet)->secrets.apop, "tanstaaf");
}

TEST_F(ApopTest, PasswordLoginDropsTheSecretWhenOptedOut) {
    ASSERT_TRUE(check("noopt@example.com", "tanstaaf", client("pop3")).ok());
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrades == 1; }));
    EXPECT_EQ(directory_.get(kNoOpt)->secrets.apop, "");
}

}  // namespace
}  // namespace postern::auth
