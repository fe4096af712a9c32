// Envelope address syntax: RFC 5321 §4.1.2 (Path, Mailbox, Local-part, Domain), §4.1.3
// (address literals), §4.5.3.1 (length limits), RFC 6531 §3.3 (UTF-8 atext, qtext, U-labels).
#include "proto/smtp/address.h"

#include <cstring>

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::proto::smtp {
namespace {

bool is_alnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool is_8bit(char c) {
    return static_cast<unsigned char>(c) >= 0x80;
}

bool is_atext(char c, bool utf8) {
    if (is_alnum(c))
        return true;
    if (utf8 && is_8bit(c))
        return true;
    return c != '\0' && std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// qtextSMTP (RFC 5321 §4.1.2): %d32-33 / %d35-91 / %d93-126, plus UTF-8 (RFC 6531).
bool is_qtext(char c, bool utf8) {
    auto u = static_cast<unsigned char>(c);
    if (utf8 && u >= 0x80)
        return true;
    return u == 32 || u == 33 || (u >= 35 && u <= 91) || (u >= 93 && u <= 126);
}

// Length of the Local-part at the start of `s`, with its unquoted value in `value`; 0 on error.
std::size_t scan_local_part(std::string_view s, bool utf8, std::string& value) {
    value.clear();
    if (s.empty())
        return 0;
    if (s[0] == '"') {
        for (std::size_t i = 1; i < s.size(); ++i) {
            char c = s[i];
            if (c == '"')
                return i + 1;
            if (c == '\\') {
                // quoted-pairSMTP: backslash followed by %d32-126 only.
                if (i + 1 >= s.size())
                    return 0;
                auto n = static_cast<unsigned char>(s[i + 1]);
                if (n < 32 || n > 126)
                    return 0;
                value += s[i + 1];
                ++i;
            } else if (is_qtext(c, utf8)) {
                value += c;
            } else {
                return 0;
            }
        }
        return 0;  // no closing quote
    }
    std::size_t i = 0;
    while (i < s.size() && (is_atext(s[i], utf8) || s[i] == '.'))
        ++i;
    std::string_view dot_string = s.substr(0, i);
    if (!is_dot_string(dot_string, utf8))
        return 0;
    value.assign(dot_string);
    return i;
}

bool is_ldh_tag(std::string_view tag) {
    if (tag.empty() || !is_alnum(tag.back()))
        return false;
    for (char c : tag) {
        if (!is_alnum(c) && c != '-')
            return false;
    }
    return true;
}

// Mailbox = Local-part "@" ( Domain / address-literal ), the whole of `s`.
std::expected<Mailbox, AddressError> parse_mailbox_text(std::string_view s,
                                                        const AddressPolicy& policy, bool utf8) {
    Mailbox m;
    std::size_t n = scan_local_part(s, utf8, m.local_part);
    if (n == 0 || n >= s.size() || s[n] != '@')
        return std::unexpected(AddressError::syntax);
    if (n > policy.limits.local_part)
        return std::unexpected(AddressError::too_long);
    std::string_view domain = s.substr(n + 1);
    if (domain.size() > policy.limits.domain || domain.size() > 255) {
        return std::unexpected(AddressError::too_long);
    }
    if (!domain.empty() && domain.front() == '[') {
        auto literal = normalize_address_literal(domain);
        if (!literal)
            return std::unexpected(AddressError::syntax);
        m.domain = std::move(*literal);
    } else {
        if (!is_valid_domain(domain, utf8))
            return std::unexpected(AddressError::syntax);
        m.domain = to_lower(domain);
    }
    return m;
}

// A-d-l = At-domain *( "," At-domain ), At-domain = "@" Domain; `s` excludes the ":".
bool is_source_route(std::string_view s) {
    for (auto hop : split(s, ',')) {
        if (hop.size() < 2 || hop[0] != '@' || !is_valid_domain(hop.substr(1), false)) {
            return false;
        }
    }
    return true;
}

// Where the bracketed path starting at s[0] == '<' ends (index of '>'), honouring quoted strings
// so that <"a>b"@example.org> is one path. npos when unterminated.
std::size_t find_path_end(std::string_view s) {
    bool quoted = false;
    for (std::size_t i = 1; i < s.size(); ++i) {
        char c = s[i];
        if (quoted) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                quoted = false;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == '>') {
            return i;
        } else if (c == '<') {
            return std::string_view::npos;  // nested brackets are never valid
        }
    }
    return std::string_view::npos;
}

}  // namespace

bool Mailbox::is_postmaster() const {
    return iequals(local_part, "postmaster");
}

bool Mailbox::is_utf8() const {
    return !is_ascii(local_part) || !is_ascii(domain);
}

std::string Mailbox::to_string() const {
    std::string out = quote_local_part(local_part);
    if (!domain.empty()) {
        out += '@';
        out += domain;
    }
    return out;
}

bool is_dot_string(std::string_view s, bool utf8) {
    if (s.empty() || s.front() == '.' || s.back() == '.')
        return false;
    char prev = 0;
    for (char c : s) {
        if (c == '.') {
            if (prev == '.')
                return false;
        } else if (!is_atext(c, utf8)) {
            return false;
        }
        prev = c;
    }
    return !utf8 || is_ascii(s) || is_valid_utf8(s);
}

std::string quote_local_part(std::string_view local) {
    if (is_dot_string(local, true))
        return std::string(local);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    return out;
}

bool is_valid_domain(std::string_view d, bool utf8) {
    if (d.empty() || d.size() > 255)
        return false;
    if (!is_ascii(d) && (!utf8 || !is_valid_utf8(d)))
        return false;
    for (auto label : split(d, '.')) {
        if (label.empty())
            return false;
        bool ascii = true;
        for (char c : label) {
            if (is_8bit(c)) {
                ascii = false;
            } else if (!is_alnum(c) && c != '-') {
                return false;
            }
        }
        if (label.front() == '-' || label.back() == '-')
            return false;
        // An A-label is at most 63 octets; a U-label's UTF-8 form may be longer than the
        // A-label it stands for, so only ASCII labels are measured.
        if (ascii && label.size() > 63)
            return false;
    }
    return true;
}

std::optional<std::string> normalize_address_literal(std::string_view lit) {
    if (lit.size() < 3 || lit.front() != '[' || lit.back() != ']')
        return std::nullopt;
    std::string_view inner = lit.substr(1, lit.size() - 2);
    auto colon = inner.find(':');
    if (colon == std::string_view::npos) {
        // IPv4-address-literal: Snum 3("." Snum); inet_pton is exactly that strict.
        auto ip = IpAddress::parse(inner);
        if (!ip || !ip->is_v4())
            return std::nullopt;
        return std::string(lit);
    }
    std::string_view tag = inner.substr(0, colon);
    std::string_view rest = inner.substr(colon + 1);
    if (iequals(tag, "IPv6")) {
        // The IPv6 forms all contain a colon; "IPv6:1.2.3.4" is not one of them.
        if (rest.find(':') == std::string_view::npos)
            return std::nullopt;
        for (char c : rest) {
            if (!is_alnum(c) && c != ':' && c != '.')
                return std::nullopt;
        }
        if (!IpAddress::parse(rest))
            return std::nullopt;
        return "[IPv6:" + to_lower(rest) + "]";
    }
    // General-address-literal = Standardized-tag ":" 1*dcontent; dcontent = %d33-90 / %d94-126
    if (!is_ldh_tag(tag) || rest.empty())
        return std::nullopt;
    for (char c : rest) {
        auto u = static_cast<unsigned char>(c);
        if (u < 33 || u > 126 || (u >= 91 && u <= 93))
            return std::nullopt;
    }
    return std::string(lit);
}

std::optional<IpAddress> address_literal_ip(std::string_view literal) {
    auto normal = normalize_address_literal(literal);
    if (!normal)
        return std::nullopt;
    std::string_view inner = std::string_view(*normal).substr(1, normal->size() - 2);
    if (inner.starts_with("IPv6:"))
        return IpAddress::parse(inner.substr(5));
    if (inner.find(':') != std::string_view::npos)
        return std::nullopt;
    return IpAddress::parse(inner);
}

std::expected<Mailbox, AddressError> parse_mailbox(std::string_view text,
                                                   const AddressPolicy& policy, bool utf8) {
    if (text.size() > policy.limits.path)
        return std::unexpected(AddressError::too_long);
    if (!is_ascii(text)) {
        if (!utf8)
            return std::unexpected(AddressError::non_ascii);
        if (!is_valid_utf8(text))
            return std::unexpected(AddressError::syntax);
    }
    return parse_mailbox_text(text, policy, utf8);
}

std::expected<PathParse, AddressError> parse_path(std::string_view text, PathKind kind,
                                                  const AddressPolicy& policy, bool utf8) {
    if (text.empty())
        return std::unexpected(AddressError::syntax);
    if (text.front() != '<') {
        if (!policy.allow_unbracketed)
            return std::unexpected(AddressError::syntax);
        std::size_t end = 0;
        bool quoted = false;
        for (; end < text.size(); ++end) {
            char c = text[end];
            if (quoted && c == '\\') {
                ++end;
            } else if (c == '"') {
                quoted = !quoted;
            } else if (!quoted && c == ' ') {
                break;
            }
        }
        end = std::min(end, text.size());
        auto m = parse_mailbox(text.substr(0, end), policy, utf8);
        if (!m)
            return std::unexpected(m.error());
        return PathParse{std::move(*m), end};
    }
    // Refuse absurd lengths before scanning: the limit bounds all later work.
    std::size_t end = find_path_end(text.substr(0, policy.limits.path));
    if (end == std::string_view::npos) {
        bool cut = text.size() > policy.limits.path;
        return std::unexpected(cut ? AddressError::too_long : AddressError::syntax);
    }
    std::string_view inner = text.substr(1, end - 1);
    const std::size_t length = end + 1;
    if (!is_ascii(inner)) {
        if (!utf8)
            return std::unexpected(AddressError::non_ascii);
        if (!is_valid_utf8(inner))
            return std::unexpected(AddressError::syntax);
    }
    if (inner.empty()) {
        if (kind == PathKind::reverse)
            return PathParse{std::nullopt, length};
        return std::unexpected(AddressError::syntax);
    }
    if (kind == PathKind::forward && iequals(inner, "postmaster")) {
        return PathParse{Mailbox{"postmaster", ""}, length};
    }
    if (inner.front() == '@') {
        // The route ends at the first ':' outside the domains; domains hold no ':' and a
        // literal is not allowed in a route, so the first ':' is it.
        auto colon = inner.find(':');
        if (colon == std::string_view::npos || !is_source_route(inner.substr(0, colon))) {
            return std::unexpected(AddressError::syntax);
        }
        inner = inner.substr(colon + 1);
    }
    auto m = parse_mailbox_text(inner, policy, utf8);
    if (!m)
        return std::unexpected(m.error());
    return PathParse{std::move(*m), length};
}

}  // namespace postern::proto::smtp
