// APPEND (RFC 3501 §6.3.11, RFC 4315 APPENDUID) and local delivery: the body is prepared on the
// caller's thread, the index round assigns UID and MODSEQ, one container record carrying the
// body and those facts is made durable, and only then does the index commit (docs/storage.md
// "Commit path"). A delivery to several accounts writes one record for all of them.
#include <chrono>
#include <map>

#include "base/strings.h"
#include "store/api/append_job.h"
#include "store/engine/message_store.h"

namespace postern::store {
namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string domain_of(std::string_view account) {
    auto at = account.rfind('@');
    return at == std::string_view::npos ? std::string() : to_lower(account.substr(at + 1));
}

}  // namespace

engine::Job AppendJob::job() {
    engine::Job j;
    j.durability = engine::Durability::journaled;
    j.records = &records;
    j.run = [this](engine::Db& db) -> StoreStatus {
        records.clear();
        STORE_TRY(row, engine::index_mailbox_by_id(db, mailbox_id));
        if (!row)
            return store_fail(StoreErrc::not_found, "mailbox was deleted");
        // The authoritative quota check, inside the transaction that adds the message.
        auto lb = account.quota_bytes_.load(), lm = account.quota_messages_.load();
        if (lb || lm) {
            STORE_TRY(usage, engine::index_usage(db));
            if ((lb && usage.bytes + proto.size > lb) || (lm && usage.messages + 1 > lm))
                return store_fail(StoreErrc::over_quota,
                                  "account " + account.id() + " is over quota");
        }
        STORE_TRY(mask, engine::index_keyword_mask(db, mailbox_id, flags.keywords, true));
        std::vector<std::string> table;  // read only when there are keywords to name
        if (mask) {
            STORE_TRY(t, engine::index_keywords(db, mailbox_id));
            table = std::move(t);
        }
        engine::MessageRow r = proto;
        r.flags = flags.system & kAllSystemFlags;
        r.keywords = mask;
        row->highestmodseq += 1;
        STORE_CHECK(engine::index_insert_message(db, *row, r, analysis, &fts));
        text_id = r.text_id;
        STORE_CHECK(engine::index_save_mailbox(db, *row));
        // Everything recovery needs to put this row back exactly as committed.
        request->entries.push_back(engine::RefEntry{
            account.id(), r.guid, row->guid, row->uidvalidity, r.uid, r.modseq, r.flags,
            engine::keyword_names(table, mask), r.internal_date, r.save_date});
        records.push_back(request);
        if (!flags.keywords.empty())
            keywords = std::move(table);
        result = AppendResult{r.uid, row->uidvalidity, r.modseq, r.guid};
        entry = ViewEntry{r.uid, r.flags, r.keywords, r.modseq};
        mailbox = *row;
        return {};
    };
    j.after_commit = [this] {
        account.queue_fts(text_id, std::move(fts));
        if (auto v = account.loaded_view(mailbox_id)) {
            if (!keywords.empty())
                v->set_keywords(keywords);
            v->apply_append({entry},
                            ViewState{mailbox.uidvalidity, mailbox.uidnext, mailbox.highestmodseq});
        }
        ChangeEvent ev;
        ev.kind = ChangeEvent::Kind::appended;
        ev.account = account.id();
        ev.mailbox_id = mailbox_id;
        ev.mailbox = mailbox.name;
        ev.uids = {entry.uid};
        ev.modseq = mailbox.highestmodseq;
        ev.uidnext = mailbox.uidnext;
        ev.messages = mailbox.messages;
        account.store_.changes().publish(std::move(ev));
    };
    return j;
}

StoreResult<AppendResult> Mailbox::append(std::string_view raw, const AppendOptions& options) {
    Store& store = account_->store_;
    if (raw.empty() || raw.size() > store.options().max_message_size)
        return store_fail(StoreErrc::too_large,
                          "message of " + std::to_string(raw.size()) +
                              " bytes is empty or larger than the store accepts");
    STORE_CHECK(account_->check_quota(raw.size()));
    const std::string domain = account_->domain();
    STORE_TRY(ms, store.pick_store(domain));
    MessageAnalysis local;
    const MessageAnalysis* analysis = options.analysis;
    if (!analysis) {
        local = store.analyze(raw);
        analysis = &local;
    }
    // Hashing and compression run here, on the caller's thread, so the single writer only
    // copies bytes and every core helps.
    auto body = engine::prepare_body(raw, store.options().compression,
                                     store.options().compression_threshold,
                                     store.options().compression_level);
    engine::MessageRow proto;
    proto.guid = engine::new_message_guid();
    proto.store_id = ms->id();
    proto.hash = body.hash;
    proto.size = raw.size();
    auto now = now_seconds();
    proto.internal_date = options.internal_date.value_or(now);
    proto.save_date = now;
    proto.header_size = analysis->header_size;
    auto request = std::make_shared<engine::JournalRequest>();
    request->store = ms;
    request->domain = domain;
    request->body = &body;
    request->hash = body.hash;
    AppendJob job(*account_, id_, std::move(proto), *analysis, options.flags, request);
    STORE_CHECK(account_->index_->write(job.job()));
    store.remember_body(
        std::string_view(reinterpret_cast<const char*>(body.hash.data()), body.hash.size()), raw);
    return job.result;
}

StoreResult<std::vector<StoreResult<AppendResult>>> Store::deliver(
    std::string_view raw, const std::vector<DeliveryTarget>& targets,
    std::optional<Timestamp> internal_date, const MessageAnalysis* analysis) {
    if (targets.empty())
        return store_fail(StoreErrc::invalid_argument, "no delivery targets");
    if (raw.empty() || raw.size() > options_.max_message_size)
        return store_fail(StoreErrc::too_large,
                          "message of " + std::to_string(raw.size()) +
                              " bytes is empty or larger than the store accepts");
    MessageAnalysis local;
    if (!analysis) {
        local = analyze(raw);
        analysis = &local;
    }
    std::vector<StoreResult<AppendResult>> results(
        targets.size(), store_fail(StoreErrc::internal, "not attempted"));
    // Every target's account and mailbox, before any transaction is held.
    struct Slot {
        std::shared_ptr<Account> account;
        std::int64_t mailbox_id = 0;
    };
    std::vector<Slot> slots(targets.size());
    std::size_t viable = 0;
    for (std::size_t i = 0; i < targets.size(); ++i) {
        auto acc = account(targets[i].account);
        if (!acc) {
            results[i] = store_fail(acc.error());
            continue;
        }
        auto row = (*acc)->find_row(targets[i].mailbox);
        if (!row) {
            results[i] = store_fail(row.error());
            continue;
        }
        if (auto q = (*acc)->check_quota(raw.size()); !q) {
            results[i] = store_fail(q.error());
            continue;
        }
        slots[i] = Slot{*acc, row->id};
        ++viable;
    }
    if (!viable)
        return results;
    const std::string domain = targets.front().domain.empty() ? domain_of(targets.front().account)
                                                              : to_lower(targets.front().domain);
    STORE_TRY(ms, pick_store(domain));
    auto body = engine::prepare_body(raw, options_.compression, options_.compression_threshold,
                                     options_.compression_level);
    auto request = std::make_shared<engine::JournalRequest>();
    request->store = ms;
    request->domain = domain;
    request->body = &body;
    request->hash = body.hash;
    const auto now = now_seconds();
    std::vector<std::unique_ptr<AppendJob>> jobs(targets.size());
    for (std::size_t i = 0; i < targets.size(); ++i) {
        if (!slots[i].account)
            continue;
        engine::MessageRow proto;
        proto.guid = engine::new_message_guid();
        proto.store_id = ms->id();
        proto.hash = body.hash;
        proto.size = raw.size();
        proto.internal_date = internal_date.value_or(now);
        proto.save_date = now;
        proto.header_size = analysis->header_size;
        jobs[i] =
            std::make_unique<AppendJob>(*slots[i].account, slots[i].mailbox_id, std::move(proto),
                                        *analysis, targets[i].flags, request);
    }
    if (viable == 1) {
        // One recipient: the account's group commit batches it with other appends.
        for (std::size_t i = 0; i < targets.size(); ++i)
            if (jobs[i]) {
                auto s = slots[i].account->index_->write(jobs[i]->job());
                results[i] = s ? StoreResult<AppendResult>(jobs[i]->result) : store_fail(s.error());
            }
        return results;
    }
    // Several recipients: every account's transaction is held (taken in ascending account
    // order, so two deliveries never wait for each other in a circle) while one record
    // carrying every recipient's UID is made durable; then each commits.
    std::map<std::string, std::vector<std::size_t>> by_account;
    for (std::size_t i = 0; i < targets.size(); ++i)
        if (jobs[i])
            by_account[slots[i].account->id()].push_back(i);
    std::vector<
        std::pair<std::unique_ptr<engine::AccountIndex::Exclusive>, std::vector<std::size_t>>>
        rounds;
    bool any = false;
    for (auto& [id, idx] : by_account) {
        auto& acc = *slots[idx.front()].account;
        auto ex = acc.index_->exclusive();
        if (!ex) {
            for (auto i : idx)
                results[i] = store_fail(ex.error());
            continue;
        }
        for (auto i : idx)
            any = (*ex)->run(jobs[i]->job()) || any;
        rounds.emplace_back(std::move(*ex), idx);
    }
    if (any && !request->entries.empty())
        journal().write({request.get()});
    for (auto& [ex, idx] : rounds) {
        ex->finish();
        for (std::size_t k = 0; k < idx.size(); ++k) {
            auto s = ex->result(k);
            results[idx[k]] =
                s ? StoreResult<AppendResult>(jobs[idx[k]]->result) : store_fail(s.error());
        }
    }
    return results;
}

}  // namespace postern::store
