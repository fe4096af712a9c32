// PREVIEW (RFC 8970 §3): a short plain-text extract of a message for clients' message lists,
// taken from its first text part. Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "mime/structure.h"

namespace postern::services::imap::fetch {

// RFC 8970 §3.1: servers SHOULD keep previews to 200 characters.
inline constexpr std::size_t kPreviewChars = 200;

// The part to preview: the first text/plain leaf in document order that is not an attachment,
// else the first text/html one. Enclosed messages (message/rfc822) are attachments and are not
// searched. nullopt when the message has no text.
std::optional<std::uint32_t> preview_part(const mime::MessageStructure& structure);

// `text` (UTF-8) with every run of whitespace and control characters made one space, no space
// at either end, cut to at most `max_chars` code points; ill-formed UTF-8 is skipped.
std::string collapse_preview(std::string_view text, std::size_t max_chars = kPreviewChars);

// The preview of the message `raw` with structure `structure`: the preview part's text, transfer-
// and charset-decoded to UTF-8 (HTML without its markup), collapsed. "" when there is no text.
// Reads only the first bytes of a long part.
std::string make_preview(std::string_view raw, const mime::MessageStructure& structure);

}  // namespace postern::services::imap::fetch
