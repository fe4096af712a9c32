// Mailbox names and LIST patterns (RFC 9051 §5.1, §6.3.9; RFC 6154 special-use attributes).
// The hierarchy delimiter is "/"; names are the store's UTF-8 names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::services::imap {

inline constexpr char kDelimiter = '/';

// LIST/LSUB wildcard match: "*" matches anything, "%" anything but the delimiter. Linear
// memory and O(pattern x name) time, whatever the pattern (no backtracking blow-up).
bool list_match(std::string_view pattern, std::string_view name);

// reference + pattern as RFC 9051 §6.3.9 joins them.
std::string join_reference(std::string_view reference, std::string_view pattern);

// "\Sent" -> store::kSent, ...; nullopt for an attribute that is not a special use.
std::optional<std::uint32_t> special_use_bit(std::string_view attribute);
// The attributes of a special-use bit set, in a fixed order.
std::vector<std::string> special_use_attributes(std::uint32_t bits);

}  // namespace postern::services::imap
