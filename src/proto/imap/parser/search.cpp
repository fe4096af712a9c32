// SEARCH and UID SEARCH (RFC 9051 §6.4.4): CHARSET, RETURN options (ESEARCH RFC 4731 §3.1,
// SEARCHRES RFC 5182 §2.1), every search key of RFC 9051 and RFC 3501 (NEW, OLD, RECENT), MODSEQ
// (RFC 7162 §3.1.5), OLDER/YOUNGER (RFC 5032 §3), SAVEDBEFORE/SAVEDON/SAVEDSINCE/
// SAVEDATESUPPORTED (RFC 8514 §4.2), EMAILID/THREADID (RFC 8474 §6). Keys are read without
// recursion into a flat tree, so nesting costs no stack and is bounded by ParserLimits.
#include <array>

#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

enum class Arg : std::uint8_t {
    none,
    string,
    header,
    keyword,
    date,
    number,
    seconds,
    set,
    modseq,
    objectid
};

struct KeyRule {
    std::string_view name;
    SearchKeyKind kind;
    Arg arg;
};

constexpr std::array<KeyRule, 42> kKeys = {{
    {"ALL", SearchKeyKind::all, Arg::none},
    {"ANSWERED", SearchKeyKind::answered, Arg::none},
    {"DELETED", SearchKeyKind::deleted, Arg::none},
    {"DRAFT", SearchKeyKind::draft, Arg::none},
    {"FLAGGED", SearchKeyKind::flagged, Arg::none},
    {"NEW", SearchKeyKind::new_, Arg::none},
    {"OLD", SearchKeyKind::old, Arg::none},
    {"RECENT", SearchKeyKind::recent, Arg::none},
    {"SEEN", SearchKeyKind::seen, Arg::none},
    {"UNANSWERED", SearchKeyKind::unanswered, Arg::none},
    {"UNDELETED", SearchKeyKind::undeleted, Arg::none},
    {"UNDRAFT", SearchKeyKind::undraft, Arg::none},
    {"UNFLAGGED", SearchKeyKind::unflagged, Arg::none},
    {"UNSEEN", SearchKeyKind::unseen, Arg::none},
    {"SAVEDATESUPPORTED", SearchKeyKind::savedatesupported, Arg::none},
    {"BCC", SearchKeyKind::bcc, Arg::string},
    {"BODY", SearchKeyKind::body, Arg::string},
    {"CC", SearchKeyKind::cc, Arg::string},
    {"FROM", SearchKeyKind::from, Arg::string},
    {"SUBJECT", SearchKeyKind::subject, Arg::string},
    {"TEXT", SearchKeyKind::text, Arg::string},
    {"TO", SearchKeyKind::to, Arg::string},
    {"HEADER", SearchKeyKind::header, Arg::header},
    {"KEYWORD", SearchKeyKind::keyword, Arg::keyword},
    {"UNKEYWORD", SearchKeyKind::unkeyword, Arg::keyword},
    {"EMAILID", SearchKeyKind::emailid, Arg::objectid},
    {"THREADID", SearchKeyKind::threadid, Arg::objectid},
    {"BEFORE", SearchKeyKind::before, Arg::date},
    {"ON", SearchKeyKind::on, Arg::date},
    {"SINCE", SearchKeyKind::since, Arg::date},
    {"SENTBEFORE", SearchKeyKind::sentbefore, Arg::date},
    {"SENTON", SearchKeyKind::senton, Arg::date},
    {"SENTSINCE", SearchKeyKind::sentsince, Arg::date},
    {"SAVEDBEFORE", SearchKeyKind::savedbefore, Arg::date},
    {"SAVEDON", SearchKeyKind::savedon, Arg::date},
    {"SAVEDSINCE", SearchKeyKind::savedsince, Arg::date},
    {"LARGER", SearchKeyKind::larger, Arg::number},
    {"SMALLER", SearchKeyKind::smaller, Arg::number},
    {"OLDER", SearchKeyKind::older, Arg::seconds},
    {"YOUNGER", SearchKeyKind::younger, Arg::seconds},
    {"MODSEQ", SearchKeyKind::modseq, Arg::modseq},
    {"UID", SearchKeyKind::uid, Arg::set},
}};

bool is_objectid_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-';
}

Step parse_modseq(Reader& r, SearchKey& key) {
    // "MODSEQ" [SP entry-name SP entry-type-req] SP mod-sequence-valzer (RFC 7162 §3.1.5).
    if (r.peek() == '"') {
        auto name = r.quoted();
        if (!name)
            return std::unexpected(name.error());
        if (!istarts_with(name->value, "/flags/"))
            return syntax_error("Invalid MODSEQ entry name");
        key.field = std::move(name->value);
        if (auto s = r.sp(); !s)
            return s;
        if (r.accept_keyword("PRIV"))
            key.entry_type = ModseqEntryType::priv;
        else if (r.accept_keyword("SHARED"))
            key.entry_type = ModseqEntryType::shared;
        else if (r.accept_keyword("ALL"))
            key.entry_type = ModseqEntryType::all;
        else
            return syntax_error("Invalid MODSEQ entry type");
        if (auto s = r.sp(); !s)
            return s;
    }
    auto n = r.number64("MODSEQ");
    if (!n)
        return std::unexpected(n.error());
    key.number = *n;
    return {};
}

// A key that is neither "(", OR nor NOT.
Step parse_leaf(Reader& r, SearchKey& key) {
    const char c = r.peek();
    if ((c >= '0' && c <= '9') || c == '*' || c == '$') {
        auto set = r.sequence_set();
        if (!set)
            return std::unexpected(set.error());
        key.kind = SearchKeyKind::sequence_set;
        key.set = std::move(*set);
        return {};
    }
    auto word = r.atom("search key");
    if (!word) {
        if (c == ')')
            return syntax_error("Empty search key list");
        return std::unexpected(word.error());
    }
    const KeyRule* rule = nullptr;
    for (const auto& k : kKeys) {
        if (iequals(k.name, *word)) {
            rule = &k;
            break;
        }
    }
    if (!rule)
        return syntax_error("Unknown search key " + to_upper(word->substr(0, 32)));
    key.kind = rule->kind;
    if (rule->arg == Arg::none)
        return {};
    if (auto s = r.sp(); !s)
        return s;
    switch (rule->arg) {
        case Arg::string: {
            auto v = r.astring("search string");
            if (!v)
                return std::unexpected(v.error());
            key.value = std::move(v->value);
            return {};
        }
        case Arg::header: {
            auto field = r.astring("header field name");
            if (!field)
                return std::unexpected(field.error());
            if (auto s = r.sp(); !s)
                return s;
            auto v = r.astring("search string");
            if (!v)
                return std::unexpected(v.error());
            key.field = std::move(field->value);
            key.value = std::move(v->value);
            return {};
        }
        case Arg::keyword: {
            auto flag = r.atom("keyword");
            if (!flag)
                return std::unexpected(flag.error());
            key.field = std::string(*flag);
            return {};
        }
        case Arg::objectid: {
            auto id = r.chars_while(is_objectid_char, "object id");
            if (!id)
                return std::unexpected(id.error());
            if (id->size() > 255)
                return syntax_error("Object id too long");
            key.value = std::string(*id);
            return {};
        }
        case Arg::date: {
            auto d = r.date();
            if (!d)
                return std::unexpected(d.error());
            key.date = *d;
            return {};
        }
        case Arg::number: {
            auto n = r.number64("size");
            if (!n)
                return std::unexpected(n.error());
            key.number = *n;
            return {};
        }
        case Arg::seconds: {
            auto n = r.nz_number("interval");
            if (!n)
                return std::unexpected(n.error());
            key.number = *n;
            return {};
        }
        case Arg::set: {
            auto set = r.sequence_set();
            if (!set)
                return std::unexpected(set.error());
            key.set = std::move(*set);
            return {};
        }
        case Arg::modseq:
            return parse_modseq(r, key);
        case Arg::none:
            break;
    }
    return {};
}

enum class FrameKind : std::uint8_t { top, group, or_, not_ };

struct Frame {
    std::uint32_t node;
    FrameKind kind;
};

}  // namespace

Parsed<SearchProgram> parse_search_program(Reader& r) {
    const ParserLimits& limits = r.limits();
    SearchProgram program;
    program.keys.push_back(SearchKey{SearchKeyKind::and_});
    std::vector<Frame> stack{{0, FrameKind::top}};
    auto add = [&](SearchKeyKind kind) -> Parsed<std::uint32_t> {
        // keys[0] is the implicit root, not a key the client sent.
        if (program.keys.size() > limits.max_search_keys)
            return limit_error("Too many search keys");
        const auto index = static_cast<std::uint32_t>(program.keys.size());
        program.keys[stack.back().node].children.push_back(index);
        program.keys.push_back(SearchKey{kind});
        return index;
    };
    auto push = [&](std::uint32_t node, FrameKind kind) -> Step {
        if (stack.size() > limits.max_search_depth)
            return limit_error("Search keys nested too deeply");
        stack.push_back(Frame{node, kind});
        return {};
    };
    while (true) {
        // One key starts here.
        if (r.accept('(')) {
            auto node = add(SearchKeyKind::and_);
            if (!node)
                return std::unexpected(node.error());
            if (auto s = push(*node, FrameKind::group); !s)
                return std::unexpected(s.error());
            if (r.peek() == ')')
                return syntax_error("Empty search key list");
            continue;
        }
        const bool is_or = r.accept_keyword("OR");
        if (is_or || r.accept_keyword("NOT")) {
            auto node = add(is_or ? SearchKeyKind::or_ : SearchKeyKind::not_);
            if (!node)
                return std::unexpected(node.error());
            if (auto s = push(*node, is_or ? FrameKind::or_ : FrameKind::not_); !s)
                return std::unexpected(s.error());
            if (auto s = r.sp(); !s)
                return std::unexpected(s.error());
            continue;
        }
        auto node = add(SearchKeyKind::all);
        if (!node)
            return std::unexpected(node.error());
        if (auto s = parse_leaf(r, program.keys[*node]); !s)
            return std::unexpected(s.error());
        // The key is complete: close what it completes, then expect the separator.
        while (true) {
            const Frame& top = stack.back();
            const std::size_t have = program.keys[top.node].children.size();
            if ((top.kind == FrameKind::or_ && have == 2) ||
                (top.kind == FrameKind::not_ && have == 1)) {
                stack.pop_back();
                continue;
            }
            if (top.kind == FrameKind::group && r.accept(')')) {
                stack.pop_back();
                continue;
            }
            if (top.kind == FrameKind::top && r.at_end())
                return program;
            break;
        }
        if (auto s = r.sp(); !s) {
            if (r.at_end())
                return syntax_error("Missing search key");
            return std::unexpected(s.error());
        }
    }
}

Parsed<SearchReturn> parse_search_return(Reader& r, bool) {
    SearchReturn ret;
    const std::size_t start = r.position();
    if (!r.accept(' ') || !r.accept_keyword("RETURN")) {
        r.rewind(start);
        return ret;
    }
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    ret.given = true;
    auto s = r.list("RETURN options", true, [&]() -> Step {
        if (r.accept_keyword("MIN"))
            ret.options |= search_return::min;
        else if (r.accept_keyword("MAX"))
            ret.options |= search_return::max;
        else if (r.accept_keyword("ALL"))
            ret.options |= search_return::all;
        else if (r.accept_keyword("COUNT"))
            ret.options |= search_return::count;
        else if (r.accept_keyword("SAVE"))
            ret.options |= search_return::save;
        else {
            auto word = r.atom("RETURN option");
            if (!word)
                return std::unexpected(word.error());
            return syntax_error("Unknown RETURN option " + to_upper(word->substr(0, 32)));
        }
        return {};
    });
    if (!s)
        return std::unexpected(s.error());
    return ret;
}

Parsed<CommandArgs> parse_search(Reader& r, const CommandContext&) {
    Search search;
    auto ret = parse_search_return(r, false);
    if (!ret)
        return std::unexpected(ret.error());
    search.ret = *ret;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (r.accept_keyword("CHARSET")) {
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
        auto charset = r.astring("charset");
        if (!charset || charset->form == StringForm::literal)
            return syntax_error("Invalid CHARSET");
        search.charset = to_upper(charset->value);
        if (auto s = r.sp(); !s)
            return std::unexpected(s.error());
    }
    auto program = parse_search_program(r);
    if (!program)
        return std::unexpected(program.error());
    search.program = std::move(*program);
    return search;
}

}  // namespace postern::proto::imap::detail
