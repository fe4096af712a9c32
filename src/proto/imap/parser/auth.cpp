// Authentication commands: AUTHENTICATE with SASL-IR (RFC 9051 §6.2.2, RFC 4959 §3), LOGIN
// (RFC 9051 §6.2.3), and the client lines of a SASL exchange (base64 or "*" to cancel).
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

bool is_base64_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

bool is_sasl_mech_char(char c) {
    // sasl-mech = 1*20 (UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE) (RFC 4422 §3.1), any case.
    const char u = ascii_upper(c);
    return (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_';
}

}  // namespace

Parsed<CommandArgs> parse_authenticate(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mech = r.chars_while(is_sasl_mech_char, "SASL mechanism");
    if (!mech)
        return std::unexpected(mech.error());
    if (mech->size() > 20)
        return syntax_error("SASL mechanism name too long");
    Authenticate a;
    a.mechanism = to_upper(*mech);
    if (r.accept(' ')) {
        // initial-resp = base64 / "=" (RFC 4959 §7).
        auto ir = r.chars_while(is_base64_char, "initial response");
        if (!ir)
            return syntax_error("Invalid SASL initial response");
        a.initial_response = std::string(*ir);
    }
    return a;
}

Parsed<CommandArgs> parse_login(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto user = r.astring("user name");
    if (!user)
        return std::unexpected(user.error());
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto password = r.astring("password");
    if (!password)
        return std::unexpected(password.error());
    return Login{std::move(user->value), std::move(password->value)};
}

}  // namespace postern::proto::imap::detail

namespace postern::proto::imap {

std::expected<SaslLine, std::string> parse_sasl_line(std::string_view line) {
    if (line == "*")
        return SaslLine{true, {}};
    for (char c : line) {
        if (!detail::is_base64_char(c))
            return std::unexpected(std::string("Invalid base64 in SASL response"));
    }
    return SaslLine{false, std::string(line)};
}

}  // namespace postern::proto::imap
