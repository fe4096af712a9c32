// Test helper for the response writer tests: reads IMAP data (NIL, atoms and numbers, quoted
// strings, literals and literal8, parenthesised lists) back into a tree, and checks a tree
// against the RFC 9051 §9 "body" and "envelope" rules, so generated BODYSTRUCTUREs can be
// verified without writing each one out by hand.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::proto::imap::testing {

struct Value {
    enum class Kind { nil, atom, string, list } kind = Kind::nil;
    std::string text;  // atom or string content
    std::vector<Value> items;

    bool is_nil() const { return kind == Kind::nil; }
    bool is_string() const { return kind == Kind::string; }
    bool is_list() const { return kind == Kind::list; }
    bool is_number() const {
        return kind == Kind::atom && !text.empty() &&
               text.find_first_not_of("0123456789") == std::string::npos;
    }
    bool is_nstring() const { return is_nil() || is_string(); }
};

// Reads one value from `in` at `pos`; nullopt on a syntax error.
inline std::optional<Value> read_value(std::string_view in, std::size_t& pos, int depth = 0) {
    if (pos >= in.size() || depth > 1000)
        return std::nullopt;
    char c = in[pos];
    if (c == '(') {
        Value v{Value::Kind::list, {}, {}};
        ++pos;
        if (pos < in.size() && in[pos] == ')') {
            ++pos;
            return v;
        }
        while (true) {
            auto item = read_value(in, pos, depth + 1);
            if (!item)
                return std::nullopt;
            v.items.push_back(std::move(*item));
            if (pos >= in.size())
                return std::nullopt;
            if (in[pos] == ')') {
                ++pos;
                return v;
            }
            // Bodies of a multipart follow each other with no space ("1*body").
            if (in[pos] == '(' && v.items.back().is_list())
                continue;
            if (in[pos] != ' ')
                return std::nullopt;
            ++pos;
        }
    }
    if (c == '"') {
        Value v{Value::Kind::string, {}, {}};
        for (++pos; pos < in.size(); ++pos) {
            char d = in[pos];
            if (d == '"') {
                ++pos;
                return v;
            }
            if (d == '\r' || d == '\n' || d == '\0')
                return std::nullopt;
            if (d == '\\') {
                if (++pos >= in.size() || (in[pos] != '"' && in[pos] != '\\'))
                    return std::nullopt;
                d = in[pos];
            }
            v.text += d;
        }
        return std::nullopt;
    }
    if (c == '{' || c == '~') {
        bool literal8 = c == '~';
        if (literal8 && (++pos >= in.size() || in[pos] != '{'))
            return std::nullopt;
        std::size_t close = in.find('}', pos);
        if (close == std::string_view::npos || close == pos + 1)
            return std::nullopt;
        std::uint64_t n = 0;
        for (std::size_t i = pos + 1; i < close; ++i) {
            if (in[i] < '0' || in[i] > '9')
                return std::nullopt;
            n = n * 10 + static_cast<std::uint64_t>(in[i] - '0');
        }
        if (in.substr(close + 1, 2) != "\r\n" || close + 3 + n > in.size())
            return std::nullopt;
        Value v{Value::Kind::string, std::string(in.substr(close + 3, n)), {}};
        if (!literal8 && v.text.find('\0') != std::string::npos)
            return std::nullopt;
        pos = close + 3 + n;
        return v;
    }
    std::size_t end = in.find_first_of(" ()\r\n\"{", pos);
    if (end == std::string_view::npos)
        end = in.size();
    if (end == pos)
        return std::nullopt;
    Value v{Value::Kind::atom, std::string(in.substr(pos, end - pos)), {}};
    pos = end;
    if (v.text == "NIL")
        return Value{};
    return v;
}

inline std::optional<Value> read_all(std::string_view in) {
    std::size_t pos = 0;
    auto v = read_value(in, pos);
    if (!v || pos != in.size())
        return std::nullopt;
    return v;
}

inline bool ieq(std::string_view a, std::string_view b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        char x = a[i], y = b[i];
        if (x >= 'A' && x <= 'Z')
            x = static_cast<char>(x + 32);
        if (y >= 'A' && y <= 'Z')
            y = static_cast<char>(y + 32);
        if (x != y)
            return false;
    }
    return true;
}

// body-fld-param: NIL or a non-empty list of string pairs.
inline bool check_params(const Value& v) {
    if (v.is_nil())
        return true;
    if (!v.is_list() || v.items.empty() || v.items.size() % 2 != 0)
        return false;
    for (const auto& i : v.items) {
        if (!i.is_string())
            return false;
    }
    return true;
}

inline bool check_address_list(const Value& v) {
    if (v.is_nil())
        return true;
    if (!v.is_list() || v.items.empty())
        return false;
    for (const auto& a : v.items) {
        if (!a.is_list() || a.items.size() != 4)
            return false;
        for (const auto& f : a.items) {
            if (!f.is_nstring())
                return false;
        }
    }
    return true;
}

inline bool check_envelope(const Value& v) {
    if (!v.is_list() || v.items.size() != 10)
        return false;
    if (!v.items[0].is_nstring() || !v.items[1].is_nstring() || !v.items[8].is_nstring() ||
        !v.items[9].is_nstring())
        return false;
    for (int i = 2; i < 8; ++i) {
        if (!check_address_list(v.items[i]))
            return false;
    }
    return true;
}

// body-fld-dsp body-fld-lang body-fld-loc starting at items[i]; all optional in the grammar,
// but our writer always writes all of them in the extensible form.
inline bool check_ext_tail(const std::vector<Value>& items, std::size_t i) {
    if (items.size() != i + 3)
        return false;
    const Value& dsp = items[i];
    if (!dsp.is_nil() && !(dsp.is_list() && dsp.items.size() == 2 && dsp.items[0].is_string() &&
                           check_params(dsp.items[1])))
        return false;
    const Value& lang = items[i + 1];
    if (lang.is_list()) {
        if (lang.items.empty())
            return false;
        for (const auto& l : lang.items) {
            if (!l.is_string())
                return false;
        }
    } else if (!lang.is_nstring()) {
        return false;
    }
    return items[i + 2].is_nstring();
}

// RFC 9051 §9 body, in the BODY (`ext` false) or BODYSTRUCTURE form; `parts` counts the
// bodies seen.
inline bool check_body(const Value& v, bool ext, int& parts, bool rev2 = false) {
    if (!v.is_list() || v.items.empty())
        return false;
    ++parts;
    const auto& it = v.items;
    if (it[0].is_list()) {  // body-type-mpart
        std::size_t n = 0;
        while (n < it.size() && it[n].is_list()) {
            if (!check_body(it[n], ext, parts, rev2))
                return false;
            ++n;
        }
        if (n >= it.size() || !it[n].is_string())
            return false;
        if (!ext)
            return it.size() == n + 1;
        return it.size() > n + 1 && check_params(it[n + 1]) && check_ext_tail(it, n + 2);
    }
    if (it.size() < 7 || !it[0].is_string() || !it[1].is_string() || !check_params(it[2]) ||
        !it[3].is_nstring() || !it[4].is_nstring() || !it[5].is_string() || !it[6].is_number())
        return false;
    std::size_t next = 7;
    if (ieq(it[0].text, "text")) {
        if (it.size() < 8 || !it[7].is_number())
            return false;
        next = 8;
    } else if (ieq(it[0].text, "message") &&
               (ieq(it[1].text, "rfc822") || (rev2 && ieq(it[1].text, "global")))) {
        if (it.size() < 10 || !check_envelope(it[7]) || !check_body(it[8], ext, parts, rev2) ||
            !it[9].is_number())
            return false;
        next = 10;
    }
    if (!ext)
        return it.size() == next;
    return it.size() > next && it[next].is_nstring() && check_ext_tail(it, next + 1);
}

}  // namespace postern::proto::imap::testing
