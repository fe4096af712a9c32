// Fuzz target for the server-side SASL mechanisms (RFC 4616, RFC 2195, RFC 5802/7677, LOGIN)
// and the parsers around them. Input: one selector byte, then client responses separated by
// '\n'. Selector bits: 0-1 mechanism, 2 first response is an initial response, 3 the account
// exists, 4 the password check succeeds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/login_name.h"
#include "auth/password.h"
#include "auth/sasl/mechanism.h"
#include "auth/sasl/scram_message.h"
#include "auth/sasl/wire.h"
#include "base/encoding.h"
#include "base/strings.h"
#include "base/utf8.h"

namespace {

using namespace postern;
using namespace postern::auth;

// RFC 7677 §3's account ("pencil") and RFC 2195's CRAM-MD5 secret, so seeds from the RFCs
// reach the final proof checks. Computed once: PBKDF2 and argon2 are slow on purpose.
const StoredSecrets& secrets() {
    static const StoredSecrets s = [] {
        HashParams p;
        p.argon2_memory_kib = 64;
        p.argon2_iterations = 1;
        p.cram_md5 = true;
        auto derived = derive_secrets("tanstaaftanstaaf", p);
        derived.scram_sha256 = format_scram_secret(
            make_scram_secret("pencil", 4096, base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value()));
        return derived;
    }();
    return s;
}

void exercise_parsers(std::string_view text) {
    (void)sasl::decode_client_response(text);
    (void)sasl::decode_initial_response(text);
    (void)sasl::parse_scram_client_first(text);
    (void)sasl::parse_scram_client_final(text);
    if (auto name = sasl::decode_saslname(text)) {
        if (sasl::encode_saslname(*name) != text)
            __builtin_trap();  // escaping must round-trip
    }
    (void)normalize_login(text);
    (void)loggable(text);
    (void)is_valid_utf8(text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    auto selector = data[0];
    std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
    auto messages = split(rest, '\n');
    for (auto m : messages)
        exercise_parsers(m);

    static constexpr std::string_view kNames[] = {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"};
    sasl::MechanismOptions options;
    options.hostname = "postoffice.reston.mci.net";
    options.fake_salt_key = "fuzz";
    std::string_view nonce =
        (selector & 3) == 2 ? "1896.697170952" : "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    options.nonce = [nonce] { return std::string(nonce); };
    auto mechanism = sasl::make_mechanism(kNames[selector & 3], options);
    const StoredSecrets* account = (selector & 8) ? &secrets() : nullptr;

    std::size_t next = 0;
    auto step = (selector & 4) && next < messages.size() ? mechanism->start(messages[next++])
                                                         : mechanism->start(std::nullopt);
    // Bounded: every mechanism finishes within a few steps, and each message is used once.
    for (int rounds = 0; rounds < 16; ++rounds) {
        if (std::holds_alternative<sasl::NeedCredentials>(step)) {
            step = mechanism->provide_credentials(account);
        } else if (std::holds_alternative<sasl::VerifyPassword>(step)) {
            step = mechanism->password_checked((selector & 16) != 0);
        } else if (next < messages.size()) {
            // After Success/Failure this checks that late calls are refused, not crashes.
            step = mechanism->respond(messages[next++]);
        } else {
            break;
        }
    }
    if (auto* success = std::get_if<sasl::Success>(&step)) {
        // Only a known account can succeed, and a password mechanism only when told so.
        bool password_mechanism = (selector & 3) < 2;
        if (password_mechanism ? (selector & 16) == 0 : account == nullptr)
            __builtin_trap();
        if (success->authcid.empty())
            __builtin_trap();
    }
    return 0;
}
