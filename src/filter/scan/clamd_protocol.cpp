// clamd INSTREAM framing and reply parsing (clamd(8), "INSTREAM").
#include "filter/scan/clamd_protocol.h"

#include <algorithm>

namespace postern::filter::scan {

std::string clamd_chunk(std::string_view data) {
    std::string out;
    auto n = static_cast<std::uint32_t>(data.size());
    out.reserve(4 + data.size());
    out.push_back(static_cast<char>((n >> 24) & 0xff));
    out.push_back(static_cast<char>((n >> 16) & 0xff));
    out.push_back(static_cast<char>((n >> 8) & 0xff));
    out.push_back(static_cast<char>(n & 0xff));
    out.append(data);
    return out;
}

std::string clamd_stream(std::string_view message, std::size_t chunk_size) {
    chunk_size = std::max<std::size_t>(chunk_size, 1);
    std::string out;
    out.reserve(message.size() + 4 * (message.size() / chunk_size + 2));
    while (!message.empty()) {
        auto n = std::min(chunk_size, message.size());
        out += clamd_chunk(message.substr(0, n));
        message.remove_prefix(n);
    }
    out += clamd_chunk({});
    return out;
}

namespace {

std::string_view strip_terminator(std::string_view s) {
    while (!s.empty() && (s.back() == '\0' || s.back() == '\n' || s.back() == '\r'))
        s.remove_suffix(1);
    return s;
}

bool printable(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u >= 0x20 && u != 0x7f;
    });
}

}  // namespace

Result<ClamdResult> parse_clamd_reply(std::string_view bytes) {
    if (bytes.size() > kClamdMaxReply)
        return fail(Errc::limit_exceeded, "clamd reply too long");
    auto s = strip_terminator(bytes);
    if (s.empty())
        return fail(Errc::invalid_argument, "clamd reply: empty");
    if (!printable(s))
        return fail(Errc::invalid_argument, "clamd reply: control characters");
    ClamdResult r;
    if (s.ends_with(" ERROR")) {
        if (s.find("size limit exceeded") != std::string_view::npos) {
            r.status = ClamdResult::Status::size_limit;
            return r;
        }
        return fail(Errc::unavailable, "clamd: " + std::string(s));
    }
    // "stream: OK" / "stream: <name> FOUND" (clamd may prefix a session id "1: stream: ...").
    auto colon = s.rfind(": ");
    if (colon == std::string_view::npos)
        return fail(Errc::invalid_argument, "clamd reply: no result");
    auto result = s.substr(colon + 2);
    if (result == "OK")
        return r;
    if (result.ends_with(" FOUND")) {
        auto name = result.substr(0, result.size() - 6);
        if (name.empty())
            return fail(Errc::invalid_argument, "clamd reply: FOUND without a name");
        r.status = ClamdResult::Status::infected;
        r.virus = std::string(name.substr(0, 256));
        return r;
    }
    return fail(Errc::invalid_argument, "clamd reply: unknown result");
}

bool is_clamd_pong(std::string_view bytes) {
    return bytes.size() <= 64 && strip_terminator(bytes) == "PONG";
}

}  // namespace postern::filter::scan
