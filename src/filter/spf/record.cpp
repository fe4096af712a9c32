// SPF record selection and syntax (RFC 7208 §4.5, §4.6.1, §5, §6, §12 ABNF).
#include "filter/spf/record.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace postern::filter::spf {

std::string_view result_name(Result r) {
    switch (r) {
        case Result::none:
            return "none";
        case Result::neutral:
            return "neutral";
        case Result::pass:
            return "pass";
        case Result::fail:
            return "fail";
        case Result::softfail:
            return "softfail";
        case Result::temperror:
            return "temperror";
        case Result::permerror:
            return "permerror";
    }
    return "none";
}

bool is_spf_record(std::string_view txt) {
    if (txt.size() < 6 || !istarts_with(txt, "v=spf1"))
        return false;
    return txt.size() == 6 || txt[6] == ' ';
}

namespace {

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alnum(char c) {
    return is_alpha(c) || is_digit(c);
}

// RFC 7208 §12 toplabel: alphanumerics with at least one letter, or with an inner '-'.
bool is_toplabel(std::string_view l) {
    if (l.empty())
        return false;
    bool alpha = false;
    for (char c : l) {
        if (is_alpha(c))
            alpha = true;
        else if (!is_digit(c) && c != '-')
            return false;
    }
    if (l.find('-') == std::string_view::npos)
        return alpha;
    return is_alnum(l.front()) && is_alnum(l.back());
}

// domain-end: "." toplabel ["."] or a macro-expand.
bool valid_domain_spec(std::string_view spec) {
    if (spec.empty() || !valid_macro_string(spec, false))
        return false;
    if (spec.back() == '}')
        return true;
    // "%%", "%_", "%-" are macro-expands too (odd, but the ABNF allows them).
    if (spec.size() >= 2 && spec[spec.size() - 2] == '%') {
        // Count the percent signs before the last char: an odd run means an escape.
        std::size_t n = 0;
        for (std::size_t i = spec.size() - 1; i > 0 && spec[i - 1] == '%'; --i)
            ++n;
        if (n % 2 == 1)
            return true;
    }
    std::string_view s = spec;
    if (s.back() == '.')
        s.remove_suffix(1);
    auto dot = s.rfind('.');
    if (dot == std::string_view::npos)
        return false;
    return is_toplabel(s.substr(dot + 1));
}

// "/" ("0" / %x31-39 0*N DIGIT) with a value up to `max`.
std::optional<int> parse_cidr(std::string_view digits, int max) {
    if (digits.empty() || digits.size() > 3)
        return std::nullopt;
    for (char c : digits)
        if (!is_digit(c))
            return std::nullopt;
    if (digits.size() > 1 && digits[0] == '0')
        return std::nullopt;
    int v = 0;
    for (char c : digits)
        v = v * 10 + (c - '0');
    if (v > max)
        return std::nullopt;
    return v;
}

// Splits a trailing dual-cidr-length off `arg` (a and mx): "spec/24//64", "/24", "//64".
bool split_dual_cidr(std::string_view& arg, Directive& d) {
    auto dd = arg.rfind("//");
    if (dd != std::string_view::npos) {
        auto v = parse_cidr(arg.substr(dd + 2), 128);
        if (!v)
            return false;
        d.cidr6 = *v;
        arg = arg.substr(0, dd);
    }
    auto slash = arg.rfind('/');
    if (slash != std::string_view::npos) {
        auto tail = arg.substr(slash + 1);
        bool numeric = !tail.empty();
        for (char c : tail)
            numeric = numeric && is_digit(c);
        if (numeric) {
            auto v = parse_cidr(tail, 32);
            if (!v)
                return false;
            d.cidr4 = *v;
            arg = arg.substr(0, slash);
        } else if (dd != std::string_view::npos) {
            return false;
        }
    }
    return true;
}

bool parse_ip4(std::string_view text, IpAddress& out) {
    // Dotted quad only, four parts of 1-3 digits each.
    auto parts = split(text, '.');
    if (parts.size() != 4)
        return false;
    for (auto p : parts) {
        if (p.empty() || p.size() > 3)
            return false;
        for (char c : p)
            if (!is_digit(c))
                return false;
        if (std::stoi(std::string(p)) > 255)
            return false;
    }
    auto a = IpAddress::parse(text);
    if (!a || !a->is_v4())
        return false;
    out = *a;
    return true;
}

bool valid_modifier_name(std::string_view name) {
    if (name.empty() || !is_alpha(name[0]))
        return false;
    for (char c : name)
        if (!is_alnum(c) && c != '-' && c != '_' && c != '.')
            return false;
    return true;
}

bool fail(std::string* error, std::string message) {
    if (error)
        *error = std::move(message);
    return false;
}

bool parse_term(std::string_view term, Record& rec, std::string* error) {
    auto special = term.find_first_of("=:/");
    if (special != std::string_view::npos && term[special] == '=') {
        auto name = term.substr(0, special);
        auto value = term.substr(special + 1);
        if (!valid_modifier_name(name))
            return fail(error, "bad modifier name: " + std::string(term));
        if (iequals(name, "redirect")) {
            if (rec.redirect)
                return fail(error, "two redirect modifiers");
            if (!valid_domain_spec(value))
                return fail(error, "bad redirect domain: " + std::string(value));
            rec.redirect = std::string(value);
        } else if (iequals(name, "exp")) {
            if (rec.exp)
                return fail(error, "two exp modifiers");
            if (!valid_domain_spec(value))
                return fail(error, "bad exp domain: " + std::string(value));
            rec.exp = std::string(value);
        } else if (!valid_macro_string(value, false)) {
            return fail(error, "bad macro-string in modifier: " + std::string(term));
        }
        return true;
    }
    Directive d;
    std::string_view rest = term;
    switch (rest.front()) {
        case '+':
            d.qualifier = Result::pass;
            rest.remove_prefix(1);
            break;
        case '-':
            d.qualifier = Result::fail;
            rest.remove_prefix(1);
            break;
        case '~':
            d.qualifier = Result::softfail;
            rest.remove_prefix(1);
            break;
        case '?':
            d.qualifier = Result::neutral;
            rest.remove_prefix(1);
            break;
        default:
            break;
    }
    auto end = rest.find_first_of(":/");
    auto name = rest.substr(0, end);
    std::string_view arg = end == std::string_view::npos ? std::string_view() : rest.substr(end);
    auto bad = [&] { return fail(error, "bad mechanism: " + std::string(term)); };
    if (iequals(name, "all")) {
        if (!arg.empty())
            return bad();
        d.mechanism = Mechanism::all;
    } else if (iequals(name, "include") || iequals(name, "exists")) {
        d.mechanism = iequals(name, "include") ? Mechanism::include : Mechanism::exists;
        if (!arg.starts_with(':'))
            return bad();
        d.domain_spec = std::string(arg.substr(1));
        if (!valid_domain_spec(d.domain_spec))
            return bad();
    } else if (iequals(name, "a") || iequals(name, "mx")) {
        d.mechanism = iequals(name, "a") ? Mechanism::a : Mechanism::mx;
        if (!split_dual_cidr(arg, d))
            return bad();
        if (!arg.empty()) {
            if (!arg.starts_with(':'))
                return bad();
            d.domain_spec = std::string(arg.substr(1));
            if (!valid_domain_spec(d.domain_spec))
                return bad();
        }
    } else if (iequals(name, "ptr")) {
        d.mechanism = Mechanism::ptr;
        if (!arg.empty()) {
            if (!arg.starts_with(':'))
                return bad();
            d.domain_spec = std::string(arg.substr(1));
            if (!valid_domain_spec(d.domain_spec))
                return bad();
        }
    } else if (iequals(name, "ip4")) {
        d.mechanism = Mechanism::ip4;
        if (!arg.starts_with(':'))
            return bad();
        arg.remove_prefix(1);
        auto slash = arg.find('/');
        if (slash != std::string_view::npos) {
            auto v = parse_cidr(arg.substr(slash + 1), 32);
            if (!v)
                return bad();
            d.cidr4 = *v;
            arg = arg.substr(0, slash);
        }
        if (!parse_ip4(arg, d.network))
            return bad();
    } else if (iequals(name, "ip6")) {
        d.mechanism = Mechanism::ip6;
        if (!arg.starts_with(':'))
            return bad();
        arg.remove_prefix(1);
        auto slash = arg.find('/');
        if (slash != std::string_view::npos) {
            auto v = parse_cidr(arg.substr(slash + 1), 128);
            if (!v)
                return bad();
            d.cidr6 = *v;
            arg = arg.substr(0, slash);
        }
        if (arg.find(':') == std::string_view::npos)
            return bad();
        auto a = IpAddress::parse(arg);
        if (!a)
            return bad();
        d.network = *a;
    } else {
        return fail(error, "unknown mechanism: " + std::string(term));
    }
    rec.directives.push_back(std::move(d));
    return true;
}

}  // namespace

std::optional<Record> parse_record(std::string_view text, std::string* error,
                                   const ParseLimits& limits) {
    if (text.size() > limits.max_record_length) {
        fail(error, "record too long");
        return std::nullopt;
    }
    if (!is_spf_record(text)) {
        fail(error, "not an SPF record");
        return std::nullopt;
    }
    for (unsigned char c : text) {
        if (c < 0x20 || c > 0x7e) {
            fail(error, "non-ASCII or control character in record");
            return std::nullopt;
        }
    }
    Record rec;
    std::size_t terms = 0;
    std::string_view rest = text.substr(6);
    while (!rest.empty()) {
        auto start = rest.find_first_not_of(' ');
        if (start == std::string_view::npos)
            break;
        rest.remove_prefix(start);
        auto end = rest.find(' ');
        auto term = rest.substr(0, end);
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end);
        if (++terms > limits.max_terms) {
            fail(error, "too many terms");
            return std::nullopt;
        }
        if (!parse_term(term, rec, error))
            return std::nullopt;
    }
    return rec;
}

// --- macros (§7) --------------------------------------------------------------------------

namespace {

bool is_delimiter(char c) {
    return c == '.' || c == '-' || c == '+' || c == ',' || c == '/' || c == '_' || c == '=';
}

bool is_macro_letter(char c, bool explanation) {
    switch (ascii_lower(c)) {
        case 's':
        case 'l':
        case 'o':
        case 'd':
        case 'i':
        case 'p':
        case 'h':
        case 'v':
            return true;
        case 'c':
        case 'r':
        case 't':
            return explanation;
        default:
            return false;
    }
}

struct MacroExpand {
    char letter = 0;
    std::size_t digits = 0;  // 0: all parts
    bool reverse = false;
    std::string delimiters;
};

// Parses "{...}" at text[i] (just after '%'); returns the index after '}' or npos.
std::size_t parse_expand(std::string_view text, std::size_t i, bool explanation, MacroExpand& m) {
    if (i >= text.size() || text[i] != '{')
        return std::string_view::npos;
    ++i;
    if (i >= text.size() || !is_macro_letter(text[i], explanation))
        return std::string_view::npos;
    m.letter = text[i++];
    std::size_t ndigits = 0;
    std::size_t value = 0;
    while (i < text.size() && is_digit(text[i])) {
        value = std::min<std::size_t>(value * 10 + static_cast<std::size_t>(text[i] - '0'), 1000);
        ++ndigits;
        ++i;
    }
    if (ndigits > 0 && value == 0)
        return std::string_view::npos;  // §7.3: at least one
    m.digits = value;
    if (i < text.size() && (text[i] == 'r' || text[i] == 'R')) {
        m.reverse = true;
        ++i;
    }
    while (i < text.size() && is_delimiter(text[i]))
        m.delimiters += text[i++];
    if (i >= text.size() || text[i] != '}')
        return std::string_view::npos;
    return i + 1;
}

std::string ip_macro(const IpAddress& ip, char letter) {
    auto& b = ip.bytes();
    if (ip.is_v4()) {
        return std::to_string(b[12]) + "." + std::to_string(b[13]) + "." + std::to_string(b[14]) +
               "." + std::to_string(b[15]);
    }
    if (letter == 'c')
        return ip.to_string();
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i)
            out += '.';
        out += kHex[b[i] >> 4];
        out += '.';
        out += kHex[b[i] & 15];
    }
    return out;
}

std::string macro_value(char letter, const MacroContext& ctx) {
    switch (ascii_lower(letter)) {
        case 's':
            return ctx.sender;
        case 'l':
            return ctx.local_part;
        case 'o':
            return ctx.sender_domain;
        case 'd':
            return ctx.domain;
        case 'i':
            return ip_macro(ctx.ip, 'i');
        case 'c':
            return ip_macro(ctx.ip, 'c');
        case 'p':
            return ctx.validated_name;
        case 'h':
            return ctx.helo;
        case 'v':
            return ctx.ip.is_v4() ? "in-addr" : "ip6";
        case 'r':
            return ctx.receiver;
        case 't':
            return std::to_string(ctx.timestamp);
        default:
            return {};
    }
}

std::string url_escape(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (is_alnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::string apply(const MacroExpand& m, const MacroContext& ctx) {
    std::string value = macro_value(m.letter, ctx);
    std::string delims = m.delimiters.empty() ? std::string(".") : m.delimiters;
    std::vector<std::string> parts;
    std::string cur;
    for (char c : value) {
        if (delims.find(c) != std::string::npos) {
            parts.push_back(std::move(cur));
            cur.clear();
        } else {
            cur += c;
        }
    }
    parts.push_back(std::move(cur));
    if (m.reverse)
        std::reverse(parts.begin(), parts.end());
    if (m.digits > 0 && m.digits < parts.size())
        parts.erase(parts.begin(), parts.end() - static_cast<std::ptrdiff_t>(m.digits));
    std::string out = join(parts, ".");
    if (is_alpha(m.letter) && std::isupper(static_cast<unsigned char>(m.letter)))
        out = url_escape(out);
    return out;
}

// Walks a macro-string; `emit` gets literal text and expansions. False on a syntax error.
template <class Emit>
bool walk(std::string_view text, bool explanation, Emit&& emit) {
    for (std::size_t i = 0; i < text.size();) {
        char c = text[i];
        if (c == '%') {
            if (i + 1 >= text.size())
                return false;
            char n = text[i + 1];
            if (n == '%') {
                emit(std::string_view("%"), nullptr);
                i += 2;
                continue;
            }
            if (n == '_') {
                emit(std::string_view(" "), nullptr);
                i += 2;
                continue;
            }
            if (n == '-') {
                emit(std::string_view("%20"), nullptr);
                i += 2;
                continue;
            }
            MacroExpand m;
            auto next = parse_expand(text, i + 1, explanation, m);
            if (next == std::string_view::npos)
                return false;
            emit(std::string_view(), &m);
            i = next;
            continue;
        }
        auto u = static_cast<unsigned char>(c);
        bool ok = explanation ? (u >= 0x20 && u <= 0x7e) : (u >= 0x21 && u <= 0x7e);
        if (!ok)
            return false;
        emit(text.substr(i, 1), nullptr);
        ++i;
    }
    return true;
}

}  // namespace

bool valid_macro_string(std::string_view text, bool explanation) {
    return walk(text, explanation, [](std::string_view, const MacroExpand*) {});
}

bool uses_p_macro(std::string_view text) {
    bool p = false;
    walk(text, true, [&](std::string_view, const MacroExpand* m) {
        if (m && ascii_lower(m->letter) == 'p')
            p = true;
    });
    return p;
}

std::optional<std::string> expand_macros(std::string_view text, const MacroContext& ctx,
                                         bool explanation) {
    std::string out;
    bool ok = walk(text, explanation, [&](std::string_view lit, const MacroExpand* m) {
        if (m)
            out += apply(*m, ctx);
        else
            out += lit;
    });
    if (!ok)
        return std::nullopt;
    return out;
}

std::optional<std::string> finish_domain(std::string_view expanded) {
    std::string_view s = expanded;
    if (!s.empty() && s.back() == '.')
        s.remove_suffix(1);
    while (s.size() > 253) {
        auto dot = s.find('.');
        if (dot == std::string_view::npos)
            return std::nullopt;
        s.remove_prefix(dot + 1);
    }
    if (s.empty())
        return std::nullopt;
    for (auto label : split(s, '.')) {
        if (label.empty() || label.size() > 63)
            return std::nullopt;
    }
    return to_lower(s);
}

}  // namespace postern::filter::spf
