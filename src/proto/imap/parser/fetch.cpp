// FETCH and UID FETCH (RFC 9051 §6.4.5, §9 fetch-att, section-spec, partial): macros, BODY[...]
// and BODY.PEEK sections, RFC822.* (RFC 3501), BINARY/BINARY.PEEK/BINARY.SIZE (RFC 3516 §4.2),
// MODSEQ and the CHANGEDSINCE/VANISHED modifiers (RFC 7162 §3.1.4, §3.2.6), EMAILID/THREADID
// (RFC 8474 §5), SAVEDATE (RFC 8514 §4.1), PREVIEW (LAZY) (RFC 8970 §3).
#include <array>

#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

bool is_name_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

constexpr std::array<std::pair<std::string_view, FetchAttr>, 13> kSimple = {{
    {"ENVELOPE", FetchAttr::envelope},
    {"FLAGS", FetchAttr::flags},
    {"INTERNALDATE", FetchAttr::internaldate},
    {"RFC822", FetchAttr::rfc822},
    {"RFC822.HEADER", FetchAttr::rfc822_header},
    {"RFC822.SIZE", FetchAttr::rfc822_size},
    {"RFC822.TEXT", FetchAttr::rfc822_text},
    {"BODYSTRUCTURE", FetchAttr::bodystructure},
    {"UID", FetchAttr::uid},
    {"MODSEQ", FetchAttr::modseq},
    {"EMAILID", FetchAttr::emailid},
    {"THREADID", FetchAttr::threadid},
    {"SAVEDATE", FetchAttr::savedate},
}};

Step parse_header_list(Reader& r, Section& section) {
    return r.list("header list", false, [&]() -> Step {
        auto name = r.astring("header field name");
        if (!name)
            return std::unexpected(name.error());
        section.fields.push_back(to_upper(name->value));
        return {};
    });
}

// "[" [section-spec] "]" (binary: "[" [section-part] "]").
Step parse_section(Reader& r, Section& section, bool binary) {
    if (auto s = r.expect('[', "section"); !s)
        return s;
    if (r.accept(']'))
        return {};
    bool after_part = false;
    if (is_digit(r.peek())) {
        while (true) {
            if (section.part.size() >= r.limits().max_list_items)
                return limit_error("Section part too deep");
            auto n = r.nz_number("section part");
            if (!n)
                return std::unexpected(n.error());
            section.part.push_back(*n);
            if (!r.accept('.'))
                break;
            if (!is_digit(r.peek())) {
                after_part = true;
                break;
            }
        }
        if (!after_part)
            return r.expect(']', "section");
    }
    if (binary)
        return syntax_error("BINARY sections take only part numbers");
    auto name = r.chars_while(is_name_char, "section text");
    if (!name)
        return std::unexpected(name.error());
    if (iequals(*name, "HEADER")) {
        section.text = SectionText::header;
    } else if (iequals(*name, "TEXT")) {
        section.text = SectionText::text;
    } else if (iequals(*name, "MIME") && after_part) {
        section.text = SectionText::mime;
    } else if (iequals(*name, "HEADER.FIELDS") || iequals(*name, "HEADER.FIELDS.NOT")) {
        section.text =
            name->size() == 13 ? SectionText::header_fields : SectionText::header_fields_not;
        if (auto s = r.sp(); !s)
            return s;
        if (auto s = parse_header_list(r, section); !s)
            return s;
    } else {
        return syntax_error("Invalid section " + to_upper(name->substr(0, 32)));
    }
    return r.expect(']', "section");
}

Step parse_partial(Reader& r, FetchItem& item) {
    if (!r.accept('<'))
        return {};
    auto offset = r.number("partial offset");
    if (!offset)
        return std::unexpected(offset.error());
    if (auto s = r.expect('.', "partial"); !s)
        return s;
    auto length = r.nz_number("partial length");
    if (!length)
        return std::unexpected(length.error());
    item.partial = Partial{*offset, *length};
    return r.expect('>', "partial");
}

// " (LAZY)" after PREVIEW, told apart from the FETCH modifiers that may follow a lone PREVIEW.
Step parse_preview_modifiers(Reader& r, FetchItem& item) {
    const std::size_t start = r.position();
    if (!r.accept(' ') || !r.accept('(') || !r.accept_keyword("LAZY")) {
        r.rewind(start);
        return {};
    }
    item.lazy = true;
    while (r.accept(' ')) {
        if (!r.accept_keyword("LAZY"))
            return syntax_error("Unknown PREVIEW modifier");
    }
    return r.expect(')', "PREVIEW modifiers");
}

}  // namespace

Step parse_fetch_att(Reader& r, std::vector<FetchItem>& out) {
    auto name = r.chars_while(is_name_char, "FETCH attribute");
    if (!name)
        return std::unexpected(name.error());
    FetchItem item;
    for (const auto& [keyword, attr] : kSimple) {
        if (iequals(keyword, *name)) {
            item.attr = attr;
            item.peek = attr == FetchAttr::rfc822_header;
            out.push_back(std::move(item));
            return {};
        }
    }
    const bool body = iequals(*name, "BODY");
    if (body && r.peek() != '[') {
        item.attr = FetchAttr::body;
        out.push_back(std::move(item));
        return {};
    }
    if (body || iequals(*name, "BODY.PEEK")) {
        item.attr = FetchAttr::body_section;
        item.peek = !body;
        if (auto s = parse_section(r, item.section, false); !s)
            return s;
        if (auto s = parse_partial(r, item); !s)
            return s;
    } else if (iequals(*name, "BINARY") || iequals(*name, "BINARY.PEEK")) {
        item.attr = FetchAttr::binary;
        item.peek = name->size() > 6;
        if (auto s = parse_section(r, item.section, true); !s)
            return s;
        if (auto s = parse_partial(r, item); !s)
            return s;
    } else if (iequals(*name, "BINARY.SIZE")) {
        item.attr = FetchAttr::binary_size;
        if (auto s = parse_section(r, item.section, true); !s)
            return s;
    } else if (iequals(*name, "PREVIEW")) {
        item.attr = FetchAttr::preview;
        if (auto s = parse_preview_modifiers(r, item); !s)
            return s;
    } else {
        return syntax_error("Unknown FETCH attribute " + to_upper(name->substr(0, 32)));
    }
    out.push_back(std::move(item));
    return {};
}

namespace {

void expand_macro(FetchMacro macro, std::vector<FetchItem>& items) {
    // RFC 9051 §6.4.5: FAST = (FLAGS INTERNALDATE RFC822.SIZE), ALL = FAST + ENVELOPE,
    // FULL = ALL + BODY.
    auto add = [&](FetchAttr a) { items.push_back(FetchItem{a}); };
    add(FetchAttr::flags);
    add(FetchAttr::internaldate);
    add(FetchAttr::rfc822_size);
    if (macro == FetchMacro::fast)
        return;
    add(FetchAttr::envelope);
    if (macro == FetchMacro::full)
        add(FetchAttr::body);
}

Step parse_modifiers(Reader& r, Fetch& fetch) {
    return r.list("FETCH modifiers", false, [&]() -> Step {
        if (r.accept_keyword("CHANGEDSINCE")) {
            if (fetch.changed_since)
                return syntax_error("CHANGEDSINCE given twice");
            if (auto s = r.sp(); !s)
                return s;
            auto modseq = r.number64("CHANGEDSINCE");
            if (!modseq)
                return std::unexpected(modseq.error());
            fetch.changed_since = *modseq;
            return {};
        }
        if (r.accept_keyword("VANISHED")) {
            fetch.vanished = true;
            return {};
        }
        auto word = r.atom("FETCH modifier");
        if (!word)
            return std::unexpected(word.error());
        return syntax_error("Unknown FETCH modifier " + to_upper(word->substr(0, 32)));
    });
}

}  // namespace

Parsed<CommandArgs> parse_fetch(Reader& r, const CommandContext& ctx) {
    Fetch fetch;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto set = r.sequence_set();
    if (!set)
        return std::unexpected(set.error());
    fetch.set = std::move(*set);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        auto s = r.list("FETCH attributes", false,
                        [&]() -> Step { return parse_fetch_att(r, fetch.items); });
        if (!s)
            return std::unexpected(s.error());
    } else if (r.accept_keyword("ALL")) {
        fetch.macro = FetchMacro::all;
    } else if (r.accept_keyword("FAST")) {
        fetch.macro = FetchMacro::fast;
    } else if (r.accept_keyword("FULL")) {
        fetch.macro = FetchMacro::full;
    } else if (auto s = parse_fetch_att(r, fetch.items); !s) {
        return std::unexpected(s.error());
    }
    if (fetch.macro != FetchMacro::none)
        expand_macro(fetch.macro, fetch.items);
    if (!r.at_end()) {
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        if (auto s = parse_modifiers(r, fetch); !s)
            return std::unexpected(s.error());
    }
    if (fetch.vanished && (!ctx.uid || !fetch.changed_since))
        return syntax_error("VANISHED needs UID FETCH with CHANGEDSINCE");
    return fetch;
}

}  // namespace postern::proto::imap::detail
