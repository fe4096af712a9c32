// Comparators and match types: RFC 5228 §2.7, RFC 4790 §9.2-§9.3, RFC 5231 §4-§5.
#include "filter/sieve/match.h"

#include <algorithm>
#include <cctype>

#include <regex.h>
#include <unicode/unistr.h>

namespace postern::sieve {

namespace {

char fold(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool char_eq(Comparator c, char a, char b) {
    return c == Comparator::octet ? a == b : fold(a) == fold(b);
}

// i;ascii-numeric: the leading digits as a number; no digits is positive infinity.
int numeric_compare(std::string_view a, std::string_view b) {
    auto digits = [](std::string_view s) {
        std::size_t n = 0;
        while (n < s.size() && std::isdigit(static_cast<unsigned char>(s[n])))
            ++n;
        return s.substr(0, n);
    };
    std::string_view da = digits(a), db = digits(b);
    bool inf_a = da.empty(), inf_b = db.empty();
    if (inf_a || inf_b)
        return inf_a == inf_b ? 0 : (inf_a ? 1 : -1);
    while (da.size() > 1 && da[0] == '0')
        da.remove_prefix(1);
    while (db.size() > 1 && db[0] == '0')
        db.remove_prefix(1);
    if (da.size() != db.size())
        return da.size() < db.size() ? -1 : 1;
    int r = da.compare(db);
    return r < 0 ? -1 : (r > 0 ? 1 : 0);
}

}  // namespace

std::optional<Comparator> comparator_from_name(std::string_view name) {
    std::string n(name);
    std::transform(n.begin(), n.end(), n.begin(), [](char ch) { return fold(ch); });
    if (n == "i;ascii-casemap")
        return Comparator::ascii_casemap;
    if (n == "i;octet")
        return Comparator::octet;
    if (n == "i;ascii-numeric")
        return Comparator::ascii_numeric;
    if (n == "i;unicode-casemap")
        return Comparator::unicode_casemap;
    return std::nullopt;
}

std::optional<Relation> relation_from_name(std::string_view name) {
    std::string n(name);
    std::transform(n.begin(), n.end(), n.begin(), [](char ch) { return fold(ch); });
    if (n == "gt")
        return Relation::gt;
    if (n == "ge")
        return Relation::ge;
    if (n == "lt")
        return Relation::lt;
    if (n == "le")
        return Relation::le;
    if (n == "eq")
        return Relation::eq;
    if (n == "ne")
        return Relation::ne;
    return std::nullopt;
}

int compare(Comparator c, std::string_view a, std::string_view b) {
    if (c == Comparator::ascii_numeric)
        return numeric_compare(a, b);
    std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        unsigned char x = static_cast<unsigned char>(c == Comparator::octet ? a[i] : fold(a[i]));
        unsigned char y = static_cast<unsigned char>(c == Comparator::octet ? b[i] : fold(b[i]));
        if (x != y)
            return x < y ? -1 : 1;
    }
    if (a.size() == b.size())
        return 0;
    return a.size() < b.size() ? -1 : 1;
}

bool relation_holds(Relation r, int cmp) {
    switch (r) {
        case Relation::gt:
            return cmp > 0;
        case Relation::ge:
            return cmp >= 0;
        case Relation::lt:
            return cmp < 0;
        case Relation::le:
            return cmp <= 0;
        case Relation::eq:
            return cmp == 0;
        case Relation::ne:
            return cmp != 0;
    }
    return false;
}

bool contains(Comparator c, std::string_view value, std::string_view key) {
    if (key.empty())
        return true;
    if (key.size() > value.size())
        return false;
    for (std::size_t i = 0; i + key.size() <= value.size(); ++i) {
        std::size_t j = 0;
        while (j < key.size() && char_eq(c, value[i + j], key[j]))
            ++j;
        if (j == key.size())
            return true;
    }
    return false;
}

namespace {

struct PatternItem {
    enum Kind { literal, any_one, any_many } kind;
    char ch;
};

// Backtracking glob with capture of each wildcard; iterative over '*' positions keeps it
// linear-ish for typical patterns, and the recursion depth is bounded by the '*' count.
bool glob_rec(Comparator c, std::string_view v, std::size_t vi, const std::vector<PatternItem>& p,
              std::size_t pi, std::vector<std::pair<std::size_t, std::size_t>>& spans,
              std::size_t& budget) {
    while (pi < p.size()) {
        if (budget == 0)
            return false;
        --budget;
        const PatternItem& it = p[pi];
        if (it.kind == PatternItem::literal) {
            if (vi >= v.size() || !char_eq(c, v[vi], it.ch))
                return false;
            ++vi;
            ++pi;
        } else if (it.kind == PatternItem::any_one) {
            if (vi >= v.size())
                return false;
            spans.emplace_back(vi, 1);
            ++vi;
            ++pi;
        } else {
            // '*': try the shortest match first (RFC 5229 §3.2: leftmost-shortest... each
            // '*' matches as little as possible so the later ones see the rest).
            std::size_t mark = spans.size();
            for (std::size_t len = 0; vi + len <= v.size(); ++len) {
                spans.resize(mark);
                spans.emplace_back(vi, len);
                if (glob_rec(c, v, vi + len, p, pi + 1, spans, budget))
                    return true;
                if (budget == 0)
                    return false;
            }
            spans.resize(mark);
            return false;
        }
    }
    return vi == v.size();
}

}  // namespace

bool glob_match(Comparator c, std::string_view value, std::string_view pattern,
                std::vector<std::string>* captures) {
    std::vector<PatternItem> items;
    items.reserve(pattern.size());
    for (std::size_t i = 0; i < pattern.size(); ++i) {
        char ch = pattern[i];
        if (ch == '\\' && i + 1 < pattern.size()) {
            items.push_back({PatternItem::literal, pattern[++i]});
        } else if (ch == '*') {
            if (!items.empty() && items.back().kind == PatternItem::any_many && !captures)
                continue;
            items.push_back({PatternItem::any_many, 0});
        } else if (ch == '?') {
            items.push_back({PatternItem::any_one, 0});
        } else {
            items.push_back({PatternItem::literal, ch});
        }
    }
    std::vector<std::pair<std::size_t, std::size_t>> spans;
    std::size_t budget = 1'000'000;
    if (!glob_rec(c, value, 0, items, 0, spans, budget))
        return false;
    if (captures) {
        captures->clear();
        captures->emplace_back(value);
        for (auto [pos, len] : spans)
            captures->emplace_back(value.substr(pos, len));
    }
    return true;
}

bool regex_valid(std::string_view pattern) {
    regex_t re;
    std::string p(pattern);
    if (regcomp(&re, p.c_str(), REG_EXTENDED) != 0)
        return false;
    regfree(&re);
    return true;
}

std::optional<bool> regex_match(Comparator c, std::string_view value, std::string_view pattern,
                                std::vector<std::string>* captures) {
    regex_t re;
    std::string p(pattern);
    int flags = REG_EXTENDED;
    if (c != Comparator::octet)
        flags |= REG_ICASE;
    if (!captures)
        flags |= REG_NOSUB;
    if (regcomp(&re, p.c_str(), flags) != 0)
        return std::nullopt;
    std::string v(value);
    regmatch_t m[64];
    bool ok = regexec(&re, v.c_str(), captures ? 64 : 0, captures ? m : nullptr, 0) == 0;
    if (ok && captures) {
        captures->clear();
        for (int k = 0; k < 64; ++k) {
            if (m[k].rm_so < 0) {
                captures->emplace_back();
            } else {
                captures->emplace_back(v.substr(static_cast<std::size_t>(m[k].rm_so),
                                                static_cast<std::size_t>(m[k].rm_eo - m[k].rm_so)));
            }
        }
        while (captures->size() > 1 && captures->back().empty())
            captures->pop_back();
    }
    regfree(&re);
    return ok;
}

std::string unicode_fold(std::string_view text) {
    icu::UnicodeString u = icu::UnicodeString::fromUTF8(
        icu::StringPiece(text.data(), static_cast<std::int32_t>(text.size())));
    u.foldCase();
    std::string out;
    u.toUTF8String(out);
    return out;
}

}  // namespace postern::sieve
