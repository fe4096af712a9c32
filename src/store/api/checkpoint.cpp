// The Store's housekeeper: checkpoints (account indexes synced, then each catalog records its
// new replay start) every checkpoint_interval or when a message store asks, and the timer that
// drops mailbox views once their grace period is over (docs/storage.md "Checkpoints").
#include <chrono>

#include "store/api/store.h"
#include "store/engine/message_store.h"
#include "store/engine/sqlite.h"

namespace postern::store {

void Store::note_unsynced(const std::filesystem::path& index) {
    std::lock_guard lock(dirty_mu_);
    dirty_indexes_.insert(index);
}

void Store::want_checkpoint() {
    {
        std::lock_guard lock(housekeeping_mu_);
        checkpoint_wanted_ = true;
    }
    housekeeping_cv_.notify_all();
}

StoreStatus Store::checkpoint(bool retire_regions) {
    return checkpoint_all(retire_regions);
}

StoreStatus Store::checkpoint_all(bool closing) {
    std::lock_guard guard(checkpoint_mu_);
    auto stores = message_stores();
    // 1. The horizon first: every record at or below it has settled its index transaction,
    //    so that transaction is among the commits the syncs below make durable.
    std::vector<std::uint64_t> horizon;
    for (auto* ms : stores)
        horizon.push_back(ms->applied_horizon());
    // 2. Every index committed without a sync since the last checkpoint is synced.
    std::set<std::filesystem::path> dirty;
    {
        std::lock_guard lock(dirty_mu_);
        dirty.swap(dirty_indexes_);
    }
    for (auto it = dirty.begin(); it != dirty.end(); ++it) {
        if (!options_.fsync)
            break;
        if (auto s = engine::Db::sync_files(*it); !s) {
            std::lock_guard lock(dirty_mu_);
            dirty_indexes_.insert(it, dirty.end());
            return s;
        }
    }
    // 3. Only then may a catalog move its replay start past those records.
    for (std::size_t i = 0; i < stores.size(); ++i) {
        auto* ms = stores[i];
        if (!closing && ms->unchecked_records() == 0)
            continue;
        STORE_CHECK(ms->checkpoint(horizon[i], closing));
    }
    return {};
}

void Store::expire_views() {
    std::vector<std::shared_ptr<Account>> open;
    {
        std::lock_guard lock(accounts_mu_);
        for (auto& [id, acc] : accounts_)
            open.push_back(acc);
    }
    for (auto& acc : open)
        acc->expire_views();
}

void Store::checkpoint_loop() {
    using clock = std::chrono::steady_clock;
    const auto interval = std::max(options_.checkpoint_interval, std::chrono::milliseconds(1));
    // Views are checked often enough to drop them near the end of their grace period.
    const auto tick =
        std::clamp(std::chrono::duration_cast<std::chrono::milliseconds>(options_.view_grace / 2),
                   std::chrono::milliseconds(50), std::chrono::milliseconds(1000));
    auto next_checkpoint = clock::now() + interval;
    std::unique_lock lock(housekeeping_mu_);
    while (!housekeeping_stop_) {
        auto until = std::min(next_checkpoint, clock::now() + tick);
        housekeeping_cv_.wait_until(lock, until,
                                    [&] { return housekeeping_stop_ || checkpoint_wanted_; });
        if (housekeeping_stop_)
            break;
        const bool wanted = checkpoint_wanted_;
        checkpoint_wanted_ = false;
        lock.unlock();
        if (wanted || clock::now() >= next_checkpoint) {
            if (auto s = checkpoint_all(false); !s)
                log_.warn("checkpoint failed, retried: {}", s.error().to_string());
            next_checkpoint = clock::now() + interval;
        }
        expire_views();
        lock.lock();
    }
}

}  // namespace postern::store
