// The message store's single writer: batches of records written into journal regions and
// made durable with one fdatasync per touched container, then one catalog commit that does not
// wait for its own fsync; region reservation; checkpoints (docs/storage.md "Commit path").
#include <chrono>
#include <cstring>
#include <set>
#include <unordered_map>

#include "store/engine/message_store.h"
#include "store/engine/message_store_op.h"

namespace postern::store::engine {
namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct HashKey {
    std::size_t operator()(const ContentHash& h) const {
        std::size_t v = 0;
        std::memcpy(&v, h.data(), sizeof v);
        return v;
    }
};

// Regions of at least this much are preferred: each reservation costs a synced catalog commit.
constexpr std::uint64_t kPreferredRegion = 1u << 20;

}  // namespace

StoreStatus MessageStore::preallocate(Container& c, std::uint64_t needed) {
    // Records written inside already-allocated, already-written blocks make fdatasync a pure
    // data flush; growing the file on every record would also journal its size each time
    // (measured: ~2x the durable write rate). So the file grows in zero-filled steps.
    constexpr std::uint64_t kStep = 2u << 20;
    auto it = prealloc_.find(c.number());
    if (it == prealloc_.end()) {
        STORE_TRY(size, c.file_size());
        it = prealloc_.emplace(c.number(), size).first;
    }
    if (needed <= it->second)
        return {};
    std::uint64_t target =
        std::min<std::uint64_t>((needed + kStep - 1) / kStep * kStep, options_.max_file_size);
    target = std::max(target, needed);
    static const std::string zeros(256u << 10, '\0');
    for (std::uint64_t off = it->second; off < target;) {
        auto n = std::min<std::uint64_t>(zeros.size(), target - off);
        STORE_CHECK(c.write_raw(off, std::string_view(zeros).substr(0, n)));
        off += n;
    }
    it->second = target;
    return {};
}

void MessageStore::forget_preallocation(std::uint32_t no) {
    prealloc_.erase(no);
}

MessageStore::Region* MessageStore::region_of(const Extent& e) {
    for (auto& r : regions_)
        if (r.extent.container == e.container && e.offset >= r.extent.offset &&
            e.offset < r.extent.offset + r.extent.length)
            return &r;
    return nullptr;
}

StoreStatus MessageStore::reserve_region(std::uint64_t min_len) {
    const std::uint64_t want = std::max(region_bytes_, min_len);
    const std::uint64_t preferred = std::min(want, std::max(min_len, kPreferredRegion));
    auto place = space_->reserve(preferred, want, compacting_);
    if (!place)
        place = space_->reserve(min_len, want, compacting_);
    if (!place)
        place = space_->reserve(min_len, want);
    if (!place)
        return store_fail(StoreErrc::store_full,
                          "message store " + id_ + " at " + options_.path.string() + " is full (" +
                              std::to_string(options_.max_files) + " containers of " +
                              std::to_string(options_.max_file_size) + " bytes)");
    auto reload = [&] {
        space_ = std::make_unique<SpaceAllocator>(options_.max_file_size, options_.max_files,
                                                  kContainerHeaderSize);
        if (auto s = catalog_load_space(*db_, *space_); !s)
            log_.crit("store {}: cannot reload free space map: {}", id_, s.error().to_string());
    };
    auto s = [&]() -> StoreStatus {
        STORE_CHECK(container_for_write(place->extent.container, true));
        // The region is durable in the catalog before any record lands in it: recovery scans
        // exactly the regions it finds there.
        Transaction txn(*db_);
        STORE_CHECK(txn.begin());
        STORE_CHECK(catalog_add_region(*db_, place->extent));
        STORE_CHECK(catalog_save_space(*db_, space_->take_changes()));
        STORE_CHECK(txn.commit());
        return db_->sync();
    }();
    if (!s) {
        reload();
        return s;
    }
    regions_.push_back(Region{place->extent, 0, 0, false});
    refresh_free_bytes();
    if (want_checkpoint_)
        want_checkpoint_();
    return {};
}

StoreResult<Extent> MessageStore::journal_allocate(std::uint64_t length) {
    for (int attempt = 0; attempt < 2; ++attempt) {
        for (auto& r : regions_) {
            if (r.closed)
                continue;
            if (r.extent.length - r.used >= length) {
                Extent e{r.extent.container, r.extent.offset + r.used, length};
                r.used += length;
                return e;
            }
            // Records fill a region from its start; one that does not fit closes it (the
            // rest is given back at the next checkpoint).
            r.closed = true;
        }
        if (attempt == 0)
            STORE_CHECK(reserve_region(length));
    }
    return store_fail(StoreErrc::internal, "journal region reserved but unusable");
}

void MessageStore::writer_loop() {
    for (;;) {
        std::vector<std::unique_ptr<Op>> batch;
        {
            std::unique_lock lock(queue_mu_);
            queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty())
                return;
            if (queue_.front()->kind == Op::Kind::exclusive) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            } else {
                while (!queue_.empty() && batch.size() < max_batch_ &&
                       queue_.front()->kind != Op::Kind::exclusive) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        run_batch(batch);
        for (auto& op : batch)
            op->finish(std::move(op->result));
    }
}

void MessageStore::run_batch(std::vector<std::unique_ptr<Op>>& batch) {
    if (batch.size() == 1 && batch[0]->kind == Op::Kind::exclusive) {
        WriterAccess access{*db_, *space_, *this};
        batch[0]->result = batch[0]->fn(access);
        refresh_free_bytes();
        return;
    }
    const std::int64_t now = now_seconds();
    // Phase 1: write every record into a journal region, outside any transaction.
    std::unordered_map<ContentHash, Op*, HashKey> in_batch;
    std::set<std::uint32_t> dirty;
    for (auto& op : batch) {
        if (op->kind != Op::Kind::record)
            continue;
        JournalRequest& req = *op->request;
        const ContentHash hash = req.body ? req.body->hash : req.hash;
        bool carry_body = false;
        if (auto it = in_batch.find(hash); it != in_batch.end()) {
            op->owner = it->second;
        } else {
            auto found = catalog_find_body(*db_, hash);
            if (!found) {
                op->result = store_fail(found.error());
                continue;
            }
            if (*found) {
                op->body_id = (*found)->id;
                in_batch[hash] = op.get();
            } else if (req.body) {
                carry_body = true;
            } else {
                op->result = store_fail(StoreErrc::not_found,
                                        "body " + hash_hex(hash) + " is no longer in store " + id_);
                continue;
            }
        }
        std::string meta = encode_record_meta(req.entries);
        std::string_view payload =
            carry_body ? std::string_view(req.body->payload) : std::string_view();
        auto place = journal_allocate(record_extent(meta.size(), payload.size()));
        if (!place) {
            op->result = store_fail(place.error());
            continue;
        }
        op->extent = *place;
        auto c = container_for_write(place->container, false);
        StoreStatus w = c ? preallocate(**c, place->offset + place->length) : store_fail(c.error());
        if (w) {
            RecordHeader h;
            h.flags = carry_body ? static_cast<std::uint16_t>(req.body->flags | kRecordHasBody) : 0;
            h.raw_size = req.body ? req.body->raw_size : 0;
            h.written_at = now;
            h.hash = hash;
            op->lsn = h.lsn = next_lsn_++;
            req.attempted = true;
            if (auto* r = region_of(*place))
                r->max_lsn = std::max(r->max_lsn, op->lsn);
            w = (*c)->write_record(place->offset, h, meta, payload);
        }
        if (!w) {
            op->result = store_fail(w.error());
            continue;
        }
        op->wrote_body = carry_body;
        dirty.insert(place->container);
        if (carry_body)
            in_batch[hash] = op.get();
    }
    // The records must be durable before anything refers to them: one flush per container.
    if (fsync_) {
        for (auto no : dirty) {
            auto c = container_for_write(no, false);
            StoreStatus s = c ? (*c)->sync() : store_fail(c.error());
            if (s)
                continue;
            for (auto& op : batch)
                if (op->kind == Op::Kind::record && op->lsn && op->extent.container == no)
                    op->result = store_fail(s.error());
        }
    }
    for (auto& op : batch)
        if (op->kind == Op::Kind::record && op->result && op->owner && !op->owner->result)
            op->result = store_fail(op->owner->result.error());

    // Phase 2: one catalog transaction for the batch. It is not synced: the records above
    // are the durable copy until the next checkpoint (recovery replays them).
    auto fail_all = [&](const StoreError& e) {
        for (auto& op : batch) {
            if (op->result)
                op->result = store_fail(e);
            if (op->found)
                std::fill(op->found->begin(), op->found->end(), 0);
            if (op->request)
                op->request->written_to = nullptr;
        }
        // The in-memory allocator ran ahead of the rolled-back catalog: reload it.
        space_ = std::make_unique<SpaceAllocator>(options_.max_file_size, options_.max_files,
                                                  kContainerHeaderSize);
        if (auto s = catalog_load_space(*db_, *space_); !s)
            log_.crit("store {}: cannot reload free space map: {}", id_, s.error().to_string());
    };
    auto phase2 = [&]() -> StoreStatus {
        // References are added before any are dropped, so a body re-used and released in the
        // same batch never touches zero in between.
        for (auto& op : batch) {
            if (!op->result)
                continue;
            if (op->kind == Op::Kind::record) {
                JournalRequest& req = *op->request;
                if (op->wrote_body) {
                    BodyRow row;
                    row.hash = req.body->hash;
                    row.container = op->extent.container;
                    row.offset = op->extent.offset;
                    row.extent = op->extent.length;
                    row.raw_size = req.body->raw_size;
                    row.stored_size = req.body->payload.size();
                    row.flags = req.body->flags;
                    STORE_TRY(id, catalog_insert_body(*db_, row));
                    op->body_id = id;
                } else if (op->owner) {
                    op->body_id = op->owner->body_id;
                }
                for (auto& e : req.entries)
                    STORE_CHECK(catalog_add_ref(
                        *db_, op->body_id, RefRow{e.account, e.msg_guid, e.mailbox_guid, 0, 0}));
                req.written_to = this;
            } else if (op->kind == Op::Kind::add_refs) {
                for (std::size_t i = 0; i < op->hashed_refs.size(); ++i) {
                    auto& [hash, r] = op->hashed_refs[i];
                    STORE_TRY(found, catalog_find_body(*db_, hash));
                    if (!found)
                        continue;
                    STORE_CHECK(catalog_add_ref(
                        *db_, found->id, RefRow{r.account, r.msg_guid, r.mailbox_guid, 0, 0}));
                    if (op->found)
                        (*op->found)[i] = 1;
                }
            } else if (op->kind == Op::Kind::move_refs) {
                for (auto& g : op->guids)
                    STORE_CHECK(catalog_move_ref(*db_, op->account, g, op->mailbox_guid));
            } else if (op->kind == Op::Kind::hint) {
                STORE_CHECK(catalog_set_hint(*db_, op->account, op->mailbox_guid, op->name));
            }
        }
        for (auto& op : batch) {
            if (!op->result || op->kind != Op::Kind::drop_refs)
                continue;
            for (auto& g : op->guids) {
                STORE_TRY(dropped, catalog_drop_ref(*db_, op->account, g));
                if (!dropped || dropped->refcount > 0)
                    continue;
                STORE_TRY(row, catalog_body_by_id(*db_, dropped->body_id));
                if (!row)
                    continue;
                STORE_CHECK(catalog_delete_body(*db_, row->id));
                // Reusable at once: any later write there first needs a synced region
                // reservation, which makes this (earlier) commit durable too.
                space_->release({row->container, row->offset, row->extent});
            }
        }
        return catalog_save_space(*db_, space_->take_changes());
    };
    {
        Transaction txn(*db_);
        StoreStatus s = txn.begin();
        if (s)
            s = phase2();
        if (s)
            s = txn.commit();
        if (!s)
            fail_all(s.error());
    }
    // add_refs is only used by check --fix, which wants its repair durable.
    for (auto& op : batch) {
        if (op->kind == Op::Kind::add_refs && op->result) {
            if (auto s = db_->sync(); !s)
                op->result = store_fail(s.error());
        }
    }
    // Record space the catalog does not keep is given back when its region is released.
    for (auto& op : batch) {
        if (op->kind != Op::Kind::record || !op->extent.length)
            continue;
        if (op->result && op->wrote_body)
            continue;
        if (auto* r = region_of(op->extent))
            r->waste.push_back(op->extent);
    }
    {
        std::lock_guard lock(pins_mu_);
        for (auto& op : batch) {
            if (op->kind != Op::Kind::record || !op->lsn)
                continue;
            // Pinned whatever the outcome: a record that may have reached the disk stays in
            // the replayed journal until its caller has settled the index.
            pins_.insert(op->lsn);
            op->request->pin = LsnPin(this, op->lsn);
            completed_lsn_ = std::max(completed_lsn_, op->lsn);
        }
    }
    refresh_free_bytes();
}

StoreStatus MessageStore::checkpoint(std::uint64_t horizon, bool closing) {
    return exclusive([&](WriterAccess&) -> StoreStatus {
        const std::uint64_t h = std::max(horizon, durable_lsn_.load());
        if (closing)
            for (auto& r : regions_)
                r.closed = true;
        std::vector<std::size_t> released;
        std::optional<SpaceAllocator::Placement> spare;
        auto s = [&]() -> StoreStatus {
            Transaction txn(*db_);
            STORE_CHECK(txn.begin());
            for (std::size_t i = 0; i < regions_.size(); ++i) {
                auto& r = regions_[i];
                if (!r.closed || r.max_lsn > h)
                    continue;
                STORE_CHECK(catalog_remove_region(*db_, r.extent));
                for (auto& w : r.waste)
                    space_->release(w);
                if (r.used < r.extent.length)
                    space_->release(
                        {r.extent.container, r.extent.offset + r.used, r.extent.length - r.used});
                released.push_back(i);
            }
            // Keep a fresh region ready so the writer rarely reserves one on its own path.
            bool room = false;
            for (auto& r : regions_)
                room = room || (!r.closed && r.extent.length - r.used >= r.extent.length / 2);
            if (!closing && !room) {
                spare = space_->reserve(std::min(region_bytes_, kPreferredRegion), region_bytes_,
                                        compacting_);
                if (spare) {
                    STORE_CHECK(container_for_write(spare->extent.container, true));
                    STORE_CHECK(catalog_add_region(*db_, spare->extent));
                }
            }
            STORE_CHECK(catalog_set_meta(*db_, "durable_lsn", std::to_string(h)));
            STORE_CHECK(catalog_save_space(*db_, space_->take_changes()));
            STORE_CHECK(txn.commit());
            return db_->sync();
        }();
        if (!s) {
            space_ = std::make_unique<SpaceAllocator>(options_.max_file_size, options_.max_files,
                                                      kContainerHeaderSize);
            if (auto l = catalog_load_space(*db_, *space_); !l)
                log_.crit("store {}: cannot reload free space map: {}", id_, l.error().to_string());
            return s;
        }
        for (auto it = released.rbegin(); it != released.rend(); ++it)
            regions_.erase(regions_.begin() + static_cast<std::ptrdiff_t>(*it));
        if (spare)
            regions_.push_back(Region{spare->extent, 0, 0, false});
        durable_lsn_ = h;
        {
            std::lock_guard lock(pins_mu_);
            checked_lsn_ = std::max(checked_lsn_, h);
        }
        refresh_free_bytes();
        return {};
    });
}

StoreStatus MessageStore::finish_recovery(std::uint64_t last_lsn) {
    return exclusive([&](WriterAccess&) -> StoreStatus {
        const std::uint64_t h = std::max(last_lsn, durable_lsn_.load());
        std::set<std::uint32_t> touched;
        auto s = [&]() -> StoreStatus {
            Transaction txn(*db_);
            STORE_CHECK(txn.begin());
            for (auto& r : regions_) {
                STORE_CHECK(catalog_remove_region(*db_, r.extent));
                touched.insert(r.extent.container);
            }
            // Whatever no body occupies in a container the journal touched is free space:
            // unused region tails, records nobody needed, torn writes.
            for (auto no : touched)
                STORE_CHECK(catalog_rebuild_space(*db_, *space_, no));
            STORE_CHECK(catalog_set_meta(*db_, "durable_lsn", std::to_string(h)));
            (void)space_->take_changes();
            STORE_CHECK(txn.commit());
            return db_->sync();
        }();
        if (!s) {
            space_ = std::make_unique<SpaceAllocator>(options_.max_file_size, options_.max_files,
                                                      kContainerHeaderSize);
            (void)catalog_load_space(*db_, *space_);
            return s;
        }
        regions_.clear();
        durable_lsn_ = h;
        next_lsn_ = h + 1;
        {
            std::lock_guard lock(pins_mu_);
            completed_lsn_ = checked_lsn_ = h;
        }
        for (auto no : touched)
            forget_preallocation(no);
        refresh_free_bytes();
        return {};
    });
}

}  // namespace postern::store::engine
