// One internal log file: buffered appends, lazy open, rotation by size/age/calendar period,
// and deletion of rotated files beyond `keep`.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/result.h"
#include "log/rotation.h"

namespace postern::log {

// Line accounting shared by the files of one writer; readable from any thread.
struct FileCounters {
    std::atomic<std::uint64_t> written{0};    // lines handed to the kernel
    std::atomic<std::uint64_t> failed{0};     // lines lost to open/write errors
    std::atomic<std::uint64_t> rotations{0};  // files renamed away
};

// Not thread-safe: owned and used by the writer thread only (tests use it directly).
// The file is opened (created 0640, with missing parent directories) on the first append and
// closed by close(), rotation, or destruction. Lines go to a buffer that is written to the
// kernel when it exceeds `buffer_bytes` and on flush(); no fsync except in close().
class LogFile {
  public:
    LogFile(std::filesystem::path path, FilePolicy policy, FileCounters& counters,
            std::size_t buffer_bytes = 64 * 1024);
    ~LogFile();
    LogFile(const LogFile&) = delete;
    LogFile& operator=(const LogFile&) = delete;

    void set_policy(const FilePolicy& policy) { policy_ = policy; }
    const FilePolicy& policy() const { return policy_; }
    const std::filesystem::path& path() const { return path_; }

    // Appends `line` and a newline, rotating first when due. An error says the file could not
    // be opened or a buffered write failed (those lines are counted in `failed`), or that
    // rotation failed (the line then still went to the unrotated file and is not lost). A
    // failed rotation is not retried for a minute, so a read-only directory does not cost a
    // rename per line.
    Status append(std::string_view line, TimePoint now);

    // Rotates an open file whose period or age has run out (an idle file at midnight).
    // True when it rotated; the next append creates the new file.
    Result<bool> rotate_if_due(TimePoint now);

    // Writes the buffer to the kernel.
    Status flush();
    // Flushes, fdatasyncs and closes; the next append reopens the path (after an external
    // logrotate moved the file, this starts a new one).
    Status close();

    bool dirty() const { return !buffer_.empty(); }
    std::uint64_t size() const { return state_.size; }

  private:
    Status open(TimePoint now);
    Status rotate(TimePoint now);
    void prune();

    const std::filesystem::path path_;
    FilePolicy policy_;
    FileCounters& counters_;
    const std::size_t buffer_bytes_;
    int fd_ = -1;
    FileState state_;
    std::string buffer_;
    std::uint64_t buffered_lines_ = 0;
    TimePoint retry_rotation_{};
};

}  // namespace postern::log
