// Modified UTF-7 mailbox names (RFC 3501 §5.1.3, kept by RFC 9051 §5.1 for clients that did not
// enable UTF-8): UTF-8 to mUTF-7 and back, strictly. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::proto::imap {

// Printable US-ASCII (0x20-0x7E) stands for itself, "&" is "&-", every other run of characters
// is UTF-16BE in modified base64 ("," for "/", no padding) between "&" and "-". Errc::
// invalid_argument when `utf8` is not well-formed UTF-8 or holds U+0000.
Result<std::string> encode_mutf7(std::string_view utf8);

// The reverse. Errc::invalid_argument for anything but the one canonical encoding: a raw byte
// outside 0x20-0x7E, "&" without its "-", a character outside the modified base64 alphabet, a
// bit count that is not whole UTF-16 units or nonzero padding bits, an unpaired surrogate,
// U+0000, printable ASCII inside a shift, and two shifts back to back ("&AOQ-&AOQ-" is
// "&AOQA5A-"). Dovecot rejects the same set, so a name one accepts the other does too.
Result<std::string> decode_mutf7(std::string_view mutf7);

bool is_valid_mutf7(std::string_view mutf7);

}  // namespace postern::proto::imap
