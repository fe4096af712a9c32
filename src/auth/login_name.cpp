// Login name normalisation for lookups, cache keys and failure accounting.
#include "auth/login_name.h"

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::auth {

std::optional<std::string> normalize_login(std::string_view login) {
    if (login.empty() || login.size() > kMaxLoginLength || !is_valid_utf8(login)) {
        return std::nullopt;
    }
    for (unsigned char c : login) {
        if (c < 0x20 || c == 0x7f)
            return std::nullopt;
    }
    auto at = login.rfind('@');
    if (at == std::string_view::npos)
        return std::string(login);
    return std::string(login.substr(0, at + 1)) + to_lower(login.substr(at + 1));
}

bool same_identity(std::string_view authzid, std::string_view authcid) {
    auto a = normalize_login(authzid);
    auto b = normalize_login(authcid);
    return a && b && *a == *b;
}

std::string loggable(std::string_view text) {
    constexpr std::size_t kMax = 128;
    bool cut = text.size() > kMax;
    if (cut)
        text = text.substr(0, kMax);
    bool utf8 = is_valid_utf8(text);
    std::string out;
    out.reserve(text.size() + 3);
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f || c == '\\' || (c >= 0x80 && !utf8)) {
            constexpr std::string_view kHex = "0123456789abcdef";
            out += "\\x";
            out += kHex[c >> 4];
            out += kHex[c & 15];
        } else {
            out += static_cast<char>(c);
        }
    }
    if (cut)
        out += "...";
    return out;
}

}  // namespace postern::auth
