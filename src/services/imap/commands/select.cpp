// SELECT/EXAMINE with CONDSTORE and QRESYNC (RFC 9051 §6.3.2-3, RFC 7162 §3.1.8, §3.2.5),
// CLOSE (§6.4.2), UNSELECT (RFC 3691) and EXPUNGE / UID EXPUNGE (§6.4.3, RFC 4315 §2.1).
#include <algorithm>

#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

asio::awaitable<Session::Flow> Session::on_select(const wire::Command& c, const wire::Select& a) {
    // Selecting closes the previous mailbox whatever happens next (RFC 9051 §6.3.2).
    if (selected()) {
        leave_mailbox();
        wire::append_untagged(out_, wire::ResponseCondition::ok, wire::codes::closed(),
                              "Previous mailbox closed", mode_);
    }
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    if (a.qresync && !qresync_)
        co_return bad(c.tag, "QRESYNC must be enabled first");
    if (a.condstore)
        condstore_ = true;
    auto acl = access();
    bool read_only = a.read_only;
    wire::Rights rights;
    std::shared_ptr<store::Account> acl_owner;  // rights held through an ACL
    std::uint64_t acl_generation = 0;
    std::string prefix;
    std::optional<store::StoreError> error;
    std::shared_ptr<store::Mailbox> mailbox;
    std::unique_ptr<store::ViewSession> view;
    store::MailboxInfo info;
    store::UidSet recent;
    std::optional<store::ChangesSince> changes;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::read);
        if (!ref) {
            error = ref.error();
            return;
        }
        rights = ref->rights;
        prefix = ref->prefix;
        if (!ref->owner_rights) {
            acl_owner = ref->owner;
            acl_generation = ref->acl_generation;
        }
        // Without a right to change anything the mailbox is read-only (RFC 4314 §4).
        if (!rights.any_of(wire::Rights()
                               .add(wire::Right::seen)
                               .add(wire::Right::write)
                               .add(wire::Right::delete_messages)
                               .add(wire::Right::expunge)))
            read_only = true;
        auto m = ref->owner->open_mailbox(ref->name);
        if (!m) {
            error = m.error();
            return;
        }
        mailbox = std::move(*m);
        auto i = mailbox->info();
        auto v = mailbox->open_session();
        if (!i || !v) {
            error = !i ? i.error() : v.error();
            return;
        }
        info = std::move(*i);
        view = std::move(*v);
        // EXAMINE shows \Recent without taking it from the next SELECT (RFC 3501 §6.3.2).
        if (auto r = read_only ? mailbox->recent() : mailbox->claim_recent())
            recent = std::move(*r);
        if (a.qresync && a.qresync->uidvalidity == info.uidvalidity)
            if (auto ch = mailbox->changes_since(a.qresync->modseq))
                changes = std::move(*ch);
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    auto box = std::make_unique<SelectedMailbox>(mailbox, std::move(view), info, read_only);
    box->add_recent(recent);
    box->set_rights(rights);
    box->set_examined(a.read_only);
    if (acl_owner)
        box->watch_acl(std::move(acl_owner), acl_generation);
    auto state = box->view().view()->state();
    announce_flags(*box);
    wire::append_exists(out_, box->exists());
    if (!mode_.imap4rev2) {
        wire::append_recent(out_, box->recent_count());
        // RFC 3501 §6.3.1: the first unseen message (IMAP4rev2 dropped it).
        const auto& uids = box->view().uids();
        for (std::size_t i = 0; i < uids.size(); ++i) {
            auto entry = box->view().view()->find(uids[i]);
            if (entry && !(entry->flags & store::kSeen)) {
                wire::append_untagged(out_, wire::ResponseCondition::ok,
                                      wire::codes::unseen(static_cast<std::uint32_t>(i + 1)),
                                      "First unseen", mode_);
                break;
            }
        }
    }
    wire::append_untagged(out_, wire::ResponseCondition::ok,
                          wire::codes::uid_validity(state.uidvalidity), "UIDs valid", mode_);
    wire::append_untagged(out_, wire::ResponseCondition::ok, wire::codes::uid_next(state.uidnext),
                          "Predicted next UID", mode_);
    wire::append_untagged(out_, wire::ResponseCondition::ok,
                          wire::codes::highest_modseq(state.highestmodseq), "Highest", mode_);
    wire::append_untagged(out_, wire::ResponseCondition::ok, wire::codes::mailbox_id(info.guid),
                          "Mailbox id", mode_);
    if (mode_.imap4rev2) {
        // RFC 9051 §6.3.2: the LIST reply tells the client the canonical name.
        wire::ListResponse e;
        e.delimiter = '/';
        e.name = prefix + info.name;
        wire::append_list(out_, e, mode_);
    }
    if (changes) {
        // QRESYNC (RFC 7162 §3.2.5.1): what vanished and what changed since the client's
        // MODSEQ, only for the UIDs it knows when it said which.
        std::vector<store::Uid> vanished;
        if (changes->vanished_exact) {
            vanished = changes->vanished;
        } else {
            vanished = changes->absent.to_vector(1'000'000);
        }
        if (a.qresync->known_uids) {
            // known-uids is a UID set: filter with its ranges directly.
            const auto& ranges = a.qresync->known_uids->ranges;
            std::erase_if(vanished, [&](store::Uid u) {
                return std::none_of(ranges.begin(), ranges.end(), [&](const wire::SeqRange& r) {
                    std::uint32_t lo = std::min(r.first, r.last);
                    std::uint32_t hi = std::max(r.first, r.last);
                    if (r.first == wire::kStar || r.last == wire::kStar)
                        hi = 0xFFFFFFFFu;
                    if (r.first == wire::kStar && r.last == wire::kStar)
                        lo = 0;
                    return u >= lo && u <= hi;
                });
            });
        }
        wire::append_vanished(out_, std::span<const std::uint32_t>(vanished), true);
        for (const auto& ch : changes->changed) {
            auto seq = box->seq_of(ch.uid);
            if (seq == 0)
                continue;
            auto names = flag_names(ch.flags.system, ch.flags.keywords, box->is_recent(ch.uid));
            out_ +=
                "* " + std::to_string(seq) + " FETCH (UID " + std::to_string(ch.uid) + " FLAGS ";
            wire::append_flag_list(out_, names);
            out_ += " MODSEQ (" + std::to_string(ch.modseq) + "))\r\n";
        }
    }
    User u = std::move(*user());
    state_ = Selected{std::move(u), std::move(box)};
    notify_watch_selected();  // NOTIFY (RFC 5465): the bus must deliver this mailbox's events
    ok(c, a.read_only ? "EXAMINE completed" : "SELECT completed",
       read_only ? wire::codes::read_only() : wire::codes::read_write());
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_close(const wire::Command& c, bool expunge) {
    auto* box = selected();
    if (expunge && !box->read_only() && box->rights().has(wire::Right::expunge) &&
        box->view().view()->any_flagged(store::kDeleted)) {
        // CLOSE expunges silently (RFC 9051 §6.4.2); a failure does not keep the mailbox open.
        auto& mailbox = box->mailbox();
        co_await blocking([&] { (void)mailbox.expunge(); });
    }
    leave_mailbox();
    ok(c, expunge ? "CLOSE completed" : "UNSELECT completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_expunge(const wire::Command& c, const wire::Expunge& a) {
    auto* box = selected();
    if (box->read_only()) {
        no(c, "Mailbox is read-only", wire::codes::read_only());
        co_return Flow::next;
    }
    if (!box->rights().has(wire::Right::expunge)) {
        no(c, "Permission denied", wire::codes::no_perm());
        co_return Flow::next;
    }
    std::optional<store::UidSet> uids;
    std::vector<store::Uid> asked;
    if (a.uids) {
        asked = box->resolve(*a.uids, true);
        uids = SelectedMailbox::to_set(asked);
    }
    // Nothing \Deleted (the shared view is current up to the last commit, this session's
    // own STOREs included): no index write, no fsync, no trip to the blocking pool.
    if ((uids && uids->empty()) ||
        !box->view().view()->any_flagged(store::kDeleted, a.uids ? &asked : nullptr)) {
        const bool empty_set = uids && uids->empty();
        co_await report_updates(true);
        box = selected();
        if (!box || empty_set) {
            ok(c, "EXPUNGE completed");
            co_return Flow::next;
        }
        ok(c, "EXPUNGE completed",
           wire::codes::highest_modseq(box->view().reportable_highestmodseq()));
        co_return Flow::next;
    }
    auto& mailbox = box->mailbox();
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        auto r = mailbox.expunge(uids);
        if (!r)
            error = r.error();
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    // The expunged messages reach the client through the view, like anyone else's.
    co_await report_updates(true);
    // report_updates leaves the mailbox when it was deleted meanwhile: `box` is gone then.
    box = selected();
    if (!box) {
        ok(c, "EXPUNGE completed");
        co_return Flow::next;
    }
    ok(c, "EXPUNGE completed", wire::codes::highest_modseq(box->view().reportable_highestmodseq()));
    co_return Flow::next;
}

}  // namespace postern::services::imap
