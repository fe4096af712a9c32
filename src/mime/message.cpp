// Lookups over a parsed message's header fields (RFC 5322 §2.2 field names are
// case-insensitive).
#include "mime/message.h"

#include "base/strings.h"

namespace postern::mime {

bool HeaderField::is(std::string_view field_name) const {
    return iequals(name, field_name);
}

std::span<const HeaderField> ParsedMessage::headers_of(std::uint32_t part) const {
    const Part& p = parts.at(part);
    return std::span<const HeaderField>(headers).subspan(p.first_header, p.header_count);
}

const HeaderField* ParsedMessage::find_header(std::uint32_t part, std::string_view name) const {
    for (const auto& h : headers_of(part)) {
        if (h.is(name))
            return &h;
    }
    return nullptr;
}

std::size_t ParsedMessage::count_headers(std::uint32_t part, std::string_view name) const {
    std::size_t n = 0;
    for (const auto& h : headers_of(part)) {
        if (h.is(name))
            ++n;
    }
    return n;
}

}  // namespace postern::mime
