// TEST FIXTURE: undo logs of unsynced writes (store files and, through a VFS shim, SQLite files)
// and their replay backwards to simulate power loss. Never linked into production code.
#include "power_loss.h"

#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/encoding.h"
#include "store/engine/file_sync.h"

namespace postern::store::testing {
namespace {

// Undo entry: kind u8 (1 write, 2 resize), offset u64, size_before u64, old_len u64, old bytes.
constexpr unsigned char kWrite = 1;
constexpr unsigned char kResize = 2;

void put64(std::string& s, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        s += static_cast<char>((v >> (8 * i)) & 0xFF);
}

std::uint64_t get64(const std::string& s, std::size_t at) {
    std::uint64_t v = 0;
    for (int i = 7; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(s[at + static_cast<std::size_t>(i)]);
    return v;
}

class UndoLogs : public engine::DurabilityObserver {
  public:
    explicit UndoLogs(std::filesystem::path dir) : dir_(std::move(dir)) {
        std::filesystem::create_directories(dir_);
    }

    void before_write(const std::filesystem::path& path, std::uint64_t offset,
                      std::uint64_t length) override {
        std::lock_guard lock(mu_);
        auto& f = file(path);
        auto size = size_of(f.target);
        std::string old(length, '\0');
        auto n = ::pread(f.target, old.data(), length, static_cast<off_t>(offset));
        old.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        append(f, kWrite, offset, size, old);
    }

    void before_resize(const std::filesystem::path& path, std::uint64_t new_size) override {
        std::lock_guard lock(mu_);
        auto& f = file(path);
        auto size = size_of(f.target);
        std::string old;
        if (new_size < size) {
            old.resize(size - new_size);
            auto n = ::pread(f.target, old.data(), old.size(), static_cast<off_t>(new_size));
            old.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        }
        append(f, kResize, new_size, size, old);
    }

    void synced(const std::filesystem::path& path) override {
        std::lock_guard lock(mu_);
        auto& f = file(path);
        if (::ftruncate(f.log, 0) != 0)
            std::abort();
    }

  private:
    struct Tracked {
        int target = -1;
        int log = -1;
    };

    static std::uint64_t size_of(int fd) {
        struct stat st {};
        return ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    }

    Tracked& file(const std::filesystem::path& path) {
        auto it = files_.find(path.string());
        if (it != files_.end()) {
            // A file deleted and made again (SQLite's WAL after its last connection closed)
            // starts a new history: the old entries belong to a file that no longer exists.
            struct stat now {
            }, held{};
            if (::stat(path.c_str(), &now) == 0 && ::fstat(it->second.target, &held) == 0 &&
                now.st_ino == held.st_ino)
                return it->second;
            ::close(it->second.target);
            it->second.target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (it->second.target < 0 || ::ftruncate(it->second.log, 0) != 0)
                std::abort();
            return it->second;
        }
        Tracked t;
        t.target = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
        auto name = hex_encode(path.string()) + ".undo";
        t.log = ::open((dir_ / name).c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
        if (t.target < 0 || t.log < 0)
            std::abort();
        return files_.emplace(path.string(), t).first->second;
    }

    static void append(Tracked& f, unsigned char kind, std::uint64_t offset,
                       std::uint64_t size_before, const std::string& old) {
        // One write per entry, before the data write: a kill between the two leaves an entry
        // that restores bytes that never changed, which is harmless.
        std::string e(1, static_cast<char>(kind));
        put64(e, offset);
        put64(e, size_before);
        put64(e, old.size());
        e += old;
        if (::write(f.log, e.data(), e.size()) != static_cast<ssize_t>(e.size()))
            std::abort();
    }

    std::filesystem::path dir_;
    std::mutex mu_;
    std::map<std::string, Tracked> files_;
};

UndoLogs* g_logs = nullptr;

// ---- SQLite VFS shim: the default unix VFS, with writes, truncations and syncs reported ----

struct ShimFile {
    sqlite3_file base;  // first, as SQLite requires
    sqlite3_file* real;
    std::string* path;  // null: a temporary file, not tracked
};

sqlite3_vfs* g_real = nullptr;
sqlite3_vfs g_vfs;
sqlite3_io_methods g_methods;

constexpr int kShimSize = (static_cast<int>(sizeof(ShimFile)) + 15) / 16 * 16;

sqlite3_file* real_of(sqlite3_file* f) {
    return reinterpret_cast<ShimFile*>(f)->real;
}
const std::string* path_of(sqlite3_file* f) {
    return reinterpret_cast<ShimFile*>(f)->path;
}

int shim_close(sqlite3_file* f) {
    auto* sf = reinterpret_cast<ShimFile*>(f);
    int rc = sf->real->pMethods->xClose(sf->real);
    delete sf->path;
    sf->path = nullptr;
    return rc;
}
int shim_read(sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
    return real_of(f)->pMethods->xRead(real_of(f), buf, n, off);
}
int shim_write(sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
    if (const auto* p = path_of(f))
        g_logs->before_write(*p, static_cast<std::uint64_t>(off), static_cast<std::uint64_t>(n));
    return real_of(f)->pMethods->xWrite(real_of(f), buf, n, off);
}
int shim_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (const auto* p = path_of(f))
        g_logs->before_resize(*p, static_cast<std::uint64_t>(size));
    return real_of(f)->pMethods->xTruncate(real_of(f), size);
}
int shim_sync(sqlite3_file* f, int flags) {
    int rc = real_of(f)->pMethods->xSync(real_of(f), flags);
    if (rc == SQLITE_OK)
        if (const auto* p = path_of(f))
            g_logs->synced(*p);
    return rc;
}
int shim_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return real_of(f)->pMethods->xFileSize(real_of(f), size);
}
int shim_lock(sqlite3_file* f, int l) {
    return real_of(f)->pMethods->xLock(real_of(f), l);
}
int shim_unlock(sqlite3_file* f, int l) {
    return real_of(f)->pMethods->xUnlock(real_of(f), l);
}
int shim_check_reserved(sqlite3_file* f, int* out) {
    return real_of(f)->pMethods->xCheckReservedLock(real_of(f), out);
}
int shim_file_control(sqlite3_file* f, int op, void* arg) {
    return real_of(f)->pMethods->xFileControl(real_of(f), op, arg);
}
int shim_sector_size(sqlite3_file* f) {
    return real_of(f)->pMethods->xSectorSize(real_of(f));
}
int shim_device(sqlite3_file* f) {
    return real_of(f)->pMethods->xDeviceCharacteristics(real_of(f));
}
int shim_shm_map(sqlite3_file* f, int page, int size, int extend, void volatile** out) {
    return real_of(f)->pMethods->xShmMap(real_of(f), page, size, extend, out);
}
int shim_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real_of(f)->pMethods->xShmLock(real_of(f), offset, n, flags);
}
void shim_shm_barrier(sqlite3_file* f) {
    real_of(f)->pMethods->xShmBarrier(real_of(f));
}
int shim_shm_unmap(sqlite3_file* f, int del) {
    return real_of(f)->pMethods->xShmUnmap(real_of(f), del);
}
int shim_fetch(sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
    return real_of(f)->pMethods->xFetch(real_of(f), off, n, out);
}
int shim_unfetch(sqlite3_file* f, sqlite3_int64 off, void* p) {
    return real_of(f)->pMethods->xUnfetch(real_of(f), off, p);
}

int shim_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    auto* sf = reinterpret_cast<ShimFile*>(f);
    sf->base.pMethods = nullptr;
    sf->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(f) + kShimSize);
    sf->path = nullptr;
    int rc = g_real->xOpen(g_real, name, sf->real, flags, out_flags);
    if (rc != SQLITE_OK)
        return rc;
    if (name)
        sf->path = new std::string(name);
    sf->base.pMethods = &g_methods;
    return rc;
}
int shim_delete(sqlite3_vfs*, const char* name, int sync_dir) {
    return g_real->xDelete(g_real, name, sync_dir);
}
int shim_access(sqlite3_vfs*, const char* name, int flags, int* out) {
    return g_real->xAccess(g_real, name, flags, out);
}
int shim_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
    return g_real->xFullPathname(g_real, name, n, out);
}
void* shim_dlopen(sqlite3_vfs*, const char* name) {
    return g_real->xDlOpen(g_real, name);
}
void shim_dlerror(sqlite3_vfs*, int n, char* out) {
    g_real->xDlError(g_real, n, out);
}
void (*shim_dlsym(sqlite3_vfs*, void* h, const char* sym))(void) {
    return g_real->xDlSym(g_real, h, sym);
}
void shim_dlclose(sqlite3_vfs*, void* h) {
    g_real->xDlClose(g_real, h);
}
int shim_randomness(sqlite3_vfs*, int n, char* out) {
    return g_real->xRandomness(g_real, n, out);
}
int shim_sleep(sqlite3_vfs*, int us) {
    return g_real->xSleep(g_real, us);
}
int shim_current_time(sqlite3_vfs*, double* out) {
    return g_real->xCurrentTime(g_real, out);
}
int shim_last_error(sqlite3_vfs*, int n, char* out) {
    return g_real->xGetLastError(g_real, n, out);
}
int shim_current_time64(sqlite3_vfs*, sqlite3_int64* out) {
    return g_real->xCurrentTimeInt64(g_real, out);
}

void register_vfs() {
    g_real = sqlite3_vfs_find(nullptr);
    if (!g_real || g_real->iVersion < 2)
        std::abort();
    std::memset(&g_vfs, 0, sizeof g_vfs);
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = kShimSize + g_real->szOsFile;
    g_vfs.mxPathname = g_real->mxPathname;
    g_vfs.zName = "postern-power-loss";
    g_vfs.xOpen = shim_open;
    g_vfs.xDelete = shim_delete;
    g_vfs.xAccess = shim_access;
    g_vfs.xFullPathname = shim_full_pathname;
    g_vfs.xDlOpen = shim_dlopen;
    g_vfs.xDlError = shim_dlerror;
    g_vfs.xDlSym = shim_dlsym;
    g_vfs.xDlClose = shim_dlclose;
    g_vfs.xRandomness = shim_randomness;
    g_vfs.xSleep = shim_sleep;
    g_vfs.xCurrentTime = shim_current_time;
    g_vfs.xGetLastError = shim_last_error;
    g_vfs.xCurrentTimeInt64 = shim_current_time64;

    std::memset(&g_methods, 0, sizeof g_methods);
    g_methods.iVersion = 3;
    g_methods.xClose = shim_close;
    g_methods.xRead = shim_read;
    g_methods.xWrite = shim_write;
    g_methods.xTruncate = shim_truncate;
    g_methods.xSync = shim_sync;
    g_methods.xFileSize = shim_file_size;
    g_methods.xLock = shim_lock;
    g_methods.xUnlock = shim_unlock;
    g_methods.xCheckReservedLock = shim_check_reserved;
    g_methods.xFileControl = shim_file_control;
    g_methods.xSectorSize = shim_sector_size;
    g_methods.xDeviceCharacteristics = shim_device;
    g_methods.xShmMap = shim_shm_map;
    g_methods.xShmLock = shim_shm_lock;
    g_methods.xShmBarrier = shim_shm_barrier;
    g_methods.xShmUnmap = shim_shm_unmap;
    g_methods.xFetch = shim_fetch;
    g_methods.xUnfetch = shim_unfetch;
    if (sqlite3_vfs_register(&g_vfs, 1) != SQLITE_OK)
        std::abort();
}

struct Entry {
    unsigned char kind;
    std::uint64_t offset;
    std::uint64_t size_before;
    std::string old;
};

std::vector<Entry> read_log(const std::filesystem::path& p) {
    std::vector<Entry> out;
    std::string data;
    int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return out;
    char buf[1 << 16];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;)
        data.append(buf, static_cast<std::size_t>(n));
    ::close(fd);
    std::size_t at = 0;
    while (at + 25 <= data.size()) {
        Entry e;
        e.kind = static_cast<unsigned char>(data[at]);
        e.offset = get64(data, at + 1);
        e.size_before = get64(data, at + 9);
        auto len = get64(data, at + 17);
        if (at + 25 + len > data.size())
            break;  // the writer died while logging: that write never happened
        e.old = data.substr(at + 25, len);
        out.push_back(std::move(e));
        at += 25 + len;
    }
    return out;
}

}  // namespace

void install_power_loss_tracking(const std::filesystem::path& undo_dir) {
    g_logs = new UndoLogs(undo_dir);  // lives as long as the (killed) writer process
    engine::set_durability_observer(g_logs);
    register_vfs();
}

RevertStats simulate_power_loss(const std::filesystem::path& undo_dir,
                                const std::filesystem::path& data_dir, bool keep_prefix,
                                std::mt19937& rng) {
    RevertStats stats;
    std::error_code ec;
    for (auto& log : std::filesystem::directory_iterator(undo_dir, ec)) {
        auto name = log.path().filename().string();
        auto decoded = hex_decode(name.substr(0, name.size() - 5));
        if (!decoded)
            continue;
        auto entries = read_log(log.path());
        std::filesystem::remove(log.path(), ec);
        if (entries.empty())
            continue;
        ++stats.files;
        std::size_t keep = 0;
        if (keep_prefix)
            keep = std::uniform_int_distribution<std::size_t>(0, entries.size())(rng);
        stats.writes_kept += keep;
        int fd = ::open(decoded->c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            continue;  // deleted meanwhile (a replaced index): nothing to put back
        for (std::size_t i = entries.size(); i-- > keep;) {
            auto& e = entries[i];
            if (!e.old.empty() &&
                ::pwrite(fd, e.old.data(), e.old.size(), static_cast<off_t>(e.offset)) < 0)
                std::abort();
            if (::ftruncate(fd, static_cast<off_t>(e.size_before)) != 0)
                std::abort();
            ++stats.writes_undone;
        }
        ::close(fd);
    }
    // Shared memory is gone after a power cut; SQLite rebuilds it from the WAL.
    for (auto& f : std::filesystem::recursive_directory_iterator(data_dir, ec))
        if (f.path().string().ends_with("-shm"))
            std::filesystem::remove(f.path(), ec);
    return stats;
}

}  // namespace postern::store::testing
