// The parsed shape of one RFC 5322 message: the MIME part tree (RFC 2045/2046) with the byte
// offsets of every part's header and body in the raw input, and the header fields of every
// part. Produced by MessageParser (parser.h); plain data, safe to share read-only.
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/content_type.h"
#include "mime/transfer_encoding.h"

namespace postern::mime {

// Parser limits. Beyond each one the rest is kept as opaque bytes and a flag says so; memory
// stays bounded by these numbers, never by the size of the message.
struct Limits {
    std::size_t max_header_bytes = 256 * 1024;  // recorded header bytes per part
    std::size_t max_header_count = 1000;        // recorded header fields per part
    std::size_t max_parts = 10000;              // parts in the whole tree
    std::size_t max_depth = 100;                // nesting of multipart and message parts
    std::size_t max_line_length = 64 * 1024;    // longest header field recorded (folds included)
};

enum class PartKind : std::uint8_t {
    leaf,       // a body of its own
    multipart,  // children are the body parts between its boundaries
    message,    // message/rfc822 or message/global: one child, the enclosed message
};

// Why a part looks the way it does; several can be set.
namespace part_flag {
// A multipart that never saw its close delimiter.
inline constexpr std::uint32_t missing_end_boundary = 1u << 0;
// A delimiter line came before the blank line that ends the part's header.
inline constexpr std::uint32_t header_cut_by_boundary = 1u << 1;
// A line that is not a header field started the body (no blank line).
inline constexpr std::uint32_t missing_blank_line = 1u << 2;
// The input ended inside the header.
inline constexpr std::uint32_t no_header_end = 1u << 3;
// Fields beyond max_header_bytes or max_header_count were not recorded.
inline constexpr std::uint32_t header_limit = 1u << 4;
// A field longer than max_line_length was recorded cut.
inline constexpr std::uint32_t field_truncated = 1u << 5;
// Raw bytes >= 0x80 in the header (RFC 6532 UTF-8, or legacy 8-bit).
inline constexpr std::uint32_t eight_bit_header = 1u << 6;
inline constexpr std::uint32_t nul_in_header = 1u << 7;
// An indented line with no field before it to continue.
inline constexpr std::uint32_t junk_header_line = 1u << 8;
// Would nest deeper than max_depth, so kept as a leaf.
inline constexpr std::uint32_t depth_limit = 1u << 9;
// max_parts reached, so kept as a leaf (or no further children).
inline constexpr std::uint32_t part_limit = 1u << 10;
// multipart/* without a usable boundary parameter: a leaf.
inline constexpr std::uint32_t no_boundary = 1u << 11;
// message/rfc822 or message/global in base64/quoted-printable: a leaf.
inline constexpr std::uint32_t encoded_message = 1u << 12;
// The Content-Type field was unusable; the default type applies.
inline constexpr std::uint32_t invalid_content_type = 1u << 13;
// multipart/* in which no delimiter ever appeared: a leaf holding its text.
inline constexpr std::uint32_t empty_multipart = 1u << 14;
// A line without indentation was joined to the field before it (a broken fold).
inline constexpr std::uint32_t unindented_continuation = 1u << 15;
}  // namespace part_flag

inline constexpr std::uint32_t kNoPart = std::numeric_limits<std::uint32_t>::max();

struct HeaderField {
    std::string name;                // as written, trailing whitespace before the colon removed
    std::string raw_value;           // bytes after the colon up to the final line break; folds kept
    std::uint64_t offset = 0;        // first byte of the name
    std::uint64_t value_offset = 0;  // first byte after the colon
    std::uint64_t end = 0;           // one past the field's final line break

    bool is(std::string_view field_name) const;
    bool operator==(const HeaderField&) const = default;
};

struct Part {
    PartKind kind = PartKind::leaf;
    std::uint32_t parent = kNoPart;
    std::uint32_t depth = 0;  // root 0; children of a multipart or message part add one
    std::vector<std::uint32_t> children;

    // Byte offsets in the raw input. The header section is [header_start, body_start) and
    // includes the blank line; the body is [body_start, body_end) and excludes the line break
    // before the next boundary delimiter, which RFC 2046 §5.1.1 makes part of the delimiter.
    std::uint64_t header_start = 0;
    std::uint64_t body_start = 0;
    std::uint64_t body_end = 0;
    std::uint64_t body_lines = 0;  // line feeds in the body

    // Multipart only: where the first delimiter line starts (end of the preamble) and where
    // the epilogue starts (after the close delimiter line); 0 when absent.
    std::uint64_t preamble_end = 0;
    std::uint64_t epilogue_start = 0;

    std::uint32_t first_header = 0;  // into ParsedMessage::headers
    std::uint32_t header_count = 0;

    // Effective type after RFC 2045 §5.2 / RFC 2046 §5.1.5 defaults (text/plain, or
    // message/rfc822 inside multipart/digest); params are those written in the header.
    ContentType content_type;
    bool has_content_type = false;  // a usable Content-Type field was present
    TransferEncoding encoding = TransferEncoding::seven_bit;
    std::uint32_t flags = 0;

    std::uint64_t header_size() const { return body_start - header_start; }
    std::uint64_t body_size() const { return body_end - body_start; }
    bool operator==(const Part&) const = default;
};

namespace message_flag {
inline constexpr std::uint32_t part_limit = 1u << 0;  // max_parts reached: boundaries ignored after
}

struct ParsedMessage {
    std::vector<Part> parts;  // parts[0] is the message; document (pre-)order
    std::vector<HeaderField> headers;
    std::uint64_t size = 0;
    std::uint64_t longest_line = 0;  // bytes, line break included
    std::uint32_t flags = 0;

    const Part& root() const { return parts.front(); }
    std::span<const HeaderField> headers_of(std::uint32_t part) const;
    // First field named `name` (case-insensitive) of a part's header, or nullptr.
    const HeaderField* find_header(std::uint32_t part, std::string_view name) const;
    // Number of fields named `name` in a part's header (Received counting for loop checks).
    std::size_t count_headers(std::uint32_t part, std::string_view name) const;
    bool operator==(const ParsedMessage&) const = default;
};

}  // namespace postern::mime
