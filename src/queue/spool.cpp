// Spool directory layout, locking, scanning and quarantine (docs/queue.md "On disk").
#include "queue/spool.h"

#include <algorithm>
#include <cerrno>
#include <map>

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"

namespace postern::queue {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kLayoutFile = "queue.meta";
constexpr std::string_view kLockFile = "spool.lock";
constexpr std::string_view kCorruptDir = "corrupt";
constexpr std::string_view kBodySuffix = ".body";
constexpr std::string_view kBody2Suffix = ".body2";
constexpr std::string_view kStatusSuffix = ".status";
constexpr std::string_view kTempSuffix = ".status.tmp";

std::string layout_text() {
    return "postern-queue-layout " + std::to_string(kSpoolLayoutVersion) + "\n";
}

Status make_dir(const fs::path& p) {
    std::error_code ec;
    fs::create_directories(p, ec);
    if (ec)
        return fail(Errc::io_error, "create " + p.string() + ": " + ec.message());
    return ok();
}

std::optional<std::uint16_t> parse_bucket(std::string_view name) {
    if (name.size() != 2)
        return std::nullopt;
    unsigned v = 0;
    for (char c : name) {
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= static_cast<unsigned>(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= static_cast<unsigned>(c - 'a' + 10);
        else
            return std::nullopt;
    }
    return static_cast<std::uint16_t>(v);
}

bool ends_with(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

std::string bucket_name(std::uint16_t bucket) {
    constexpr std::string_view kHex = "0123456789abcdef";
    std::string s(2, '0');
    s[0] = kHex[(bucket >> 4) & 15];
    s[1] = kHex[bucket & 15];
    return s;
}

Result<std::unique_ptr<Spool>> Spool::open(const fs::path& dir, std::uint32_t subdirectories,
                                           bool fsync) {
    if (subdirectories < 1 || subdirectories > 256)
        return fail(Errc::invalid_argument, "queue subdirectories must be 1..256");
    if (auto s = make_dir(dir); !s)
        return fail(s.error());
    auto lock_path = dir / kLockFile;
    int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(Errc::io_error, "open " + lock_path.string() + ": " + errno_text(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK)
            return fail(Errc::unavailable,
                        "queue " + dir.string() + " is in use by another process");
        return fail(Errc::io_error, "lock " + lock_path.string() + ": " + errno_text(err));
    }
    std::unique_ptr<Spool> spool(new Spool(dir, subdirectories, fsync, fd));

    auto meta = dir / kLayoutFile;
    if (fs::exists(meta)) {
        auto text = read_file(meta);
        if (!text)
            return fail(text.error());
        if (*text != layout_text())
            return fail(Errc::corrupt, meta.string() + " names an unsupported queue layout: " +
                                           std::string(trim(*text)));
    } else {
        for (std::uint16_t b = 0; b < subdirectories; ++b)
            if (auto s = make_dir(spool->bucket_dir(b)); !s)
                return fail(s.error());
        if (auto s = make_dir(dir / kCorruptDir); !s)
            return fail(s.error());
        // Written last: a spool with this file is complete.
        if (auto s = write_file_atomic(meta, layout_text(), 0600); !s)
            return fail(s.error());
    }
    // A larger fan-out than before adds directories; a smaller one keeps the old ones, which
    // scans still read.
    for (std::uint16_t b = 0; b < subdirectories; ++b)
        if (auto s = make_dir(spool->bucket_dir(b)); !s)
            return fail(s.error());
    if (auto s = make_dir(dir / kCorruptDir); !s)
        return fail(s.error());
    if (fsync)
        if (auto s = fsync_directory(dir); !s)
            return fail(s.error());
    return spool;
}

Spool::~Spool() {
    if (lock_fd_ >= 0)
        ::close(lock_fd_);  // releases the flock
}

std::uint16_t Spool::bucket_for(const QueueId& id) const {
    return static_cast<std::uint16_t>(id.spread() % subdirectories_);
}

fs::path Spool::bucket_dir(std::uint16_t bucket) const {
    return root_ / bucket_name(bucket);
}

fs::path Spool::body_path(std::uint16_t bucket, const QueueId& id) const {
    return bucket_dir(bucket) / (id.str() + std::string(kBodySuffix));
}

fs::path Spool::status_path(std::uint16_t bucket, const QueueId& id) const {
    return bucket_dir(bucket) / (id.str() + std::string(kStatusSuffix));
}

fs::path Spool::body2_path(std::uint16_t bucket, const QueueId& id) const {
    return bucket_dir(bucket) / (id.str() + std::string(kBody2Suffix));
}

Result<SpoolScan> Spool::scan() const {
    SpoolScan out;
    std::map<std::pair<std::uint16_t, QueueId>, SpoolEntry> found;
    DIR* root = ::opendir(root_.c_str());
    if (!root)
        return fail(Errc::io_error, "open " + root_.string() + ": " + errno_text(errno));
    std::vector<std::uint16_t> buckets;
    while (auto* e = ::readdir(root)) {
        if (auto b = parse_bucket(e->d_name))
            buckets.push_back(*b);
    }
    ::closedir(root);
    std::sort(buckets.begin(), buckets.end());
    for (auto b : buckets) {
        auto dir_path = bucket_dir(b);
        DIR* d = ::opendir(dir_path.c_str());
        if (!d)
            return fail(Errc::io_error, "open " + dir_path.string() + ": " + errno_text(errno));
        int dfd = ::dirfd(d);
        while (auto* e = ::readdir(d)) {
            std::string_view name = e->d_name;
            if (name == "." || name == "..")
                continue;
            std::string_view stem;
            int kind = 0;
            if (ends_with(name, kTempSuffix)) {
                stem = name.substr(0, name.size() - kTempSuffix.size());
                kind = 3;
            } else if (ends_with(name, kStatusSuffix)) {
                stem = name.substr(0, name.size() - kStatusSuffix.size());
                kind = 2;
            } else if (ends_with(name, kBodySuffix)) {
                stem = name.substr(0, name.size() - kBodySuffix.size());
                kind = 1;
            } else if (ends_with(name, kBody2Suffix)) {
                stem = name.substr(0, name.size() - kBody2Suffix.size());
                kind = 4;
            }
            auto id = kind ? QueueId::parse(stem) : std::nullopt;
            if (!id) {
                out.strays.push_back(dir_path / std::string(name));
                continue;
            }
            auto& entry = found[{b, *id}];
            entry.id = *id;
            entry.bucket = b;
            if (kind == 1) {
                entry.has_body = true;
                struct stat st {};
                if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    entry.body_size = static_cast<std::uint64_t>(st.st_size);
            } else if (kind == 4) {
                entry.has_body2 = true;
                struct stat st {};
                if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                    entry.body2_size = static_cast<std::uint64_t>(st.st_size);
            } else if (kind == 2) {
                entry.has_status = true;
            } else {
                entry.has_temp = true;
            }
        }
        ::closedir(d);
    }
    out.entries.reserve(found.size());
    for (auto& [key, entry] : found)
        out.entries.push_back(entry);
    std::sort(out.entries.begin(), out.entries.end(),
              [](const SpoolEntry& a, const SpoolEntry& b) { return a.id < b.id; });
    return out;
}

Status Spool::quarantine(const SpoolEntry& entry, const std::string& why) const {
    auto dest = root_ / kCorruptDir;
    if (auto s = make_dir(dest); !s)
        return s;
    auto name = entry.id.str();
    auto move = [&](const fs::path& from, const std::string& to) -> Status {
        if (::rename(from.c_str(), (dest / to).c_str()) != 0 && errno != ENOENT)
            return fail(Errc::io_error,
                        "move " + from.string() + " to corrupt/: " + errno_text(errno));
        return ok();
    };
    if (auto s = write_file_atomic(dest / (name + ".why"), why + "\n", 0600); !s)
        return s;
    if (auto s = move(status_path(entry.bucket, entry.id), name + std::string(kStatusSuffix)); !s)
        return s;
    if (auto s = move(body_path(entry.bucket, entry.id), name + std::string(kBodySuffix)); !s)
        return s;
    if (auto s = move(body2_path(entry.bucket, entry.id), name + std::string(kBody2Suffix)); !s)
        return s;
    auto temp = status_path(entry.bucket, entry.id);
    temp += ".tmp";
    ::unlink(temp.c_str());
    if (fsync_) {
        if (auto s = fsync_directory(dest); !s)
            return s;
        return fsync_directory(bucket_dir(entry.bucket));
    }
    return ok();
}

void Spool::remove_files(const SpoolEntry& entry) const {
    auto status = status_path(entry.bucket, entry.id);
    auto temp = status;
    temp += ".tmp";
    ::unlink(status.c_str());
    ::unlink(temp.c_str());
    ::unlink(body_path(entry.bucket, entry.id).c_str());
    ::unlink(body2_path(entry.bucket, entry.id).c_str());
}

}  // namespace postern::queue
