// POSTERN-FILTER/1 request writer and reply parser (docs/socket-filter.md).
#include "filter/scan/socket_filter_protocol.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "base/strings.h"

namespace postern::filter::scan {

namespace {

// Envelope values are one line each; anything that could break the framing is dropped.
std::string one_line(std::string_view s) {
    std::string out;
    for (char c : s.substr(0, 2048))
        if (c != '\r' && c != '\n' && c != '\0')
            out.push_back(c);
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool parse_number(std::string_view s, double& out) {
    s = trim(s);
    if (s.empty() || s.size() > 32)
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out) &&
           std::fabs(out) < 1e9;
}

bool valid_field_name(std::string_view n) {
    return !n.empty() && n.size() <= 76 && std::all_of(n.begin(), n.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 0x20 && u < 0x7f && c != ':';
    });
}

bool printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x20 || c == '\t';
    });
}

bool valid_status(std::string_view s) {
    // RFC 3463 class.subject.detail: [245].\d{1,3}.\d{1,3}
    if (s.size() < 5 || s.size() > 9 || (s[0] != '2' && s[0] != '4' && s[0] != '5') || s[1] != '.')
        return false;
    auto parts = split(s, '.');
    if (parts.size() != 3)
        return false;
    for (auto p : parts)
        if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), ::isdigit))
            return false;
    return true;
}

Result<SocketFilterReply> bad(std::string why) {
    return fail(Errc::invalid_argument, "socket filter reply: " + why);
}

}  // namespace

std::string socket_filter_request(const MessageView& m) {
    std::string out;
    out.reserve(m.raw.size() + 512);
    out.append(kSocketFilterVersion).append(" SCAN\r\n");
    auto field = [&](std::string_view name, std::string_view value) {
        out.append(name).append(": ").append(one_line(value)).append("\r\n");
    };
    field("Queue-Id", m.queue_id);
    field("Client-Address", m.client_ip);
    field("Helo", m.helo);
    field("Auth", m.auth_user);
    field("From", m.sender);
    for (auto& r : m.recipients)
        field("Rcpt", r);
    field("Size", std::to_string(m.raw.size()));
    out.append("\r\n");
    out.append(m.raw);
    return out;
}

Result<SocketFilterReply> parse_socket_filter_reply(std::string_view bytes,
                                                    const SocketFilterLimits& limits) {
    SocketFilterReply reply;
    std::size_t lines = 0;
    bool first = true;
    for (;;) {
        auto eol = bytes.find('\n');
        if (eol == std::string_view::npos) {
            if (bytes.size() > limits.max_line)
                return fail(Errc::limit_exceeded, "socket filter reply: line too long");
            return bad("truncated");
        }
        if (eol > limits.max_line)
            return fail(Errc::limit_exceeded, "socket filter reply: line too long");
        auto line = bytes.substr(0, eol);
        bytes.remove_prefix(eol + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (++lines > limits.max_lines)
            return fail(Errc::limit_exceeded, "socket filter reply: too many lines");
        if (!printable(line))
            return bad("control characters");
        if (first) {
            first = false;
            // "POSTERN-FILTER/1 REJECT 5.7.1 text"
            if (!line.starts_with(kSocketFilterVersion) ||
                line.size() < kSocketFilterVersion.size() + 2 ||
                line[kSocketFilterVersion.size()] != ' ')
                return bad("no POSTERN-FILTER/1 status line");
            auto rest = line.substr(kSocketFilterVersion.size() + 1);
            auto sp = rest.find(' ');
            auto action = rest.substr(0, sp);
            rest = sp == std::string_view::npos ? std::string_view() : trim(rest.substr(sp + 1));
            using A = SocketFilterReply::Action;
            if (iequals(action, "PASS")) {
                reply.action = A::pass;
            } else if (iequals(action, "REJECT")) {
                reply.action = A::reject;
            } else if (iequals(action, "DISCARD")) {
                reply.action = A::discard;
            } else if (iequals(action, "TEMPFAIL")) {
                reply.action = A::tempfail;
            } else if (iequals(action, "PONG")) {
                reply.action = A::pong;
            } else {
                return bad("unknown action");
            }
            if (reply.action == A::reject || reply.action == A::tempfail) {
                auto sp2 = rest.find(' ');
                auto code = rest.substr(0, sp2);
                if (valid_status(code)) {
                    reply.status = std::string(code);
                    rest = sp2 == std::string_view::npos ? std::string_view()
                                                         : trim(rest.substr(sp2 + 1));
                }
            }
            reply.text = std::string(rest.substr(0, 512));
            continue;
        }
        if (line.empty())
            return reply;
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return bad("line without a colon");
        auto name = trim(line.substr(0, colon));
        auto value = trim(line.substr(colon + 1));
        if (iequals(name, "Add-Header")) {
            auto c2 = value.find(':');
            if (c2 == std::string_view::npos)
                return bad("Add-Header without a field name");
            auto fname = trim(value.substr(0, c2));
            if (!valid_field_name(fname))
                return bad("bad header field name");
            reply.add_headers.emplace_back(std::string(fname),
                                           std::string(trim(value.substr(c2 + 1))));
        } else if (iequals(name, "Remove-Header")) {
            if (!valid_field_name(value))
                return bad("bad header field name");
            reply.remove_headers.emplace_back(value);
        } else if (iequals(name, "Mailbox")) {
            if (value.empty() || value.size() > 255)
                return bad("bad mailbox");
            reply.mailbox = std::string(value);
        } else if (iequals(name, "Spam-Score")) {
            auto slash = value.find('/');
            double s = 0, r = 0;
            if (slash == std::string_view::npos || !parse_number(value.substr(0, slash), s) ||
                !parse_number(value.substr(slash + 1), r))
                return bad("malformed Spam-Score");
            reply.spam_score = std::make_pair(s, r);
        } else if (iequals(name, "Virus")) {
            reply.virus = std::string(value.substr(0, 256));
        }
        // Unknown fields are ignored: later versions may add some.
    }
}

}  // namespace postern::filter::scan
