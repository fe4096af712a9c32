// COPY and UID COPY (RFC 9051 §6.4.7), MOVE and UID MOVE (RFC 6851, RFC 9051 §6.4.8), with
// COPYUID (RFC 4315 §3). Bodies are never copied: the store adds references.
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

asio::awaitable<Session::Flow> Session::on_copy(const wire::Command& c,
                                                const wire::SequenceSet& set,
                                                const wire::MailboxName& to, bool move) {
    auto* box = selected();
    auto name = mailbox_name(to);
    if (!name)
        co_return invalid_name(c);
    if (move && box->read_only()) {
        no(c, "Mailbox is read-only", wire::codes::read_only());
        co_return Flow::next;
    }
    // MOVE takes the messages away: "t" and "e" on the source (RFC 4314 §4, RFC 6851 §3.3).
    if (move && !(box->rights().has(wire::Right::delete_messages) &&
                  box->rights().has(wire::Right::expunge))) {
        no(c, "Permission denied", wire::codes::no_perm());
        co_return Flow::next;
    }
    auto uids = box->resolve(set, c.uid);
    if (uids.empty()) {
        // RFC 9051 §6.4.7: nothing to copy is not an error for UID COPY; a message number that
        // does not exist is.
        if (!c.uid && !set.saved) {
            no(c, "No such message", wire::codes::nonexistent());
            co_return Flow::next;
        }
        co_await report_updates(true);
        ok(c, move ? "MOVE completed" : "COPY completed");
        co_return Flow::next;
    }
    auto acl = access();
    auto& source = box->mailbox();
    std::optional<store::StoreError> error;
    bool missing = false;
    store::CopyResult result;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::insert);
        if (!ref) {
            missing = ref.error().code == store::StoreErrc::not_found;
            error = ref.error();
            return;
        }
        auto dest = ref->owner->open_mailbox(ref->name);
        if (!dest) {
            missing = dest.error().code == store::StoreErrc::not_found;
            error = dest.error();
            return;
        }
        auto set_of = SelectedMailbox::to_set(uids);
        if (move && (*dest)->id() == source.id() && &(*dest)->account() == &source.account()) {
            // MOVE into the selected mailbox itself: new UIDs for the same messages, the old
            // ones expunged (RFC 6851 allows it; clients use it to "touch" messages).
            auto r = source.copy(set_of, **dest);
            if (!r) {
                error = r.error();
                return;
            }
            result = std::move(*r);
            if (auto e = expunge_uids(source, set_of); !e)
                error = e.error();
            return;
        }
        auto r = move ? source.move(set_of, **dest) : source.copy(set_of, **dest);
        if (!r)
            error = r.error();
        else
            result = std::move(*r);
    });
    if (missing) {
        no(c, "No such mailbox", wire::codes::try_create());
        co_return Flow::next;
    }
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    std::vector<wire::UidPair> pairs;
    pairs.reserve(result.uids.size());
    for (auto& p : result.uids)
        pairs.push_back({p.source, p.dest});
    auto code = pairs.empty()
                    ? std::nullopt
                    : std::optional(wire::codes::copy_uid(result.dest_uidvalidity, pairs));
    if (move) {
        // RFC 6851 §4.3: COPYUID comes in an untagged OK before the expunges.
        if (code)
            wire::append_untagged(out_, wire::ResponseCondition::ok, code, "Moved", mode_);
        co_await report_updates(true);
        ok(c, "MOVE completed");
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "COPY completed", code);
    co_return Flow::next;
}

}  // namespace postern::services::imap
