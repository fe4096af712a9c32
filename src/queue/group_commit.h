// Group commit: the one thread that writes the spool (docs/queue.md "Group commit"). Jobs from
// many threads are gathered into rounds. A round writes every file of its jobs and starts their
// writeback, then issues all fdatasyncs in parallel (so the journal commits them together),
// together with the directory fsyncs the previous round left; only then does it acknowledge.
// A new message's body and status are written side by side, the status under a temporary name
// that is renamed into place only once both are durable, and acknowledged after the directory
// holding the new name is synced in the next round: a status never names a body a crash could
// lose, and is never seen half written.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "base/thread_pool.h"
#include "log/log.h"

namespace postern::queue {

// Completion of a job: called on the commit thread after the round, with no lock held. Must
// be quick (post elsewhere for real work); may submit further jobs.
using Done = std::function<void(Status)>;

struct NewMessageJob {
    std::filesystem::path dir;  // subdirectory: fsync'd once the status file exists
    std::filesystem::path body_path;
    std::filesystem::path status_path;
    int body_fd = -1;       // open body file the producer already wrote to, or -1 (created here)
    std::string body_tail;  // body bytes not written yet
    std::string status;     // the whole status file
    Done done;
};

struct GroupCommitStats {
    std::uint64_t rounds = 0;
    std::uint64_t messages = 0;  // new messages made durable
    std::uint64_t updates = 0;   // appends and rewrites done
    std::uint64_t syncs = 0;     // fdatasync + directory fsync calls
};

// Thread-safety: every member may be called from any thread. Jobs that name the same status
// file run in submission order. The destructor finishes all submitted work first.
class GroupCommit {
  public:
    GroupCommit(bool fsync, unsigned sync_threads, std::uint32_t max_batch, log::Logger logger);
    ~GroupCommit();
    GroupCommit(const GroupCommit&) = delete;
    GroupCommit& operator=(const GroupCommit&) = delete;

    void create(NewMessageJob job);
    // Appends `bytes` to the status file and makes them durable. On failure the file is cut
    // back to its previous length, so a failed append never leaves a hole before later ones.
    void append(std::filesystem::path status, std::string bytes, Done done = {});
    // Replaces the status file atomically (temporary file, fdatasync, rename, directory fsync).
    void rewrite(std::filesystem::path status, std::string bytes, Done done = {});
    // Deletes status then body; durability is not awaited (a message that reappears after a
    // crash has only final recipients and is removed again).
    void remove(std::filesystem::path status, std::filesystem::path body, Done done = {});
    // `done` runs once every job submitted before it has completed.
    void barrier(Done done);

    GroupCommitStats stats() const;

  private:
    struct Op {
        enum class Kind { append, rewrite, remove } kind;
        std::filesystem::path status;
        std::filesystem::path body;
        std::string bytes;
        Done done;
        std::uint64_t seq = 0;
        Status result;
    };
    void submit(Op op);
    struct Create {
        NewMessageJob job;
        std::uint64_t seq = 0;
        Status result;
        int status_fd = -1;  // the temporary status file while the round runs
    };
    struct Barrier {
        std::uint64_t creates_before;  // creates with a lower sequence number must be done
        std::uint64_t ops_before;
        Done done;
    };

    void run();
    void round(std::vector<Create>& creates, std::vector<Op>& ops);
    void parallel(std::vector<std::function<void()>>& tasks);
    void fire_barriers(std::vector<Done>& ready);

    const bool fsync_;
    const std::uint32_t max_batch_;
    log::Logger log_;
    ThreadPool pool_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Create> creates_;
    std::deque<Op> ops_;
    std::vector<Barrier> barriers_;
    std::uint64_t creates_submitted_ = 0;
    std::uint64_t ops_submitted_ = 0;
    // Renamed into place; acknowledged once the next round has synced their directories.
    // Owned by the commit thread (read under mutex_ for barriers).
    std::vector<Create> renamed_;
    std::vector<Op> renamed_ops_;
    std::set<std::filesystem::path> dirs_to_sync_;
    bool stopping_ = false;
    GroupCommitStats stats_;
    std::thread thread_;
};

}  // namespace postern::queue
