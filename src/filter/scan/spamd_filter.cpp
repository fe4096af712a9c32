// spamd client: one connection per message (spamd closes after each reply).
#include "filter/scan/spamd_filter.h"

#include "base/strings.h"
#include "filter/scan/actions.h"

namespace postern::filter::scan {

Result<SpamdReply> SpamdFilter::exchange(SpamdCommand command, std::string_view message) {
    auto until = deadline();
    auto conn = connect();
    if (!conn)
        return fail(conn.error());
    auto request = spamd_request(command, message, config_.spamd_user);
    if (auto st = conn->write_all(request, until); !st)
        return fail(st.error());
    conn->shutdown_write();
    SpamdLimits limits;
    limits.max_body = command == SpamdCommand::process ? message.size() * 2 + 65536 : 1u << 20;
    auto bytes = conn->read_to_end(limits.max_body + 64 * 1024, until);
    if (!bytes)
        return fail(bytes.error());
    return parse_spamd_reply(*bytes, command, limits);
}

Status SpamdFilter::ping() {
    auto reply = exchange(SpamdCommand::ping, {});
    if (!reply)
        return fail(reply.error());
    return ok();
}

Result<Verdict> SpamdFilter::scan(const MessageView& message) {
    auto command = parse_spamd_command(config_.spamd_command).value_or(SpamdCommand::symbols);
    auto reply = exchange(command, message.raw);
    if (!reply)
        return fail(reply.error());
    std::string tests;
    for (auto& s : reply->symbols) {
        if (!tests.empty())
            tests += ',';
        tests += s;
    }
    SpamResult r{reply->spam, reply->score, reply->required, tests};
    log_.with_session(std::string(message.queue_id))
        .info("{}: {} score={:.1f}/{:.1f}{}", config_.name, reply->spam ? "spam" : "ham",
              reply->score, reply->required, tests.empty() ? "" : " tests=" + tests);
    return spam_verdict(config_, message.raw, r);
}

Verdict SpamdFilter::not_scanned(std::string_view why) {
    return spam_not_scanned(why);
}

}  // namespace postern::filter::scan
