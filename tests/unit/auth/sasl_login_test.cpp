#include <gtest/gtest.h>

#include "auth/sasl/login.h"
#include "sasl_test_util.h"

namespace postern::auth::sasl {
namespace {

using namespace std::string_literals;
using testing::as;
using testing::failure_of;

TEST(SaslLogin, FullExchange) {
    LoginMechanism m;
    EXPECT_EQ(as<Challenge>(m.start(std::nullopt)).data, "Username:");
    EXPECT_EQ(as<Challenge>(m.respond("tim@example.com")).data, "Password:");
    auto v = as<VerifyPassword>(m.respond("tanstaaftanstaaf"));
    EXPECT_EQ(v.authzid, "");
    EXPECT_EQ(v.authcid, "tim@example.com");
    EXPECT_EQ(v.password, "tanstaaftanstaaf");
    auto s = as<Success>(m.password_checked(true));
    EXPECT_EQ(s.authcid, "tim@example.com");
    EXPECT_FALSE(s.server_final);
}

TEST(SaslLogin, InitialResponseIsTheUserName) {
    LoginMechanism m;
    EXPECT_EQ(as<Challenge>(m.start("tim")).data, "Password:");
    EXPECT_EQ(as<VerifyPassword>(m.respond("pw")).authcid, "tim");
    EXPECT_EQ(failure_of(m.password_checked(false)), FailureKind::bad_credentials);
}

TEST(SaslLogin, EmptyInitialResponseAsksForTheUserName) {
    LoginMechanism m;
    EXPECT_EQ(as<Challenge>(m.start("")).data, "Username:");
}

TEST(SaslLogin, PasswordsAreOpaqueBytes) {
    // LOGIN predates UTF-8 rules; legacy clients send Latin-1. The hash decides.
    LoginMechanism m;
    as<Challenge>(m.start("tim"));
    EXPECT_EQ(as<VerifyPassword>(m.respond("p\xe4ss\0x"s)).password, "p\xe4ss\0x"s);
}

TEST(SaslLogin, MalformedAnswers) {
    struct Case {
        std::string user;
        std::optional<std::string> password;  // nullopt: the user answer itself must fail
    };
    const std::vector<Case> cases = {
        {"", std::nullopt},
        {std::string(kMaxIdentityLength + 1, 'u'), std::nullopt},
        {"tim", ""},
        {"tim", std::string(kMaxPasswordLength + 1, 'p')},
    };
    for (const auto& c : cases) {
        LoginMechanism m;
        as<Challenge>(m.start(std::nullopt));
        auto after_user = m.respond(c.user);
        if (!c.password) {
            EXPECT_EQ(failure_of(after_user), FailureKind::malformed);
            continue;
        }
        as<Challenge>(after_user);
        EXPECT_EQ(failure_of(m.respond(*c.password)), FailureKind::malformed);
    }
}

TEST(SaslLogin, OutOfOrderCallsFail) {
    LoginMechanism m;
    EXPECT_EQ(failure_of(m.respond("tim")), FailureKind::malformed);
    LoginMechanism m2;
    as<Challenge>(m2.start("tim"));
    as<VerifyPassword>(m2.respond("pw"));
    EXPECT_EQ(failure_of(m2.respond("again")), FailureKind::malformed);
    LoginMechanism m3;
    as<Challenge>(m3.start(std::nullopt));
    EXPECT_EQ(failure_of(m3.start(std::nullopt)), FailureKind::malformed);
}

}  // namespace
}  // namespace postern::auth::sasl
