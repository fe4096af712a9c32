// Delivery status notification builder: RFC 3464 §2 fields, RFC 3461 §4.3 returned content,
// RFC 6522 multipart/report, RFC 6533 message/global-delivery-status, RFC 3834 Auto-Submitted.
#include "queue/dsn.h"

#include <ctime>

#include "base/encoding.h"
#include "base/strings.h"
#include "mime/header_text.h"
#include "mime/parser.h"

namespace postern::queue {

namespace {

bool is_ascii(std::string_view s) {
    for (unsigned char c : s)
        if (c >= 0x80)
            return false;
    return true;
}

// One header field value: CR, LF and other controls become spaces so that text from a remote
// server cannot start a field of its own.
std::string clean(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s)
        out += (c < 0x20 || c == 0x7f) ? ' ' : static_cast<char>(c);
    auto t = std::string(trim(out));
    return t;
}

// Folds a field at spaces so lines stay under 78 characters where possible (RFC 5322 §2.2.3).
void add_field(std::string& out, std::string_view name, std::string_view value) {
    std::string line = std::string(name) + ": ";
    std::size_t line_len = line.size();
    std::size_t pos = 0;
    std::string v = clean(value);
    while (pos < v.size()) {
        auto space = v.find(' ', pos);
        auto word_end = space == std::string::npos ? v.size() : space;
        auto word = std::string_view(v).substr(pos, word_end - pos);
        if (line_len + word.size() > 76 && line_len > name.size() + 2) {
            line += "\r\n ";
            line_len = 1;
        }
        line += word;
        line_len += word.size();
        pos = word_end;
        if (pos < v.size()) {
            line += ' ';
            ++line_len;
            ++pos;
        }
    }
    out += line;
    out += "\r\n";
}

// RFC 2047 B encoding for a header text that is not ASCII.
std::string encoded_word(std::string_view text) {
    if (is_ascii(text))
        return std::string(text);
    return "=?UTF-8?B?" + base64_encode(text) + "?=";
}

std::string address_type_value(std::string_view address, bool utf8) {
    // RFC 6533 §3: a non-ASCII address is of type utf-8.
    if (utf8 && !is_ascii(address))
        return "utf-8; " + std::string(address);
    return "rfc822; " + std::string(address);
}

std::string original_recipient_value(std::string_view orcpt) {
    auto semi = orcpt.find(';');
    if (semi == std::string_view::npos)
        return "rfc822; " + std::string(orcpt);
    return std::string(trim(orcpt.substr(0, semi))) + "; " +
           std::string(trim(orcpt.substr(semi + 1)));
}

// Diagnostic-Code needs a diagnostic-type (RFC 3464 §2.3.6).
std::string diagnostic_value(std::string_view d) {
    auto semi = d.find(';');
    if (semi != std::string_view::npos && semi > 0 && semi < 16) {
        bool word = true;
        for (char c : d.substr(0, semi))
            word = word && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                            (c >= '0' && c <= '9') || c == '-');
        if (word)
            return std::string(d);
    }
    if (d.size() >= 3 && d[0] >= '2' && d[0] <= '5' && d[1] >= '0' && d[1] <= '9' && d[2] >= '0' &&
        d[2] <= '9')
        return "smtp; " + std::string(d);
    return "X-Postern; " + std::string(d);
}

std::string default_status(DsnAction a) {
    switch (a) {
        case DsnAction::failed:
            return "5.0.0";
        case DsnAction::delayed:
            return "4.0.0";
        default:
            return "2.0.0";
    }
}

constexpr std::string_view kFailureText =
    "This is the mail system at {reporting_mta}.\r\n"
    "\r\n"
    "Your message could not be delivered to one or more of its recipients.\r\n"
    "The delivery report below says why; the returned part shows which message it was.\r\n"
    "\r\n"
    "Recipients: {recipients}\r\n"
    "Subject: {subject}\r\n"
    "Queue id: {queue_id}\r\n";

constexpr std::string_view kDelayText =
    "This is the mail system at {reporting_mta}.\r\n"
    "\r\n"
    "Your message has not been delivered to one or more of its recipients yet.\r\n"
    "Nothing needs to be done: delivery will be tried again until {retry_until}.\r\n"
    "\r\n"
    "Recipients: {recipients}\r\n"
    "Subject: {subject}\r\n"
    "Queue id: {queue_id}\r\n";

constexpr std::string_view kSuccessText =
    "This is the mail system at {reporting_mta}.\r\n"
    "\r\n"
    "Your message was delivered to the recipients below, as you asked to be told.\r\n"
    "\r\n"
    "Recipients: {recipients}\r\n"
    "Subject: {subject}\r\n"
    "Queue id: {queue_id}\r\n";

// Normalizes the line ends of configured text to CRLF.
std::string crlf(std::string_view text) {
    std::string out;
    out.reserve(text.size() + 16);
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '\r') {
            out += "\r\n";
            if (i + 1 < text.size() && text[i + 1] == '\n')
                ++i;
        } else if (c == '\n') {
            out += "\r\n";
        } else {
            out += c;
        }
    }
    if (!out.empty() && !out.ends_with("\r\n"))
        out += "\r\n";
    return out;
}

}  // namespace

std::string_view dsn_action_name(DsnAction a) {
    switch (a) {
        case DsnAction::failed:
            return "failed";
        case DsnAction::delayed:
            return "delayed";
        case DsnAction::delivered:
            return "delivered";
        case DsnAction::relayed:
            return "relayed";
        case DsnAction::expanded:
            return "expanded";
    }
    return "failed";
}

std::string rfc5322_date(UnixMs t) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    ::gmtime_r(&secs, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string_view default_dsn_text(DsnKind kind) {
    switch (kind) {
        case DsnKind::failure:
            return kFailureText;
        case DsnKind::delay:
            return kDelayText;
        case DsnKind::success:
            return kSuccessText;
    }
    return kFailureText;
}

std::string expand_placeholders(std::string_view text,
                                const std::map<std::string, std::string>& vars) {
    std::string out;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto open = text.find('{', pos);
        if (open == std::string_view::npos)
            break;
        auto close = text.find('}', open);
        if (close == std::string_view::npos)
            break;
        out.append(text.substr(pos, open - pos));
        auto it = vars.find(std::string(text.substr(open + 1, close - open - 1)));
        if (it != vars.end()) {
            out += it->second;
        } else {
            out.append(text.substr(open, close - open + 1));
        }
        pos = close + 1;
    }
    out.append(text.substr(pos));
    return out;
}

std::string_view message_header(std::string_view message) {
    auto parsed = mime::parse_message(message);
    const auto& root = parsed.root();
    auto end = static_cast<std::size_t>(root.body_start);
    if (end == 0 || end > message.size())
        end = message.size();
    return message.substr(0, end);
}

std::string build_dsn(const DsnMessage& m) {
    const bool utf8 = m.utf8;
    std::string out;
    out.reserve(2048 + m.original.size());
    add_field(out, "Date", rfc5322_date(m.now));
    out += "From: " + encoded_word(m.from_name) + " <" + m.from_address + ">\r\n";
    out += "To: <" + clean(m.to) + ">\r\n";
    add_field(out, "Subject", utf8 ? m.subject : encoded_word(m.subject));
    out += "Message-ID: <" + m.message_id + ">\r\n";
    // RFC 3834 §5: machines must not answer this with another automatic message.
    out += "Auto-Submitted: auto-replied\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/report; report-type=";
    out += utf8 ? "global-delivery-status" : "delivery-status";
    out += ";\r\n\tboundary=\"" + m.boundary + "\"\r\n";
    bool eight_bit = !is_ascii(m.text) || !is_ascii(m.original) || utf8;
    out += std::string("Content-Transfer-Encoding: ") + (eight_bit ? "8bit" : "7bit") + "\r\n";
    out += "\r\nThis is a MIME-encapsulated message.\r\n\r\n";

    // Human-readable part.
    out += "--" + m.boundary + "\r\n";
    out += "Content-Description: Notification\r\n";
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    out += std::string("Content-Transfer-Encoding: ") + (is_ascii(m.text) ? "7bit" : "8bit") +
           "\r\n\r\n";
    out += crlf(m.text);
    out += "\r\n";

    // Machine-readable part (RFC 3464 §2.2 per-message, §2.3 per-recipient fields).
    out += "--" + m.boundary + "\r\n";
    out += "Content-Description: Delivery report\r\n";
    out += utf8 ? "Content-Type: message/global-delivery-status\r\n\r\n"
                : "Content-Type: message/delivery-status\r\n\r\n";
    add_field(out, "Reporting-MTA", "dns; " + m.reporting_mta);
    if (!m.queue_id.empty())
        add_field(out, "X-Postern-Queue-ID", m.queue_id);
    if (!m.envid.empty())
        add_field(out, "Original-Envelope-Id", m.envid);
    if (!m.received_from.empty())
        add_field(out, "Received-From-MTA", "dns; " + m.received_from);
    if (m.arrival)
        add_field(out, "Arrival-Date", rfc5322_date(m.arrival));
    for (const auto& r : m.recipients) {
        out += "\r\n";
        if (!r.original_recipient.empty())
            add_field(out, "Original-Recipient", original_recipient_value(r.original_recipient));
        add_field(out, "Final-Recipient", address_type_value(r.final_recipient, utf8));
        add_field(out, "Action", dsn_action_name(r.action));
        add_field(out, "Status", r.status.empty() ? default_status(r.action) : r.status);
        if (!r.remote_mta.empty())
            add_field(out, "Remote-MTA", "dns; " + r.remote_mta);
        if (!r.diagnostic.empty())
            add_field(out, "Diagnostic-Code", diagnostic_value(r.diagnostic));
        if (r.last_attempt)
            add_field(out, "Last-Attempt-Date", rfc5322_date(r.last_attempt));
        if (r.action == DsnAction::delayed && r.will_retry_until)
            add_field(out, "Will-Retry-Until", rfc5322_date(r.will_retry_until));
    }
    out += "\r\n";

    // Returned content.
    if (m.attach != Attach::none) {
        out += "--" + m.boundary + "\r\n";
        if (m.attach == Attach::full) {
            out += "Content-Description: Returned message\r\n";
            out += utf8 ? "Content-Type: message/global\r\n" : "Content-Type: message/rfc822\r\n";
        } else {
            out += "Content-Description: Returned message header\r\n";
            out += utf8 ? "Content-Type: message/global-headers\r\n"
                        : "Content-Type: text/rfc822-headers\r\n";
        }
        if (!is_ascii(m.original))
            out += "Content-Transfer-Encoding: 8bit\r\n";
        out += "\r\n";
        out.append(m.original);
        if (!m.original.empty() && !m.original.ends_with("\r\n"))
            out += "\r\n";
    }
    out += "--" + m.boundary + "--\r\n";
    return out;
}

}  // namespace postern::queue
