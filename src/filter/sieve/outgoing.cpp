// Generated mail for Sieve actions: RFC 5230 §4.5-§4.6 and §5 (vacation), RFC 3834 §3
// (Auto-Submitted: auto-replied), RFC 5429 §2.1 and RFC 3798 §3 (reject MDN).
#include "filter/sieve/outgoing.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "base/strings.h"
#include "filter/sieve/enotify.h"
#include "mime/address.h"
#include "mime/header_text.h"

namespace postern::sieve {

namespace {

std::string strip_brackets(std::string_view a) {
    while (!a.empty() && (a.front() == ' ' || a.front() == '<'))
        a.remove_prefix(1);
    while (!a.empty() && (a.back() == ' ' || a.back() == '>'))
        a.remove_suffix(1);
    return std::string(a);
}

bool same_address(std::string_view a, std::string_view b) {
    return iequals(strip_brackets(a), strip_brackets(b));
}

std::string first_value(const SieveMessage& m, std::string_view name) {
    auto v = m.raw_values(name);
    if (v.empty())
        return {};
    std::string u = mime::unfold(v[0]);
    std::size_t a = u.find_first_not_of(" \t");
    std::size_t b = u.find_last_not_of(" \t");
    return a == std::string::npos ? std::string() : u.substr(a, b - a + 1);
}

// Addresses in the recipient header fields RFC 5230 §4.5 names.
std::vector<std::string> header_recipients(const SieveMessage& m) {
    std::vector<std::string> out;
    for (const char* h : {"To", "Cc", "Bcc", "Resent-To", "Resent-Cc", "Resent-Bcc"}) {
        for (auto raw : m.raw_values(h)) {
            for (const auto& mb : mime::flatten(mime::parse_address_list(raw)))
                if (mb.has_address())
                    out.push_back(mb.addr_spec());
        }
    }
    return out;
}

std::vector<std::string> my_addresses(const VacationAction& v, const Envelope& e) {
    std::vector<std::string> out;
    if (!e.to.empty())
        out.push_back(strip_brackets(e.to));
    if (!e.orig_to.empty())
        out.push_back(strip_brackets(e.orig_to));
    for (const auto& a : v.addresses) {
        auto l = mime::flatten(mime::parse_address_list(a));
        out.push_back(l.empty() ? a : l[0].addr_spec());
    }
    return out;
}

// The first of my addresses that the message's recipient headers name, or "".
std::string addressed_as(const VacationAction& v, const SieveMessage& m, const Envelope& e) {
    auto mine = my_addresses(v, e);
    for (const auto& r : header_recipients(m))
        for (const auto& a : mine)
            if (same_address(a, r))
                return r;
    return {};
}

std::string_view newline_free(std::string_view s) {
    return s;
}

std::string encode_header_text(std::string_view text) {
    bool ascii = std::all_of(text.begin(), text.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    if (ascii)
        return std::string(text);
    // RFC 2047 B encoding in UTF-8, split into words of at most 45 input bytes at character
    // boundaries.
    static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t n = std::min<std::size_t>(45, text.size() - i);
        while (i + n < text.size() && n > 0 &&
               (static_cast<unsigned char>(text[i + n]) & 0xC0) == 0x80)
            --n;
        std::string_view chunk = text.substr(i, n);
        std::string enc;
        for (std::size_t k = 0; k < chunk.size(); k += 3) {
            std::uint32_t v = static_cast<std::uint32_t>(static_cast<unsigned char>(chunk[k]))
                              << 16;
            if (k + 1 < chunk.size())
                v |= static_cast<std::uint32_t>(static_cast<unsigned char>(chunk[k + 1])) << 8;
            if (k + 2 < chunk.size())
                v |= static_cast<unsigned char>(chunk[k + 2]);
            enc.push_back(b64[(v >> 18) & 63]);
            enc.push_back(b64[(v >> 12) & 63]);
            enc.push_back(k + 1 < chunk.size() ? b64[(v >> 6) & 63] : '=');
            enc.push_back(k + 2 < chunk.size() ? b64[v & 63] : '=');
        }
        if (!out.empty())
            out += "\r\n ";
        out += "=?UTF-8?B?" + enc + "?=";
        i += n;
    }
    return out;
}

std::string crlf(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            out += '\r';
        out += text[i];
    }
    return out;
}

}  // namespace

std::string rfc5322_date(std::int64_t unix_seconds) {
    std::time_t t = static_cast<std::time_t>(unix_seconds);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return buf;
}

std::string vacation_skip_reason(const VacationAction& v, const SieveMessage& m,
                                 const Envelope& e) {
    std::string sender = strip_brackets(e.from);
    if (sender.empty())
        return "null envelope sender";
    std::string local = to_lower(sender.substr(0, sender.rfind('@')));
    // RFC 5230 §4.6 / RFC 3834 §2: no replies to list and daemon addresses.
    if (local == "mailer-daemon" || local == "listserv" || local == "majordomo" ||
        local.starts_with("owner-") || local.ends_with("-request") || local.ends_with("-bounces") ||
        local.find("-bounces+") != std::string::npos)
        return "sender is a list or daemon address";
    std::string auto_submitted = to_lower(first_value(m, "Auto-Submitted"));
    if (!auto_submitted.empty() && !auto_submitted.starts_with("no"))
        return "message is Auto-Submitted: " + auto_submitted;
    std::string precedence = to_lower(first_value(m, "Precedence"));
    if (precedence == "bulk" || precedence == "list" || precedence == "junk")
        return "message has Precedence: " + precedence;
    for (const char* h : {"List-Id", "List-Help", "List-Subscribe", "List-Unsubscribe", "List-Post",
                          "List-Owner", "List-Archive", "X-Auto-Response-Suppress"})
        if (!m.raw_values(h).empty())
            return std::string("message has ") + h;
    for (const auto& mine : my_addresses(v, e))
        if (same_address(mine, sender))
            return "sender is the recipient";
    if (addressed_as(v, m, e).empty())
        return "recipient is not in To/Cc/Bcc";
    return "";
}

std::string vacation_tracking_key(const VacationAction& v, std::string_view sender) {
    return v.handle + '\x1e' + to_lower(strip_brackets(sender));
}

OutgoingMessage build_vacation_reply(const VacationAction& v, const SieveMessage& m,
                                     const Envelope& e, const GenerateContext& c) {
    OutgoingMessage out;
    out.envelope_from = "";
    out.envelope_to = strip_brackets(e.from);
    std::string from = v.from;
    if (from.empty()) {
        from = addressed_as(v, m, e);
        if (from.empty())
            from = strip_brackets(e.to);
    }
    std::string subject = v.subject;
    if (subject.empty()) {
        std::string original = mime::decode_unstructured(first_value(m, "Subject"));
        subject = "Auto: " + original;
    }
    std::string msgid = first_value(m, "Message-ID");
    std::string refs = first_value(m, "References");
    std::string r;
    r += "From: " + from + "\r\n";
    r += "To: <" + out.envelope_to + ">\r\n";
    r += "Subject: " + encode_header_text(subject) + "\r\n";
    r += "Date: " + rfc5322_date(c.now) + "\r\n";
    r += fmt::format("Message-ID: <sieve.{}.{}@{}>\r\n", c.now, c.unique.empty() ? "v" : c.unique,
                     c.hostname);
    if (!msgid.empty()) {
        r += "In-Reply-To: " + msgid + "\r\n";
        r += "References: " + (refs.empty() ? msgid : refs + " " + msgid) + "\r\n";
    }
    r += "Auto-Submitted: auto-replied (vacation)\r\n";
    r += "Precedence: bulk\r\n";
    r += "MIME-Version: 1.0\r\n";
    if (v.mime) {
        r += crlf(v.reason);
    } else {
        r += "Content-Type: text/plain; charset=utf-8\r\n";
        r += "Content-Transfer-Encoding: 8bit\r\n\r\n";
        r += crlf(v.reason);
        if (!r.ends_with("\r\n"))
            r += "\r\n";
    }
    (void)newline_free;
    out.raw = std::move(r);
    return out;
}

std::optional<OutgoingMessage> build_reject_mdn(std::string_view reason, const SieveMessage& m,
                                                const Envelope& e, const GenerateContext& c) {
    std::string sender = strip_brackets(e.from);
    if (sender.empty())
        return std::nullopt;
    OutgoingMessage out;
    out.envelope_to = sender;
    std::string boundary = fmt::format("postern-mdn-{}-{}", c.now, c.unique);
    std::string msgid = first_value(m, "Message-ID");
    std::string recipient = strip_brackets(e.to);
    std::string r;
    r += fmt::format("From: Postmaster <postmaster@{}>\r\n", c.hostname);
    r += "To: <" + sender + ">\r\n";
    r += "Subject: Automatically rejected mail\r\n";
    r += "Date: " + rfc5322_date(c.now) + "\r\n";
    r += fmt::format("Message-ID: <sieve.reject.{}.{}@{}>\r\n", c.now, c.unique, c.hostname);
    r += "Auto-Submitted: auto-replied (rejected)\r\n";
    r += "Precedence: bulk\r\n";
    r += "MIME-Version: 1.0\r\n";
    r += "Content-Type: multipart/report; report-type=disposition-notification;\r\n"
         "\tboundary=\"" +
         boundary + "\"\r\n\r\n";
    r += "This is a MIME-encapsulated message\r\n\r\n";
    r += "--" + boundary +
         "\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Disposition: inline\r\nContent-Transfer-Encoding: 8bit\r\n\r\n";
    r += "Your message to <" + recipient + "> was automatically rejected:\r\n";
    r += crlf(reason);
    if (!r.ends_with("\r\n"))
        r += "\r\n";
    r += "\r\n--" + boundary + "\r\nContent-Type: message/disposition-notification\r\n\r\n";
    r += fmt::format("Reporting-UA: {}; Postern Sieve\r\n", c.hostname);
    if (!e.orig_to.empty())
        r += "Original-Recipient: rfc822; " + strip_brackets(e.orig_to) + "\r\n";
    r += "Final-Recipient: rfc822; " + recipient + "\r\n";
    if (!msgid.empty())
        r += "Original-Message-ID: " + msgid + "\r\n";
    r += "Disposition: automatic-action/MDN-sent-automatically; deleted\r\n";
    r += "\r\n--" + boundary + "\r\nContent-Type: text/rfc822-headers\r\n\r\n";
    for (const auto& f : m.fields())
        r += crlf(f.name + ":" + f.raw_value) + "\r\n";
    r += "\r\n--" + boundary + "--\r\n";
    out.raw = std::move(r);
    return out;
}

bool redirect_loops(const SieveMessage& m, std::string_view recipient) {
    for (auto v : m.raw_values(kRedirectLoopHeader))
        if (same_address(mime::unfold(v), recipient))
            return true;
    return false;
}

OutgoingMessage build_redirect(std::string_view to, const SieveMessage& m, const Envelope& e) {
    OutgoingMessage out;
    out.redirect = true;
    out.envelope_from = strip_brackets(e.from);
    out.envelope_to = strip_brackets(to);
    std::string nl = m.raw().find("\r\n") != std::string::npos ? "\r\n" : "\n";
    out.raw = std::string(kRedirectLoopHeader) + ": " + strip_brackets(e.to) + nl + m.raw();
    return out;
}

std::string notification_skip_reason(const SieveMessage& m) {
    std::string auto_submitted = to_lower(first_value(m, "Auto-Submitted"));
    if (!auto_submitted.empty() && !auto_submitted.starts_with("no"))
        return "the message is Auto-Submitted: " + auto_submitted.substr(0, 64);
    return "";
}

std::vector<OutgoingMessage> build_notification(const NotifyAction& n, const SieveMessage& m,
                                                const Envelope& e, const GenerateContext& c) {
    std::vector<OutgoingMessage> out;
    auto uri = parse_mailto(n.method, nullptr);
    if (!uri)
        return out;
    std::string from = n.from.empty() ? strip_brackets(e.to) : n.from;
    std::string original_subject = mime::decode_unstructured(first_value(m, "Subject"));
    std::string original_from = first_value(m, "From");
    std::string subject, extra;
    for (const auto& [name, value] : uri->headers) {
        if (iequals(name, "subject")) {
            subject = value;
        } else if (iequals(name, "keywords") || iequals(name, "comments") ||
                   iequals(name, "in-reply-to") || iequals(name, "references")) {
            extra += name + ": " + encode_header_text(value) + "\r\n";
        }
    }
    // RFC 5435 §3.6: the :message text; its absence gets a summary of the message.
    std::string summary =
        n.message.empty() ? fmt::format("New mail from {}: {}",
                                        mime::decode_unstructured(original_from), original_subject)
                          : n.message;
    if (subject.empty())
        subject = summary;
    if (subject.size() > 256)
        subject.resize(256);
    while (!subject.empty() && (static_cast<unsigned char>(subject.back()) & 0xC0) == 0x80)
        subject.pop_back();
    std::string body = uri->body ? *uri->body : summary;
    std::string to_line;
    for (const auto& t : uri->to)
        to_line += (to_line.empty() ? "<" : ", <") + t + ">";
    std::string r;
    r += "From: <" + from + ">\r\n";
    r += "To: " + to_line + "\r\n";
    r += "Subject: " + encode_header_text(subject) + "\r\n";
    r += "Date: " + rfc5322_date(c.now) + "\r\n";
    r += fmt::format("Message-ID: <sieve-notify.{}.{}@{}>\r\n", c.now,
                     c.unique.empty() ? "n" : c.unique, c.hostname);
    r += "Auto-Submitted: auto-notified\r\n";
    r += "Precedence: bulk\r\n";
    if (n.importance == "1")
        r += "X-Priority: 1 (Highest)\r\nImportance: High\r\n";
    else if (n.importance == "3")
        r += "X-Priority: 5 (Lowest)\r\nImportance: Low\r\n";
    r += extra;
    r += "MIME-Version: 1.0\r\n";
    r += "Content-Type: text/plain; charset=utf-8\r\n";
    r += "Content-Transfer-Encoding: 8bit\r\n\r\n";
    r += crlf(body);
    if (!r.ends_with("\r\n"))
        r += "\r\n";
    for (const auto& t : uri->to) {
        OutgoingMessage msg;
        msg.redirect = true;
        msg.envelope_from = "";
        msg.envelope_to = t;
        msg.raw = r;
        out.push_back(std::move(msg));
    }
    return out;
}

}  // namespace postern::sieve
