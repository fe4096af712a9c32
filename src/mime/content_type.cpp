// Content-Type / Content-Disposition parsing (RFC 2045 §5.1, RFC 2183 §2) and RFC 2231
// parameter value continuations, character sets and languages (§3, §4, §4.1).
#include "mime/content_type.h"

#include <algorithm>
#include <map>

#include "base/strings.h"
#include "mime/charset.h"
#include "mime/header_text.h"

namespace postern::mime {
namespace {

constexpr std::uint64_t kMaxSection = 999999999;  // RFC 2231 sets no limit; it is only an order

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

class Cursor {
  public:
    explicit Cursor(std::string_view s) : s_(s) {}

    bool done() const { return i_ >= s_.size(); }
    char peek() const { return s_[i_]; }
    void advance() { ++i_; }

    // Whitespace, line breaks and (nested) comments.
    void skip_cfws() {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (is_fws(c)) {
                ++i_;
            } else if (c == '(') {
                skip_comment();
            } else {
                break;
            }
        }
    }

    void skip_comment() {
        int depth = 0;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '\\') {
                if (i_ < s_.size())
                    ++i_;
            } else if (c == '(') {
                ++depth;
            } else if (c == ')') {
                if (--depth == 0)
                    return;
            }
        }
    }

    // Bytes up to one of `stops`, whitespace or a comment.
    std::string_view token(std::string_view stops) {
        std::size_t start = i_;
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (is_fws(c) || c == '(' || stops.find(c) != std::string_view::npos)
                break;
            ++i_;
        }
        return s_.substr(start, i_ - start);
    }

    // A quoted-string after its opening quote: quoted-pairs resolved, line breaks removed.
    // Folding whitespace between two encoded-words is dropped too: it only ever comes from
    // a mailer splitting a long encoded name, never from the name itself.
    std::string quoted() {
        std::string out;
        while (i_ < s_.size()) {
            char c = s_[i_++];
            if (c == '"')
                return out;
            if (c == '\\' && i_ < s_.size()) {
                out += s_[i_++];
            } else if (c == '\r' || c == '\n') {
                std::size_t j = i_;
                while (j < s_.size() && is_fws(s_[j]))
                    ++j;
                bool between_words = out.ends_with("?=") && s_.substr(j).starts_with("=?");
                if (between_words)
                    i_ = j;
            } else {
                out += c;
            }
        }
        return out;  // unterminated: the rest of the field is the value
    }

    // Parameter name: up to '=' or ';', whitespace and comments removed.
    bool param_name(std::string& name) {
        name.clear();
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == '=') {
                ++i_;
                return true;
            }
            if (c == ';')
                return false;
            if (c == '(') {
                skip_comment();
                continue;
            }
            if (!is_fws(c))
                name += c;
            ++i_;
        }
        return false;
    }

    std::size_t pos() const { return i_; }
    void set_pos(std::size_t p) { i_ = p; }
    std::string_view rest() const { return s_.substr(i_); }

  private:
    std::string_view s_;
    std::size_t i_ = 0;
};

void parse_params(Cursor& c, std::vector<Param>& params) {
    std::string name;
    while (true) {
        c.skip_cfws();
        if (c.done())
            return;
        if (c.peek() == ';') {
            c.advance();
            continue;
        }
        if (!c.param_name(name))
            continue;  // junk without '=': skipped up to the next ';'
        while (!c.done() &&
               (c.peek() == ' ' || c.peek() == '\t' || c.peek() == '\r' || c.peek() == '\n')) {
            c.advance();
        }
        Param p;
        if (!c.done() && c.peek() == '"') {
            c.advance();
            p.value = c.quoted();
            p.quoted = true;
        } else {
            p.value = std::string(c.token(";"));
            // Unquoted encoded-words with spaces between them ("name==?a?b?..?= =?a?b?..?="):
            // the following words belong to this value, not to a parameter of their own.
            if (p.value.starts_with("=?")) {
                while (true) {
                    std::size_t save = c.pos();
                    while (!c.done() && is_fws(c.peek()))
                        c.advance();
                    if (!c.rest().starts_with("=?")) {
                        c.set_pos(save);
                        break;
                    }
                    p.value += ' ';
                    p.value += c.token(";");
                }
            }
        }
        p.name = to_lower(name);
        if (p.name.empty() || p.value.empty())
            continue;
        params.push_back(std::move(p));
    }
}

std::optional<ContentType> parse_typed(std::string_view raw, bool with_subtype) {
    Cursor c(raw);
    c.skip_cfws();
    ContentType ct;
    ct.type = to_lower(c.token(with_subtype ? "/;" : ";"));
    if (ct.type.empty())
        return std::nullopt;
    c.skip_cfws();
    if (with_subtype && !c.done() && c.peek() == '/') {
        c.advance();
        c.skip_cfws();
        ct.subtype = to_lower(c.token(";"));
    }
    parse_params(c, ct.params);
    return ct;
}

struct Rfc2231Name {
    std::string base;
    bool sectioned = false;
    std::uint32_t section = 0;
    bool extended = false;
};

std::optional<Rfc2231Name> split_name(std::string_view name) {
    Rfc2231Name n;
    auto star = name.find('*');
    n.base = std::string(name.substr(0, star));
    if (n.base.empty())
        return std::nullopt;
    if (star == std::string_view::npos)
        return n;
    std::string_view rest = name.substr(star + 1);
    if (rest.empty()) {
        n.extended = true;
        return n;
    }
    std::size_t digits = 0;
    while (digits < rest.size() && rest[digits] >= '0' && rest[digits] <= '9')
        ++digits;
    if (digits == 0 || digits > 9)
        return std::nullopt;
    auto number = parse_uint(rest.substr(0, digits));
    if (!number || *number > kMaxSection)
        return std::nullopt;
    n.sectioned = true;
    n.section = static_cast<std::uint32_t>(*number);
    rest.remove_prefix(digits);
    if (rest == "*") {
        n.extended = true;
    } else if (!rest.empty()) {
        return std::nullopt;
    }
    return n;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

void append_percent_decoded(std::string& out, std::string_view v) {
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (v[i] == '%' && i + 2 < v.size() && hex_value(v[i + 1]) >= 0 &&
            hex_value(v[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(v[i + 1]) * 16 + hex_value(v[i + 2]));
            i += 2;
        } else {
            out += v[i];
        }
    }
}

struct Section {
    std::uint32_t number;
    bool extended;
    std::string value;
};

struct Group {
    std::size_t order = 0;  // position of section 0 (or the plain form), else first seen
    bool has_anchor = false;
    std::optional<Param> plain;  // the name without any '*'
    bool plain_extended = false;
    std::vector<Section> sections;
};

}  // namespace

bool ContentType::is(std::string_view t, std::string_view s) const {
    return iequals(type, t) && iequals(subtype, s);
}

const std::string* ContentType::raw_param(std::string_view name) const {
    for (const auto& p : params) {
        if (iequals(p.name, name))
            return &p.value;
    }
    return nullptr;
}

std::optional<std::string> ContentType::param(std::string_view name) const {
    for (auto& p : decode_params(params)) {
        if (iequals(p.name, name))
            return std::move(p.value);
    }
    return std::nullopt;
}

std::optional<ContentType> parse_content_type(std::string_view raw_value) {
    return parse_typed(raw_value, true);
}

std::optional<ContentType> parse_content_disposition(std::string_view raw_value) {
    return parse_typed(raw_value, false);
}

std::vector<DecodedParam> decode_params(const std::vector<Param>& params) {
    std::map<std::string, Group> groups;
    std::size_t index = 0;
    for (const auto& p : params) {
        ++index;
        auto n = split_name(p.name);
        if (!n)
            continue;
        auto [it, inserted] = groups.try_emplace(n->base);
        Group& g = it->second;
        if (inserted)
            g.order = index;
        bool anchor = !n->sectioned || n->section == 0;
        if (anchor && !g.has_anchor) {
            g.order = index;
            g.has_anchor = true;
        }
        if (!n->sectioned) {
            // Prefer the RFC 2231 form when a mailer sends both (name= and name*=).
            if (!g.plain || (n->extended && !g.plain_extended)) {
                g.plain = p;
                g.plain_extended = n->extended;
            }
            continue;
        }
        bool duplicate = std::any_of(g.sections.begin(), g.sections.end(),
                                     [&](const Section& s) { return s.number == n->section; });
        if (!duplicate)
            g.sections.push_back({n->section, n->extended, p.value});
    }

    std::vector<std::pair<std::size_t, DecodedParam>> ordered;
    for (auto& [base, g] : groups) {
        DecodedParam out;
        out.name = base;
        std::string charset;
        bool have_charset = false;
        std::string bytes;
        auto take_charset = [&](std::string_view v) -> std::string_view {
            // charset'language'value (RFC 2231 §4); a value without two quotes is used as is.
            auto q1 = v.find('\'');
            if (q1 == std::string_view::npos)
                return v;
            auto q2 = v.find('\'', q1 + 1);
            if (q2 == std::string_view::npos)
                return v;
            charset = std::string(v.substr(0, q1));
            out.language = std::string(v.substr(q1 + 1, q2 - q1 - 1));
            have_charset = true;
            return v.substr(q2 + 1);
        };
        bool plain_words = false;
        if (!g.sections.empty() && !(g.plain && g.plain_extended)) {
            std::sort(g.sections.begin(), g.sections.end(),
                      [](const Section& a, const Section& b) { return a.number < b.number; });
            bool any_extended = false;
            for (std::size_t k = 0; k < g.sections.size(); ++k) {
                const Section& s = g.sections[k];
                std::string_view v = s.value;
                if (s.extended) {
                    any_extended = true;
                    if (k == 0 && s.number == 0) {
                        v = take_charset(v);
                    } else if (have_charset && !charset.empty() && v.size() > charset.size() &&
                               istarts_with(v, charset) && v[charset.size()] == '\'') {
                        // Some mailers repeat "charset'" in every section; it is not text.
                        v.remove_prefix(charset.size() + 1);
                    }
                    append_percent_decoded(bytes, v);
                } else {
                    bytes.append(v);
                }
            }
            plain_words = !any_extended;
        } else if (g.plain) {
            if (g.plain_extended) {
                append_percent_decoded(bytes, take_charset(g.plain->value));
            } else {
                bytes = g.plain->value;
                plain_words = true;
            }
        } else {
            continue;
        }
        if (plain_words) {
            bool quoted = g.plain ? g.plain->quoted : true;
            out.value =
                decode_encoded_words(bytes, quoted ? WordSpacing::quoted : WordSpacing::rfc2047);
        } else if (have_charset && !charset.empty()) {
            out.value = to_utf8(bytes, charset);
        } else {
            out.value = raw_8bit_to_utf8(bytes);
        }
        ordered.emplace_back(g.order, std::move(out));
    }
    std::sort(ordered.begin(), ordered.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<DecodedParam> result;
    result.reserve(ordered.size());
    for (auto& [order, p] : ordered)
        result.push_back(std::move(p));
    return result;
}

}  // namespace postern::mime
