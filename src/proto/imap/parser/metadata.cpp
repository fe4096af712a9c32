// METADATA commands (RFC 5464 §4.2-§4.3, §5 formal syntax): GETMETADATA with MAXSIZE and DEPTH
// options and one or more entries, SETMETADATA with string, NIL or literal8 values.
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

Parsed<std::string> parse_entry(Reader& r) {
    auto entry = r.astring("metadata entry");
    if (!entry)
        return std::unexpected(entry.error());
    if (entry->value.empty() || entry->value.front() != '/')
        return syntax_error("Invalid metadata entry name");
    return std::move(entry->value);
}

Step parse_options(Reader& r, GetMetadata& get) {
    bool size_seen = false;
    bool depth_seen = false;
    return r.list("GETMETADATA options", false, [&]() -> Step {
        if (r.accept_keyword("MAXSIZE")) {
            if (size_seen)
                return syntax_error("MAXSIZE given twice");
            size_seen = true;
            if (auto s = r.sp(); !s)
                return s;
            auto n = r.number("MAXSIZE");
            if (!n)
                return std::unexpected(n.error());
            get.max_size = *n;
            return {};
        }
        if (r.accept_keyword("DEPTH")) {
            if (depth_seen)
                return syntax_error("DEPTH given twice");
            depth_seen = true;
            if (auto s = r.sp(); !s)
                return s;
            if (r.accept_keyword("0"))
                get.depth = MetadataDepth::zero;
            else if (r.accept_keyword("1"))
                get.depth = MetadataDepth::one;
            else if (r.accept_keyword("INFINITY"))
                get.depth = MetadataDepth::infinity;
            else
                return syntax_error("Invalid DEPTH");
            return {};
        }
        auto word = r.atom("GETMETADATA option");
        if (!word)
            return std::unexpected(word.error());
        return syntax_error("Unknown GETMETADATA option " + to_upper(word->substr(0, 32)));
    });
}

}  // namespace

Parsed<CommandArgs> parse_getmetadata(Reader& r, const CommandContext&) {
    GetMetadata get;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        if (auto s = parse_options(r, get); !s)
            return std::unexpected(s.error());
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
    }
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    get.mailbox = std::move(*mailbox);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.peek() == '(') {
        auto s = r.list("metadata entries", false, [&]() -> Step {
            auto entry = parse_entry(r);
            if (!entry)
                return std::unexpected(entry.error());
            get.entries.push_back(std::move(*entry));
            return {};
        });
        if (!s)
            return std::unexpected(s.error());
    } else {
        auto entry = parse_entry(r);
        if (!entry)
            return std::unexpected(entry.error());
        get.entries.push_back(std::move(*entry));
    }
    return get;
}

Parsed<CommandArgs> parse_setmetadata(Reader& r, const CommandContext&) {
    SetMetadata set;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    set.mailbox = std::move(*mailbox);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto s = r.list("metadata entries", false, [&]() -> Step {
        auto entry = parse_entry(r);
        if (!entry)
            return std::unexpected(entry.error());
        if (auto sp = r.sp(); !sp)
            return sp;
        MetadataEntry e{std::move(*entry), std::nullopt};
        if (r.peek() == '~') {
            auto value = r.literal(true);
            if (!value)
                return std::unexpected(value.error());
            e.value = std::move(value->value);
        } else {
            auto value = r.nstring("metadata value");
            if (!value)
                return std::unexpected(value.error());
            if (*value)
                e.value = std::move((*value)->value);
        }
        set.entries.push_back(std::move(e));
        return {};
    });
    if (!s)
        return std::unexpected(s.error());
    return set;
}

}  // namespace postern::proto::imap::detail
