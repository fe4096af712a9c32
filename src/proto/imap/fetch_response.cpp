// FETCH response items (RFC 9051 §7.5.2 and §9 "msg-att", "section-spec"; RFC 3501 §7.4.2;
// RFC 3516 §4.2 BINARY; RFC 7162 §3.1.4 MODSEQ; RFC 8474 §5 EMAILID/THREADID; RFC 8514 SAVEDATE;
// RFC 8970 PREVIEW).
#include "proto/imap/fetch_response.h"

#include <algorithm>
#include <cassert>

#include "proto/imap/bodystructure_format.h"
#include "proto/imap/envelope_format.h"

namespace postern::proto::imap {

std::string section_part(std::span<const std::uint32_t> part) {
    std::string out;
    for (std::size_t i = 0; i < part.size(); ++i) {
        if (i)
            out += '.';
        append_number(out, part[i]);
    }
    return out;
}

std::string section_spec(const Section& section) {
    std::string out = section_part(section.part);
    auto text = [&](std::string_view word) {
        if (!out.empty())
            out += '.';
        out += word;
    };
    switch (section.text) {
        case SectionText::none:
            break;
        case SectionText::header:
            text("HEADER");
            break;
        case SectionText::header_fields:
        case SectionText::header_fields_not: {
            text(section.text == SectionText::header_fields ? "HEADER.FIELDS"
                                                            : "HEADER.FIELDS.NOT");
            out += " (";
            for (std::size_t i = 0; i < section.fields.size(); ++i) {
                if (i)
                    out += ' ';
                append_astring(out, section.fields[i], SessionMode{});
            }
            out += ')';
            break;
        }
        case SectionText::text:
            text("TEXT");
            break;
        case SectionText::mime:
            text("MIME");
            break;
    }
    return out;
}

FetchResponseWriter::FetchResponseWriter(std::string& out, std::uint32_t seq,
                                         const SessionMode& mode)
    : out_(out), mode_(mode) {
    out_ += "* ";
    append_number(out_, seq);
    out_ += " FETCH (";
}

void FetchResponseWriter::item(std::string_view name) {
    assert(!finished_ && "FETCH item after finish()");
    assert(literal_remaining_ == 0 && "FETCH item before the pending literal was complete");
    if (!first_)
        out_ += ' ';
    first_ = false;
    out_ += name;
}

void FetchResponseWriter::uid(std::uint32_t uid) {
    item("UID ");
    append_number(out_, uid);
}

void FetchResponseWriter::flags(std::span<const std::string> flags) {
    item("FLAGS ");
    append_flag_list(out_, flags);
}

void FetchResponseWriter::internal_date(std::int64_t unix_seconds, int zone_minutes) {
    item("INTERNALDATE ");
    append_date_time(out_, unix_seconds, zone_minutes);
}

void FetchResponseWriter::rfc822_size(std::uint64_t octets) {
    item("RFC822.SIZE ");
    append_number(out_, octets);
}

void FetchResponseWriter::modseq(std::uint64_t modseq) {
    item("MODSEQ (");
    append_number(out_, modseq);
    out_ += ')';
}

void FetchResponseWriter::email_id(std::string_view objectid) {
    item("EMAILID (");
    out_ += objectid;
    out_ += ')';
}

void FetchResponseWriter::thread_id(std::optional<std::string_view> id) {
    item("THREADID ");
    if (!id) {
        append_nil(out_);
        return;
    }
    out_ += '(';
    out_ += *id;
    out_ += ')';
}

void FetchResponseWriter::save_date(std::optional<std::int64_t> unix_seconds, int zone_minutes) {
    item("SAVEDATE ");
    if (unix_seconds)
        append_date_time(out_, *unix_seconds, zone_minutes);
    else
        append_nil(out_);
}

void FetchResponseWriter::envelope(const mime::Envelope& envelope) {
    item("ENVELOPE ");
    append_envelope(out_, envelope, mode_);
}

postern::Status FetchResponseWriter::envelope_blob(std::string_view blob) {
    std::string data;
    if (auto st = append_envelope_blob(data, blob, mode_); !st)
        return st;
    item("ENVELOPE ");
    out_ += data;
    return ok();
}

void FetchResponseWriter::body_structure(const mime::MessageStructure& structure, bool extensible) {
    item(extensible ? "BODYSTRUCTURE " : "BODY ");
    append_body_structure(out_, structure, extensible, mode_);
}

postern::Status FetchResponseWriter::body_structure_blob(std::string_view blob, bool extensible) {
    std::string data;
    if (auto st = append_body_structure_blob(data, blob, extensible, mode_); !st)
        return st;
    item(extensible ? "BODYSTRUCTURE " : "BODY ");
    out_ += data;
    return ok();
}

void FetchResponseWriter::preview(std::optional<std::string_view> text) {
    item("PREVIEW ");
    append_nstring(out_, text, mode_);
}

void FetchResponseWriter::binary_size(std::string_view part, std::uint64_t size) {
    item("BINARY.SIZE[");
    out_ += part;
    out_ += "] ";
    append_number(out_, size);
}

void FetchResponseWriter::section_item(std::string_view name, std::string_view section,
                                       std::optional<std::uint32_t> origin) {
    item(name);
    out_ += '[';
    out_ += section;
    out_ += ']';
    if (origin) {
        out_ += '<';
        append_number(out_, *origin);
        out_ += '>';
    }
    out_ += ' ';
}

void FetchResponseWriter::literal_item(std::string_view data, bool literal8) {
    append_literal(out_, data, literal8);
}

void FetchResponseWriter::body_section(std::string_view section,
                                       std::optional<std::uint32_t> origin,
                                       std::optional<std::string_view> data) {
    section_item("BODY", section, origin);
    if (data)
        literal_item(*data, false);
    else
        append_nil(out_);
}

void FetchResponseWriter::binary_section(std::string_view part, std::optional<std::uint32_t> origin,
                                         std::optional<std::string_view> data) {
    section_item("BINARY", part, origin);
    if (data)
        literal_item(*data, contains_nul(*data));
    else
        append_nil(out_);
}

void FetchResponseWriter::rfc822(std::string_view data) {
    item("RFC822 ");
    literal_item(data, false);
}

void FetchResponseWriter::rfc822_header(std::string_view data) {
    item("RFC822.HEADER ");
    literal_item(data, false);
}

void FetchResponseWriter::rfc822_text(std::string_view data) {
    item("RFC822.TEXT ");
    literal_item(data, false);
}

void FetchResponseWriter::begin_body_section(std::string_view section,
                                             std::optional<std::uint32_t> origin,
                                             std::uint64_t size) {
    section_item("BODY", section, origin);
    append_literal_header(out_, size, false);
    literal8_ = false;
    literal_remaining_ = size;
}

void FetchResponseWriter::begin_binary_section(std::string_view part,
                                               std::optional<std::uint32_t> origin,
                                               std::uint64_t size, bool literal8) {
    section_item("BINARY", part, origin);
    append_literal_header(out_, size, literal8);
    literal8_ = literal8;
    literal_remaining_ = size;
}

void FetchResponseWriter::literal_data(std::string_view chunk) {
    assert(chunk.size() <= literal_remaining_ && "more literal data than announced");
    append_literal_data(out_, chunk, literal8_);
    literal_remaining_ -= std::min<std::uint64_t>(chunk.size(), literal_remaining_);
}

void FetchResponseWriter::literal_data_sent(std::uint64_t n) {
    assert(n <= literal_remaining_ && "more literal data than announced");
    literal_remaining_ -= std::min(n, literal_remaining_);
}

void FetchResponseWriter::finish() {
    assert(!finished_ && "finish() called twice");
    assert(literal_remaining_ == 0 && "finish() before the pending literal was complete");
    out_ += ")\r\n";
    finished_ = true;
}

}  // namespace postern::proto::imap
