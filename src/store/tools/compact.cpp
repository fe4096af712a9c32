// compact: online reclamation of freed container space. Records at the end of a container
// move into holes nearer its start (read, verify, write, fdatasync, then repoint the catalog),
// and the freed tail is truncated once the catalog is synced. Records still in the replayed
// part of the journal stay put. Each step is one short writer turn, paced to the I/O rate.
#include <chrono>
#include <thread>

#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store/tools/tools.h"

namespace postern::store::tools {
namespace {

constexpr std::uint64_t kStepBytes = 1u << 20;  // bytes moved per writer turn

struct StepResult {
    std::uint64_t records = 0;
    std::uint64_t bytes = 0;
    std::uint64_t released = 0;
    bool done = false;
};

// Moves records of one container until kStepBytes are moved or nothing more can move.
StoreStatus step(engine::MessageStore::WriterAccess& w, std::uint32_t no, StepResult& out) {
    STORE_TRY(c, w.store.container_for_write(no, false));
    std::vector<std::pair<engine::BodyRow, engine::Extent>> moved;
    std::uint64_t bytes = 0;
    std::vector<engine::Extent> taken;
    bool stuck = false;
    std::int64_t visited = 0;  // bodies looked at, from the top: moved ones still count
    while (bytes < kStepBytes) {
        STORE_TRY(s,
                  w.db.prepare(
                      "SELECT id, hash, container, offset, extent, raw_size, stored_size, flags, "
                      "refcount, created FROM bodies WHERE container=? ORDER BY offset DESC LIMIT "
                      "1 OFFSET ?"));
        s->bind(1, no).bind(2, visited++);
        STORE_TRY(row, s->step());
        if (!row) {
            stuck = true;
            break;
        }
        engine::BodyRow b;
        b.id = s->i64(0);
        auto h = s->blob(1);
        std::memcpy(b.hash.data(), h.data(), std::min(h.size(), b.hash.size()));
        b.container = no;
        b.offset = static_cast<std::uint64_t>(s->i64(3));
        b.extent = static_cast<std::uint64_t>(s->i64(4));
        s->reset();
        auto rec = c->read_record(b.offset, &b.hash);
        if (!rec) {
            // Never move damaged bytes over good ones; check reports the damage.
            stuck = true;
            break;
        }
        // Recovery finds a record newer than the last checkpoint only where it was written, so
        // it stays (appends running beside compaction write such records); older ones move.
        if (rec->header.lsn > w.store.durable_lsn())
            continue;
        auto copy = c->pread(b.offset, b.extent);
        if (!copy || copy->size() != b.extent) {
            stuck = true;
            break;
        }
        auto dest = w.space.allocate_below(no, b.extent, b.offset);
        if (!dest) {
            stuck = true;
            break;
        }
        taken.push_back(*dest);
        STORE_CHECK(c->write_raw(dest->offset, *copy));
        moved.push_back({b, *dest});
        bytes += b.extent;
    }
    if (!moved.empty()) {
        // The copies are durable before the catalog points at them.
        if (w.store.fsync_enabled())
            STORE_CHECK(c->sync());
        engine::Transaction txn(w.db);
        STORE_CHECK(txn.begin());
        for (auto& [b, dest] : moved) {
            STORE_CHECK(engine::catalog_update_location(w.db, b.id, dest.container, dest.offset));
            w.space.release({b.container, b.offset, b.extent});
        }
        STORE_CHECK(engine::catalog_save_space(w.db, w.space.take_changes()));
        STORE_CHECK(txn.commit());
    } else {
        // Whatever allocate_below took was given back; persist that no-op cleanly.
        STORE_CHECK([&]() -> StoreStatus {
            engine::Transaction txn(w.db);
            STORE_CHECK(txn.begin());
            STORE_CHECK(engine::catalog_save_space(w.db, w.space.take_changes()));
            return txn.commit();
        }());
    }
    out.records += moved.size();
    out.bytes += bytes;
    // The tail past the last live record is free once the catalog says so: give it back.
    std::uint64_t end = w.space.end_of(no);
    STORE_TRY(size, c->file_size());
    if (size > end) {
        // The catalog must not come back (power loss) pointing into the cut-off bytes.
        STORE_CHECK(w.db.sync());
        STORE_CHECK(c->truncate(end));
        w.store.forget_preallocation(no);
        out.released += size - end;
    }
    out.done = stuck || moved.empty();
    return {};
}

}  // namespace

StoreResult<CompactReport> compact(Store& store, const CompactOptions& options) {
    CompactReport rep;
    const std::uint64_t rate = options.io_rate.value_or(store.options().compact_io_rate);
    auto start = std::chrono::steady_clock::now();
    for (auto* ms : store.message_stores()) {
        for (auto no : ms->container_numbers()) {
            // New records go to other containers while this one is compacted, and the records
            // already journaled are checkpointed so that they may move.
            STORE_CHECK(ms->exclusive([no](engine::MessageStore::WriterAccess& w) {
                w.store.set_compacting(no);
                return StoreStatus{};
            }));
            // Whatever happens below, the container is given back to the writer afterwards.
            auto moved = [&]() -> StoreStatus {
                STORE_CHECK(store.checkpoint(true));
                bool settled = false;
                for (;;) {
                    StepResult r;
                    STORE_CHECK(ms->exclusive(
                        [&](engine::MessageStore::WriterAccess& w) { return step(w, no, r); }));
                    rep.records_moved += r.records;
                    rep.bytes_moved += r.bytes;
                    rep.bytes_released += r.released;
                    if (r.done) {
                        // Records written just before this container was set aside are settled by
                        // now: one more checkpoint frees their region, then a last pass.
                        if (settled)
                            break;
                        settled = true;
                        STORE_CHECK(store.checkpoint(true));
                        continue;
                    }
                    if (options.max_bytes && rep.bytes_moved >= options.max_bytes)
                        break;
                    // Pace: bytes read + written should not exceed the configured rate.
                    if (rate) {
                        auto should = std::chrono::duration<double>(
                            2.0 * static_cast<double>(rep.bytes_moved) / static_cast<double>(rate));
                        auto spent = std::chrono::steady_clock::now() - start;
                        if (should > spent)
                            std::this_thread::sleep_for(should - spent);
                    }
                }
                return {};
            }();
            STORE_CHECK(ms->exclusive([](engine::MessageStore::WriterAccess& w) {
                w.store.set_compacting(std::nullopt);
                return StoreStatus{};
            }));
            STORE_CHECK(moved);
            if (options.max_bytes && rep.bytes_moved >= options.max_bytes)
                break;
        }
    }
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return rep;
}

}  // namespace postern::store::tools
