#include <regex>

#include <gtest/gtest.h>

#include "auth/password.h"
#include "auth/sasl/cram_md5.h"
#include "sasl_test_util.h"

namespace postern::auth::sasl {
namespace {

using testing::as;
using testing::failure_of;

StoredSecrets cram_secrets(std::string_view password) {
    HashParams p;
    p.argon2_memory_kib = 1024;
    p.argon2_iterations = 1;
    p.cram_md5 = true;
    return derive_secrets(password, p);
}

CramMd5Mechanism rfc2195_mechanism() {
    return CramMd5Mechanism("postoffice.reston.mci.net",
                            [] { return std::string("1896.697170952"); });
}

// RFC 2195 §2 example: user "tim", shared secret "tanstaaftanstaaf".
TEST(SaslCramMd5, Rfc2195Example) {
    auto m = rfc2195_mechanism();
    EXPECT_EQ(as<Challenge>(m.start(std::nullopt)).data,
              "<1896.697170952@postoffice.reston.mci.net>");
    EXPECT_EQ(as<NeedCredentials>(m.respond("tim b913a602c7eda7a495b4e6e7334d3890")).authcid,
              "tim");
    auto secrets = cram_secrets("tanstaaftanstaaf");
    auto s = as<Success>(m.provide_credentials(&secrets));
    EXPECT_EQ(s.authcid, "tim");
    EXPECT_FALSE(s.server_final);
}

TEST(SaslCramMd5, UpperCaseDigestAccepted) {
    auto m = rfc2195_mechanism();
    as<Challenge>(m.start(std::nullopt));
    as<NeedCredentials>(m.respond("tim B913A602C7EDA7A495B4E6E7334D3890"));
    auto secrets = cram_secrets("tanstaaftanstaaf");
    as<Success>(m.provide_credentials(&secrets));
}

TEST(SaslCramMd5, WrongSecretUnknownUserAndMissingSecretAllFailAlike) {
    auto wrong = cram_secrets("other");
    StoredSecrets no_cram{"{PLAIN}tanstaaftanstaaf", "", ""};
    const StoredSecrets* cases[] = {&wrong, &no_cram, nullptr};
    for (const StoredSecrets* secrets : cases) {
        auto m = rfc2195_mechanism();
        as<Challenge>(m.start(std::nullopt));
        as<NeedCredentials>(m.respond("tim b913a602c7eda7a495b4e6e7334d3890"));
        EXPECT_EQ(failure_of(m.provide_credentials(secrets)), FailureKind::bad_credentials);
    }
}

TEST(SaslCramMd5, UserNamesMayContainSpaces) {
    auto m = rfc2195_mechanism();
    as<Challenge>(m.start(std::nullopt));
    EXPECT_EQ(as<NeedCredentials>(m.respond("tim smith b913a602c7eda7a495b4e6e7334d3890")).authcid,
              "tim smith");
}

TEST(SaslCramMd5, MalformedResponses) {
    const std::vector<std::string> cases = {
        "",
        "tim",
        "tim ",
        " b913a602c7eda7a495b4e6e7334d3890",
        "tim b913a602c7eda7a495b4e6e7334d389",    // 31 digits
        "tim b913a602c7eda7a495b4e6e7334d38900",  // 33 digits
        "tim g913a602c7eda7a495b4e6e7334d3890",   // not hex
        "tim b913a602c7eda7a495b4e6e7334d3890 ",  // trailing space
        std::string(kMaxIdentityLength + 1, 'u') + " b913a602c7eda7a495b4e6e7334d3890",
        std::string(kMaxResponseLength + 1, 'u'),
    };
    for (const auto& c : cases) {
        auto m = rfc2195_mechanism();
        as<Challenge>(m.start(std::nullopt));
        EXPECT_EQ(failure_of(m.respond(c)), FailureKind::malformed) << c.substr(0, 60);
    }
}

TEST(SaslCramMd5, InitialResponseIsRefused) {
    auto m = rfc2195_mechanism();
    EXPECT_EQ(failure_of(m.start("tim b913a602c7eda7a495b4e6e7334d3890")), FailureKind::malformed);
    auto m2 = rfc2195_mechanism();
    EXPECT_EQ(failure_of(m2.start("")), FailureKind::malformed);
}

TEST(SaslCramMd5, DefaultChallengeShape) {
    CramMd5Mechanism m("mail.example.com", nullptr);
    auto challenge = as<Challenge>(m.start(std::nullopt)).data;
    EXPECT_TRUE(std::regex_match(challenge, std::regex(R"(<[0-9]+\.[0-9]+@mail\.example\.com>)")))
        << challenge;
    CramMd5Mechanism other("mail.example.com", nullptr);
    EXPECT_NE(as<Challenge>(other.start(std::nullopt)).data, challenge);
}

TEST(SaslCramMd5, OutOfOrderCallsFail) {
    auto m = rfc2195_mechanism();
    EXPECT_EQ(failure_of(m.provide_credentials(nullptr)), FailureKind::malformed);
    auto m2 = rfc2195_mechanism();
    as<Challenge>(m2.start(std::nullopt));
    EXPECT_EQ(failure_of(m2.password_checked(true)), FailureKind::malformed);
}

}  // namespace
}  // namespace postern::auth::sasl
