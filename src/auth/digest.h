// Small OpenSSL wrappers for the keyed hashes auth needs: SHA-256, HMAC-SHA-256 (RFC 2104)
// and a comparison whose time does not depend on where the inputs differ.
#pragma once

#include <string>
#include <string_view>

namespace postern::auth {

inline constexpr std::size_t kSha256Size = 32;

std::string sha256(std::string_view data);                             // 32 raw bytes
std::string hmac_sha256(std::string_view key, std::string_view data);  // 32 raw bytes

// Equal sizes and equal bytes, in time independent of the bytes (sizes are not secret).
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace postern::auth
