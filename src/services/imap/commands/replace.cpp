// REPLACE and UID REPLACE (RFC 8508): append the new version of a message (to this or another
// mailbox), then expunge the old one; if the append fails, nothing is expunged.
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

asio::awaitable<Session::Flow> Session::on_replace(const wire::Command& c, const wire::Replace& a) {
    auto* box = selected();
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    if (box->read_only()) {
        no(c, "Mailbox is read-only", wire::codes::read_only());
        co_return Flow::next;
    }
    // The replaced message goes away as with MOVE: "t" and "e" (RFC 8508 §3.1, RFC 4314 §4).
    if (!(box->rights().has(wire::Right::delete_messages) &&
          box->rights().has(wire::Right::expunge))) {
        no(c, "Permission denied", wire::codes::no_perm());
        co_return Flow::next;
    }
    wire::SequenceSet one;
    one.ranges.push_back({a.number, a.number});
    auto old = box->resolve(one, c.uid);
    if (old.empty()) {
        no(c, "No such message", wire::codes::nonexistent());
        co_return Flow::next;
    }
    store::AppendOptions options;
    if (!parse_flags(a.message.flags, options.flags))
        co_return bad(c.tag, "Invalid flag in REPLACE");
    if (a.message.internal_date)
        options.internal_date = wire::to_unix_time(*a.message.internal_date);
    if (a.message.data.empty()) {
        no(c, "Empty message", wire::codes::cannot());
        co_return Flow::next;
    }
    auto acl = access();
    auto& source = box->mailbox();
    std::optional<store::StoreError> error;
    bool missing = false;
    store::AppendResult added;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::insert);
        if (!ref) {
            missing = ref.error().code == store::StoreErrc::not_found;
            error = ref.error();
            return;
        }
        keep_permitted(options.flags, ref->rights);
        auto dest = ref->owner->open_mailbox(ref->name);
        if (!dest) {
            missing = dest.error().code == store::StoreErrc::not_found;
            error = dest.error();
            return;
        }
        auto r = (*dest)->append(a.message.data, options);
        if (!r) {
            error = r.error();
            return;
        }
        added = *r;
        (void)expunge_uids(source, SelectedMailbox::to_set(old));
    });
    if (missing) {
        no(c, "No such mailbox", wire::codes::try_create());
        co_return Flow::next;
    }
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    // RFC 8508 §3.3: APPENDUID in an untagged OK, then the expunge of the old message.
    std::vector<std::uint32_t> uids{added.uid};
    wire::append_untagged(out_, wire::ResponseCondition::ok,
                          wire::codes::append_uid(added.uidvalidity, uids), "Replacement stored",
                          mode_);
    co_await report_updates(true);
    ok(c, "REPLACE completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
