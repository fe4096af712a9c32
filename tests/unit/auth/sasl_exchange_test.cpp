#include "auth/sasl_exchange.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth/sasl/scram_message.h"
#include "auth_fixture.h"
#include "base/encoding.h"
#include "scram_client.h"

namespace postern::auth {
namespace {

using namespace std::string_literals;
using namespace std::chrono_literals;

class SaslExchangeTest : public testing::AuthFixture {
  protected:
    std::unique_ptr<SaslExchange> start(std::string mechanism, ClientContext c) {
        auto exchange = auth().start_sasl({std::move(mechanism), std::move(c)});
        EXPECT_TRUE(exchange) << exchange.error().message;
        return exchange ? std::move(*exchange) : nullptr;
    }
    std::unique_ptr<SaslExchange> start(std::string mechanism) {
        return start(std::move(mechanism), client());
    }

    static std::string challenge(const SaslReply& reply) {
        if (auto* c = std::get_if<SaslChallenge>(&reply))
            return c->data;
        ADD_FAILURE() << "expected a challenge, got outcome "
                      << auth_status_name(std::get<SaslOutcome>(reply).result.status) << ": "
                      << std::get<SaslOutcome>(reply).result.reason;
        return {};
    }
    static SaslOutcome outcome(const SaslReply& reply) {
        if (auto* o = std::get_if<SaslOutcome>(&reply))
            return *o;
        ADD_FAILURE() << "expected an outcome, got challenge "
                      << std::get<SaslChallenge>(reply).data;
        return {};
    }

    // The SCRAM exchange as a client would run it; returns the final outcome.
    SaslOutcome scram(std::string user, std::string password, ClientContext c,
                      std::string* expected_final = nullptr) {
        auto exchange = start("SCRAM-SHA-256", std::move(c));
        testing::ScramClient client{sasl::encode_saslname(user), std::move(password),
                                    "fyko+d2lbbFgONRv9qkxdawL"};
        auto first = step(*exchange, client.client_first());
        if (std::holds_alternative<SaslOutcome>(first))
            return std::get<SaslOutcome>(first);
        auto final_msg = client.client_final(std::get<SaslChallenge>(first).data);
        if (expected_final)
            *expected_final = client.expected_server_final;
        return outcome(step(*exchange, final_msg));
    }
    SaslOutcome scram(std::string user, std::string password) {
        return scram(std::move(user), std::move(password), client());
    }
};

TEST_F(SaslExchangeTest, PlainWithInitialResponse) {
    auto exchange = start("plain");
    EXPECT_EQ(exchange->mechanism(), "PLAIN");
    auto o = outcome(step(*exchange, "\0tim@example.com\0tanstaaftanstaaf"s));
    ASSERT_TRUE(o.result.ok()) << o.result.reason;
    EXPECT_EQ(o.result.account_id, kTim);
    EXPECT_EQ(o.result.address, "tim@example.com");
    EXPECT_FALSE(o.server_final);
}

TEST_F(SaslExchangeTest, PlainWithoutInitialResponse) {
    auto exchange = start("PLAIN");
    EXPECT_EQ(challenge(step(*exchange, std::nullopt)), "");
    EXPECT_TRUE(outcome(step(*exchange, "\0timothy@example.com\0tanstaaftanstaaf"s)).result.ok());
}

TEST_F(SaslExchangeTest, PlainFailures) {
    struct Case {
        std::string message;
        AuthStatus status;
    };
    const std::vector<Case> cases = {
        {"\0tim@example.com\0wrong"s, AuthStatus::bad_credentials},
        {"\0nobody@example.com\0wrong"s, AuthStatus::bad_credentials},
        {"\0off@example.com\0secret"s, AuthStatus::bad_credentials},
        {"\0web@example.com\0secret"s, AuthStatus::service_not_allowed},
        {"admin@example.com\0tim@example.com\0tanstaaftanstaaf"s, AuthStatus::bad_credentials},
        {"no separators"s, AuthStatus::malformed},
    };
    for (const auto& c : cases) {
        auto exchange = start("PLAIN");
        EXPECT_EQ(outcome(step(*exchange, c.message)).result.status, c.status)
            << ::testing::PrintToString(c.message);
    }
}

TEST_F(SaslExchangeTest, PlainUsesTheVerificationCache) {
    for (int i = 0; i < 3; ++i) {
        auto exchange = start("PLAIN");
        ASSERT_TRUE(outcome(step(*exchange, "\0tim@example.com\0tanstaaftanstaaf"s)).result.ok());
    }
    EXPECT_EQ(auth().stats().hash_verifications, 1u);
    EXPECT_EQ(auth().stats().cache_hits, 2u);
}

TEST_F(SaslExchangeTest, Login) {
    auto exchange = start("LOGIN");
    EXPECT_EQ(challenge(step(*exchange, std::nullopt)), "Username:");
    EXPECT_EQ(challenge(step(*exchange, "tim@example.com")), "Password:");
    EXPECT_TRUE(outcome(step(*exchange, "tanstaaftanstaaf")).result.ok());
}

TEST_F(SaslExchangeTest, ScramSucceedsWithoutSlowHashing) {
    std::string expected_final;
    auto o = scram("tim@example.com", "tanstaaftanstaaf", client(), &expected_final);
    ASSERT_TRUE(o.result.ok()) << o.result.reason;
    EXPECT_EQ(o.result.account_id, kTim);
    EXPECT_EQ(o.server_final, expected_final);
    EXPECT_EQ(auth().stats().hash_verifications, 0u);
}

TEST_F(SaslExchangeTest, ScramFailures) {
    EXPECT_EQ(scram("tim@example.com", "wrong").result.status, AuthStatus::bad_credentials);
    EXPECT_EQ(scram("nobody@example.com", "tanstaaftanstaaf").result.status,
              AuthStatus::bad_credentials);
    auto off = scram("off@example.com", "secret");
    EXPECT_EQ(off.result.status, AuthStatus::bad_credentials);
    EXPECT_FALSE(off.server_final);  // no proof of the server's identity for a refused login
    EXPECT_EQ(scram("web@example.com", "secret").result.status, AuthStatus::service_not_allowed);
}

TEST_F(SaslExchangeTest, ScramBecomesAvailableAfterTheHashUpgrade) {
    // Imported crypt hash: no SCRAM secret yet, so SCRAM fails like for an unknown user.
    EXPECT_EQ(scram("old@example.com", "legacy").result.status, AuthStatus::bad_credentials);
    auto exchange = start("PLAIN");
    ASSERT_TRUE(outcome(step(*exchange, "\0old@example.com\0legacy"s)).result.ok());
    ASSERT_TRUE(eventually([&] { return auth().stats().upgrades == 1; }));
    auto o = scram("old@example.com", "legacy");
    EXPECT_TRUE(o.result.ok()) << o.result.reason;
}

TEST_F(SaslExchangeTest, CramMd5WhenEnabled) {
    cfg_.mechanisms = {"PLAIN", "CRAM-MD5"};
    auto params = HashParams::from(cfg_);
    ASSERT_TRUE(params.cram_md5);
    directory_.set_secrets(kTim, derive_secrets("tanstaaftanstaaf", params));
    auto exchange = start("CRAM-MD5");
    auto chal = challenge(step(*exchange, std::nullopt));
    EXPECT_TRUE(chal.starts_with("<") && chal.ends_with("@mail.example.com>")) << chal;
    // The client's side, computed independently with OpenSSL's HMAC-MD5.
    unsigned char mac[16];
    unsigned int len = 0;
    HMAC(EVP_md5(), "tanstaaftanstaaf", 16, reinterpret_cast<const unsigned char*>(chal.data()),
         chal.size(), mac, &len);
    auto digest = hex_encode(std::string_view(reinterpret_cast<char*>(mac), len));
    auto o = outcome(step(*exchange, "tim@example.com " + digest));
    EXPECT_TRUE(o.result.ok()) << o.result.reason;
}

TEST_F(SaslExchangeTest, StartRefusals) {
    auto unknown = auth().start_sasl({"GSSAPI", client()});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Errc::not_found);
    auto not_enabled = auth().start_sasl({"CRAM-MD5", client()});  // opt-in only
    ASSERT_FALSE(not_enabled);
    EXPECT_EQ(not_enabled.error().code, Errc::not_found);
    auto plain = client("imap", "192.0.2.1", false);
    auto insecure = auth().start_sasl({"SCRAM-SHA-256", plain});
    ASSERT_FALSE(insecure);
    EXPECT_EQ(insecure.error().code, Errc::permission_denied);
    plain.allow_plaintext = true;
    EXPECT_TRUE(auth().start_sasl({"SCRAM-SHA-256", plain}));
}

TEST_F(SaslExchangeTest, MalformedAttemptsCountAgainstTheIp) {
    cfg_.ip_max_failures = 2;
    for (int i = 0; i < 2; ++i) {
        auto exchange = start("SCRAM-SHA-256");
        EXPECT_EQ(outcome(step(*exchange, "garbage"s)).result.status, AuthStatus::malformed);
    }
    auto exchange = start("PLAIN");
    EXPECT_EQ(outcome(step(*exchange, "\0tim@example.com\0tanstaaftanstaaf"s)).result.status,
              AuthStatus::banned);
    auto scram_exchange = start("SCRAM-SHA-256");
    EXPECT_EQ(outcome(step(*scram_exchange, std::nullopt)).result.status, AuthStatus::banned);
}

TEST_F(SaslExchangeTest, WrongScramProofsLockTheAccount) {
    cfg_.ip_max_failures = 0;
    cfg_.account_max_failures = 2;
    scram("tim@example.com", "wrong1", client("imap", "198.51.100.1"));
    scram("tim@example.com", "wrong2", client("imap", "198.51.100.2"));
    EXPECT_EQ(scram("tim@example.com", "tanstaaftanstaaf").result.status, AuthStatus::banned);
    advance(15min);
    EXPECT_TRUE(scram("tim@example.com", "tanstaaftanstaaf").result.ok());
}

TEST_F(SaslExchangeTest, CancelIsNotAFailure) {
    cfg_.ip_max_failures = 1;
    auto exchange = start("LOGIN");
    challenge(step(*exchange, std::nullopt));
    EXPECT_EQ(exchange->cancel().result.status, AuthStatus::aborted);
    // The exchange is over.
    EXPECT_EQ(outcome(step(*exchange, "tim@example.com")).result.status, AuthStatus::malformed);
    auto again = start("PLAIN");
    EXPECT_TRUE(outcome(step(*again, "\0tim@example.com\0tanstaaftanstaaf"s)).result.ok());
}

TEST_F(SaslExchangeTest, LookupFailureIsTemporary) {
    directory_.fail_lookups(true);
    auto exchange = start("SCRAM-SHA-256");
    auto o = outcome(step(*exchange, "n,,n=tim@example.com,r=abcdef"s));
    EXPECT_EQ(o.result.status, AuthStatus::temporary_failure);
    auto plain = start("PLAIN");
    EXPECT_EQ(outcome(step(*plain, "\0tim@example.com\0tanstaaftanstaaf"s)).result.status,
              AuthStatus::temporary_failure);
}

TEST_F(SaslExchangeTest, HandleMayGoAwayWhileAStepIsPending) {
    directory_.close_gate();
    std::promise<SaslReply> reply;
    {
        auto exchange = start("PLAIN");
        exchange->step("\0tim@example.com\0tanstaaftanstaaf"s,
                       [&](SaslReply r) { reply.set_value(std::move(r)); });
        ASSERT_TRUE(eventually([&] { return directory_.find_calls() == 1; }));
    }  // the session is gone; the job still holds the exchange's state
    directory_.open_gate();
    EXPECT_TRUE(outcome(reply.get_future().get()).result.ok());
}

}  // namespace
}  // namespace postern::auth
