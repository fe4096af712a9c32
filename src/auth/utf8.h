// UTF-8 validation (RFC 3629 §3-§4) for identities and passwords that protocols require
// to be UTF-8 (RFC 4616 §2, RFC 5802 §5.1).
#pragma once

#include <string_view>

namespace postern::auth {

// Strict UTF-8: no overlong forms, surrogates or code points above U+10FFFF. Pure.
bool is_valid_utf8(std::string_view text);

}  // namespace postern::auth
