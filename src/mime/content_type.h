// Content-Type (RFC 2045 §5.1) and Content-Disposition (RFC 2183 §2) field bodies, their
// parameters, and RFC 2231 parameter continuations, charsets and languages.
// Pure functions; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::mime {

// One parameter as written: the name lower-cased (it may still carry an RFC 2231 "*0*"
// suffix), the value with quotes and quoted-pairs resolved and folds removed.
struct Param {
    std::string name;
    std::string value;
    bool quoted = false;  // written as a quoted-string (its spaces are content)
    bool operator==(const Param&) const = default;
};

// One parameter after RFC 2231 processing: sections joined, %XX and charset decoded, and
// RFC 2047 encoded-words (which many mailers put in parameters) decoded.
struct DecodedParam {
    std::string name;      // lower-case, no '*' suffix
    std::string value;     // UTF-8
    std::string language;  // RFC 2231 language tag, empty when none
    bool operator==(const DecodedParam&) const = default;
};

struct ContentType {
    std::string type;           // lower-case ASCII; for a disposition, the disposition type
    std::string subtype;        // lower-case ASCII; empty when missing (always for a disposition)
    std::vector<Param> params;  // in order of appearance, as written

    bool is(std::string_view t, std::string_view s) const;
    // Raw value of the first parameter named `name` (case-insensitive, exact, no RFC 2231).
    const std::string* raw_param(std::string_view name) const;
    // Decoded value of parameter `name` (RFC 2231 aware), if present.
    std::optional<std::string> param(std::string_view name) const;
    bool operator==(const ContentType&) const = default;
};

// Parses "type/subtype; a=b; ..." leniently: comments and whitespace anywhere, a missing ';'
// between parameters, unterminated quotes, parameters without a value are skipped, and
// junk is skipped up to the next ';'. nullopt when there is no type token at all.
std::optional<ContentType> parse_content_type(std::string_view raw_value);

// "inline; filename=..." — the same grammar with no subtype (RFC 2183 §2).
std::optional<ContentType> parse_content_disposition(std::string_view raw_value);

// RFC 2231 §3-§4: joins "name*0", "name*1*"... in section order (gaps tolerated), decodes
// "%XX" in extended sections with the charset of section 0, then any RFC 2047 encoded-words.
// Malformed RFC 2231 names are dropped. Output order: first appearance of each name.
std::vector<DecodedParam> decode_params(const std::vector<Param>& params);

}  // namespace postern::mime
