// DKIM signatures with OpenSSL 3 EVP (RFC 6376 §3.3, RFC 8463 §3, RFC 8301 key sizes).
#include "filter/dkim/crypto.h"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/encoding.h"

namespace postern::filter::dkim {

void KeyDeleter::operator()(void* key) const {
    EVP_PKEY_free(static_cast<EVP_PKEY*>(key));
}

namespace {

EVP_PKEY* pkey(void* k) {
    return static_cast<EVP_PKEY*>(k);
}

std::string sha256(std::string_view data) {
    Digest d(HashAlg::sha256);
    d.update(data);
    return d.finish();
}

}  // namespace

PublicKey load_public_key(const KeyRecord& record, std::size_t min_rsa_bits, std::string* error) {
    auto fail = [&](const char* m) {
        if (error)
            *error = m;
        return PublicKey();
    };
    const auto* p = reinterpret_cast<const unsigned char*>(record.public_key.data());
    auto len = static_cast<long>(record.public_key.size());
    EVP_PKEY* key = nullptr;
    if (record.key_type == "ed25519") {
        if (record.public_key.size() != 32)
            return fail("Ed25519 key is not 32 bytes");
        key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, p, 32);
        if (!key)
            return fail("bad Ed25519 key");
        return PublicKey(key);
    }
    const unsigned char* q = p;
    key = d2i_PUBKEY(nullptr, &q, len);
    if (!key) {
        q = p;
        key = d2i_PublicKey(EVP_PKEY_RSA, nullptr, &q, len);  // bare RSAPublicKey, seen in the wild
    }
    if (!key)
        return fail("cannot decode the public key");
    PublicKey out(key);
    if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
        return fail("k=rsa but the key is not RSA");
    if (static_cast<std::size_t>(EVP_PKEY_get_bits(key)) < min_rsa_bits)
        return fail("RSA key too short");
    return out;
}

bool verify_header(Algorithm alg, void* key, std::string_view header_data,
                   std::string_view signature) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok = false;
    const auto* sig = reinterpret_cast<const unsigned char*>(signature.data());
    if (alg == Algorithm::ed25519_sha256) {
        if (EVP_PKEY_get_base_id(pkey(key)) == EVP_PKEY_ED25519 &&
            EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, pkey(key)) == 1) {
            auto digest = sha256(header_data);
            ok = EVP_DigestVerify(ctx, sig, signature.size(),
                                  reinterpret_cast<const unsigned char*>(digest.data()),
                                  digest.size()) == 1;
        }
    } else if (EVP_PKEY_get_base_id(pkey(key)) == EVP_PKEY_RSA) {
        const EVP_MD* md = alg == Algorithm::rsa_sha1 ? EVP_sha1() : EVP_sha256();
        if (EVP_DigestVerifyInit(ctx, nullptr, md, nullptr, pkey(key)) == 1) {
            ok = EVP_DigestVerify(ctx, sig, signature.size(),
                                  reinterpret_cast<const unsigned char*>(header_data.data()),
                                  header_data.size()) == 1;
        }
    }
    EVP_MD_CTX_free(ctx);
    return ok;
}

PrivateKey load_private_key_pem(std::string_view pem, std::string* error) {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    if (!key && error)
        *error = "cannot read the PEM private key";
    return PrivateKey(key);
}

std::optional<Algorithm> algorithm_of(void* key) {
    switch (EVP_PKEY_get_base_id(pkey(key))) {
        case EVP_PKEY_RSA:
            return Algorithm::rsa_sha256;
        case EVP_PKEY_ED25519:
            return Algorithm::ed25519_sha256;
        default:
            return std::nullopt;
    }
}

std::string sign_header(Algorithm alg, void* key, std::string_view header_data) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    std::string out;
    std::size_t len = 0;
    if (alg == Algorithm::ed25519_sha256) {
        auto digest = sha256(header_data);
        if (EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, pkey(key)) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len,
                           reinterpret_cast<const unsigned char*>(digest.data()),
                           digest.size()) == 1) {
            out.resize(len);
            if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &len,
                               reinterpret_cast<const unsigned char*>(digest.data()),
                               digest.size()) != 1)
                out.clear();
            else
                out.resize(len);
        }
    } else {
        const EVP_MD* md = alg == Algorithm::rsa_sha1 ? EVP_sha1() : EVP_sha256();
        const auto* data = reinterpret_cast<const unsigned char*>(header_data.data());
        if (EVP_DigestSignInit(ctx, nullptr, md, nullptr, pkey(key)) == 1 &&
            EVP_DigestSign(ctx, nullptr, &len, data, header_data.size()) == 1) {
            out.resize(len);
            if (EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(out.data()), &len, data,
                               header_data.size()) != 1)
                out.clear();
            else
                out.resize(len);
        }
    }
    EVP_MD_CTX_free(ctx);
    return out;
}

std::string public_key_b64(void* key) {
    if (EVP_PKEY_get_base_id(pkey(key)) == EVP_PKEY_ED25519) {
        unsigned char raw[32];
        std::size_t len = sizeof raw;
        if (EVP_PKEY_get_raw_public_key(pkey(key), raw, &len) != 1)
            return {};
        return base64_encode(std::string_view(reinterpret_cast<const char*>(raw), len));
    }
    unsigned char* der = nullptr;
    int len = i2d_PUBKEY(pkey(key), &der);
    if (len <= 0)
        return {};
    std::string out = base64_encode(
        std::string_view(reinterpret_cast<const char*>(der), static_cast<std::size_t>(len)));
    OPENSSL_free(der);
    return out;
}

std::optional<GeneratedKey> generate_key(bool ed25519, int rsa_bits) {
    EVP_PKEY* key = ed25519
                        ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(rsa_bits));
    if (!key)
        return std::nullopt;
    PrivateKey owner(key);
    GeneratedKey out;
    out.key_type = ed25519 ? "ed25519" : "rsa";
    BIO* bio = BIO_new(BIO_s_mem());
    if (PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        BIO_free(bio);
        return std::nullopt;
    }
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    out.private_pem.assign(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    out.public_b64 = public_key_b64(key);
    return out;
}

}  // namespace postern::filter::dkim
