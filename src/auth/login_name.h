// Login names as clients type them ("user@domain", or a bare "user"): the one normal form used
// for directory lookups, verification-cache keys and failure accounting.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace postern::auth {

inline constexpr std::size_t kMaxLoginLength = 512;

// The login with its domain part (after the last '@') lower-cased (ASCII only; the directory
// resolves IDNs and aliases). The local part is kept as sent: whether it is case-sensitive
// is the directory's business. nullopt for logins that no account can have: empty, longer
// than kMaxLoginLength, not UTF-8, or containing control characters (NUL included, which
// keeps "login NUL password" unambiguous in cache keys). Pure.
std::optional<std::string> normalize_login(std::string_view login);

// Whether an authorization identity names the same user as an authentication identity:
// equal after normalize_login(). Used while proxy authorization is not supported.
bool same_identity(std::string_view authzid, std::string_view authcid);

// A client-supplied name made safe for a log line: control characters and non-UTF-8 bytes
// become \xNN, and anything past 128 bytes is cut with "...".
std::string loggable(std::string_view text);

}  // namespace postern::auth
