// DSN parameter values (RFC 3461 §4.1-§4.4, RFC 6533 §3) and BODY= (RFC 6152 §2, RFC 3030 §3).
#include "proto/smtp/dsn.h"

#include "base/strings.h"
#include "base/utf8.h"
#include "proto/smtp/xtext.h"

namespace postern::proto::smtp {
namespace {

bool is_atom(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '+';
        if (!ok)
            return false;
    }
    return true;
}

constexpr char kHexDigits[] = "0123456789ABCDEF";

// utf-8-addr-xtext / utf-8-addr-unitext (RFC 6533 §3): printable ASCII, UTF-8 (unitext, only
// with SMTPUTF8) and "\x{HEX}" escapes of Unicode scalar values.
std::optional<std::string> decode_utf8_addr(std::string_view s, bool allow_utf8) {
    if (!is_ascii(s) && (!allow_utf8 || !is_valid_utf8(s)))
        return std::nullopt;
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto u = static_cast<unsigned char>(s[i]);
        if (s.substr(i).starts_with("\\x{")) {
            auto close = s.find('}', i + 3);
            if (close == std::string_view::npos || close - i - 3 > 6 || close == i + 3) {
                return std::nullopt;
            }
            std::uint32_t cp = 0;
            for (std::size_t j = i + 3; j < close; ++j) {
                char c = s[j];
                int v = (c >= '0' && c <= '9')   ? c - '0'
                        : (c >= 'A' && c <= 'F') ? c - 'A' + 10
                        : (c >= 'a' && c <= 'f') ? c - 'a' + 10
                                                 : -1;
                if (v < 0)
                    return std::nullopt;
                cp = cp * 16 + static_cast<std::uint32_t>(v);
            }
            if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF) || cp == 0)
                return std::nullopt;
            append_utf8(out, cp);
            i = close;
        } else if (u >= 0x80 ||
                   (u >= 0x21 && u <= 0x7E && s[i] != '+' && s[i] != '=' && s[i] != '\\')) {
            out += s[i];
        } else {
            return std::nullopt;
        }
    }
    return out;
}

}  // namespace

std::optional<std::uint8_t> parse_notify(std::string_view value) {
    if (iequals(value, "NEVER"))
        return notify::never;
    std::uint8_t bits = 0;
    for (auto item : split(value, ',')) {
        std::uint8_t bit = 0;
        if (iequals(item, "SUCCESS")) {
            bit = notify::success;
        } else if (iequals(item, "FAILURE")) {
            bit = notify::failure;
        } else if (iequals(item, "DELAY")) {
            bit = notify::delay;
        } else {
            return std::nullopt;  // includes NEVER combined with others, and empty items
        }
        if (bits & bit)
            return std::nullopt;
        bits |= bit;
    }
    return bits;
}

std::string format_notify(std::uint8_t bits) {
    if (bits & notify::never)
        return "NEVER";
    std::string out;
    auto add = [&](std::uint8_t bit, std::string_view name) {
        if (!(bits & bit))
            return;
        if (!out.empty())
            out += ',';
        out += name;
    };
    add(notify::success, "SUCCESS");
    add(notify::failure, "FAILURE");
    add(notify::delay, "DELAY");
    return out;
}

std::optional<Ret> parse_ret(std::string_view value) {
    if (iequals(value, "FULL"))
        return Ret::full;
    if (iequals(value, "HDRS"))
        return Ret::headers;
    return std::nullopt;
}

std::string_view ret_name(Ret ret) {
    switch (ret) {
        case Ret::full:
            return "FULL";
        case Ret::headers:
            return "HDRS";
        case Ret::unspecified:
            break;
    }
    return "";
}

std::optional<Body> parse_body(std::string_view value) {
    if (iequals(value, "7BIT"))
        return Body::seven_bit;
    if (iequals(value, "8BITMIME"))
        return Body::eight_bit_mime;
    if (iequals(value, "BINARYMIME"))
        return Body::binary_mime;
    return std::nullopt;
}

std::string_view body_name(Body body) {
    switch (body) {
        case Body::seven_bit:
            return "7BIT";
        case Body::eight_bit_mime:
            return "8BITMIME";
        case Body::binary_mime:
            return "BINARYMIME";
        case Body::unspecified:
            break;
    }
    return "";
}

std::optional<OriginalRecipient> parse_orcpt(std::string_view value, bool allow_utf8) {
    if (value.size() > kMaxOrcptLength)
        return std::nullopt;
    auto semi = value.find(';');
    if (semi == std::string_view::npos)
        return std::nullopt;
    std::string_view type = value.substr(0, semi);
    if (!is_atom(type))
        return std::nullopt;
    std::string_view encoded = value.substr(semi + 1);
    auto address = iequals(type, "utf-8") ? decode_utf8_addr(encoded, allow_utf8)
                                          : xtext_decode(encoded, allow_utf8);
    if (!address || address->empty())
        return std::nullopt;
    return OriginalRecipient{to_lower(type), std::move(*address), std::string(value)};
}

OriginalRecipient make_orcpt(std::string_view address) {
    if (!is_ascii(address)) {
        // RFC 6533 §3 utf-8-addr-unitext: UTF-8 as is (the transaction uses SMTPUTF8), the
        // ASCII characters xtext would encode as \x{XX}.
        std::string value = "utf-8;";
        for (char c : address) {
            auto u = static_cast<unsigned char>(c);
            if (u >= 0x80 || (u >= 0x21 && u <= 0x7E && c != '+' && c != '=' && c != '\\')) {
                value += c;
            } else {
                value += "\\x{";
                value += kHexDigits[u >> 4];
                value += kHexDigits[u & 0xF];
                value += '}';
            }
        }
        return OriginalRecipient{"utf-8", std::string(address), std::move(value)};
    }
    return OriginalRecipient{"rfc822", std::string(address), "rfc822;" + xtext_encode(address)};
}

}  // namespace postern::proto::smtp
