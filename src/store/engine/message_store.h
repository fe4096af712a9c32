// A message store: one directory of container files plus its catalog and store.meta. Records
// are written by a single writer thread that group-commits: many records share one fdatasync
// of the container they land in; the catalog commit that follows does not wait for its own
// fsync, because the records describe themselves and a checkpoint makes the catalog durable
// later (docs/storage.md "Commit path", "Journal and recovery").
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/log.h"
#include "store/api/options.h"
#include "store/engine/catalog.h"
#include "store/engine/container.h"
#include "store/engine/journal.h"
#include "store/engine/record.h"
#include "store/engine/space_allocator.h"
#include "store/engine/sqlite.h"

namespace postern::store::engine {

inline constexpr int kStoreMetaVersion = 1;

// One reference to a body: a message instance in an account.
struct BodyRef {
    std::string account;
    std::string msg_guid;
    std::string mailbox_guid;
};

// Thread-safety: every public member may be called from any thread. write_record/
// submit_record/drop_refs/exclusive block (or complete their future) once the writer has made
// the change; read blocks on disk. The destructor stops the writer after finishing queued work.
class MessageStore {
  public:
    static StoreResult<std::unique_ptr<MessageStore>> open(const MessageStoreOptions& options,
                                                           const StoreOptions& common,
                                                           log::Logger logger);
    ~MessageStore();
    MessageStore(const MessageStore&) = delete;
    MessageStore& operator=(const MessageStore&) = delete;

    const std::string& id() const { return id_; }
    const std::filesystem::path& path() const { return options_.path; }
    const MessageStoreOptions& options() const { return options_; }
    bool serves(std::string_view domain) const;
    std::uint64_t free_bytes() const { return free_bytes_.load(std::memory_order_relaxed); }

    // Writes the request's record (journal.h): the body unless an identical one is stored
    // already (single instance), and its entries as references. On success the record is
    // durable (fdatasync), the catalog holds the body and references (committed, not yet
    // synced), and request.pin holds the record's sequence number until released.
    // store_full when no container has room; not_found when body == nullptr and the body is
    // gone. The future completes (with request.status) once request's fields are set.
    std::future<StoreStatus> submit_record(JournalRequest& request);
    StoreStatus write_record(JournalRequest& request);
    // Drops references; bodies left with none are deleted and their space freed.
    StoreStatus drop_refs(const std::string& account, std::vector<std::string> msg_guids);
    // check --fix: references existing bodies again, durably. `found` gets one entry per
    // ref: 0 where the body is gone.
    StoreStatus add_refs(std::vector<std::pair<ContentHash, BodyRef>> refs,
                         std::vector<char>* found = nullptr);
    // Hints for repair: which mailbox a message is in, and what a mailbox is called.
    StoreStatus move_refs(const std::string& account, std::vector<std::string> msg_guids,
                          const std::string& mailbox_guid);
    StoreStatus set_hint(const std::string& account, const std::string& mailbox_guid,
                         const std::string& name);

    // Reads and verifies a body (checksums, content hash), decompressing it.
    StoreResult<std::string> read(const ContentHash& hash) const;

    // ---- Checkpoints (the Store's checkpointer calls these) ----
    // Every record with a sequence number <= this has its index transaction done (committed
    // or given up): nothing pinned below it.
    std::uint64_t applied_horizon() const;
    // Records written since the last checkpoint (0: nothing to do).
    std::uint64_t unchecked_records() const;
    // Makes the catalog durable and records `horizon` as the replay start: journal regions
    // whose records all lie at or below it are released. The caller has made every account
    // index durable up to `horizon` first. With `closing`, every region is closed (clean stop).
    StoreStatus checkpoint(std::uint64_t horizon, bool closing);
    std::uint64_t durable_lsn() const { return durable_lsn_.load(); }
    // Wakes the caller's checkpointer when the writer wants a checkpoint soon (regions low).
    void on_checkpoint_wanted(std::function<void()> fn) { want_checkpoint_ = std::move(fn); }

    // What tools get on the writer thread with nothing else in flight.
    struct WriterAccess {
        Db& db;
        SpaceAllocator& space;
        MessageStore& store;
    };
    StoreStatus exclusive(std::function<StoreStatus(WriterAccess&)> fn);
    StoreResult<ReadPool::Lease> reader() const { return readers_->acquire(); }
    // nullptr when the container does not exist.
    const Container* container(std::uint32_t no) const;
    std::vector<std::uint32_t> container_numbers() const;
    bool fsync_enabled() const { return fsync_; }

    // Writer-thread helpers for tools and recovery (call only inside exclusive()).
    // After truncating a container: its zero-filled tail is gone.
    void forget_preallocation(std::uint32_t no);
    StoreResult<Container*> container_for_write(std::uint32_t no, bool create);
    void refresh_free_bytes();
    // While set, no new record goes to this container (compaction is emptying its end): its
    // open regions are closed and new ones are reserved elsewhere when possible.
    void set_compacting(std::optional<std::uint32_t> container);
    // Recovery is over: every region is dropped (their space was rebuilt from the bodies) and
    // numbering continues after `last_lsn`. Commits and syncs.
    StoreStatus finish_recovery(std::uint64_t last_lsn);

  private:
    friend class LsnPin;
    struct Op;
    struct Region {
        Extent extent;
        std::uint64_t used = 0;     // bytes handed out from its start
        std::uint64_t max_lsn = 0;  // highest record written into it
        bool closed = false;        // no further records go here
        // Records in it that hold no body the catalog keeps (reference records, failed
        // writes): free space once the region is released.
        std::vector<Extent> waste;
    };
    Region* region_of(const Extent& e);
    MessageStore(MessageStoreOptions options, const StoreOptions& common, log::Logger logger);
    StoreStatus start();
    void submit(std::unique_ptr<Op> op);
    StoreStatus submit_and_wait(std::unique_ptr<Op> op);
    void writer_loop();
    void run_batch(std::vector<std::unique_ptr<Op>>& batch);
    StoreStatus preallocate(Container& c, std::uint64_t needed);
    // Writer: room for a record of `length` bytes in an open region, reserving a new region
    // (one synced catalog commit) when none has room. store_full when nothing fits.
    StoreResult<Extent> journal_allocate(std::uint64_t length);
    StoreStatus reserve_region(std::uint64_t min_len);
    void unpin(std::uint64_t lsn);

    MessageStoreOptions options_;
    bool fsync_;
    std::uint32_t max_batch_;
    std::uint64_t region_bytes_;
    log::Logger log_;
    std::string id_;
    int lock_fd_ = -1;

    // Writer-owned state.
    std::unique_ptr<Db> db_;
    std::unique_ptr<SpaceAllocator> space_;
    std::map<std::uint32_t, std::uint64_t> prealloc_;  // container -> bytes already zero-filled
    std::vector<Region> regions_;                      // every row of the journal table
    std::optional<std::uint32_t> compacting_;
    std::uint64_t next_lsn_ = 1;

    mutable std::shared_mutex containers_mu_;
    std::map<std::uint32_t, std::unique_ptr<Container>> containers_;
    std::unique_ptr<ReadPool> readers_;
    std::atomic<std::uint64_t> free_bytes_{0};
    std::atomic<std::uint64_t> durable_lsn_{0};
    std::function<void()> want_checkpoint_;

    mutable std::mutex pins_mu_;
    std::multiset<std::uint64_t> pins_;
    std::uint64_t completed_lsn_ = 0;  // highest sequence number of a finished batch
    std::uint64_t checked_lsn_ = 0;    // horizon of the last checkpoint

    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<std::unique_ptr<Op>> queue_;
    bool stopping_ = false;
    std::thread writer_;
};

// Creates or reads <dir>/store.meta and returns the store id (32 hex digits).
StoreResult<std::string> load_or_create_store_meta(const std::filesystem::path& dir, bool fsync);

}  // namespace postern::store::engine
