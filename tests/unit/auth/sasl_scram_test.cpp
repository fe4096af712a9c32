#include <gtest/gtest.h>

#include "auth/password.h"
#include "auth/sasl/scram_message.h"
#include "auth/sasl/scram_sha256.h"
#include "base/encoding.h"
#include "sasl_test_util.h"
#include "scram_client.h"

namespace postern::auth::sasl {
namespace {

using namespace std::string_literals;
using testing::as;
using testing::failure_of;

// RFC 7677 §3: user "user", password "pencil", salt W22ZaJ0SNY7soEsUEjb6gQ==, i=4096.
constexpr std::string_view kRfcClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kRfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kRfcServerFirst =
    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr std::string_view kRfcClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr std::string_view kRfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

StoredSecrets scram_secrets(std::string_view password, std::string salt,
                            unsigned iterations = 4096) {
    return StoredSecrets{
        "{PLAIN}" + std::string(password),
        format_scram_secret(make_scram_secret(password, iterations, std::move(salt))), ""};
}

StoredSecrets rfc_secrets() {
    return scram_secrets("pencil", base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value());
}

ScramSha256Mechanism mechanism(std::string key = "test key") {
    return ScramSha256Mechanism(4096, std::move(key), [] { return std::string(kRfcServerNonce); });
}

TEST(SaslScram, Rfc7677ExampleByteForByte) {
    auto m = mechanism();
    EXPECT_EQ(as<NeedCredentials>(m.start(kRfcClientFirst)).authcid, "user");
    auto secrets = rfc_secrets();
    EXPECT_EQ(as<Challenge>(m.provide_credentials(&secrets)).data, kRfcServerFirst);
    auto s = as<Success>(m.respond(kRfcClientFinal));
    EXPECT_EQ(s.authcid, "user");
    EXPECT_EQ(s.authzid, "");
    EXPECT_EQ(s.server_final, std::string(kRfcServerFinal));
}

TEST(SaslScram, WithoutInitialResponseTheServerSendsAnEmptyChallenge) {
    auto m = mechanism();
    EXPECT_EQ(as<Challenge>(m.start(std::nullopt)).data, "");
    as<NeedCredentials>(m.respond(kRfcClientFirst));
    auto secrets = rfc_secrets();
    as<Challenge>(m.provide_credentials(&secrets));
    EXPECT_EQ(as<Success>(m.respond(kRfcClientFinal)).server_final, std::string(kRfcServerFinal));
}

// Runs a whole exchange with the test client; returns the final step.
Step run(ScramSha256Mechanism& m, auth::testing::ScramClient& client, const StoredSecrets* secrets,
         std::string* authcid = nullptr) {
    auto need = m.start(client.client_first());
    if (!std::holds_alternative<NeedCredentials>(need))
        return need;
    if (authcid)
        *authcid = std::get<NeedCredentials>(need).authcid;
    auto server_first = m.provide_credentials(secrets);
    if (!std::holds_alternative<Challenge>(server_first))
        return server_first;
    return m.respond(client.client_final(std::get<Challenge>(server_first).data));
}

TEST(SaslScram, GeneratedExchangeAndEscapedUserName) {
    auto secrets = scram_secrets("s3cret", "0123456789abcdef");
    auth::testing::ScramClient client{encode_saslname("a,b=c@example.com"), "s3cret",
                                      "clientnonce"};
    EXPECT_EQ(client.username, "a=2Cb=3Dc@example.com");
    auto m = ScramSha256Mechanism(4096, "k", nullptr);
    std::string authcid;
    auto s = as<Success>(run(m, client, &secrets, &authcid));
    EXPECT_EQ(authcid, "a,b=c@example.com");
    EXPECT_EQ(s.server_final, client.expected_server_final);
}

TEST(SaslScram, ChannelBindingFlagYAndSignedExtensionsAreAccepted) {
    auto secrets = scram_secrets("pw", "saltsaltsaltsalt");
    auth::testing::ScramClient client{"user", "pw", "nonce1"};
    client.gs2_header = "y,,";
    client.final_extensions = ",x=future";
    auto m = ScramSha256Mechanism(4096, "k", nullptr);
    as<Success>(run(m, client, &secrets));
}

TEST(SaslScram, WrongPasswordFailsAtTheProof) {
    auto secrets = scram_secrets("right", "saltsaltsaltsalt");
    auth::testing::ScramClient client{"user", "wrong", "nonce1"};
    auto m = ScramSha256Mechanism(4096, "k", nullptr);
    EXPECT_EQ(failure_of(run(m, client, &secrets)), FailureKind::bad_credentials);
}

TEST(SaslScram, UnknownUserGetsAPlausibleStableFakeSalt) {
    auto server_first_for = [](std::string key, std::string user, const StoredSecrets* secrets) {
        auto m = ScramSha256Mechanism(8192, std::move(key), [] { return std::string("SN"); });
        as<NeedCredentials>(m.start("n,,n=" + user + ",r=CN"));
        return as<Challenge>(m.provide_credentials(secrets)).data;
    };
    auto first = server_first_for("key", "ghost", nullptr);
    ASSERT_TRUE(first.starts_with("r=CNSN,s=")) << first;
    EXPECT_TRUE(first.ends_with(",i=8192")) << first;
    auto salt_b64 = first.substr(9, first.size() - 9 - 7);
    ASSERT_EQ(base64_decode(salt_b64).value_or("").size(), ScramSha256Mechanism::kSaltSize);
    EXPECT_EQ(server_first_for("key", "ghost", nullptr), first);        // same answer every time
    EXPECT_NE(server_first_for("key", "ghost2", nullptr), first);       // per name
    EXPECT_NE(server_first_for("other key", "ghost", nullptr), first);  // per process secret
    // An account with only an imported hash (no SCRAM secret yet) looks exactly the same.
    StoredSecrets imported{"{SHA512-CRYPT}$6$x$y", "", ""};
    EXPECT_EQ(server_first_for("key", "ghost", &imported), first);
}

TEST(SaslScram, UnknownUserFailsWhateverTheProof) {
    auth::testing::ScramClient client{"ghost", "pencil", "nonce"};
    auto m = ScramSha256Mechanism(4096, "k", nullptr);
    EXPECT_EQ(failure_of(run(m, client, nullptr)), FailureKind::bad_credentials);
}

TEST(SaslScram, UserNameIsSaslPrepped) {
    auto m = mechanism();
    EXPECT_EQ(as<NeedCredentials>(m.start("n,,n=I\xC2\xADX,r=abc")).authcid, "IX");
    auto m2 = mechanism();
    EXPECT_EQ(failure_of(m2.start("n,,n=a\x07"
                                  "b,r=abc")),
              FailureKind::malformed);
    auto m3 = mechanism();  // maps to nothing at all
    EXPECT_EQ(failure_of(m3.start("n,,n=\xC2\xAD,r=abc")), FailureKind::malformed);
}

TEST(SaslScram, Authzid) {
    auto m = mechanism();
    as<NeedCredentials>(m.start("n,a=user,n=user,r=abc"));
    auto m2 = mechanism();
    EXPECT_EQ(failure_of(m2.start("n,a=admin,n=user,r=abc")), FailureKind::authzid_not_allowed);
    // The authzid is signed through the GS2 header the client echoes in c=.
    auto secrets = scram_secrets("pw", "saltsaltsaltsalt");
    auth::testing::ScramClient client{"user", "pw", "n0nce"};
    client.gs2_header = "n,a=user,";
    auto m3 = ScramSha256Mechanism(4096, "k", nullptr);
    EXPECT_EQ(as<Success>(run(m3, client, &secrets)).authzid, "user");
}

TEST(SaslScram, MalformedClientFirst) {
    const std::vector<std::string> cases = {
        "",
        "n",
        "n,",
        "x,,n=user,r=abc",             // unknown GS2 flag
        "p=tls-unique,,n=user,r=abc",  // channel binding: no -PLUS offered
        "n,,m=ext,n=user,r=abc",       // mandatory extension
        "n,,r=abc,n=user",             // order
        "n,,n=user",                   // no nonce
        "n,,n=,r=abc",                 // empty user
        "n,,n=user,r=",                // empty nonce
        "n,,n=us=2Xer,r=abc",          // bad escape
        "n,,n=user=,r=abc",            // dangling '='
        "n,,n=user,r=ab c",            // space in nonce
        "n,,n=user,r=ab\x7f",          // DEL in nonce
        "n,,n=user,r=abc,,",           // empty attribute
        "n,,n=user,r=abc,x",           // bad extension
        "n,,n=user,r=abc,x=",          // empty extension value
        "n,,n=user,r=abc,n=again",     // repeated standard attribute
        "n,,n=user,r=abc,m=late",      // m= out of place
        "n,x=user,n=user,r=abc",       // bad GS2 authzid
        "n,a=,n=user,r=abc",           // empty authzid
        "n,,n=user,r=" + std::string(kMaxNonceLength + 1, 'n'),
        "n,,n=" + std::string(kMaxIdentityLength + 1, 'u') + ",r=abc",
        "n,,n=user,r=abc,x=" + std::string(kMaxResponseLength, 'x'),
        "n,,n=us\0er,r=abc"s,
    };
    for (const auto& c : cases) {
        auto m = mechanism();
        EXPECT_EQ(failure_of(m.start(c)), FailureKind::malformed) << ::testing::PrintToString(c);
    }
}

TEST(SaslScram, MalformedClientFinal) {
    const std::string nonce = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    const std::string proof = "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    const std::vector<std::string> cases = {
        "",
        "c=biws",
        "c=biws," + nonce,                              // no proof
        nonce + ",c=biws," + proof,                     // order
        "c=eSws," + nonce + "," + proof,                // "y,," although the client sent "n,,"
        "c=biws,r=rOprNGfwEbeRWgbNEkqO," + proof,       // server nonce missing
        "c=biws," + nonce + "X," + proof,               // nonce altered
        "c=biws," + nonce + ",p=dHzbZapWIk4jUhN+Ute9",  // short proof
        "c=biws," + nonce + ",p=not base64!",           // proof not base64
        "c=b i," + nonce + "," + proof,                 // c= not base64
        "c=biws," + nonce + "," + proof + ",x=after",   // proof not last
        "c=biws," + nonce + ",m=ext," + proof,          // mandatory extension
        "c=biws," + nonce + ",r=again," + proof,        // repeated attribute
        "c=biws," + nonce + ",," + proof,               // empty attribute
        "c=biws," + nonce + "," + proof + std::string(kMaxResponseLength, 'A'),
    };
    for (const auto& c : cases) {
        auto m = mechanism();
        as<NeedCredentials>(m.start(kRfcClientFirst));
        auto secrets = rfc_secrets();
        as<Challenge>(m.provide_credentials(&secrets));
        EXPECT_EQ(failure_of(m.respond(c)), FailureKind::malformed) << c.substr(0, 80);
    }
}

TEST(SaslScram, TamperedProofIsBadCredentials) {
    auto m = mechanism();
    as<NeedCredentials>(m.start(kRfcClientFirst));
    auto secrets = rfc_secrets();
    as<Challenge>(m.provide_credentials(&secrets));
    std::string tampered(kRfcClientFinal);
    tampered[tampered.size() - 3] = 'W';
    EXPECT_EQ(failure_of(m.respond(tampered)), FailureKind::bad_credentials);
}

TEST(SaslScram, OutOfOrderCallsFail) {
    auto m = mechanism();
    EXPECT_EQ(failure_of(m.provide_credentials(nullptr)), FailureKind::malformed);
    auto m2 = mechanism();
    as<NeedCredentials>(m2.start(kRfcClientFirst));
    EXPECT_EQ(failure_of(m2.respond(kRfcClientFinal)),
              FailureKind::malformed);  // before credentials
    auto m3 = mechanism();
    as<NeedCredentials>(m3.start(kRfcClientFirst));
    auto secrets = rfc_secrets();
    as<Challenge>(m3.provide_credentials(&secrets));
    as<Success>(m3.respond(kRfcClientFinal));
    EXPECT_EQ(failure_of(m3.respond(kRfcClientFinal)), FailureKind::malformed);  // replay
}

TEST(ScramMessage, ParsesClientFirst) {
    auto first = parse_scram_client_first("y,a=bob=2Cjr,n=bob=3D,r=xyz,t=ext");
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->cbind_flag, 'y');
    EXPECT_EQ(first->gs2_header, "y,a=bob=2Cjr,");
    EXPECT_EQ(first->authzid, "bob,jr");
    EXPECT_EQ(first->username, "bob=");
    EXPECT_EQ(first->client_nonce, "xyz");
    EXPECT_EQ(first->bare, "n=bob=3D,r=xyz,t=ext");
    // the rejection reason names the problem, for the log
    auto pcb = parse_scram_client_first("p=tls-unique,,n=u,r=x");
    ASSERT_FALSE(pcb);
    EXPECT_NE(pcb.error().message.find("channel binding"), std::string::npos);
}

TEST(ScramMessage, ParsesClientFinal) {
    auto final_msg = parse_scram_client_final(kRfcClientFinal);
    ASSERT_TRUE(final_msg) << final_msg.error().message;
    EXPECT_EQ(final_msg->channel_binding, "n,,");
    EXPECT_EQ(final_msg->nonce, "rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
    EXPECT_EQ(final_msg->proof.size(), 32u);
    EXPECT_EQ(final_msg->without_proof,
              "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0");
}

TEST(ScramMessage, SaslNameEscaping) {
    struct Case {
        std::string_view wire;
        std::optional<std::string> name;
    };
    const Case cases[] = {
        {"user", "user"},      {"a=2Cb", "a,b"},      {"a=3Db", "a=b"},
        {"=2C=3D", ",="},      {"=2c", std::nullopt}, {"=", std::nullopt},
        {"a=3", std::nullopt}, {"", std::nullopt},    {"a,b", std::nullopt},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(decode_saslname(c.wire), c.name) << c.wire;
        if (c.name) {
            EXPECT_EQ(encode_saslname(*c.name), c.wire);
        }
    }
}

}  // namespace
}  // namespace postern::auth::sasl
