// A compact, versioned binary form of MessageStructure for the store's cache: encode at
// append, decode at FETCH, no reparsing. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mime/structure.h"

namespace postern::mime {

// Current format version (the first byte after the magic). Decoders accept only versions
// they know; a store that finds an older or unknown version reparses the message.
inline constexpr unsigned char kStructureFormatVersion = 1;

std::string encode_structure(const MessageStructure& s);

// Errc::corrupt for anything that is not a well-formed blob of a known version: truncation,
// trailing bytes, out-of-range indexes or enum values, impossible counts.
Result<MessageStructure> decode_structure(std::string_view blob);

}  // namespace postern::mime
