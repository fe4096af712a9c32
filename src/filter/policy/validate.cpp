// Validation of script decisions: reply codes/texts (RFC 5321 §4.2, RFC 3463 §2), header fields
// (RFC 5322 §2.1.1, §2.2), addresses (RFC 5321 §4.1.2, RFC 6531 §3.3), relay hosts, NDR text.
#include "filter/policy/validate.h"

#include "base/ip_address.h"
#include "base/strings.h"
#include "base/utf8.h"
#include "proto/smtp/address.h"

namespace postern::filter::policy {
namespace {

bool is_control(unsigned char c) {
    return c < 0x20 || c == 0x7f;
}

}  // namespace

const char* check_reply_code(Verdict verdict, long long code) {
    if (verdict == Verdict::reject && (code < 500 || code > 599))
        return "reject needs a 5xx reply code (500-599)";
    if (verdict == Verdict::tempfail && (code < 400 || code > 499))
        return "tempfail needs a 4xx reply code (400-499)";
    return nullptr;
}

const char* check_reply_text(std::string_view text) {
    if (text.size() > kMaxReplyText)
        return "reply text is longer than 400 bytes";
    for (unsigned char c : text) {
        if (c < 0x20 || c > 0x7e)
            return "reply text must be printable ASCII (no CR, LF or other controls)";
    }
    return nullptr;
}

const char* split_enhanced_code(std::uint16_t code, std::string_view text, ReplyTextParts& out) {
    out = ReplyTextParts{std::nullopt, text};
    std::size_t end = 0;
    while (end < text.size() && (text[end] == '.' || (text[end] >= '0' && text[end] <= '9')))
        ++end;
    std::string_view candidate = text.substr(0, end);
    // Only something that looks like "d.d..." is meant as a code; "550 words" is plain text.
    if (candidate.size() < 2 || candidate[1] != '.' || (end < text.size() && text[end] != ' '))
        return nullptr;
    auto enhanced = proto::smtp::EnhancedCode::parse(candidate);
    if (!enhanced)
        return "malformed enhanced status code at the start of the reply text";
    if (enhanced->klass != code / 100)
        return "the enhanced status code's class differs from the reply code's first digit";
    out.enhanced = enhanced;
    out.text = trim(text.substr(end));
    return nullptr;
}

const char* check_header_name(std::string_view name) {
    if (name.empty())
        return "header name is empty";
    if (name.size() > kMaxHeaderName)
        return "header name is longer than 76 bytes";
    for (unsigned char c : name) {
        if (c < 33 || c > 126 || c == ':')
            return "header name must be printable ASCII without ':' or spaces (RFC 5322 2.2)";
    }
    return nullptr;
}

const char* check_header_value(std::string_view name, std::string_view value) {
    if (name.size() + 2 + value.size() > kMaxHeaderLine)
        return "header field is longer than 998 bytes";
    for (unsigned char c : value) {
        if (c == '\r' || c == '\n')
            return "header value contains CR or LF";
        if (is_control(c) && c != '\t')
            return "header value contains a control character";
    }
    if (!is_valid_utf8(value))
        return "header value is not valid UTF-8";
    return nullptr;
}

const char* check_header_removable(std::string_view name) {
    if (iequals(name, "Received"))
        return "Received fields cannot be removed (they count hops for loop detection)";
    return nullptr;
}

const char* check_ndr_text(std::string_view text) {
    if (text.size() > kMaxNdrText)
        return "NDR text is longer than 8192 bytes";
    for (unsigned char c : text) {
        if (is_control(c) && c != '\t' && c != '\r' && c != '\n')
            return "NDR text contains a control character";
    }
    if (!is_valid_utf8(text))
        return "NDR text is not valid UTF-8";
    return nullptr;
}

std::optional<std::string> normalize_address(std::string_view text) {
    if (text.size() >= 2 && text.front() == '<' && text.back() == '>')
        text = text.substr(1, text.size() - 2);
    if (text.empty())
        return std::nullopt;
    auto mailbox = proto::smtp::parse_mailbox(text, proto::smtp::AddressPolicy{}, true);
    if (!mailbox || mailbox->domain.empty())
        return std::nullopt;
    return mailbox->to_string();
}

std::optional<std::string> normalize_relay_host(std::string_view host) {
    if (host.empty())
        return std::nullopt;
    if (host.front() == '[')
        return proto::smtp::normalize_address_literal(host);
    if (auto ip = IpAddress::parse(host)) {
        std::string literal =
            ip->is_v4() ? "[" + ip->to_string() + "]" : "[IPv6:" + ip->to_string() + "]";
        return proto::smtp::normalize_address_literal(literal);
    }
    if (!proto::smtp::is_valid_domain(host, true))
        return std::nullopt;
    return to_lower(host);
}

std::optional<RelayTls> relay_tls_from_name(std::string_view name) {
    for (auto t :
         {RelayTls::opportunistic, RelayTls::required, RelayTls::implicit, RelayTls::none}) {
        if (relay_tls_name(t) == name)
            return t;
    }
    return std::nullopt;
}

std::string sanitize_log_text(std::string_view text) {
    std::string out;
    out.reserve(std::min(text.size(), kMaxLogText));
    std::size_t i = 0;
    while (i < text.size()) {
        char32_t cp = 0;
        std::size_t n = utf8_sequence(text, i, cp);
        std::size_t add = n == 0 ? 1 : n;
        if (out.size() + add > kMaxLogText)
            break;
        if (n == 0 || (n == 1 && is_control(static_cast<unsigned char>(text[i]))))
            out += '?';
        else
            out.append(text.substr(i, n));
        i += add;
    }
    return out;
}

}  // namespace postern::filter::policy
