// BODY[section] and BINARY[part] bytes: RFC 9051 §6.4.5 section numbering and section text
// (HEADER, HEADER.FIELDS[.NOT], MIME, TEXT), partial fetches, RFC 3516 §4.2 decoding.
#include "services/imap/fetch/body_sections.h"

#include <algorithm>

#include "base/strings.h"
#include "mime/transfer_encoding.h"

namespace postern::services::imap::fetch {

namespace wire = proto::imap;
using mime::BodyPart;

std::optional<std::uint32_t> find_part(const mime::MessageStructure& structure,
                                       std::span<const std::uint32_t> path) {
    const auto& parts = structure.parts;
    if (parts.empty() || path.empty())
        return std::nullopt;
    std::uint32_t index = 0;
    // `index` is the root of a message (the whole one, or one enclosed in a message/rfc822
    // part): the next number picks among its body parts.
    bool message_root = true;
    for (auto n : path) {
        if (!message_root) {
            const BodyPart& p = parts[index];
            if (p.kind == BodyPart::Kind::message && !p.children.empty()) {
                index = p.children.front();
                if (index >= parts.size())
                    return std::nullopt;
                message_root = true;
            } else if (p.kind != BodyPart::Kind::multipart) {
                return std::nullopt;  // a leaf has no subparts
            }
        }
        const BodyPart& p = parts[index];
        if (p.kind == BodyPart::Kind::multipart) {
            if (n == 0 || n > p.children.size())
                return std::nullopt;
            index = p.children[n - 1];
            if (index >= parts.size())
                return std::nullopt;
        } else if (n != 1) {
            return std::nullopt;  // a message that is not multipart has only part 1
        }
        message_root = false;
    }
    return index;
}

namespace {

// One line of `text` from `pos`, its line break included.
std::string_view line_at(std::string_view text, std::size_t pos) {
    auto eol = text.find('\n', pos);
    return text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol + 1 - pos);
}

bool is_blank_line(std::string_view line) {
    return line == "\r\n" || line == "\n" || line == "\r";
}

}  // namespace

std::string filter_header_fields(std::string_view header, std::span<const std::string> names,
                                 bool exclude) {
    std::string out;
    std::size_t pos = 0;
    while (pos < header.size()) {
        std::string_view first = line_at(header, pos);
        if (is_blank_line(first))
            break;
        // The field runs on over continuation lines (RFC 5322 §2.2.3 folding).
        std::size_t end = pos + first.size();
        while (end < header.size() && (header[end] == ' ' || header[end] == '\t'))
            end += line_at(header, end).size();
        std::string_view field = header.substr(pos, end - pos);
        pos = end;
        if (first.front() == ' ' || first.front() == '\t')
            continue;  // a continuation with no field before it
        auto colon = first.find(':');
        if (colon == std::string_view::npos)
            continue;  // not a header field
        std::string_view name = first.substr(0, colon);
        while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
            name.remove_suffix(1);
        bool listed = std::any_of(names.begin(), names.end(),
                                  [&](const std::string& n) { return iequals(n, name); });
        if (listed == exclude)
            continue;
        out += field;
        if (!field.ends_with('\n'))
            out += "\r\n";
    }
    out += "\r\n";
    return out;
}

std::optional<SectionData> section_data(std::string_view raw, std::uint64_t header_size,
                                        const mime::MessageStructure* structure,
                                        const wire::Section& section) {
    using wire::SectionText;
    auto cut = [&](std::uint64_t from, std::uint64_t to) -> std::optional<std::string_view> {
        // Cached offsets are trusted only as far as the message we hold.
        if (from > to || to > raw.size())
            return std::nullopt;
        return raw.substr(from, to - from);
    };
    // [header_from, header_to) and [text_from, text_to) of the message the section text is about.
    std::uint64_t header_from = 0, header_to = 0, text_from = 0, text_to = 0;
    if (section.part.empty()) {
        header_to = std::min<std::uint64_t>(header_size, raw.size());
        text_from = header_to;
        text_to = raw.size();
    } else {
        if (!structure)
            return std::nullopt;
        auto index = find_part(*structure, section.part);
        if (!index)
            return std::nullopt;
        const BodyPart& p = structure->parts[*index];
        if (section.text == SectionText::none) {
            auto bytes = cut(p.body_start, p.body_end);
            return bytes ? std::optional(SectionData::view(*bytes)) : std::nullopt;
        }
        if (section.text == SectionText::mime) {
            auto bytes = cut(p.header_start, p.body_start);
            return bytes ? std::optional(SectionData::view(*bytes)) : std::nullopt;
        }
        // HEADER, HEADER.FIELDS and TEXT after part numbers name a message/rfc822 part.
        if (p.kind != BodyPart::Kind::message || p.children.empty() ||
            p.children.front() >= structure->parts.size())
            return std::nullopt;
        const BodyPart& inner = structure->parts[p.children.front()];
        header_from = p.body_start;
        header_to = inner.body_start;
        text_from = inner.body_start;
        text_to = p.body_end;
    }
    switch (section.text) {
        case SectionText::none: {
            return SectionData::view(raw);
        }
        case SectionText::header:
        case SectionText::header_fields:
        case SectionText::header_fields_not: {
            auto bytes = cut(header_from, header_to);
            if (!bytes)
                return std::nullopt;
            if (section.text == SectionText::header)
                return SectionData::view(*bytes);
            return SectionData::owned(filter_header_fields(
                *bytes, section.fields, section.text == SectionText::header_fields_not));
        }
        case SectionText::text: {
            auto bytes = cut(text_from, text_to);
            return bytes ? std::optional(SectionData::view(*bytes)) : std::nullopt;
        }
        case SectionText::mime:
            break;  // the parser allows MIME only after part numbers
    }
    return std::nullopt;
}

std::string_view apply_partial(std::string_view data, const std::optional<wire::Partial>& partial) {
    if (!partial)
        return data;
    if (partial->offset >= data.size())
        return {};
    return data.substr(partial->offset, partial->length);
}

BinaryDecoding binary_decoding(const BodyPart& part) {
    if (part.kind == BodyPart::Kind::multipart || part.kind == BodyPart::Kind::message)
        return BinaryDecoding::as_stored;
    switch (part.transfer) {
        case mime::TransferEncoding::seven_bit:
        case mime::TransferEncoding::eight_bit:
        case mime::TransferEncoding::binary:
            return BinaryDecoding::as_stored;
        case mime::TransferEncoding::quoted_printable:
        case mime::TransferEncoding::base64:
            return BinaryDecoding::decode;
        case mime::TransferEncoding::unknown:
            break;
    }
    return BinaryDecoding::unknown;
}

BinaryContent BinaryContent::of(std::string_view raw, const mime::MessageStructure* structure,
                                std::span<const std::uint32_t> path) {
    BinaryContent out;
    if (path.empty()) {
        out.status_ = Status::ok;
        out.view_ = raw;
        return out;
    }
    if (!structure)
        return out;
    auto index = find_part(*structure, path);
    if (!index)
        return out;
    const BodyPart& p = structure->parts[*index];
    if (p.body_start > p.body_end || p.body_end > raw.size())
        return out;
    std::string_view body = raw.substr(p.body_start, p.body_end - p.body_start);
    switch (binary_decoding(p)) {
        case BinaryDecoding::as_stored:
            out.view_ = body;
            break;
        case BinaryDecoding::decode:
            out.decoded_ = mime::decode_body(p.transfer, body);
            out.decoded_used_ = true;
            break;
        case BinaryDecoding::unknown:
            out.status_ = Status::unknown_cte;
            return out;
    }
    out.status_ = Status::ok;
    return out;
}

std::string BinaryContent::take() {
    if (decoded_used_)
        return std::move(decoded_);
    return std::string(view_);
}

}  // namespace postern::services::imap::fetch
