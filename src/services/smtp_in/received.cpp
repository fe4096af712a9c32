// Received field construction (RFC 5321 §4.4 "Time-stamp-line").
#include "services/smtp_in/received.h"

#include <time.h>

#include <cstdio>
#include <vector>

namespace postern::services::smtp_in {

std::string rfc5322_date(std::chrono::system_clock::time_point when) {
    auto t = std::chrono::system_clock::to_time_t(when);
    struct tm local {};
    localtime_r(&t, &local);
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    long offset = local.tm_gmtoff;
    char sign = offset < 0 ? '-' : '+';
    if (offset < 0) offset = -offset;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%s, %d %s %04d %02d:%02d:%02d %c%02ld%02ld", kDays[local.tm_wday], local.tm_mday,
                  kMonths[local.tm_mon], local.tm_year + 1900, local.tm_hour, local.tm_min, local.tm_sec, sign,
                  offset / 3600, (offset % 3600) / 60);
    return buf;
}

std::string with_protocol(bool esmtp, bool tls, bool authenticated, bool lmtp, bool utf8) {
    if (!esmtp && !lmtp) return "SMTP";
    // RFC 6531 §4.3 replaces the "E" of ESMTP by "UTF8" (UTF8SMTPSA); LMTP gets the prefix too.
    std::string p = utf8 ? (lmtp ? "UTF8LMTP" : "UTF8SMTP") : (lmtp ? "LMTP" : "ESMTP");
    if (tls) p += "S";
    if (authenticated) p += "A";
    return p;
}

namespace {

// Strips characters that would break the field (the HELO name is the client's text).
std::string clean(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (c < 0x20 || c == 0x7f || c == '(' || c == ')' || c == ';') continue;
        out += static_cast<char>(c);
        if (out.size() >= 255) break;
    }
    return out.empty() ? "unknown" : out;
}

}  // namespace

std::string received_field(const ReceivedInfo& info) {
    std::vector<std::string> parts;
    std::string from = "from " + clean(info.helo) + " (";
    // RFC 5321 §4.4 TCP-info: the verified name, or "unknown" as Postfix and others write it.
    from += (info.reverse_name.empty() ? std::string("unknown") : clean(info.reverse_name)) + " ";
    from += "[" + info.client_ip + "])";
    parts.push_back(from);
    parts.push_back("by " + info.server_name + " (Postern)");
    std::string with = "with " + info.protocol;
    if (!info.tls.empty()) with += " (" + clean(info.tls) + ")";
    parts.push_back(with);
    if (!info.auth_user.empty()) parts.push_back("(authenticated as " + clean(info.auth_user) + ")");
    parts.push_back("id " + info.queue_id);
    if (!info.recipient.empty()) parts.push_back("for <" + info.recipient + ">");
    // Fold between parts so no line passes 78 characters where it can be avoided.
    std::string out = "Received:";
    std::size_t column = out.size();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto& p = parts[i];
        if (column + 1 + p.size() > 78 && column > 8) {
            out += "\r\n\t";
            column = 8;
        } else {
            out += " ";
            ++column;
        }
        out += p;
        column += p.size();
    }
    out += ";\r\n\t" + rfc5322_date(info.when) + "\r\n";
    return out;
}

}  // namespace postern::services::smtp_in
