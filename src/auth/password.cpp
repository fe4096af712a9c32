// Password hashing and verification: argon2id (libargon2), crypt(3) schemes (libxcrypt),
// salted SHA-2, SCRAM-SHA-256 secrets (RFC 5802 §3, RFC 7677) and CRAM-MD5 states (RFC 2195).
#include "auth/password.h"

// CRAM-MD5 keeps HMAC-MD5's intermediate states, which needs OpenSSL's low-level MD5 API.
#define OPENSSL_SUPPRESS_DEPRECATED 1

#include <cstring>
#include <memory>

#include <argon2.h>
#include <crypt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/md5.h>
#include <openssl/sha.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>

#include "base/encoding.h"
#include "base/random.h"
#include "base/strings.h"
#include "config/config.h"

namespace postern::auth {
namespace {

constexpr std::string_view kArgonPrefix = "{ARGON2ID}";

struct SchemeSplit {
    std::string scheme;  // upper-case, without braces
    std::string_view body;
};

std::optional<SchemeSplit> split_scheme(std::string_view text) {
    if (text.empty() || text.front() != '{')
        return std::nullopt;
    auto close = text.find('}');
    if (close == std::string_view::npos || close < 2 || close > 32)
        return std::nullopt;
    return SchemeSplit{to_upper(text.substr(1, close - 1)), text.substr(close + 1)};
}

bool constant_equal(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string sha_digest(const EVP_MD* md, std::string_view data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out, &len, md, nullptr);
    return std::string(reinterpret_cast<char*>(out), len);
}

std::string argon2id_hash(std::string_view password, const HashParams& p) {
    auto salt = random_bytes(16);
    constexpr std::size_t kHashLen = 32;
    auto encoded_len =
        argon2_encodedlen(p.argon2_iterations, p.argon2_memory_kib, p.argon2_parallelism,
                          static_cast<uint32_t>(salt.size()), kHashLen, Argon2_id);
    std::string encoded(encoded_len, '\0');
    int rc = argon2id_hash_encoded(p.argon2_iterations, p.argon2_memory_kib, p.argon2_parallelism,
                                   password.data(), password.size(), salt.data(), salt.size(),
                                   kHashLen, encoded.data(), encoded.size());
    if (rc != ARGON2_OK)
        std::abort();  // only on invalid parameters, which config validation prevents
    encoded.resize(std::strlen(encoded.c_str()));
    return std::string(kArgonPrefix) + encoded;
}

bool verify_crypt(std::string_view setting, std::string_view password) {
    std::string pw(password), set(setting);
    if (pw.find('\0') != std::string::npos)
        return false;
    auto data = std::make_unique<crypt_data>();
    std::memset(data.get(), 0, sizeof(crypt_data));
    const char* out = crypt_r(pw.c_str(), set.c_str(), data.get());
    if (!out || out[0] == '*')
        return false;  // libxcrypt returns "*0"/"*1" on failure
    return constant_equal(out, set);
}

// "{SSHA512}" and friends: base64(digest(password + salt) + salt).
bool verify_salted(const EVP_MD* md, std::string_view body, std::string_view password) {
    auto raw = base64_decode(body);
    auto digest_len = static_cast<std::size_t>(EVP_MD_get_size(md));
    if (!raw || raw->size() <= digest_len)
        return false;
    auto salt = std::string_view(*raw).substr(digest_len);
    std::string input(password);
    input += salt;
    return constant_equal(sha_digest(md, input), std::string_view(*raw).substr(0, digest_len));
}

// Parameters encoded in "$argon2id$v=19$m=19456,t=2,p=1$...".
bool argon2_params_match(std::string_view encoded, const HashParams& p) {
    auto expected = "$argon2id$v=19$m=" + std::to_string(p.argon2_memory_kib) +
                    ",t=" + std::to_string(p.argon2_iterations) +
                    ",p=" + std::to_string(p.argon2_parallelism) + "$";
    return encoded.starts_with(expected);
}

// HMAC-MD5 inner/outer states: MD5 after one block of key^ipad / key^opad.
std::string cram_md5_states(std::string_view password) {
    unsigned char key[64] = {};
    if (password.size() > 64) {
        MD5(reinterpret_cast<const unsigned char*>(password.data()), password.size(), key);
    } else {
        std::memcpy(key, password.data(), password.size());
    }
    unsigned char ipad[64], opad[64];
    for (int i = 0; i < 64; ++i) {
        ipad[i] = key[i] ^ 0x36;
        opad[i] = key[i] ^ 0x5c;
    }
    MD5_CTX inner, outer;
    MD5_Init(&inner);
    MD5_Update(&inner, ipad, 64);
    MD5_Init(&outer);
    MD5_Update(&outer, opad, 64);
    std::string states;
    for (auto* ctx : {&inner, &outer}) {
        for (auto word : {ctx->A, ctx->B, ctx->C, ctx->D}) {
            for (int b = 0; b < 4; ++b)
                states += static_cast<char>((word >> (8 * b)) & 0xff);
        }
    }
    return hex_encode(states);
}

}  // namespace

HashParams HashParams::from(const config::AuthConfig& cfg) {
    HashParams p;
    p.argon2_memory_kib = cfg.argon2_memory_kib;
    p.argon2_iterations = cfg.argon2_iterations;
    p.argon2_parallelism = cfg.argon2_parallelism;
    p.scram_iterations = cfg.scram_iterations;
    for (auto& m : cfg.mechanisms) {
        if (m == "CRAM-MD5")
            p.cram_md5 = true;
    }
    return p;
}

HashParams HashParams::bulk_import(const config::AuthConfig& cfg) {
    auto p = from(cfg);
    p.argon2_memory_kib = 4096;
    p.argon2_iterations = 1;
    p.argon2_parallelism = 1;
    return p;
}

std::optional<std::string> saslprep(std::string_view text) {
    bool ascii_printable = true;
    for (unsigned char c : text) {
        if (c < 0x20 || c >= 0x7f)
            ascii_printable = false;
    }
    if (ascii_printable)
        return std::string(text);

    UErrorCode status = U_ZERO_ERROR;
    std::unique_ptr<UStringPrepProfile, decltype(&usprep_close)> profile(
        usprep_openByType(USPREP_RFC4013_SASLPREP, &status), &usprep_close);
    if (U_FAILURE(status))
        return std::nullopt;
    std::u16string in(text.size() + 1, u'\0');
    int32_t in_len = 0;
    u_strFromUTF8(reinterpret_cast<UChar*>(in.data()), static_cast<int32_t>(in.size()), &in_len,
                  text.data(), static_cast<int32_t>(text.size()), &status);
    if (U_FAILURE(status))
        return std::nullopt;
    std::u16string out(static_cast<std::size_t>(in_len) * 4 + 16, u'\0');
    int32_t out_len =
        usprep_prepare(profile.get(), reinterpret_cast<const UChar*>(in.data()), in_len,
                       reinterpret_cast<UChar*>(out.data()), static_cast<int32_t>(out.size()),
                       USPREP_DEFAULT, nullptr, &status);
    if (U_FAILURE(status))
        return std::nullopt;
    std::string utf8(static_cast<std::size_t>(out_len) * 4 + 4, '\0');
    int32_t utf8_len = 0;
    u_strToUTF8(utf8.data(), static_cast<int32_t>(utf8.size()), &utf8_len,
                reinterpret_cast<const UChar*>(out.data()), out_len, &status);
    if (U_FAILURE(status))
        return std::nullopt;
    utf8.resize(static_cast<std::size_t>(utf8_len));
    return utf8;
}

ScramSecret make_scram_secret(std::string_view password, unsigned iterations, std::string salt) {
    auto prepared = saslprep(password).value_or(std::string(password));
    unsigned char salted[32];
    PKCS5_PBKDF2_HMAC(prepared.data(), static_cast<int>(prepared.size()),
                      reinterpret_cast<const unsigned char*>(salt.data()),
                      static_cast<int>(salt.size()), static_cast<int>(iterations), EVP_sha256(),
                      sizeof salted, salted);
    std::string_view salted_view(reinterpret_cast<char*>(salted), sizeof salted);
    ScramSecret s;
    s.iterations = iterations;
    s.salt = std::move(salt);
    s.stored_key = sha_digest(EVP_sha256(), hmac_sha256(salted_view, "Client Key"));
    s.server_key = hmac_sha256(salted_view, "Server Key");
    OPENSSL_cleanse(salted, sizeof salted);
    return s;
}

std::string format_scram_secret(const ScramSecret& s) {
    return std::to_string(s.iterations) + "," + base64_encode(s.salt) + "," +
           base64_encode(s.stored_key) + "," + base64_encode(s.server_key);
}

std::optional<ScramSecret> parse_scram_secret(std::string_view stored) {
    auto parts = split(stored, ',');
    if (parts.size() != 4)
        return std::nullopt;
    auto iterations = parse_uint(parts[0]);
    auto salt = base64_decode(parts[1]);
    auto stored_key = base64_decode(parts[2]);
    auto server_key = base64_decode(parts[3]);
    if (!iterations || *iterations == 0 || *iterations > 100'000'000 || !salt || !stored_key ||
        !server_key || stored_key->size() != 32 || server_key->size() != 32) {
        return std::nullopt;
    }
    return ScramSecret{static_cast<unsigned>(*iterations), *salt, *stored_key, *server_key};
}

StoredSecrets derive_secrets(std::string_view password, const HashParams& params) {
    StoredSecrets s;
    s.hash = argon2id_hash(password, params);
    s.scram_sha256 =
        format_scram_secret(make_scram_secret(password, params.scram_iterations, random_bytes(16)));
    if (params.cram_md5)
        s.cram_md5 = cram_md5_states(password);
    if (params.apop)
        s.apop = std::string(password);
    return s;
}

std::string hash_scheme(std::string_view stored) {
    auto split = split_scheme(stored);
    if (!split)
        return "";
    static constexpr std::string_view kKnown[] = {"ARGON2ID",  "SHA512-CRYPT", "SHA256-CRYPT",
                                                  "BLF-CRYPT", "MD5-CRYPT",    "SSHA512",
                                                  "SSHA256",   "PLAIN",        "CLEAR"};
    for (auto k : kKnown) {
        if (split->scheme == k)
            return split->scheme;
    }
    return "";
}

Result<std::string> normalize_imported_hash(std::string_view text) {
    auto split = split_scheme(text);
    if (!split)
        return fail(Errc::invalid_argument, "a hash must start with {SCHEME}");
    auto scheme = split->scheme;
    auto body = split->body;
    auto bad = [&](std::string why) {
        return fail(Errc::invalid_argument, "{" + scheme + "}: " + why);
    };
    if (scheme == "ARGON2ID") {
        if (!body.starts_with("$argon2id$"))
            return bad("expected $argon2id$...");
    } else if (scheme == "SHA512-CRYPT") {
        if (!body.starts_with("$6$"))
            return bad("expected $6$...");
    } else if (scheme == "SHA256-CRYPT") {
        if (!body.starts_with("$5$"))
            return bad("expected $5$...");
    } else if (scheme == "BLF-CRYPT") {
        if (!(body.starts_with("$2y$") || body.starts_with("$2b$") || body.starts_with("$2a$"))) {
            return bad("expected $2y$, $2b$ or $2a$...");
        }
    } else if (scheme == "MD5-CRYPT") {
        if (!body.starts_with("$1$"))
            return bad("expected $1$...");
    } else if (scheme == "SSHA512" || scheme == "SSHA256") {
        auto raw = base64_decode(body);
        std::size_t digest = scheme == "SSHA512" ? 64 : 32;
        if (!raw || raw->size() <= digest)
            return bad("expected base64 of digest + salt");
    } else if (scheme == "PLAIN" || scheme == "CLEAR") {
        scheme = "PLAIN";
    } else {
        return fail(Errc::invalid_argument, "unsupported password scheme {" + scheme + "}");
    }
    if (body.find_first_of("\r\n") != std::string_view::npos)
        return bad("contains a line break");
    return "{" + scheme + "}" + std::string(body);
}

bool verify_hash(std::string_view stored, std::string_view password) {
    auto split = split_scheme(stored);
    if (!split)
        return false;
    auto& scheme = split->scheme;
    auto body = split->body;
    if (scheme == "ARGON2ID") {
        std::string encoded(body);
        return argon2id_verify(encoded.c_str(), password.data(), password.size()) == ARGON2_OK;
    }
    if (scheme == "SHA512-CRYPT" || scheme == "SHA256-CRYPT" || scheme == "BLF-CRYPT" ||
        scheme == "MD5-CRYPT") {
        return verify_crypt(body, password);
    }
    if (scheme == "SSHA512")
        return verify_salted(EVP_sha512(), body, password);
    if (scheme == "SSHA256")
        return verify_salted(EVP_sha256(), body, password);
    if (scheme == "PLAIN" || scheme == "CLEAR")
        return constant_equal(body, password);
    return false;
}

bool needs_upgrade(const StoredSecrets& s, const HashParams& params) {
    if (!s.hash.starts_with(kArgonPrefix))
        return true;
    if (!argon2_params_match(std::string_view(s.hash).substr(kArgonPrefix.size()), params))
        return true;
    auto scram = parse_scram_secret(s.scram_sha256);
    if (!scram || scram->iterations != params.scram_iterations)
        return true;
    if (params.cram_md5 && s.cram_md5.empty())
        return true;
    if (!params.cram_md5 && !s.cram_md5.empty())
        return true;  // drop it when the mechanism is off
    if (params.apop == s.apop.empty())
        return true;  // keep it only while the account allows APOP
    return false;
}

std::string cram_md5_digest(std::string_view stored_secret, std::string_view challenge) {
    auto raw = hex_decode(stored_secret);
    if (!raw || raw->size() != 32)
        return "";
    auto load = [&](MD5_CTX& ctx, std::size_t offset) {
        MD5_Init(&ctx);
        MD5_LONG* words[] = {&ctx.A, &ctx.B, &ctx.C, &ctx.D};
        for (int w = 0; w < 4; ++w) {
            MD5_LONG v = 0;
            for (int b = 0; b < 4; ++b) {
                v |= static_cast<MD5_LONG>(static_cast<unsigned char>(
                         (*raw)[offset + static_cast<std::size_t>(w * 4 + b)]))
                     << (8 * b);
            }
            *words[w] = v;
        }
        ctx.Nl = 512;  // one 64-byte block already processed
        ctx.Nh = 0;
    };
    MD5_CTX inner, outer;
    load(inner, 0);
    load(outer, 16);
    unsigned char inner_digest[16], digest[16];
    MD5_Update(&inner, challenge.data(), challenge.size());
    MD5_Final(inner_digest, &inner);
    MD5_Update(&outer, inner_digest, sizeof inner_digest);
    MD5_Final(digest, &outer);
    return hex_encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

}  // namespace postern::auth

namespace postern::auth {

std::string apop_digest(std::string_view timestamp, std::string_view password) {
    MD5_CTX ctx;
    MD5_Init(&ctx);
    MD5_Update(&ctx, timestamp.data(), timestamp.size());
    MD5_Update(&ctx, password.data(), password.size());
    unsigned char digest[MD5_DIGEST_LENGTH];
    MD5_Final(digest, &ctx);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * MD5_DIGEST_LENGTH);
    for (unsigned char b : digest) {
        out += kHex[b >> 4];
        out += kHex[b & 15];
    }
    return out;
}

}  // namespace postern::auth
