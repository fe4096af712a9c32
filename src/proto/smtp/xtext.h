// xtext (RFC 3461 §4): the encoding of ENVID, ORCPT and the AUTH= parameter (RFC 4954 §5).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace postern::proto::smtp {

// Encodes any bytes: "+", "=", controls, space and non-ASCII become "+XX" (upper-case hex).
std::string xtext_encode(std::string_view raw);

// Decodes xtext. nullopt when a character is not an xchar (33..126 except "=") or a "+" is not
// followed by two hex digits. Lower-case hex is accepted although RFC 3461 asks for upper case:
// senders get it wrong and the meaning is not ambiguous. With `allow_utf8` (SMTPUTF8 in use,
// RFC 6531 §3.3 esmtp-value) UTF-8 sequences pass through undecoded.
std::optional<std::string> xtext_decode(std::string_view text, bool allow_utf8 = false);

}  // namespace postern::proto::smtp
