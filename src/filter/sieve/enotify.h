// enotify (RFC 5435) with the mailto method (RFC 5436): the mailto URI (RFC 6068 §2) as the
// notify command, valid_notify_method and the generated notification use it. Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace postern::sieve {

inline constexpr std::size_t kMaxMailtoLength = 8 * 1024;  // the whole URI
inline constexpr std::size_t kMaxNotifyRecipients = 8;     // to part and "to" fields
inline constexpr std::size_t kMaxMailtoHeaders = 16;       // hfields
inline constexpr std::size_t kMaxNotifyOptions = 16;       // :options entries
inline constexpr std::size_t kMaxNotifyActions = 8;        // notify actions per script run

struct MailtoUri {
    std::vector<std::string> to;                               // addr-specs, decoded
    std::vector<std::pair<std::string, std::string>> headers;  // hfields except to and body
    std::optional<std::string> body;
};

// Parses "mailto:..." (scheme case-insensitive). nullopt with `error` set when the URI is not
// a usable mailto URI: bad characters or escapes, a recipient that is no addr-spec, a header
// name that is no field name, no recipient at all, or a limit above passed.
std::optional<MailtoUri> parse_mailto(std::string_view uri, std::string* error);

// The method of a notification URI (lower case, "" when there is no scheme).
std::string notify_scheme(std::string_view uri);

// RFC 5435 §3.3: "" when `uri` is usable, else why not ("unsupported notification method
// 'tel'", or the mailto problem).
std::string check_notify_uri(std::string_view uri);

// RFC 5435 §3.5 option "name=value": name starts with a letter, then letters, digits, "-",
// "." or "_"; the value has no CR or LF.
bool valid_notify_option(std::string_view option);

// An addr-spec with a local part and a domain (for :from and recipients).
bool valid_notify_address(std::string_view address);

}  // namespace postern::sieve
