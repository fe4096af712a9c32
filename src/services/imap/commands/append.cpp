// APPEND with flags and date (RFC 9051 §6.3.12), MULTIAPPEND (RFC 3502: all or none), UIDPLUS
// APPENDUID (RFC 4315 §3), APPENDLIMIT (RFC 7889, enforced by the receiver's literal limit) and
// the UTF8 form (RFC 6855 §4).
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

asio::awaitable<Session::Flow> Session::on_append(const wire::Command& c, const wire::Append& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    if (a.messages.size() > cfg_.max_append_messages) {
        no(c, "Too many messages in one APPEND", wire::codes::limit());
        co_return Flow::next;
    }
    std::vector<store::AppendOptions> options(a.messages.size());
    for (std::size_t i = 0; i < a.messages.size(); ++i) {
        const auto& m = a.messages[i];
        if (!parse_flags(m.flags, options[i].flags))
            co_return bad(c.tag, "Invalid flag in APPEND");
        if (m.internal_date)
            options[i].internal_date = wire::to_unix_time(*m.internal_date);
        if (m.data.empty()) {
            no(c, "Empty message", wire::codes::cannot());
            co_return Flow::next;
        }
    }
    auto acl = access();
    std::optional<store::StoreError> error;
    bool missing = false;
    std::vector<std::uint32_t> uids;
    std::uint32_t uidvalidity = 0;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::insert);
        if (!ref) {
            missing = ref.error().code == store::StoreErrc::not_found;
            error = ref.error();
            return;
        }
        for (auto& o : options)
            keep_permitted(o.flags, ref->rights);
        auto m = ref->owner->open_mailbox(ref->name);
        if (!m) {
            missing = m.error().code == store::StoreErrc::not_found;
            error = m.error();
            return;
        }
        auto& mailbox = **m;
        for (std::size_t i = 0; i < a.messages.size(); ++i) {
            auto r = mailbox.append(a.messages[i].data, options[i]);
            if (!r) {
                error = r.error();
                break;
            }
            uids.push_back(r->uid);
            uidvalidity = r->uidvalidity;
        }
        if (error && !uids.empty()) {
            // MULTIAPPEND is all or nothing (RFC 3502 §6): take back what went in.
            (void)expunge_uids(mailbox, SelectedMailbox::to_set(uids));
            uids.clear();
        }
    });
    if (missing) {
        no(c, "No such mailbox", wire::codes::try_create());
        co_return Flow::next;
    }
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "APPEND completed", wire::codes::append_uid(uidvalidity, uids));
    co_return Flow::next;
}

}  // namespace postern::services::imap
