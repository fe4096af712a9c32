// SPAMC/SPAMD 1.5 requests and reply parsing (SpamAssassin spamd/PROTOCOL).
#include "filter/scan/spamd_protocol.h"

#include <charconv>
#include <cmath>

#include "base/strings.h"

namespace postern::filter::scan {

namespace {

constexpr std::string_view kNames[] = {"CHECK", "SYMBOLS", "REPORT", "PROCESS", "PING"};

std::string_view trim_ws(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool parse_double(std::string_view s, double& out) {
    s = trim_ws(s);
    if (s.empty() || s.size() > 32)
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size() && std::isfinite(out) &&
           std::fabs(out) < 1e9;
}

bool parse_uint(std::string_view s, std::size_t& out) {
    s = trim_ws(s);
    if (s.empty() || s.size() > 19)
        return false;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

Result<SpamdReply> bad(std::string why) {
    return fail(Errc::invalid_argument, "spamd reply: " + why);
}

}  // namespace

std::string_view spamd_command_name(SpamdCommand command) {
    return kNames[static_cast<int>(command)];
}

std::optional<SpamdCommand> parse_spamd_command(std::string_view name) {
    for (int i = 0; i < 5; ++i)
        if (iequals(name, kNames[i]))
            return static_cast<SpamdCommand>(i);
    return std::nullopt;
}

std::string spamd_request(SpamdCommand command, std::string_view message, std::string_view user) {
    std::string out;
    out.reserve(message.size() + 96);
    out.append(spamd_command_name(command)).append(" SPAMC/1.5\r\n");
    if (command == SpamdCommand::ping) {
        out.append("\r\n");
        return out;
    }
    out.append("Content-length: ").append(std::to_string(message.size())).append("\r\n");
    if (!user.empty()) {
        out.append("User: ");
        for (char c : user)
            if (c != '\r' && c != '\n')
                out.push_back(c);
        out.append("\r\n");
    }
    out.append("\r\n");
    out.append(message);
    return out;
}

Result<SpamdReply> parse_spamd_reply(std::string_view bytes, SpamdCommand command,
                                     const SpamdLimits& limits) {
    SpamdReply reply;
    auto next_line = [&](std::string_view& line) -> Status {
        auto eol = bytes.find('\n');
        if (eol == std::string_view::npos) {
            if (bytes.size() > limits.max_header_line)
                return fail(Errc::limit_exceeded, "spamd reply: line too long");
            return fail(Errc::invalid_argument, "spamd reply: truncated");
        }
        if (eol > limits.max_header_line)
            return fail(Errc::limit_exceeded, "spamd reply: line too long");
        line = bytes.substr(0, eol);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        bytes.remove_prefix(eol + 1);
        return ok();
    };
    std::string_view status;
    if (auto st = next_line(status); !st)
        return fail(st.error());
    // "SPAMD/1.1 0 EX_OK"
    if (!status.starts_with("SPAMD/"))
        return bad("no SPAMD/ status line");
    auto sp = status.find(' ');
    if (sp == std::string_view::npos)
        return bad("malformed status line");
    auto rest = status.substr(sp + 1);
    auto sp2 = rest.find(' ');
    auto code_text = rest.substr(0, sp2);
    std::size_t code = 0;
    if (!parse_uint(code_text, code) || code > 255)
        return bad("malformed status code");
    reply.code = static_cast<int>(code);
    reply.message = std::string(sp2 == std::string_view::npos ? "" : trim_ws(rest.substr(sp2 + 1)));
    if (reply.code != 0)
        return fail(Errc::unavailable,
                    "spamd error " + std::to_string(reply.code) + " " + reply.message);
    if (command == SpamdCommand::ping) {
        reply.pong = reply.message == "PONG";
        if (!reply.pong)
            return bad("PING answered without PONG");
        return reply;
    }
    std::optional<std::size_t> content_length;
    std::size_t headers = 0;
    for (;;) {
        std::string_view line;
        if (auto st = next_line(line); !st)
            return fail(st.error());
        if (line.empty())
            break;
        if (++headers > limits.max_headers)
            return fail(Errc::limit_exceeded, "spamd reply: too many headers");
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            return bad("header without a colon");
        auto name = line.substr(0, colon);
        auto value = trim_ws(line.substr(colon + 1));
        if (iequals(name, "Spam")) {
            // "True ; 15.0 / 5.0"
            auto semi = value.find(';');
            auto slash = value.find('/');
            if (semi == std::string_view::npos || slash == std::string_view::npos || slash < semi)
                return bad("malformed Spam header");
            auto flag = trim_ws(value.substr(0, semi));
            if (iequals(flag, "True") || iequals(flag, "Yes")) {
                reply.spam = true;
            } else if (!iequals(flag, "False") && !iequals(flag, "No")) {
                return bad("malformed Spam flag");
            }
            if (!parse_double(value.substr(semi + 1, slash - semi - 1), reply.score) ||
                !parse_double(value.substr(slash + 1), reply.required))
                return bad("malformed Spam score");
            reply.has_result = true;
        } else if (iequals(name, "Content-length")) {
            std::size_t n = 0;
            if (!parse_uint(value, n))
                return bad("malformed Content-length");
            if (n > limits.max_body)
                return fail(Errc::limit_exceeded, "spamd reply: body too large");
            content_length = n;
        }
    }
    if (bytes.size() > limits.max_body)
        return fail(Errc::limit_exceeded, "spamd reply: body too large");
    if (content_length && *content_length != bytes.size())
        return bad("Content-length does not match the body");
    if (!reply.has_result && command != SpamdCommand::process)
        return bad("no Spam header");
    if (command == SpamdCommand::symbols) {
        auto text = trim_ws(bytes);
        while (!text.empty() && (text.back() == '\r' || text.back() == '\n'))
            text.remove_suffix(1);
        for (auto part : split(text, ',')) {
            auto s = trim_ws(part);
            if (!s.empty())
                reply.symbols.emplace_back(s);
        }
    } else if (command == SpamdCommand::report || command == SpamdCommand::process) {
        reply.body = std::string(bytes);
    }
    return reply;
}

}  // namespace postern::filter::scan
