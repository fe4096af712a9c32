// STORE and UID STORE (RFC 9051 §6.4.6, §6.4.9): FLAGS, +FLAGS, -FLAGS and .SILENT, with
// UNCHANGEDSINCE and the MODIFIED response code (RFC 7162 §3.1.3), MODSEQ in the FETCH replies
// once CONDSTORE is enabled, and NO [EXPUNGEISSUED] for messages expunged elsewhere (RFC 2180
// §4.2.1).
#include "store/api/store.h"

#include <algorithm>

#include "proto/imap/fetch_response.h"
#include "services/imap/fetch/message_numbers.h"
#include "services/imap/session.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kFlushBytes = 256 * 1024;

store::FlagOp flag_op(wire::StoreMode mode) {
    switch (mode) {
        case wire::StoreMode::add:
            return store::FlagOp::add;
        case wire::StoreMode::remove:
            return store::FlagOp::remove;
        case wire::StoreMode::replace:
            break;
    }
    return store::FlagOp::set;
}

std::vector<std::string> keyword_names(const std::vector<std::string>& table, std::uint64_t bits) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < table.size() && i < 64; ++i)
        if (bits & (std::uint64_t{1} << i))
            out.push_back(table[i]);
    return out;
}

}  // namespace

asio::awaitable<Session::Flow> Session::on_store(const wire::Command& c, const wire::Store& a) {
    auto* box = selected();
    if (!c.uid && !a.set.saved && !fetch::message_numbers_valid(a.set, box->exists()))
        co_return bad(c.tag, "Invalid message sequence number");
    store::Flags flags;
    if (!parse_flags(a.flags, flags))
        co_return bad(c.tag, "Invalid flag in STORE");
    if (box->read_only()) {
        no(c, "Mailbox is read-only", wire::codes::read_only());
        co_return Flow::next;
    }
    // RFC 4314 §4: \Seen needs "s", \Deleted "t", the others "w". Flags the user may not
    // change are left out; replacing all of them needs all three.
    if (box->rights() != wire::Rights::all()) {
        const auto rights = box->rights();
        const bool asked = flags.system != 0 || !flags.keywords.empty();
        keep_permitted(flags, rights);
        const bool left = flags.system != 0 || !flags.keywords.empty();
        const bool all_three = rights.has(wire::Right::seen) && rights.has(wire::Right::write) &&
                               rights.has(wire::Right::delete_messages);
        if ((asked && !left) || (a.mode == wire::StoreMode::replace && !all_three)) {
            no(c, "Permission denied", wire::codes::no_perm());
            co_return Flow::next;
        }
    }
    // RFC 7162 §3.1: UNCHANGEDSINCE is CONDSTORE-enabling.
    const bool enabling = !condstore_ && a.unchanged_since;
    if (a.unchanged_since)
        condstore_ = true;
    const auto uids = box->resolve(a.set, c.uid);
    const auto view = box->view().view();
    store::StoreFlagsResult result;
    if (!uids.empty()) {
        auto& mailbox = box->mailbox();
        std::optional<store::StoreError> error;
        const auto op = flag_op(a.mode);
        co_await blocking([&] {
            auto r =
                mailbox.store_flags(SelectedMailbox::to_set(uids), op, flags, a.unchanged_since);
            if (r)
                result = std::move(*r);
            else
                error = r.error();
        });
        if (error) {
            store_failed(c, *error);
            co_return Flow::next;
        }
    }

    const auto table = view->keywords();
    if (keyword_count(table) > box->announced_keywords())
        announce_flags(*box);  // a new keyword: FLAGS and PERMANENTFLAGS change
    auto& changed = result.changed;
    auto& modified = result.modified;
    std::sort(changed.begin(), changed.end());
    std::sort(modified.begin(), modified.end());
    bool expunged = false;
    for (auto uid : uids) {
        if (std::binary_search(modified.begin(), modified.end(), uid))
            continue;
        auto entry = view->find(uid);
        auto seq = box->seq_of(uid);
        if (!entry || seq == 0) {
            expunged = true;  // expunged by another session since this one last heard
            continue;
        }
        auto it =
            std::lower_bound(changed.begin(), changed.end(), std::pair(uid, store::ModSeq{0}));
        const bool did_change = it != changed.end() && it->first == uid;
        if (a.silent) {
            // RFC 7162 §3.1.3: even .SILENT reports UID and the new MODSEQ once CONDSTORE is on.
            if (did_change) {
                box->note_reported(uid, entry->modseq);
                if (condstore_) {
                    wire::FetchResponseWriter w(out_, seq, mode_);
                    w.uid(uid);
                    w.modseq(entry->modseq);
                    w.finish();
                }
            }
        } else {
            // RFC 9051 §6.4.6: the new flags "as if a FETCH of those flags was done".
            box->note_reported(uid, entry->modseq);
            auto names = flag_names(entry->flags, keyword_names(table, entry->keywords),
                                    box->is_recent(uid));
            wire::FetchResponseWriter w(out_, seq, mode_);
            w.flags(names);
            // RFC 7162 §3.1: with CONDSTORE on, every FETCH carries UID and MODSEQ.
            if (c.uid || condstore_)
                w.uid(uid);
            if (condstore_)
                w.modseq(entry->modseq);
            w.finish();
        }
        if (out_.size() >= kFlushBytes) {
            if (!co_await flush())
                co_return Flow::close;
        }
    }

    co_await report_updates(c.uid);
    box = selected();  // gone if another session deleted the mailbox meanwhile
    if (enabling && box) {
        // Not beyond an expunge this command had to hold back (ViewSession).
        wire::append_untagged(out_, wire::ResponseCondition::ok,
                              wire::codes::highest_modseq(box->view().reportable_highestmodseq()),
                              "Highest", mode_);
    }
    if (!modified.empty()) {
        std::vector<std::uint32_t> numbers;
        numbers.reserve(modified.size());
        for (auto uid : modified) {
            auto n = c.uid ? uid : (box ? box->seq_of(uid) : 0);
            if (n != 0)
                numbers.push_back(n);
        }
        ok(c, "Conditional STORE failed", wire::codes::modified(numbers));
    } else if (expunged) {
        // RFC 2180 §4.2.1 leaves the choice; like Dovecot (and what clients such as imaptest
        // expect), the others are stored and the command succeeds.
        ok(c, "STORE completed; messages expunged meanwhile were skipped");
    } else {
        ok(c, "STORE completed");
    }
    co_return Flow::next;
}

}  // namespace postern::services::imap
