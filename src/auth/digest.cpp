// SHA-256 and HMAC-SHA-256 (RFC 2104) through OpenSSL's one-shot APIs.
#include "auth/digest.h"

#include <cstdlib>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace postern::auth {

std::string sha256(std::string_view data) {
    std::string out(kSha256Size, '\0');
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &len,
                   EVP_sha256(), nullptr) != 1) {
        std::abort();  // only when OpenSSL cannot allocate: nothing sensible left to do
    }
    return out;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
    std::string out(kSha256Size, '\0');
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
              reinterpret_cast<const unsigned char*>(data.data()), data.size(),
              reinterpret_cast<unsigned char*>(out.data()), &len)) {
        std::abort();
    }
    return out;
}

bool constant_time_equal(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace postern::auth
