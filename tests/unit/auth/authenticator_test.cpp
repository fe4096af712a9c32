#include "auth/authenticator.h"

#include <gtest/gtest.h>

#include "auth_fixture.h"

namespace postern::auth {
namespace {

using namespace std::chrono_literals;
using testing::ip;

class AuthenticatorTest : public testing::AuthFixture {};

TEST_F(AuthenticatorTest, RightPasswordLogsIn) {
    for (auto login : {"tim@example.com", "tim@EXAMPLE.com", "timothy@example.com"}) {
        auto r = check(login, "tanstaaftanstaaf");
        ASSERT_TRUE(r.ok()) << login << ": " << r.reason;
        EXPECT_EQ(r.account_id, kTim);
        EXPECT_EQ(r.address, "tim@example.com");
    }
}

TEST_F(AuthenticatorTest, FailuresDoNotTellWhy) {
    struct Case {
        std::string login, password;
        std::string reason;  // logged, never shown
    };
    const std::vector<Case> cases = {
        {"tim@example.com", "wrong", "wrong password"},
        {"nobody@example.com", "tanstaaftanstaaf", "unknown user"},
        {"off@example.com", "secret", "account disabled"},
        {"off@example.com", "wrong", "wrong password"},
        {"web@example.com", "wrong", "wrong password"},  // not "service not allowed"
        {"tim\r\n@example.com", "tanstaaftanstaaf", "unknown user"},
        {"tim@example.com", "", "empty or over-long password"},
    };
    for (const auto& c : cases) {
        auto r = check(c.login, c.password);
        EXPECT_EQ(r.status, AuthStatus::bad_credentials) << c.login << "/" << c.password;
        EXPECT_EQ(r.reason, c.reason) << c.login << "/" << c.password;
        EXPECT_EQ(r.account_id, 0);
        EXPECT_EQ(r.address, "");
    }
}

TEST_F(AuthenticatorTest, UnknownUsersCostAHashLikeKnownOnes) {
    auto before = auth().stats().hash_verifications;
    check("nobody@example.com", "guess");
    EXPECT_EQ(auth().stats().hash_verifications, before + 1);
    check("tim@example.com", "guess");
    EXPECT_EQ(auth().stats().hash_verifications, before + 2);
}

TEST_F(AuthenticatorTest, AccountWithoutUsableHashFailsLikeUnknownUser) {
    directory_.add({9, "sso@example.com", {"", "", ""}, 1, true, {"imap"}});
    directory_.add({10, "odd@example.com", {"{MD4}abc", "", ""}, 1, true, {"imap"}});
    for (auto login : {"sso@example.com", "odd@example.com"}) {
        auto before = auth().stats().hash_verifications;
        auto r = check(login, "");
        EXPECT_EQ(r.status, AuthStatus::bad_credentials);
        r = check(login, "abc");
        EXPECT_EQ(r.status, AuthStatus::bad_credentials) << login;
        EXPECT_EQ(r.reason, "wrong password");
        EXPECT_EQ(auth().stats().hash_verifications, before + 1) << login;  // the dummy hash
    }
}

TEST_F(AuthenticatorTest, ServiceNotAllowedOnlyWithTheRightPassword) {
    EXPECT_EQ(check("web@example.com", "secret").status, AuthStatus::service_not_allowed);
    EXPECT_TRUE(check("web@example.com", "secret", client("HTTP")).ok());
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf", client("")).status,
              AuthStatus::service_not_allowed);
}

TEST_F(AuthenticatorTest, LookupFailureIsTemporaryAndNotCounted) {
    cfg_.ip_max_failures = 2;
    directory_.fail_lookups(true);
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf").status,
                  AuthStatus::temporary_failure);
    }
    directory_.fail_lookups(false);
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
}

TEST_F(AuthenticatorTest, ClearTextNeedsTlsUnlessAllowed) {
    auto plain = client("imap", "192.0.2.1", false);
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf", plain).status,
              AuthStatus::encryption_required);
    EXPECT_EQ(directory_.find_calls(), 0);  // refused before any lookup
    plain.allow_plaintext = true;
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf", plain).ok());
}

TEST_F(AuthenticatorTest, MechanismsToAdvertise) {
    cfg_.mechanisms = {"SCRAM-SHA-256", "PLAIN", "CRAM-MD5"};
    auto expected = std::vector<std::string>{"SCRAM-SHA-256", "PLAIN", "CRAM-MD5"};
    EXPECT_EQ(auth().mechanisms_for(true, false), expected);
    EXPECT_EQ(auth().mechanisms_for(true, true), expected);
    EXPECT_TRUE(auth().mechanisms_for(false, false).empty());
    EXPECT_EQ(auth().mechanisms_for(false, true), expected);
    auto reloaded = cfg_;
    reloaded.mechanisms = {"PLAIN"};
    auth().update(reloaded);
    EXPECT_EQ(auth().mechanisms_for(true, false), std::vector<std::string>{"PLAIN"});
}

TEST_F(AuthenticatorTest, CacheSavesRepeatedHashing) {
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    auto stats = auth().stats();
    EXPECT_EQ(stats.hash_verifications, 1u);
    EXPECT_EQ(stats.cache_hits, 4u);
    // An alias is another login, hence another key; a wrong password never hits.
    ASSERT_TRUE(check("timothy@example.com", "tanstaaftanstaaf").ok());
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaF").status, AuthStatus::bad_credentials);
    EXPECT_EQ(auth().stats().hash_verifications, 3u);
}

TEST_F(AuthenticatorTest, CacheExpiresAfterTtl) {
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    advance(59s);
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    EXPECT_EQ(auth().stats().hash_verifications, 1u);
    advance(1s);
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    EXPECT_EQ(auth().stats().hash_verifications, 2u);
}

TEST_F(AuthenticatorTest, PasswordChangeEndsTheCachedVerification) {
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    // The directory bumps the generation: the old password stops working at once.
    directory_.set_secrets(kTim, derive_secrets("new password", HashParams::from(cfg_)));
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf").status, AuthStatus::bad_credentials);
    EXPECT_TRUE(check("tim@example.com", "new password").ok());
    EXPECT_EQ(auth().stats().cache_hits, 0u);
}

TEST_F(AuthenticatorTest, PasswordChangedDropsCacheEntries) {
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    auth().password_changed(kTim);
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    EXPECT_EQ(auth().stats().hash_verifications, 2u);
    EXPECT_EQ(auth().stats().cache_hits, 0u);
}

TEST_F(AuthenticatorTest, DisabledAccountIsRefusedEvenFromTheCache) {
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    directory_.set_enabled(kTim, false);
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf").status, AuthStatus::bad_credentials);
}

TEST_F(AuthenticatorTest, IpIsBannedAndReleased) {
    cfg_.ip_max_failures = 3;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(check("tim@example.com", "x").status, AuthStatus::bad_credentials);
    auto hashes = auth().stats().hash_verifications;
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf").status, AuthStatus::banned);
    EXPECT_EQ(auth().stats().hash_verifications, hashes);  // a banned client costs no hashing
    // Other clients are not affected.
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf", client("imap", "192.0.2.2")).ok());
    auto bans = auth().bans();
    ASSERT_EQ(bans.size(), 1u);
    EXPECT_EQ(bans[0].subject, "192.0.2.1");
    advance(15min);
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
}

TEST_F(AuthenticatorTest, AdminLiftsABan) {
    cfg_.ip_max_failures = 1;
    check("tim@example.com", "x");
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf").status, AuthStatus::banned);
    EXPECT_TRUE(auth().unban_ip(ip("192.0.2.1")));
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
}

TEST_F(AuthenticatorTest, AccountIsLockedAcrossIpsAndAliases) {
    cfg_.ip_max_failures = 0;
    cfg_.account_max_failures = 3;
    check("tim@example.com", "x", client("imap", "198.51.100.1"));
    check("timothy@example.com", "x", client("imap", "198.51.100.2"));
    check("TIM@example.com", "x", client("imap", "198.51.100.3"));  // the directory ignores case
    check("tim@EXAMPLE.COM", "x", client("imap", "198.51.100.4"));
    EXPECT_EQ(check("tim@example.com", "tanstaaftanstaaf", client("imap", "192.0.2.9")).status,
              AuthStatus::banned);
    EXPECT_TRUE(auth().unban_account("Tim@Example.com"));
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
}

TEST_F(AuthenticatorTest, UnknownLoginsLockLikeRealOnes) {
    cfg_.ip_max_failures = 0;
    cfg_.account_max_failures = 2;
    for (auto login : {"tim@example.com", "nobody@example.com"}) {
        check(login, "x", client("imap", "198.51.100.1"));
        check(login, "x", client("imap", "198.51.100.2"));
        EXPECT_EQ(check(login, "x", client("imap", "198.51.100.3")).status, AuthStatus::banned)
            << login;
    }
}

TEST_F(AuthenticatorTest, SuccessForgivesOwnTypos) {
    cfg_.ip_max_failures = 3;
    check("tim@example.com", "typo1");
    check("tim@example.com", "typo2");
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    check("tim@example.com", "typo3");
    check("tim@example.com", "typo4");
    EXPECT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
}

TEST_F(AuthenticatorTest, ImportedHashIsUpgradedAfterLogin) {
    ASSERT_TRUE(check("old@example.com", "legacy").ok());
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrades == 1; }));
    auto upgraded = directory_.get(kOld).value();
    EXPECT_EQ(hash_scheme(upgraded.secrets.hash), "ARGON2ID");
    EXPECT_FALSE(needs_upgrade(upgraded.secrets, HashParams::from(cfg_)));
    EXPECT_TRUE(verify_hash(upgraded.secrets.hash, "legacy"));
    auto scram = parse_scram_secret(upgraded.secrets.scram_sha256);
    ASSERT_TRUE(scram);
    EXPECT_EQ(scram->iterations, cfg_.scram_iterations);
    EXPECT_EQ(upgraded.password_generation, 1u);  // same password: same generation
    // The new hash works, and nothing is upgraded twice.
    auth().password_changed(kOld);
    ASSERT_TRUE(check("old@example.com", "legacy").ok());
    EXPECT_EQ(directory_.upgrade_calls(), 1);
}

TEST_F(AuthenticatorTest, NoUpgradeWhenSecretsAreCurrent) {
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    EXPECT_EQ(directory_.upgrade_calls(), 0);
}

TEST_F(AuthenticatorTest, FailedUpgradeDoesNotFailTheLogin) {
    directory_.fail_upgrades(true);
    ASSERT_TRUE(check("old@example.com", "legacy").ok());
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrade_failures == 1; }));
    EXPECT_EQ(hash_scheme(directory_.get(kOld)->secrets.hash), "SHA512-CRYPT");
    directory_.fail_upgrades(false);
    ASSERT_TRUE(check("old@example.com", "legacy").ok());  // tried again at the next login
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrades == 1; }));
}

TEST_F(AuthenticatorTest, ReloadedCostsUpgradeExistingHashes) {
    auth();
    auto stronger = cfg_;
    stronger.argon2_iterations = 2;
    auth().update(stronger);
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrades == 1; }));
    auto secrets = directory_.get(kTim)->secrets;
    EXPECT_FALSE(needs_upgrade(secrets, HashParams::from(stronger)));
    EXPECT_TRUE(secrets.hash.find("t=2") != std::string::npos);
}

TEST_F(AuthenticatorTest, OverloadAnswersTemporaryFailureAtOnce) {
    cfg_.hash_threads = 1;
    max_queued_ = 1;
    directory_.close_gate();
    std::promise<AuthResult> first, second;
    auth().check_password({"tim@example.com", "tanstaaftanstaaf", client()},
                          [&](AuthResult r) { first.set_value(r); });
    ASSERT_TRUE(eventually([&] { return directory_.find_calls() == 1; }));  // worker is busy
    auth().check_password({"tim@example.com", "tanstaaftanstaaf", client()},
                          [&](AuthResult r) { second.set_value(r); });  // queued
    std::optional<AuthResult> third;
    auth().check_password({"tim@example.com", "tanstaaftanstaaf", client()},
                          [&](AuthResult r) { third = r; });
    ASSERT_TRUE(third);  // refused synchronously
    EXPECT_EQ(third->status, AuthStatus::temporary_failure);
    directory_.open_gate();
    EXPECT_TRUE(first.get_future().get().ok());
    EXPECT_TRUE(second.get_future().get().ok());
}

TEST_F(AuthenticatorTest, ReloadResizesThePool) {
    auth();
    auto more = cfg_;
    more.hash_threads = 4;
    more.cache_size = 0;  // and disables the cache
    auth().update(more);
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    ASSERT_TRUE(check("tim@example.com", "tanstaaftanstaaf").ok());
    EXPECT_EQ(auth().stats().cache_hits, 0u);
    EXPECT_EQ(auth().stats().hash_verifications, 2u);
}

}  // namespace
}  // namespace postern::auth
