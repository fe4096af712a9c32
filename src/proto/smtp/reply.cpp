// Reply wire form (RFC 5321 §4.2, §4.5.3.1.5) and enhanced status codes (RFC 2034 §4, RFC 3463 §2).
#include "proto/smtp/reply.h"

#include <cassert>

#include "base/strings.h"

namespace postern::proto::smtp {
namespace {

// Up to three digits with no leading zero (RFC 3463 §2: "subject = "0"/(1*3digit)").
std::optional<std::uint16_t> parse_part(std::string_view s) {
    if (s.empty() || s.size() > 3)
        return std::nullopt;
    if (s.size() > 1 && s[0] == '0')
        return std::nullopt;
    auto v = parse_uint(s);
    if (!v)
        return std::nullopt;
    return static_cast<std::uint16_t>(*v);
}

void append_safe_line(std::string& out, std::string_view text, std::size_t room) {
    if (text.size() > room) {
        std::size_t cut = room;
        // Do not leave half a UTF-8 sequence behind.
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
            --cut;
        text = text.substr(0, cut);
    }
    for (char c : text) {
        auto u = static_cast<unsigned char>(c);
        out += (u < 0x20 && c != '\t') || u == 0x7F ? '?' : c;
    }
}

}  // namespace

std::optional<EnhancedCode> EnhancedCode::parse(std::string_view text) {
    auto parts = split(text, '.');
    if (parts.size() != 3 || parts[0].size() != 1)
        return std::nullopt;
    char k = parts[0][0];
    if (k != '2' && k != '4' && k != '5')
        return std::nullopt;
    auto subject = parse_part(parts[1]);
    auto detail = parse_part(parts[2]);
    if (!subject || !detail)
        return std::nullopt;
    return EnhancedCode{static_cast<std::uint8_t>(k - '0'), *subject, *detail};
}

std::string EnhancedCode::to_string() const {
    return std::to_string(klass) + '.' + std::to_string(subject) + '.' + std::to_string(detail);
}

std::string Reply::text() const {
    std::string out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (i)
            out += '\n';
        out += lines[i];
    }
    return out;
}

Reply make_reply(std::uint16_t code, std::optional<EnhancedCode> enhanced, std::string text) {
    assert(code >= 200 && code <= 599);
    assert(!enhanced || enhanced->klass == code / 100);
    Reply r{code, enhanced, {}};
    r.lines.push_back(std::move(text));
    return r;
}

void append_reply(std::string& out, const Reply& reply, bool enhanced_codes) {
    const std::string code = std::to_string(reply.code);
    std::string prefix_tail;
    // 3xx replies never carry one (RFC 2034 §4); a mismatched class is a bug we do not send.
    if (enhanced_codes && reply.enhanced && reply.code / 100 != 3 &&
        reply.enhanced->klass == reply.code / 100) {
        prefix_tail = reply.enhanced->to_string() + ' ';
    }
    const std::size_t count = reply.lines.empty() ? 1 : reply.lines.size();
    for (std::size_t i = 0; i < count; ++i) {
        std::string_view text = reply.lines.empty() ? std::string_view() : reply.lines[i];
        out += code;
        bool last = i + 1 == count;
        if (text.empty() && prefix_tail.empty()) {
            if (!last)
                out += '-';
            out += "\r\n";
            continue;
        }
        out += last ? ' ' : '-';
        out += text.empty() ? std::string_view(prefix_tail).substr(0, prefix_tail.size() - 1)
                            : std::string_view(prefix_tail);
        // code + separator + enhanced + text + CRLF must fit kMaxReplyLine.
        std::size_t used = code.size() + 1 + prefix_tail.size() + 2;
        append_safe_line(out, text, kMaxReplyLine - used);
        out += "\r\n";
    }
}

std::string format_reply(const Reply& reply, bool enhanced_codes) {
    std::string out;
    append_reply(out, reply, enhanced_codes);
    return out;
}

}  // namespace postern::proto::smtp
