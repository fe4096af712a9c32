// UTF-8 well-formedness (RFC 3629 §4) for SMTPUTF8 addresses and parameters (RFC 6531 §3.3).
#pragma once

#include <string_view>

namespace postern::proto::smtp {

// Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. Pure ASCII is valid.
bool is_valid_utf8(std::string_view text);

// True when any byte is outside US-ASCII (the text needs SMTPUTF8).
bool has_non_ascii(std::string_view text);

}  // namespace postern::proto::smtp
