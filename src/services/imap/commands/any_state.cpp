// Commands valid in any state: CAPABILITY, NOOP/CHECK, LOGOUT (RFC 9051 §6.1, §6.4.1), ID
// (RFC 2971) and ENABLE (RFC 5161, RFC 9051 §6.3.1).
#include "base/strings.h"
#include "services/imap/session.h"

namespace postern::services::imap {

namespace asio = boost::asio;

Session::Flow Session::on_capability(const wire::Command& c) {
    auto caps = capabilities();
    wire::append_capability(out_, caps);
    ok(c, "CAPABILITY completed");
    return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_noop(const wire::Command& c) {
    co_await report_updates(true);
    ok(c, c.name == wire::CommandName::check ? "CHECK completed" : "NOOP completed");
    co_return Flow::next;
}

Session::Flow Session::on_logout(const wire::Command& c) {
    wire::append_bye(out_, "Logging out", mode_);
    ok(c, "LOGOUT completed");
    return Flow::close;
}

Session::Flow Session::on_id(const wire::Command& c, const wire::Id& id) {
    if (id.fields && ctx_.logger.enabled(log::kInfo)) {
        std::string said;
        for (auto& [k, v] : *id.fields) {
            if (said.size() > 256)
                break;
            said += k + "=" + (v ? *v : "NIL") + " ";
        }
        ctx_.logger.info("client ID: {}", said);
    }
    // RFC 2971 §3.3: say what we are, not which version (that helps attackers only).
    std::vector<wire::IdField> fields{{"name", "Postern"}, {"vendor", "Postern"}};
    wire::append_id(out_, fields, mode_);
    ok(c, "ID completed");
    return Flow::next;
}

Session::Flow Session::on_enable(const wire::Command& c, const wire::Enable& enable) {
    std::vector<std::string> enabled;
    for (const auto& cap : enable.capabilities) {
        if (cap == "IMAP4REV2" && !mode_.imap4rev2) {
            mode_.imap4rev2 = true;
            enabled.emplace_back("IMAP4rev2");
        } else if (cap == "UTF8=ACCEPT" && !mode_.utf8_accept) {
            mode_.utf8_accept = true;
            enabled.emplace_back("UTF8=ACCEPT");
        } else if (cap == "CONDSTORE" && !condstore_) {
            condstore_ = true;
            enabled.emplace_back("CONDSTORE");
        } else if (cap == "QRESYNC" && !qresync_) {
            // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3).
            qresync_ = true;
            condstore_ = true;
            enabled.emplace_back("QRESYNC");
        }
    }
    wire::append_enabled(out_, enabled);
    ok(c, "ENABLE completed");
    return Flow::next;
}

}  // namespace postern::services::imap
