// FETCH and UID FETCH (RFC 9051 §6.4.5, §6.4.9; RFC 3501 §6.4.5) with CHANGEDSINCE and VANISHED
// (RFC 7162 §3.1.4, §3.2.6) and messages expunged elsewhere (RFC 2180 §4.1.2, NO
// [EXPUNGEISSUED]). Metadata comes in one store call per chunk of messages, bodies in batches
// bounded by size, and responses are rendered on the blocking pool (fetch/render.h) and
// written chunk by chunk, so memory stays bounded whatever the set.
#include <algorithm>
#include <memory>

#include "services/imap/fetch/message_numbers.h"
#include "services/imap/fetch/render.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

constexpr std::size_t kChunk = 1000;               // messages per metadata call
constexpr std::uint64_t kBatchBytes = 8ull << 20;  // message bytes loaded per body batch
constexpr std::size_t kFlushBytes = 256 * 1024;    // buffered output written at this size

// The UIDs a client's UID set names, "*" standing for every UID above (VANISHED reports UIDs
// no longer in the mailbox, so "*" cannot mean the highest one present).
store::UidSet client_uids(const wire::SequenceSet& set) {
    store::UidSet out;
    for (const auto& r : set.ranges)
        out.add_range(r.first == wire::kStar ? store::kUidStar : r.first,
                      r.last == wire::kStar ? store::kUidStar : r.last);
    return out;
}

std::vector<wire::NumberRange> intersect(const store::UidSet& a, const store::UidSet& b) {
    std::vector<wire::NumberRange> out;
    const auto& x = a.ranges();
    const auto& y = b.ranges();
    std::size_t i = 0, j = 0;
    while (i < x.size() && j < y.size()) {
        auto lo = std::max(x[i].first, y[j].first);
        auto hi = std::min(x[i].second, y[j].second);
        if (lo <= hi)
            out.push_back({lo, hi});
        if (x[i].second < y[j].second)
            ++i;
        else
            ++j;
    }
    return out;
}

// What a body batch produced.
struct Batch {
    fetch::FetchOutput output;
    std::vector<std::unique_ptr<std::string>> raws;  // messages the output refers to
    bool gone = false;
    bool unknown_cte = false;
    std::optional<store::StoreError> error;
};

}  // namespace

asio::awaitable<Session::Flow> Session::on_fetch(const wire::Command& c, const wire::Fetch& a) {
    auto* box = selected();
    if (!c.uid && !a.set.saved && !fetch::message_numbers_valid(a.set, box->exists()))
        co_return bad(c.tag, "Invalid message sequence number");
    if (a.vanished && !qresync_)
        co_return bad(c.tag, "VANISHED needs ENABLE QRESYNC first");
    const auto plan = fetch::make_plan(a, c.uid);
    // RFC 7162 §3.1: CHANGEDSINCE and the MODSEQ item are CONDSTORE-enabling.
    const bool enabling = !condstore_ && (a.changed_since || plan.asks_modseq);
    if (a.changed_since || plan.asks_modseq)
        condstore_ = true;
    const auto uids = box->resolve(a.set, c.uid);
    // FLAGS may show keywords other sessions created since the last sync: FLAGS announcements
    // are allowed at any time (unlike EXPUNGE), so make them before the data.
    announce_new_keywords(*box, {});
    auto& mailbox = box->mailbox();
    const wire::SessionMode mode = mode_;
    const bool condstore = condstore_;

    if (a.vanished) {
        std::optional<store::ChangesSince> changes;
        std::optional<store::StoreError> error;
        co_await blocking([&] {
            auto r = mailbox.changes_since(*a.changed_since);
            if (r)
                changes = std::move(*r);
            else
                error = r.error();
        });
        if (error) {
            store_failed(c, *error);
            co_return Flow::next;
        }
        const auto asked = a.set.saved ? SelectedMailbox::to_set(uids) : client_uids(a.set);
        const auto gone =
            changes->vanished_exact ? SelectedMailbox::to_set(changes->vanished) : changes->absent;
        auto ranges = intersect(gone, asked);
        // RFC 7162 §3.2.6: VANISHED (EARLIER) comes before the FETCH responses.
        wire::append_vanished(out_, std::span<const wire::NumberRange>(ranges), true);
    }

    // Reading marks \Seen only for a user with the "s" right (RFC 4314 §4).
    const bool set_seen =
        plan.sets_seen && !box->read_only() && box->rights().has(wire::Right::seen);
    bool expunged = false;
    bool unknown_cte = false;
    std::optional<store::StoreError> failure;
    // Renders inputs [first, last) into `batch` (on the blocking pool).
    auto render_range = [&](const std::vector<fetch::MessageInput>& inputs, std::size_t first,
                            std::size_t last, Batch& batch) {
        for (std::size_t i = first; i < last; ++i) {
            const auto& meta = *inputs[i].meta;
            const auto uid = meta.uid;
            std::optional<store::StoreError> load_error;
            fetch::RawLoader loader = [&](bool& gone) -> const std::string* {
                auto body = mailbox.fetch_body(meta);
                if (!body) {
                    gone = body.error().code == store::StoreErrc::expunged;
                    if (!gone)
                        load_error = body.error();
                    return nullptr;
                }
                batch.raws.push_back(std::make_unique<std::string>(std::move(*body)));
                return batch.raws.back().get();
            };
            auto r = fetch::render_message(plan, inputs[i], mode, loader, batch.output);
            batch.unknown_cte = batch.unknown_cte || r.unknown_cte;
            if (r.status == fetch::RenderStatus::gone) {
                batch.gone = true;
            } else if (r.status == fetch::RenderStatus::failed && !batch.error) {
                batch.error = load_error
                                  ? std::move(*load_error)
                                  : store::StoreError{store::StoreErrc::corrupt,
                                                      "cached structure of UID " +
                                                          std::to_string(uid) + " is unusable",
                                                      {}};
            }
        }
    };
    // The end of the body batch that starts at `first`: at most kBatchBytes of messages.
    auto batch_end = [&](const std::vector<fetch::MessageInput>& inputs, std::size_t first) {
        std::size_t last = first;
        std::uint64_t bytes = 0;
        while (last < inputs.size() && (last == first || !plan.may_read_body ||
                                        bytes + inputs[last].meta->size <= kBatchBytes)) {
            bytes += inputs[last].meta->size;
            ++last;
        }
        return last;
    };

    for (std::size_t start = 0; start < uids.size() && !failure; start += kChunk) {
        const std::vector<store::Uid> chunk(
            uids.begin() + static_cast<std::ptrdiff_t>(start),
            uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), start + kChunk)));
        const auto set = SelectedMailbox::to_set(chunk);
        std::vector<store::MessageMeta> metas;
        std::vector<fetch::MessageInput> inputs;
        std::optional<store::StoreError> error;
        bool missing = false;
        // The first body batch is rendered in the same trip to the blocking pool as the
        // metadata read (the usual FETCH has one batch: one trip in all). The session's own
        // state (sequence map, \Recent) is read there while this coroutine waits for it.
        Batch first_batch;
        std::size_t rendered = 0;
        co_await blocking([&] {
            auto m = mailbox.messages(set, plan.need_cached);
            if (!m) {
                error = m.error();
                return;
            }
            metas = std::move(*m);
            missing = metas.size() < chunk.size();
            if (a.changed_since)
                std::erase_if(metas, [&](const store::MessageMeta& mm) {
                    return mm.modseq <= *a.changed_since;
                });
            std::vector<std::pair<store::Uid, store::ModSeq>> seen;
            if (set_seen) {
                std::vector<store::Uid> unseen;
                for (const auto& mm : metas)
                    if (!(mm.flags.system & store::kSeen))
                        unseen.push_back(mm.uid);
                if (!unseen.empty()) {
                    store::Flags flag;
                    flag.system = store::kSeen;
                    auto r = mailbox.store_flags(SelectedMailbox::to_set(unseen),
                                                 store::FlagOp::add, flag);
                    if (!r) {
                        error = r.error();
                        return;
                    }
                    seen = std::move(r->changed);
                }
            }
            std::sort(seen.begin(), seen.end());
            inputs.reserve(metas.size());
            for (auto& mm : metas) {
                fetch::MessageInput in;
                in.meta = &mm;
                in.seq = box->seq_of(mm.uid);
                in.recent = box->is_recent(mm.uid);
                in.condstore = condstore;
                auto it =
                    std::lower_bound(seen.begin(), seen.end(), std::pair(mm.uid, store::ModSeq{0}));
                if (it != seen.end() && it->first == mm.uid) {
                    mm.flags.system |= store::kSeen;
                    mm.modseq = std::max(mm.modseq, it->second);
                    in.seen_changed = true;
                    // Reported now: the next update must not repeat it (RFC 9051 §7.5.2).
                    box->note_reported(mm.uid, mm.modseq);
                }
                if (in.seq != 0)
                    inputs.push_back(in);
            }
            rendered = batch_end(inputs, 0);
            render_range(inputs, 0, rendered, first_batch);
        });
        if (error) {
            failure = std::move(error);
            break;
        }
        expunged = expunged || missing;
        announce_new_keywords(*box, metas);

        for (std::size_t first = 0; first < inputs.size() && !failure;) {
            Batch later;
            Batch* batch = &first_batch;
            std::size_t last = rendered;
            if (first != 0) {
                last = batch_end(inputs, first);
                co_await blocking([&] { render_range(inputs, first, last, later); });
                batch = &later;
            }
            first = last;
            expunged = expunged || batch->gone;
            unknown_cte = unknown_cte || batch->unknown_cte;
            if (batch->error)
                failure = std::move(batch->error);
            for (auto& piece : batch->output.pieces) {
                if (piece.ref.empty()) {
                    out_ += piece.text;
                    if (out_.size() < kFlushBytes)
                        continue;
                    if (!co_await flush())
                        co_return Flow::close;
                    continue;
                }
                if (!co_await flush())
                    co_return Flow::close;
                std::string_view data = piece.ref;
                auto st = co_await conn_.stream->write(data);
                if (!st)
                    co_return Flow::close;
            }
        }
        // Each chunk leaves the socket, so a FETCH 1:* holds one chunk at a time.
        if (!co_await flush())
            co_return Flow::close;
    }

    co_await report_updates(c.uid);
    box = selected();  // gone if another session deleted the mailbox meanwhile
    if (enabling && box) {
        // RFC 7162 §3.1: the first CONDSTORE-enabling command reports HIGHESTMODSEQ.
        // Not beyond an expunge this command had to hold back (ViewSession).
        wire::append_untagged(out_, wire::ResponseCondition::ok,
                              wire::codes::highest_modseq(box->view().reportable_highestmodseq()),
                              "Highest", mode_);
    }
    if (failure) {
        store_failed(c, *failure);
    } else if (unknown_cte) {
        no(c, "Unknown Content-Transfer-Encoding", wire::codes::unknown_cte());
    } else if (expunged) {
        // RFC 9051 §6.4.5: what could be returned was; the rest was expunged meanwhile.
        no(c, "Some of the requested messages no longer exist", wire::codes::expunge_issued());
    } else {
        ok(c, "FETCH completed");
    }
    co_return Flow::next;
}

}  // namespace postern::services::imap
