// clamd client: zINSTREAM in chunks; clamd may answer early (size limit) and close.
#include "filter/scan/clamd_filter.h"

#include "filter/scan/actions.h"

namespace postern::filter::scan {

namespace {

// Reads one NUL-terminated reply (or up to EOF), at most kClamdMaxReply bytes.
Result<std::string> read_reply(Connection& conn, Clock::time_point until) {
    std::string out;
    char buffer[512];
    for (;;) {
        auto n = conn.read_some(buffer, sizeof buffer, until);
        if (!n)
            return fail(n.error());
        if (*n == 0)
            break;
        out.append(buffer, *n);
        if (out.find('\0') != std::string::npos)
            break;
        if (out.size() > kClamdMaxReply)
            return fail(Errc::limit_exceeded, "clamd reply too long");
    }
    if (out.empty())
        return fail(Errc::unavailable, "clamd closed the connection without a reply");
    auto nul = out.find('\0');
    if (nul != std::string::npos)
        out.resize(nul);
    return out;
}

}  // namespace

Status ClamdFilter::ping() {
    auto until = deadline();
    auto conn = connect();
    if (!conn)
        return fail(conn.error());
    if (auto st = conn->write_all(kClamdPing, until); !st)
        return st;
    auto reply = read_reply(*conn, until);
    if (!reply)
        return fail(reply.error());
    if (!is_clamd_pong(*reply))
        return fail(Errc::unavailable, "clamd answered PING with something else");
    return ok();
}

Result<ClamdResult> ClamdFilter::instream(std::string_view message) {
    auto until = deadline();
    auto conn = connect();
    if (!conn)
        return fail(conn.error());
    if (auto st = conn->write_all(kClamdInstream, until); !st)
        return fail(st.error());
    // Chunk by chunk: when clamd's StreamMaxLength is reached it replies and closes, and
    // the rest of our write fails; its reply is still there to read.
    auto chunk = static_cast<std::size_t>(config_.chunk_size);
    Status written = ok();
    for (std::size_t pos = 0; pos < message.size() && written; pos += chunk) {
        written = conn->write_all(clamd_chunk(message.substr(pos, chunk)), until);
    }
    if (written)
        written = conn->write_all(clamd_chunk({}), until);
    auto reply = read_reply(*conn, until);
    if (!reply)
        return fail(written ? reply.error() : written.error());
    return parse_clamd_reply(*reply);
}

Result<Verdict> ClamdFilter::scan(const MessageView& message) {
    auto result = instream(message.raw);
    if (!result)
        return fail(result.error());
    auto log = log_.with_session(std::string(message.queue_id));
    if (result->status == ClamdResult::Status::size_limit) {
        log.warn("{}: not scanned: over clamd's StreamMaxLength (lower max_size to below it)",
                 config_.name);
        return virus_not_scanned("over the scanner's stream size limit");
    }
    bool infected = result->status == ClamdResult::Status::infected;
    log.info("{}: {}", config_.name, infected ? "infected: " + result->virus : "clean");
    return virus_verdict(config_, infected, result->virus);
}

Verdict ClamdFilter::not_scanned(std::string_view why) {
    return virus_not_scanned(why);
}

}  // namespace postern::filter::scan
