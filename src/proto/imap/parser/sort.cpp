// SORT and THREAD (RFC 5256 §3, §5 formal syntax): sort criteria with REVERSE, DISPLAYFROM and
// DISPLAYTO (RFC 5957 §3), ESORT RETURN options (RFC 5267 §3), thread algorithm, charset and
// search keys.
#include <array>

#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

constexpr std::array<std::pair<std::string_view, SortKey>, 9> kSortKeys = {{
    {"ARRIVAL", SortKey::arrival},
    {"CC", SortKey::cc},
    {"DATE", SortKey::date},
    {"FROM", SortKey::from},
    {"SIZE", SortKey::size},
    {"SUBJECT", SortKey::subject},
    {"TO", SortKey::to},
    {"DISPLAYFROM", SortKey::display_from},
    {"DISPLAYTO", SortKey::display_to},
}};

// charset SP search-key *(SP search-key): `charset` is atom / quoted.
Step parse_criteria(Reader& r, std::string& charset, SearchProgram& program) {
    if (r.peek() == '{' || r.peek() == '~')
        return syntax_error("Invalid charset");
    auto cs = r.astring("charset");
    if (!cs)
        return std::unexpected(cs.error());
    charset = to_upper(cs->value);
    if (auto s = r.sp(); !s)
        return s;
    auto keys = parse_search_program(r);
    if (!keys)
        return std::unexpected(keys.error());
    program = std::move(*keys);
    return {};
}

}  // namespace

Parsed<CommandArgs> parse_sort(Reader& r, const CommandContext&) {
    Sort sort;
    auto ret = parse_search_return(r, true);
    if (!ret)
        return std::unexpected(ret.error());
    sort.ret = *ret;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto criteria = r.list("sort criteria", false, [&]() -> Step {
        SortCriterion c;
        if (r.accept_keyword("REVERSE")) {
            c.reverse = true;
            if (auto s = r.sp(); !s)
                return s;
        }
        auto word = r.atom("sort key");
        if (!word)
            return std::unexpected(word.error());
        for (const auto& [name, key] : kSortKeys) {
            if (iequals(name, *word)) {
                c.key = key;
                sort.criteria.push_back(c);
                return {};
            }
        }
        return syntax_error("Unknown sort key " + to_upper(word->substr(0, 32)));
    });
    if (!criteria)
        return std::unexpected(criteria.error());
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (auto s = parse_criteria(r, sort.charset, sort.program); !s)
        return std::unexpected(s.error());
    return sort;
}

Parsed<CommandArgs> parse_thread(Reader& r, const CommandContext&) {
    Thread thread;
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto algorithm = r.atom("thread algorithm");
    if (!algorithm)
        return std::unexpected(algorithm.error());
    thread.algorithm = to_upper(*algorithm);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    if (auto s = parse_criteria(r, thread.charset, thread.program); !s)
        return std::unexpected(s.error());
    return thread;
}

}  // namespace postern::proto::imap::detail
