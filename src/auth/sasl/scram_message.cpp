// SCRAM message parsing per RFC 5802 §5.1 (attributes and their order) and §7 (ABNF).
#include "auth/sasl/scram_message.h"

#include <vector>

#include "auth/sasl/mechanism.h"
#include "base/encoding.h"
#include "base/strings.h"

namespace postern::auth::sasl {
namespace {

auto bad(std::string why) {
    return fail(Errc::invalid_argument, std::move(why));
}

bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// Attributes RFC 5802 defines; an "extension" may not reuse one of these names, which is how
// a repeated or misplaced standard attribute is caught.
bool is_standard_attribute(char c) {
    return std::string_view("acenmprsiv").find(c) != std::string_view::npos;
}

// attr-val = ALPHA "=" value; value = 1*value-char (any UTF-8 char but NUL and ',').
Status check_extension(std::string_view part) {
    if (part.size() < 3 || !is_alpha(part[0]) || part[1] != '=') {
        return bad("malformed attribute \"" + std::string(part.substr(0, 16)) + "\"");
    }
    if (part[0] == 'm')
        return bad("mandatory extension m= is not supported");
    if (is_standard_attribute(part[0])) {
        return bad(std::string("attribute ") + part[0] + "= out of order or repeated");
    }
    if (part.find('\0') != std::string_view::npos)
        return bad("NUL in attribute value");
    return ok();
}

// "<name>=<value>" with the expected name; returns the value.
Result<std::string_view> expect_attribute(std::string_view part, char name) {
    if (part.size() < 2 || part[0] != name || part[1] != '=') {
        if (!part.empty() && part[0] == 'm')
            return bad("mandatory extension m= is not supported");
        return bad(std::string("expected attribute ") + name + "=");
    }
    auto value = part.substr(2);
    if (value.empty())
        return bad(std::string("empty attribute ") + name + "=");
    return value;
}

}  // namespace

bool is_scram_printable(std::string_view text) {
    for (unsigned char c : text) {
        if (c < 0x21 || c > 0x7e || c == ',')
            return false;
    }
    return true;
}

std::optional<std::string> decode_saslname(std::string_view text) {
    if (text.empty())
        return std::nullopt;
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\0' || c == ',')
            return std::nullopt;
        if (c != '=') {
            out += c;
            continue;
        }
        auto code = text.substr(i + 1, 2);
        if (code == "2C") {
            out += ',';
        } else if (code == "3D") {
            out += '=';
        } else {
            return std::nullopt;
        }
        i += 2;
    }
    return out;
}

std::string encode_saslname(std::string_view name) {
    std::string out;
    out.reserve(name.size());
    for (char c : name) {
        if (c == ',') {
            out += "=2C";
        } else if (c == '=') {
            out += "=3D";
        } else {
            out += c;
        }
    }
    return out;
}

Result<ScramClientFirst> parse_scram_client_first(std::string_view message) {
    ScramClientFirst first;
    if (message.starts_with("p="))
        return bad("channel binding (p=) is not supported");
    if (message.size() < 2 || (message[0] != 'n' && message[0] != 'y') || message[1] != ',') {
        return bad("bad GS2 channel binding flag");
    }
    first.cbind_flag = message[0];
    auto rest = message.substr(2);
    auto comma = rest.find(',');
    if (comma == std::string_view::npos)
        return bad("GS2 header is not terminated");
    auto authzid_part = rest.substr(0, comma);
    if (!authzid_part.empty()) {
        if (!authzid_part.starts_with("a="))
            return bad("bad GS2 authzid");
        auto authzid = decode_saslname(authzid_part.substr(2));
        if (!authzid)
            return bad("bad authzid escaping");
        if (authzid->size() > kMaxIdentityLength)
            return bad("authzid too long");
        first.authzid = std::move(*authzid);
    }
    first.gs2_header = std::string(message.substr(0, 2 + comma + 1));
    auto bare = rest.substr(comma + 1);
    first.bare = std::string(bare);

    auto parts = split(bare, ',');
    if (parts.size() < 2)
        return bad("client-first-message needs n= and r=");
    auto user = expect_attribute(parts[0], 'n');
    if (!user)
        return fail(user.error());
    auto username = decode_saslname(*user);
    if (!username)
        return bad("bad username escaping");
    if (username->size() > kMaxIdentityLength)
        return bad("username too long");
    first.username = std::move(*username);
    auto nonce = expect_attribute(parts[1], 'r');
    if (!nonce)
        return fail(nonce.error());
    if (!is_scram_printable(*nonce))
        return bad("nonce has characters outside printable");
    if (nonce->size() > kMaxNonceLength)
        return bad("nonce too long");
    first.client_nonce = std::string(*nonce);
    for (std::size_t i = 2; i < parts.size(); ++i) {
        if (auto ext = check_extension(parts[i]); !ext)
            return fail(ext.error());
    }
    return first;
}

Result<ScramClientFinal> parse_scram_client_final(std::string_view message) {
    ScramClientFinal final_msg;
    auto parts = split(message, ',');
    if (parts.size() < 3)
        return bad("client-final-message needs c=, r= and p=");
    auto cbind = expect_attribute(parts[0], 'c');
    if (!cbind)
        return fail(cbind.error());
    auto cbind_raw = base64_decode(*cbind);
    if (!cbind_raw)
        return bad("c= is not base64");
    final_msg.channel_binding = std::move(*cbind_raw);
    auto nonce = expect_attribute(parts[1], 'r');
    if (!nonce)
        return fail(nonce.error());
    if (!is_scram_printable(*nonce))
        return bad("nonce has characters outside printable");
    final_msg.nonce = std::string(*nonce);
    for (std::size_t i = 2; i + 1 < parts.size(); ++i) {
        if (auto ext = check_extension(parts[i]); !ext)
            return fail(ext.error());
    }
    auto proof = expect_attribute(parts.back(), 'p');
    if (!proof)
        return bad("the last attribute must be p=");
    auto proof_raw = base64_decode(*proof);
    if (!proof_raw)
        return bad("p= is not base64");
    final_msg.proof = std::move(*proof_raw);
    // Everything before ",p=" is signed as client-final-message-without-proof.
    final_msg.without_proof =
        std::string(message.substr(0, message.size() - parts.back().size() - 1));
    return final_msg;
}

}  // namespace postern::auth::sasl
