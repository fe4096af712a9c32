// Message identifier lists: Message-ID, In-Reply-To, References (RFC 5322 §3.6.4 with the
// §4.5.4 obsolete forms). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postern::mime {

// The ids of a field body, without angle brackets, in order. Comments and whitespace inside
// an id are removed (they are CFWS, not part of the id), phrases between ids are ignored, and
// a body with no '<' at all is read as whitespace-separated bare ids. Empty ids are dropped.
std::vector<std::string> parse_message_ids(std::string_view raw_value);

}  // namespace postern::mime
