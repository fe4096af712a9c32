// Client command lines: RFC 5321 §4.1.1 syntax, §4.1.2 path quoting; SIZE RFC 1870 §6, BODY
// RFC 6152 §2 and RFC 3030 §3, SMTPUTF8 RFC 6531 §3.4, DSN RFC 3461 §4, AUTH RFC 4954 §4-§5.
#include "proto/smtp/client_commands.h"

#include "proto/smtp/xtext.h"

namespace postern::proto::smtp {
namespace {

bool has_controls(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            return true;
    }
    return false;
}

// esmtp-value (RFC 5321 §4.1.2), UTF-8 allowed (RFC 6531 §3.3).
bool is_param_value(std::string_view v) {
    if (v.empty())
        return false;
    for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x80 && (u < 33 || u > 126 || c == '='))
            return false;
    }
    return true;
}

std::expected<std::string, std::string_view> finish_line(std::string line) {
    if (has_controls(line))
        return std::unexpected(std::string_view("syntax"));
    line += "\r\n";
    return line;
}

}  // namespace

std::string format_hello(Verb verb, std::string_view name) {
    std::string out(verb_name(verb));
    out += ' ';
    out += name;
    out += "\r\n";
    return out;
}

std::string format_path(const std::optional<Mailbox>& mailbox) {
    if (!mailbox)
        return "<>";
    return "<" + mailbox->to_string() + ">";
}

std::expected<std::string, std::string_view> format_mail_from(const MailFrom& mail,
                                                              const ServerCapabilities& server) {
    const bool utf8 = mail.smtputf8 || (mail.sender && mail.sender->is_utf8());
    if (utf8 && !server.smtputf8)
        return std::unexpected(std::string_view("SMTPUTF8"));
    if (mail.body == Body::eight_bit_mime && !server.eight_bit_mime) {
        return std::unexpected(std::string_view("8BITMIME"));
    }
    if (mail.body == Body::binary_mime) {
        if (!server.chunking)
            return std::unexpected(std::string_view("CHUNKING"));
        if (!server.binarymime)
            return std::unexpected(std::string_view("BINARYMIME"));
    }
    std::string out = "MAIL FROM:" + format_path(mail.sender);
    if (mail.size && server.size)
        out += " SIZE=" + std::to_string(*mail.size);
    // BODY=7BIT is the default; sending it to a server without 8BITMIME would be an error.
    if (mail.body == Body::eight_bit_mime || mail.body == Body::binary_mime) {
        out += " BODY=";
        out += body_name(mail.body);
    }
    if (utf8)
        out += " SMTPUTF8";
    if (server.dsn) {
        if (mail.ret != Ret::unspecified) {
            out += " RET=";
            out += ret_name(mail.ret);
        }
        if (mail.envid)
            out += " ENVID=" + xtext_encode(*mail.envid);
    }
    if (mail.auth && !server.auth_mechanisms.empty()) {
        out += " AUTH=";
        out += mail.auth->empty() ? "<>" : xtext_encode(*mail.auth);
    }
    return finish_line(std::move(out));
}

std::expected<std::string, std::string_view> format_rcpt_to(const RcptTo& rcpt,
                                                            const ServerCapabilities& server) {
    if (rcpt.recipient.is_utf8() && !server.smtputf8) {
        return std::unexpected(std::string_view("SMTPUTF8"));
    }
    std::string out = "RCPT TO:<" + rcpt.recipient.to_string() + ">";
    if (server.dsn) {
        if (rcpt.notify)
            out += " NOTIFY=" + format_notify(rcpt.notify);
        if (rcpt.orcpt) {
            out += " ORCPT=";
            out += is_param_value(rcpt.orcpt->value) ? rcpt.orcpt->value
                                                     : make_orcpt(rcpt.orcpt->address).value;
        }
    }
    return finish_line(std::move(out));
}

std::string format_bdat(std::uint64_t size, bool last) {
    return "BDAT " + std::to_string(size) + (last ? " LAST\r\n" : "\r\n");
}

std::string format_auth(std::string_view mechanism,
                        std::optional<std::string_view> initial_response) {
    std::string out = "AUTH ";
    out += mechanism;
    if (initial_response) {
        out += ' ';
        out += *initial_response;
    }
    out += "\r\n";
    return out;
}

}  // namespace postern::proto::smtp
