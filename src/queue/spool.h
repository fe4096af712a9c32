// The spool directory (docs/queue.md "On disk"): a layout file, a lock that keeps a second
// process out, hashed subdirectories "00".."ff" holding <id>.body and <id>.status, and
// corrupt/ for files that failed their checks. Knows names and directories, not formats.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "queue/queue_id.h"

namespace postern::queue {

inline constexpr int kSpoolLayoutVersion = 1;

// One message's files as found by a scan.
struct SpoolEntry {
    QueueId id;
    std::uint16_t bucket = 0;
    bool has_body = false;
    bool has_status = false;
    bool has_temp = false;  // <id>.status.tmp: a commit or compaction cut short by a crash
    std::uint64_t body_size = 0;
    bool has_body2 = false;  // <id>.body2: a filter's replacement of the message (PROCESSING)
    std::uint64_t body2_size = 0;
};

struct SpoolScan {
    std::vector<SpoolEntry> entries;            // sorted by id
    std::vector<std::filesystem::path> strays;  // files that are not ours (reported, kept)
};

// Thread-safety: const members may be called from any thread; scan/quarantine are for the
// single owner (the Queue) while it opens.
class Spool {
  public:
    // Creates the directory tree when missing, checks the layout version and takes the lock
    // (Errc::unavailable when another process holds it).
    static Result<std::unique_ptr<Spool>> open(const std::filesystem::path& dir,
                                               std::uint32_t subdirectories, bool fsync);
    ~Spool();
    Spool(const Spool&) = delete;
    Spool& operator=(const Spool&) = delete;

    const std::filesystem::path& root() const { return root_; }
    // The subdirectory new messages with this id go to.
    std::uint16_t bucket_for(const QueueId& id) const;
    std::filesystem::path bucket_dir(std::uint16_t bucket) const;
    std::filesystem::path body_path(std::uint16_t bucket, const QueueId& id) const;
    std::filesystem::path status_path(std::uint16_t bucket, const QueueId& id) const;
    // Where a filter's replacement of the message goes (beside the original, which stays).
    std::filesystem::path body2_path(std::uint16_t bucket, const QueueId& id) const;

    // Every message file in every subdirectory (also those of an earlier fan-out setting).
    Result<SpoolScan> scan() const;
    // Moves the message's files to corrupt/ with a <id>.why text beside them.
    Status quarantine(const SpoolEntry& entry, const std::string& why) const;
    // Deletes the message's files (status first, so a crash leaves an orphan body at most).
    void remove_files(const SpoolEntry& entry) const;

  private:
    Spool(std::filesystem::path root, std::uint32_t subdirectories, bool fsync, int lock_fd)
        : root_(std::move(root)),
          subdirectories_(subdirectories),
          fsync_(fsync),
          lock_fd_(lock_fd) {}

    std::filesystem::path root_;
    std::uint32_t subdirectories_;
    bool fsync_;
    int lock_fd_;
};

std::string bucket_name(std::uint16_t bucket);

}  // namespace postern::queue
