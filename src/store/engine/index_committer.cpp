// The account index's group committer: leader/follower rounds of jobs in one transaction,
// the container records journaled jobs depend on written before the commit, compensation of
// jobs whose records failed, and exclusive rounds for multi-account deliveries
// (docs/storage.md "Commit path").
#include <set>

#include "store/engine/account_index.h"
#include "store/engine/message_store.h"

namespace postern::store::engine {
namespace {

bool entry_of(const RefEntry& e, const std::string& account) {
    return e.account == account;
}

}  // namespace

struct AccountIndex::Exclusive::State {
    std::unique_ptr<Transaction> txn;
    std::vector<std::unique_ptr<Pending>> jobs;
    std::vector<Pending*> round;
    bool finished = false;
};

void AccountIndex::set_journal(Journal* journal,
                               std::function<void(const std::filesystem::path&)> unsynced) {
    journal_ = journal;
    unsynced_ = std::move(unsynced);
}

StoreStatus AccountIndex::write(Job job) {
    Pending mine{std::move(job), {}, false, false, false};
    std::unique_lock lock(mu_);
    queue_.push_back(&mine);
    cv_.wait(lock, [&] { return mine.done || !leader_; });
    if (mine.done)
        return std::move(mine.result);
    // Leader: commit everything queued, in rounds, until our own job is done. Followers that
    // arrive during a round ride in the next one: one commit (and one record batch) for many.
    leader_ = true;
    while (!mine.done) {
        std::vector<Pending*> round(queue_.begin(), queue_.end());
        queue_.clear();
        lock.unlock();
        run_round(round);
        lock.lock();
        for (auto* p : round)
            p->done = true;
    }
    leader_ = false;
    cv_.notify_all();
    return std::move(mine.result);
}

void AccountIndex::run_job(Pending& p) {
    if (auto s = db_->run("SAVEPOINT job"); !s) {
        p.result = store_fail(s.error());
        return;
    }
    p.result = p.job.run(*db_);
    if (p.result) {
        (void)db_->run("RELEASE job");
        p.ran = true;
    } else {
        (void)db_->run("ROLLBACK TO job");
        (void)db_->run("RELEASE job");
    }
}

void AccountIndex::run_round(std::vector<Pending*>& round) {
    Transaction txn(*db_);
    if (auto s = txn.begin(); !s) {
        for (auto* p : round)
            p->result = store_fail(s.error());
        return;
    }
    for (auto* p : round)
        run_job(*p);
    std::vector<JournalRequest*> requests;
    for (auto* p : round)
        if (p->ran && p->job.records)
            for (auto& r : *p->job.records)
                requests.push_back(r.get());
    if (!requests.empty()) {
        if (journal_) {
            journal_->write(requests);
        } else {
            for (auto* r : requests)
                r->status = store_fail(StoreErrc::internal, "no journal for this account index");
        }
    }
    settle(round, txn);
}

void AccountIndex::settle(std::vector<Pending*>& round, Transaction& txn) {
    bool burned = false;  // rows taken out: their UIDs must stay used, durably
    StoreStatus overall;
    // 1. A job whose record failed loses its rows again; a record that moved to another store
    //    (the first was full) takes its rows along.
    for (auto* p : round) {
        if (!p->ran || !p->job.records)
            continue;
        for (auto& r : *p->job.records) {
            if (!r->status) {
                p->result = store_fail(r->status.error());
                break;
            }
        }
        for (auto& r : *p->job.records) {
            for (auto& e : r->entries) {
                if (!entry_of(e, account_))
                    continue;
                StoreStatus s;
                if (!p->result) {
                    s = index_unwind_message(*db_, e.msg_guid);
                    burned = true;
                } else if (r->written_to && r->written_to != r->store) {
                    s = index_set_store(*db_, e.msg_guid, r->written_to->id());
                }
                if (!s && overall)
                    overall = s;
            }
        }
    }
    // 2. Commit.
    if (overall)
        overall = txn.commit();
    if (!overall) {
        for (auto* p : round)
            if (p->result)
                p->result = store_fail(overall.error());
        // Rolled back: UIDs written into records are burned in a transaction of their own, so
        // recovery never resurrects a message whose caller was told it failed.
        Transaction burn(*db_);
        auto b = [&]() -> StoreStatus {
            STORE_CHECK(burn.begin());
            for (auto* p : round)
                if (p->ran && p->job.records)
                    for (auto& r : *p->job.records)
                        if (r->attempted)
                            for (auto& e : r->entries)
                                if (entry_of(e, account_))
                                    STORE_CHECK(index_burn_uid(*db_, e.mailbox_guid, e.uid));
            STORE_CHECK(burn.commit());
            return db_->sync();
        }();
        // If even that fails nothing more can be done here; recovery may then restore the
        // message whose append reported failure (documented in docs/storage.md).
        (void)b;
    } else {
        // 3. Durability: synced jobs and burned UIDs need the fsync now; the rest waits for
        //    the checkpointer.
        std::vector<Pending*> committed;
        bool need_sync = burned;
        bool unsynced = false;
        for (auto* p : round) {
            if (!p->ran || !p->result)
                continue;
            committed.push_back(p);
            p->committed = true;
            if (p->job.durability == Durability::synced)
                need_sync = true;
            else
                unsynced = true;
        }
        if (need_sync) {
            if (auto s = db_->sync(); !s) {
                for (auto* p : committed)
                    if (p->job.durability == Durability::synced)
                        p->result = store_fail(s.error());
                unsynced = true;
            }
        }
        if (unsynced && unsynced_)
            unsynced_(path_);
        // 4. Post-commit work in commit order. A job whose sync failed has still committed:
        //    views must follow the index.
        for (auto* p : committed)
            if (p->job.after_commit)
                p->job.after_commit();
    }
    // 5. References of rows that did not make it are dropped again.
    if (journal_) {
        for (auto* p : round) {
            if (p->committed || !p->ran || !p->job.records)
                continue;
            for (auto& r : *p->job.records)
                if (r->attempted)
                    journal_->abandon(*r, account_);
        }
    }
}

AccountIndex::Exclusive::Exclusive(AccountIndex& index)
    : index_(index), state_(std::make_unique<State>()) {}

AccountIndex::Exclusive::~Exclusive() {
    state_->txn.reset();  // rolls back unless finish() committed
    std::lock_guard lock(index_.mu_);
    index_.leader_ = false;
    index_.cv_.notify_all();
}

StoreResult<std::unique_ptr<AccountIndex::Exclusive>> AccountIndex::exclusive() {
    {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !leader_; });
        leader_ = true;
    }
    std::unique_ptr<Exclusive> ex(new Exclusive(*this));
    ex->state_->txn = std::make_unique<Transaction>(*db_);
    STORE_CHECK(ex->state_->txn->begin());
    return ex;
}

StoreStatus AccountIndex::Exclusive::run(Job job) {
    auto p = std::make_unique<Pending>(Pending{std::move(job), {}, false, false, false});
    index_.run_job(*p);
    state_->round.push_back(p.get());
    state_->jobs.push_back(std::move(p));
    return state_->jobs.back()->result;
}

StoreStatus AccountIndex::Exclusive::result(std::size_t job) const {
    if (job >= state_->jobs.size())
        return store_fail(StoreErrc::internal, "no such job in this round");
    return state_->jobs[job]->result;
}

void AccountIndex::Exclusive::finish() {
    if (state_->finished)
        return;
    state_->finished = true;
    index_.settle(state_->round, *state_->txn);
}

}  // namespace postern::store::engine
