// Address and domain validation: RFC 5321 §4.1.2 (Dot-string), RFC 6531 §3.3 (UTF-8 atext),
// RFC 1123 §2.1 (host names), RFC 5321 §4.5.3.1 (size limits).
#include "directory/address.h"

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::directory {
namespace {

bool is_alpha_digit(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 5322 §3.2.3 atext, plus any UTF-8 byte (RFC 6531 extends atext with UTF8-non-ascii;
// the whole string's well-formedness is checked separately).
bool is_atext(unsigned char c) {
    if (is_alpha_digit(c) || c >= 0x80)
        return true;
    constexpr std::string_view kSpecials = "!#$%&'*+-/=?^_`{|}~";
    return kSpecials.find(static_cast<char>(c)) != std::string_view::npos;
}

}  // namespace

Result<std::string> canonical_domain(std::string_view name) {
    if (!name.empty() && name.back() == '.')
        name.remove_suffix(1);
    auto bad = [&](std::string why) {
        return fail(Errc::invalid_argument,
                    "invalid domain name '" + std::string(name.substr(0, 300)) + "': " + why);
    };
    if (name.empty())
        return bad("empty");
    if (name.size() > kMaxDomain)
        return bad("longer than 253 characters");
    if (!utf8_code_points(name))
        return bad("not valid UTF-8");
    auto labels = split(name, '.');
    for (auto label : labels) {
        if (label.empty())
            return bad("empty label");
        if (label.size() > kMaxLabel)
            return bad("a label is longer than 63 characters");
        if (label.front() == '-' || label.back() == '-')
            return bad("a label starts or ends with '-'");
        for (unsigned char c : label) {
            if (!is_alpha_digit(c) && c != '-' && c < 0x80) {
                return bad("character '" + std::string(1, static_cast<char>(c)) +
                           "' is not allowed");
            }
        }
    }
    bool numeric = true;
    for (unsigned char c : labels.back()) {
        if (c < '0' || c > '9')
            numeric = false;
    }
    if (numeric)
        return bad("looks like an IP address");
    return to_lower(name);
}

Result<std::string> canonical_local_part(std::string_view local) {
    auto bad = [&](std::string why) {
        return fail(Errc::invalid_argument,
                    "invalid local part '" + std::string(local.substr(0, 100)) + "': " + why);
    };
    if (local.empty())
        return bad("empty");
    if (local.size() > kMaxLocalPart)
        return bad("longer than 64 characters");
    if (!utf8_code_points(local))
        return bad("not valid UTF-8");
    if (local.front() == '.' || local.back() == '.')
        return bad("starts or ends with '.'");
    if (local.find("..") != std::string_view::npos)
        return bad("contains '..'");
    for (unsigned char c : local) {
        if (c != '.' && !is_atext(c)) {
            if (c < 0x20 || c == 0x7f)
                return bad("contains a control character");
            return bad("character '" + std::string(1, static_cast<char>(c)) + "' is not allowed");
        }
    }
    return to_lower(local);
}

Result<Address> parse_address(std::string_view text) {
    text = trim(text);
    if (text.size() >= 2 && text.front() == '<' && text.back() == '>')
        text = text.substr(1, text.size() - 2);
    auto at = text.rfind('@');
    if (at == std::string_view::npos) {
        return fail(Errc::invalid_argument,
                    "invalid address '" + std::string(text.substr(0, 400)) + "': no '@'");
    }
    auto local = canonical_local_part(text.substr(0, at));
    if (!local)
        return fail(local.error());
    auto domain = canonical_domain(text.substr(at + 1));
    if (!domain)
        return fail(domain.error());
    return Address{std::move(*local), std::move(*domain)};
}

}  // namespace postern::directory
