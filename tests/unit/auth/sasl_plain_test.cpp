#include <gtest/gtest.h>

#include "auth/sasl/plain.h"
#include "sasl_test_util.h"

namespace postern::auth::sasl {
namespace {

using namespace std::string_literals;
using testing::as;
using testing::failure_of;

// RFC 4616 §4, first example: no authzid, authcid "tim", password "tanstaaftanstaaf".
TEST(SaslPlain, Rfc4616ExampleWithInitialResponse) {
    PlainMechanism m;
    auto v = as<VerifyPassword>(m.start("\0tim\0tanstaaftanstaaf"s));
    EXPECT_EQ(v.authzid, "");
    EXPECT_EQ(v.authcid, "tim");
    EXPECT_EQ(v.password, "tanstaaftanstaaf");
    auto s = as<Success>(m.password_checked(true));
    EXPECT_EQ(s.authcid, "tim");
    EXPECT_EQ(s.authzid, "");
    EXPECT_FALSE(s.server_final);
}

// RFC 4616 §4, second example: authzid "Ursel" acting as "Kurt". We have no proxy
// authorization, so it is refused before any password check.
TEST(SaslPlain, Rfc4616ProxyExampleIsRefused) {
    PlainMechanism m;
    EXPECT_EQ(failure_of(m.start("Ursel\0Kurt\0xipj3plmq"s)), FailureKind::authzid_not_allowed);
}

TEST(SaslPlain, EmptyChallengeWithoutInitialResponse) {
    PlainMechanism m;
    EXPECT_EQ(as<Challenge>(m.start(std::nullopt)).data, "");
    auto v = as<VerifyPassword>(m.respond("\0tim\0pw"s));
    EXPECT_EQ(v.authcid, "tim");
    EXPECT_EQ(failure_of(m.password_checked(false)), FailureKind::bad_credentials);
}

TEST(SaslPlain, AuthzidEqualToAuthcidIsAllowed) {
    struct Case {
        std::string message;
        std::string authzid;
    };
    for (const auto& c : std::vector<Case>{
             {"tim\0tim\0pw"s, "tim"},
             {"tim@Example.COM\0tim@example.com\0pw"s,
              "tim@Example.COM"},  // domain case-insensitive
         }) {
        PlainMechanism m;
        auto v = as<VerifyPassword>(m.start(c.message));
        EXPECT_EQ(v.authzid, c.authzid);
        EXPECT_EQ(as<Success>(m.password_checked(true)).authzid, c.authzid);
    }
    PlainMechanism m;  // the local part stays case-sensitive
    EXPECT_EQ(failure_of(m.start("Tim@example.com\0tim@example.com\0pw"s)),
              FailureKind::authzid_not_allowed);
}

TEST(SaslPlain, MalformedMessages) {
    const std::string long_id(kMaxIdentityLength + 1, 'a');
    const std::string long_pw(kMaxPasswordLength + 1, 'p');
    const std::vector<std::string> cases = {
        ""s,
        "tim"s,
        "\0tim"s,  // one separator
        "\0"s,
        "\0\0"s,                                            // empty authcid and password
        "\0\0pw"s,                                          // empty authcid
        "\0tim\0"s,                                         // empty password
        "\0tim\0pw\0extra"s,                                // third NUL
        "\0"s + long_id + "\0pw"s,                          // authcid too long
        long_id + "\0tim\0pw"s,                             // authzid too long
        "\0tim\0"s + long_pw,                               // password too long
        "\0tim\0\xff"s,                                     // not UTF-8
        "\0\xc0\x80\0pw"s,                                  // overlong NUL
        "\0\xed\xa0\x80\0pw"s,                              // UTF-16 surrogate
        "\0tim\0"s + std::string(kMaxResponseLength, 'x'),  // over the response cap
    };
    for (const auto& c : cases) {
        PlainMechanism m;
        EXPECT_EQ(failure_of(m.start(c)), FailureKind::malformed) << ::testing::PrintToString(c);
        // The exchange is over: any further call fails.
        EXPECT_EQ(failure_of(m.respond("\0tim\0pw"s)), FailureKind::malformed);
    }
}

TEST(SaslPlain, LimitsAreInclusive) {
    const std::string id(kMaxIdentityLength, 'a');
    const std::string pw(kMaxPasswordLength, 'p');
    PlainMechanism m;
    auto v = as<VerifyPassword>(m.start(id + "\0"s + id + "\0"s + pw));
    EXPECT_EQ(v.authcid, id);
    EXPECT_EQ(v.password, pw);
}

TEST(SaslPlain, Utf8IdentitiesPass) {
    PlainMechanism m;
    auto v = as<VerifyPassword>(m.start("\0j\xc3\xbcrgen@b\xc3\xbc\x63her.example\0p\xc3\xa4ss"s));
    EXPECT_EQ(v.authcid, "j\xc3\xbcrgen@b\xc3\xbc\x63her.example");
}

TEST(SaslPlain, OutOfOrderCallsFail) {
    {
        PlainMechanism m;
        EXPECT_EQ(failure_of(m.respond("\0tim\0pw"s)), FailureKind::malformed);
    }
    {
        PlainMechanism m;
        EXPECT_EQ(failure_of(m.password_checked(true)), FailureKind::malformed);
    }
    {
        PlainMechanism m;
        as<VerifyPassword>(m.start("\0tim\0pw"s));
        EXPECT_EQ(failure_of(m.provide_credentials(nullptr)), FailureKind::malformed);
    }
    {
        PlainMechanism m;
        as<VerifyPassword>(m.start("\0tim\0pw"s));
        as<Success>(m.password_checked(true));
        EXPECT_EQ(failure_of(m.password_checked(true)), FailureKind::malformed);
    }
}

TEST(SaslPlain, CancelEndsTheExchange) {
    PlainMechanism m;
    as<Challenge>(m.start(std::nullopt));
    EXPECT_EQ(failure_of(m.cancel()), FailureKind::aborted);
    EXPECT_EQ(failure_of(m.respond("\0tim\0pw"s)), FailureKind::malformed);
}

TEST(SaslPlain, FactoryIsCaseInsensitive) {
    MechanismOptions options;
    for (auto name : {"PLAIN", "plain", "Plain"}) {
        auto m = make_mechanism(name, options);
        ASSERT_TRUE(m) << name;
        EXPECT_EQ(m->name(), "PLAIN");
    }
    EXPECT_FALSE(make_mechanism("PLAINX", options));
    EXPECT_FALSE(make_mechanism("GSSAPI", options));
    EXPECT_FALSE(make_mechanism("", options));
}

}  // namespace
}  // namespace postern::auth::sasl
