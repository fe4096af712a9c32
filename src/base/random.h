// Cryptographically secure random bytes and tokens (OpenSSL's DRBG).
#pragma once

#include <cstdint>
#include <string>

namespace postern {

std::string random_bytes(std::size_t n);
std::uint64_t random_u64();
// Letters and digits only: safe in URLs, file names and shell output.
std::string random_token(std::size_t length);

}  // namespace postern
