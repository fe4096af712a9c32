// compact: online reclamation of freed container space. Records at the end of a container
// move into holes nearer its start (read, verify, write, fdatasync, then repoint the catalog),
// and the freed tail is truncated. Each step is one short writer turn, paced to the I/O rate.
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
    while (bytes < kStepBytes) {
        STORE_TRY(s,
                  w.db.prepare(
                      "SELECT id, hash, container, offset, extent, raw_size, stored_size, flags, "
                      "refcount, created FROM bodies WHERE container=? ORDER BY offset DESC LIMIT "
                      "1 OFFSET ?"));
        s->bind(1, no).bind(2, static_cast<std::int64_t>(moved.size()));
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
        auto dest = w.space.allocate_below(no, b.extent, b.offset);
        if (!dest) {
            stuck = true;
            break;
        }
        taken.push_back(*dest);
        auto rec = c->read_record(b.offset, &b.hash);
        if (!rec) {
            // Never move damaged bytes over good ones; check reports the damage.
            w.space.release(*dest);
            stuck = true;
            break;
        }
        STORE_CHECK(c->write_record(dest->offset, rec->header, rec->payload));
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
            for (;;) {
                StepResult r;
                STORE_CHECK(ms->exclusive(
                    [&](engine::MessageStore::WriterAccess& w) { return step(w, no, r); }));
                rep.records_moved += r.records;
                rep.bytes_moved += r.bytes;
                rep.bytes_released += r.released;
                if (r.done)
                    break;
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
            if (options.max_bytes && rep.bytes_moved >= options.max_bytes)
                break;
        }
    }
    rep.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return rep;
}

}  // namespace postern::store::tools
