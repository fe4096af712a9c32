// A message store: one directory of container files plus its catalog and store.meta. Bodies
// are written by a single writer thread that group-commits: many appends share one fdatasync
// of each touched container and one catalog transaction (docs/storage.md "Group commit").
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
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "log/log.h"
#include "store/api/options.h"
#include "store/engine/catalog.h"
#include "store/engine/container.h"
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

// Thread-safety: every public member may be called from any thread. put/add_refs/drop_refs/
// exclusive block until the writer has made the change durable (or failed); read blocks on
// disk. The destructor stops the writer after finishing queued work.
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

    // Stores the body unless an identical one is there (single instance), then adds `refs`.
    // On success the body is durable and referenced. store_full when no container has room.
    StoreStatus put(const PreparedBody& body, std::vector<BodyRef> refs);
    // References existing bodies again (copy without copying bytes). `found`, when given,
    // gets one entry per ref: 0 where the body is gone (expunged and freed meanwhile).
    StoreStatus add_refs(std::vector<std::pair<ContentHash, BodyRef>> refs,
                         std::vector<char>* found = nullptr);
    // Drops references; bodies left with none are deleted and their space freed at once.
    StoreStatus drop_refs(const std::string& account, std::vector<std::string> msg_guids);
    // Hints for repair: which mailbox a message is in, and what a mailbox is called.
    StoreStatus move_refs(const std::string& account, std::vector<std::string> msg_guids,
                          const std::string& mailbox_guid);
    StoreStatus set_hint(const std::string& account, const std::string& mailbox_guid,
                         const std::string& name);

    // Reads and verifies a body (checksums, content hash), decompressing it.
    StoreResult<std::string> read(const ContentHash& hash) const;

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

    // Writer-thread helpers for tools (call only inside exclusive()).
    // After truncating a container: its zero-filled tail is gone.
    void forget_preallocation(std::uint32_t no);
    StoreResult<Container*> container_for_write(std::uint32_t no, bool create);
    void refresh_free_bytes();

  private:
    struct Op;
    MessageStore(MessageStoreOptions options, const StoreOptions& common, log::Logger logger);
    StoreStatus start();
    StoreStatus submit(std::unique_ptr<Op> op);
    void writer_loop();
    void run_batch(std::vector<std::unique_ptr<Op>>& batch);
    StoreStatus preallocate(Container& c, std::uint64_t needed);

    MessageStoreOptions options_;
    bool fsync_;
    std::uint32_t max_batch_;
    log::Logger log_;
    std::string id_;
    int lock_fd_ = -1;

    // Writer-owned state.
    std::unique_ptr<Db> db_;
    std::unique_ptr<SpaceAllocator> space_;
    std::map<std::uint32_t, std::uint64_t> prealloc_;  // container -> bytes already zero-filled

    mutable std::shared_mutex containers_mu_;
    std::map<std::uint32_t, std::unique_ptr<Container>> containers_;
    std::unique_ptr<ReadPool> readers_;
    std::atomic<std::uint64_t> free_bytes_{0};

    std::mutex queue_mu_;
    std::condition_variable queue_cv_;
    std::deque<std::unique_ptr<Op>> queue_;
    bool stopping_ = false;
    std::thread writer_;
};

// Creates or reads <dir>/store.meta and returns the store id (32 hex digits).
StoreResult<std::string> load_or_create_store_meta(const std::filesystem::path& dir, bool fsync);

}  // namespace postern::store::engine
