// Random bytes from OpenSSL; aborts if the system cannot provide entropy (nothing safe to do).
#include "base/random.h"

#include <cstdlib>
#include <cstring>

#include <openssl/rand.h>

namespace postern {

std::string random_bytes(std::size_t n) {
    std::string out(n, '\0');
    if (n && RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
        std::abort();
    }
    return out;
}

std::uint64_t random_u64() {
    auto bytes = random_bytes(sizeof(std::uint64_t));
    std::uint64_t v = 0;
    std::memcpy(&v, bytes.data(), sizeof v);
    return v;
}

std::string random_token(std::size_t length) {
    constexpr std::string_view kChars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    std::string out;
    out.reserve(length);
    while (out.size() < length) {
        for (unsigned char b : random_bytes(length)) {
            // Rejection sampling keeps every character equally likely.
            if (b >= 256 - 256 % kChars.size())
                continue;
            out += kChars[b % kChars.size()];
            if (out.size() == length)
                break;
        }
    }
    return out;
}

}  // namespace postern
