// fdatasync by descriptor or path, reported to the (test-only) durability observer.
#include "store/engine/file_sync.h"

#include <atomic>
#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::store::engine {
namespace {
std::atomic<DurabilityObserver*> g_observer{nullptr};
}  // namespace

void set_durability_observer(DurabilityObserver* observer) {
    g_observer.store(observer);
}

DurabilityObserver* durability_observer() {
    return g_observer.load(std::memory_order_relaxed);
}

StoreStatus sync_fd(int fd, const std::filesystem::path& path) {
    if (::fdatasync(fd) != 0)
        return store_fail(StoreErrc::io, "fdatasync " + path.string() + ": " + errno_text(errno));
    if (auto* o = durability_observer())
        o->synced(path);
    return {};
}

StoreStatus sync_path(const std::filesystem::path& path) {
    // fdatasync works on the file, whichever descriptor asks: SQLite's writes are covered.
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return {};
        return store_fail(StoreErrc::io, "open " + path.string() + ": " + errno_text(errno));
    }
    auto s = sync_fd(fd, path);
    ::close(fd);
    return s;
}

}  // namespace postern::store::engine
