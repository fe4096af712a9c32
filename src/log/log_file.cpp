// One internal log file: buffered O_APPEND writes, rotation by rename, pruning of old files.
#include "log/log_file.h"

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::log {

namespace {

// More rotations than this within one second means a max_size smaller than one line; the
// last name is then overwritten rather than looping forever.
constexpr unsigned kMaxSeqPerSecond = 10000;
constexpr auto kRotationRetry = std::chrono::minutes(1);

}  // namespace

LogFile::LogFile(std::filesystem::path path, FilePolicy policy, FileCounters& counters,
                 std::size_t buffer_bytes)
    : path_(std::move(path)), policy_(policy), counters_(counters), buffer_bytes_(buffer_bytes) {}

LogFile::~LogFile() {
    (void)close();
}

Status LogFile::open(TimePoint now) {
    std::error_code ec;
    std::filesystem::create_directories(path_.parent_path(), ec);
    if (ec)
        return fail(Errc::io_error, "create " + path_.parent_path().string() + ": " + ec.message());
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd_ < 0)
        return fail(Errc::io_error, "open " + path_.string() + ": " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) {
        int err = errno;
        ::close(fd_);
        fd_ = -1;
        return fail(Errc::io_error, "stat " + path_.string() + ": " + errno_text(err));
    }
    state_.size = static_cast<std::uint64_t>(st.st_size);
    state_.opened = now;
    // A file left by an earlier run is dated by its last write: if that was in an earlier
    // period, the next append rotates it before adding today's lines.
    auto mtime = TimePoint(std::chrono::duration_cast<TimePoint::duration>(
        std::chrono::seconds(st.st_mtim.tv_sec) + std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
    state_.first_line = state_.size > 0 ? std::min(mtime, now) : now;
    return ok();
}

Status LogFile::append(std::string_view line, TimePoint now) {
    if (fd_ < 0) {
        if (auto st = open(now); !st) {
            counters_.failed.fetch_add(1, std::memory_order_relaxed);
            return st;
        }
    }
    Status result = ok();
    if (now >= retry_rotation_ &&
        rotation_due(state_, policy_, now, line.size() + 1) != RotateReason::none) {
        if (auto st = rotate(now); !st) {
            result = st;
            retry_rotation_ = now + kRotationRetry;
        }
        if (fd_ < 0) {
            if (auto st = open(now); !st) {
                counters_.failed.fetch_add(1, std::memory_order_relaxed);
                return st;
            }
        }
    }
    if (state_.size == 0)
        state_.first_line = now;
    buffer_.append(line);
    buffer_ += '\n';
    ++buffered_lines_;
    state_.size += line.size() + 1;
    if (buffer_.size() >= buffer_bytes_) {
        if (auto st = flush(); !st)
            return st;
    }
    return result;
}

Result<bool> LogFile::rotate_if_due(TimePoint now) {
    if (fd_ < 0 || now < retry_rotation_)
        return false;
    auto reason = rotation_due(state_, policy_, now, 0);
    if (reason != RotateReason::period && reason != RotateReason::age)
        return false;
    if (auto st = rotate(now); !st) {
        retry_rotation_ = now + kRotationRetry;
        return fail(st.error());
    }
    return true;
}

Status LogFile::flush() {
    if (buffer_.empty())
        return ok();
    std::size_t done = 0;
    Status result = ok();
    while (done < buffer_.size()) {
        auto n = fd_ >= 0 ? ::write(fd_, buffer_.data() + done, buffer_.size() - done) : -1;
        if (n < 0) {
            if (fd_ >= 0 && errno == EINTR)
                continue;
            // Keeping the bytes would let a full disk grow memory without bound; the lines are
            // counted as failed instead. A partly written line counts as failed too.
            result = fail(Errc::io_error,
                          "write " + path_.string() + ": " + errno_text(fd_ >= 0 ? errno : EBADF));
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    if (result) {
        counters_.written.fetch_add(buffered_lines_, std::memory_order_relaxed);
    } else {
        auto whole = static_cast<std::uint64_t>(
            std::count(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(done), '\n'));
        counters_.written.fetch_add(whole, std::memory_order_relaxed);
        counters_.failed.fetch_add(buffered_lines_ - whole, std::memory_order_relaxed);
        state_.size -= std::min<std::uint64_t>(state_.size, buffer_.size() - done);
    }
    buffer_.clear();
    buffered_lines_ = 0;
    return result;
}

Status LogFile::close() {
    if (fd_ < 0)
        return ok();
    auto st = flush();
    // Closing happens at shutdown, reopen and reconfigure: rare enough to make the tail durable.
    ::fdatasync(fd_);
    ::close(fd_);
    fd_ = -1;
    return st;
}

Status LogFile::rotate(TimePoint now) {
    // A failed write here is already counted in `failed`; rotation goes ahead regardless.
    (void)flush();
    ::close(fd_);
    fd_ = -1;
    auto base = path_.filename().string();
    auto dir = path_.parent_path();
    std::filesystem::path target;
    for (unsigned seq = 0; seq <= kMaxSeqPerSecond; ++seq) {
        target = dir / rotated_name(base, now, seq);
        if (::access(target.c_str(), F_OK) != 0)
            break;
    }
    if (::rename(path_.c_str(), target.c_str()) != 0) {
        // ENOENT: someone (logrotate, an admin) moved the file away already; nothing to rename.
        if (errno != ENOENT) {
            return fail(Errc::io_error, "rename " + path_.string() + " to " + target.string() +
                                            ": " + errno_text(errno));
        }
    } else {
        counters_.rotations.fetch_add(1, std::memory_order_relaxed);
    }
    state_ = FileState{};
    prune();
    return ok();
}

void LogFile::prune() {
    std::vector<std::string> names;
    std::error_code ec;
    auto dir = path_.parent_path();
    for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        names.push_back(it->path().filename().string());
    }
    for (const auto& name : files_to_prune(path_.filename().string(), names, policy_.keep)) {
        std::filesystem::remove(dir / name, ec);
    }
}

}  // namespace postern::log
