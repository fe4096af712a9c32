// Durable syncs of store files by path, and the test hook that watches writes and syncs so the
// power-loss test can put files back to their last synced state (docs/storage.md "Crash
// analysis"). Production code never installs an observer.
#pragma once

#include <cstdint>
#include <filesystem>

#include "store/api/store_error.h"

namespace postern::store::engine {

// TEST HOOK. Told before the store (or SQLite, through a test VFS) changes a file and after a
// file was made durable. Calls come from any thread; implementations synchronise themselves.
class DurabilityObserver {
  public:
    virtual ~DurabilityObserver() = default;
    // Bytes [offset, offset + length) of `path` are about to be written.
    virtual void before_write(const std::filesystem::path& path, std::uint64_t offset,
                              std::uint64_t length) = 0;
    // `path` is about to be truncated or extended to `size` bytes.
    virtual void before_resize(const std::filesystem::path& path, std::uint64_t size) = 0;
    // Everything written to `path` before the sync call is durable.
    virtual void synced(const std::filesystem::path& path) = 0;
};

// Process-wide; set once before opening a Store, only by tests (nullptr: none).
void set_durability_observer(DurabilityObserver* observer);
DurabilityObserver* durability_observer();

// fdatasync of an open descriptor, then the observer is told. io error on failure.
StoreStatus sync_fd(int fd, const std::filesystem::path& path);
// Opens `path` read-only and syncs it; a file that does not exist is fine (nothing to sync).
StoreStatus sync_path(const std::filesystem::path& path);

}  // namespace postern::store::engine
