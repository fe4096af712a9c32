// Socket filter client: one message per connection; the filter closes after its reply.
#include "filter/scan/socket_filter.h"

#include "filter/scan/actions.h"
#include "filter/scan/levels.h"

namespace postern::filter::scan {

Result<SocketFilterReply> SocketFilter::exchange(std::string_view request) {
    auto until = deadline();
    auto conn = connect();
    if (!conn)
        return fail(conn.error());
    if (auto st = conn->write_all(request, until); !st)
        return fail(st.error());
    auto bytes = conn->read_to_end(1u << 20, until);
    if (!bytes)
        return fail(bytes.error());
    return parse_socket_filter_reply(*bytes);
}

Status SocketFilter::ping() {
    auto reply = exchange(kSocketFilterPing);
    if (!reply)
        return fail(reply.error());
    if (reply->action != SocketFilterReply::Action::pong)
        return fail(Errc::unavailable, "the filter answered PING without PONG");
    return ok();
}

Result<Verdict> SocketFilter::scan(const MessageView& message) {
    auto request = socket_filter_request(message);
    auto reply = exchange(request);
    if (!reply)
        return fail(reply.error());
    using A = SocketFilterReply::Action;
    auto log = log_.with_session(std::string(message.queue_id));
    if (reply->action == A::tempfail) {
        // It answered: not down, but the message waits (Errc::cancelled: see scanner.h).
        return fail(Errc::cancelled,
                    "filter " + config_.name + " asked to retry later: " + reply->text);
    }
    if (reply->action == A::pong)
        return fail(Errc::invalid_argument, "PONG in reply to a scan");
    Verdict v;
    if (reply->spam_score) {
        SpamResult r{reply->spam_score->first >= reply->spam_score->second,
                     reply->spam_score->first,
                     reply->spam_score->second,
                     {}};
        v = spam_verdict(config_, message.raw, r);
    }
    if (reply->virus) {
        auto vv = virus_verdict(config_, !reply->virus->empty(), *reply->virus);
        v.add_headers.insert(v.add_headers.end(), vv.add_headers.begin(), vv.add_headers.end());
        if (v.remove_headers.empty())
            v.remove_headers = vv.remove_headers;
        if (vv.action != Verdict::Action::pass) {
            v.action = vv.action;
            v.status = vv.status;
            v.text = vv.text;
        }
        if (vv.mailbox)
            v.mailbox = vv.mailbox;
    }
    v.add_headers.insert(v.add_headers.end(), reply->add_headers.begin(), reply->add_headers.end());
    v.remove_headers.insert(v.remove_headers.end(), reply->remove_headers.begin(),
                            reply->remove_headers.end());
    if (reply->mailbox)
        v.mailbox = reply->mailbox;
    // The filter's own action wins over the one derived from its score.
    if (reply->action == A::reject) {
        v.action = Verdict::Action::reject;
        v.status = reply->status.empty() || reply->status[0] != '5' ? "5.7.1" : reply->status;
        v.text = reply->text.empty() ? "rejected by filter " + config_.name : reply->text;
    } else if (reply->action == A::discard) {
        v.action = Verdict::Action::discard;
        v.text = reply->text.empty() ? "discarded by filter " + config_.name : reply->text;
    }
    static constexpr const char* kNames[] = {"pass", "reject", "discard"};
    log.info("{}: {} {}", config_.name, kNames[static_cast<int>(v.action)], reply->text);
    return v;
}

Verdict SocketFilter::not_scanned(std::string_view) {
    return {};
}

}  // namespace postern::filter::scan
