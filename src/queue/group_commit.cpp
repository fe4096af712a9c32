// The spool's writer thread with group commit (docs/queue.md "Group commit").
#include "queue/group_commit.h"

#include <atomic>
#include <cerrno>
#include <latch>
#include <map>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::queue {

namespace fs = std::filesystem;

namespace {

Error os_error(int err, const std::string& what) {
    // Out of space is an environment condition SMTP maps to 452 (RFC 3463 4.3.1).
    auto code = (err == ENOSPC || err == EDQUOT) ? Errc::unavailable : Errc::io_error;
    return Error{code, what + ": " + errno_text(err)};
}

Status write_all(int fd, std::string_view bytes, const fs::path& path) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return fail(os_error(errno, "write " + path.string()));
        }
        done += static_cast<std::size_t>(n);
    }
    return ok();
}

Status sync_dir(const fs::path& dir, bool enabled) {
    if (!enabled)
        return ok();
    return fsync_directory(dir);
}

}  // namespace

GroupCommit::GroupCommit(bool fsync, unsigned sync_threads, std::uint32_t max_batch,
                         log::Logger logger)
    : fsync_(fsync),
      max_batch_(max_batch ? max_batch : 1),
      log_(std::move(logger)),
      pool_("queue-sync", sync_threads ? sync_threads : 1, std::chrono::seconds(60)),
      thread_([this] { run(); }) {}

GroupCommit::~GroupCommit() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void GroupCommit::create(NewMessageJob job) {
    {
        std::lock_guard lock(mutex_);
        creates_.push_back(Create{std::move(job), creates_submitted_++, ok(), -1});
    }
    wake_.notify_one();
}

void GroupCommit::append(fs::path status, std::string bytes, Done done) {
    submit(Op{Op::Kind::append, std::move(status), {}, std::move(bytes), std::move(done), 0, ok()});
}

void GroupCommit::rewrite(fs::path status, std::string bytes, Done done) {
    submit(
        Op{Op::Kind::rewrite, std::move(status), {}, std::move(bytes), std::move(done), 0, ok()});
}

void GroupCommit::remove(fs::path status, fs::path body, Done done) {
    submit(Op{Op::Kind::remove, std::move(status), std::move(body), {}, std::move(done), 0, ok()});
}

// Queues a status-file operation in submission order (its sequence number is given here).
void GroupCommit::submit(Op op) {
    {
        std::lock_guard lock(mutex_);
        op.seq = ops_submitted_++;
        ops_.push_back(std::move(op));
    }
    wake_.notify_one();
}

void GroupCommit::barrier(Done done) {
    {
        std::lock_guard lock(mutex_);
        barriers_.push_back(Barrier{creates_submitted_, ops_submitted_, std::move(done)});
    }
    wake_.notify_one();
}

GroupCommitStats GroupCommit::stats() const {
    std::lock_guard lock(mutex_);
    return stats_;
}

// With mutex_ held: moves the barriers whose predecessors are all done to `ready`.
void GroupCommit::fire_barriers(std::vector<Done>& ready) {
    std::uint64_t oldest_create = creates_.empty() ? UINT64_MAX : creates_.front().seq;
    for (const auto& c : renamed_)
        oldest_create = std::min(oldest_create, c.seq);
    std::uint64_t oldest_op = ops_.empty() ? UINT64_MAX : ops_.front().seq;
    for (const auto& o : renamed_ops_)
        oldest_op = std::min(oldest_op, o.seq);
    std::erase_if(barriers_, [&](Barrier& b) {
        if (b.creates_before > oldest_create || b.ops_before > oldest_op)
            return false;
        ready.push_back(std::move(b.done));
        return true;
    });
}

void GroupCommit::run() {
    for (;;) {
        std::vector<Create> creates;
        std::vector<Op> ops;
        std::vector<Done> ready;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                return stopping_ || !creates_.empty() || !ops_.empty() || !renamed_.empty() ||
                       !renamed_ops_.empty() || !barriers_.empty();
            });
            fire_barriers(ready);
            if (stopping_ && creates_.empty() && ops_.empty() && renamed_.empty() &&
                renamed_ops_.empty() && barriers_.empty() && ready.empty())
                return;
            // Each new message keeps two files open during the round; bound them.
            while (!creates_.empty() && creates.size() < max_batch_) {
                creates.push_back(std::move(creates_.front()));
                creates_.pop_front();
            }
            while (!ops_.empty() && ops.size() < max_batch_) {
                ops.push_back(std::move(ops_.front()));
                ops_.pop_front();
            }
        }
        for (auto& d : ready)
            if (d)
                d(ok());
        if (creates.empty() && ops.empty() && renamed_.empty() && renamed_ops_.empty())
            continue;
        round(creates, ops);
    }
}

void GroupCommit::parallel(std::vector<std::function<void()>>& tasks) {
    if (tasks.empty())
        return;
    if (tasks.size() == 1) {
        tasks[0]();
        return;
    }
    std::latch finished(static_cast<std::ptrdiff_t>(tasks.size()));
    for (auto& t : tasks)
        pool_.post([&t, &finished] {
            t();
            finished.count_down();
        });
    finished.wait();
}

namespace {

// Starts writeback of what was just written, so that by the time the round's fdatasyncs run
// the data is on its way and one journal commit covers the whole batch.
void start_writeback(int fd, bool enabled) {
    if (enabled)
        ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
}

Status open_new(const fs::path& path, int& fd) {
    fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) {
        // A temporary file a crash left under this (unique) name: never acknowledged.
        ::unlink(path.c_str());
        fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return fail(os_error(errno, "create " + path.string()));
    return ok();
}

fs::path temp_of(const fs::path& status) {
    auto t = status;
    t += ".tmp";
    return t;
}

}  // namespace

void GroupCommit::round(std::vector<Create>& creates, std::vector<Op>& ops) {
    const bool sync = fsync_;
    std::atomic<std::uint64_t> syncs{0};

    // Phase 1: write everything and start its writeback.
    struct Pending {
        int fd;
        fs::path path;
        std::vector<Status*> results;  // where a sync failure goes
    };
    std::mutex pending_mutex;
    std::vector<Pending> to_sync;
    auto keep = [&](int fd, const fs::path& path, std::vector<Status*> results) {
        std::lock_guard lock(pending_mutex);
        to_sync.push_back(Pending{fd, path, std::move(results)});
    };
    std::set<fs::path> next_dirs;
    std::vector<std::function<void()>> writes;
    writes.reserve(creates.size() * 2 + ops.size());
    std::vector<Status> body_results(creates.size());
    for (std::size_t i = 0; i < creates.size(); ++i) {
        auto& c = creates[i];
        writes.push_back([&c, &br = body_results[i], sync, &keep] {
            auto& j = c.job;
            int fd = j.body_fd;
            j.body_fd = -1;
            if (fd < 0) {
                br = open_new(j.body_path, fd);
                if (!br)
                    return;
            }
            br = write_all(fd, j.body_tail, j.body_path);
            std::string().swap(j.body_tail);
            if (!br) {
                ::close(fd);
                return;
            }
            start_writeback(fd, sync);
            keep(fd, j.body_path, {&br});
        });
        writes.push_back([&c, sync, &keep] {
            auto temp = temp_of(c.job.status_path);
            int fd = -1;
            c.result = open_new(temp, fd);
            if (!c.result)
                return;
            c.result = write_all(fd, c.job.status, temp);
            if (!c.result) {
                ::close(fd);
                return;
            }
            start_writeback(fd, sync);
            c.status_fd = fd;
            keep(fd, temp, {&c.result});
        });
    }
    // Updates, one task per status file so that its jobs keep their order.
    std::map<fs::path, std::vector<Op*>> by_file;
    for (auto& op : ops)
        by_file[op.status].push_back(&op);
    std::mutex dirs_mutex;
    for (auto& [path_ref, list_ref] : by_file) {
        auto& path = path_ref;
        auto& list = list_ref;
        writes.push_back([&path, &list, sync, &syncs, &keep, &next_dirs, &dirs_mutex] {
            int fd = -1;
            std::vector<Op*> appended;
            auto settle = [&] {
                // Appends so far reach the disk before anything that replaces the file.
                if (fd < 0)
                    return;
                Status s = ok();
                if (sync && ::fdatasync(fd) != 0)
                    s = fail(os_error(errno, "fdatasync " + path.string()));
                syncs += sync;
                ::close(fd);
                fd = -1;
                for (Op* a : appended)
                    if (a->result)
                        a->result = s;
                appended.clear();
            };
            for (Op* op : list) {
                if (op->kind == Op::Kind::remove) {
                    settle();
                    ::unlink(op->status.c_str());
                    if (!op->body.empty())
                        ::unlink(op->body.c_str());
                    continue;
                }
                if (op->kind == Op::Kind::rewrite) {
                    settle();
                    auto temp = temp_of(path);
                    int tfd = -1;
                    op->result = open_new(temp, tfd);
                    if (op->result) {
                        op->result = write_all(tfd, op->bytes, temp);
                        if (op->result && sync && ::fdatasync(tfd) != 0)
                            op->result = fail(os_error(errno, "fdatasync " + temp.string()));
                        syncs += sync;
                        ::close(tfd);
                    }
                    if (op->result && ::rename(temp.c_str(), path.c_str()) != 0)
                        op->result = fail(os_error(errno, "rename " + temp.string()));
                    if (!op->result) {
                        ::unlink(temp.c_str());
                        continue;
                    }
                    std::lock_guard lock(dirs_mutex);
                    next_dirs.insert(path.parent_path());
                    continue;
                }
                if (fd < 0)
                    fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
                if (fd < 0) {
                    op->result = fail(os_error(errno, "open " + path.string()));
                    continue;
                }
                struct stat st {};
                ::fstat(fd, &st);
                op->result = write_all(fd, op->bytes, path);
                if (!op->result) {
                    // Cut the partial record off, or nothing may follow it until a rewrite.
                    if (::ftruncate(fd, st.st_size) != 0) {
                        settle();
                    }
                    continue;
                }
                appended.push_back(op);
            }
            if (fd >= 0 && !appended.empty()) {
                // The fdatasync joins the round's others below.
                start_writeback(fd, sync);
                std::vector<Status*> results;
                for (Op* a : appended)
                    results.push_back(&a->result);
                keep(fd, path, std::move(results));
            } else if (fd >= 0) {
                ::close(fd);
            }
        });
    }
    parallel(writes);

    // Phase 2: every fdatasync of the round, and the directory fsyncs the last round left,
    // in parallel so the journal commits them together.
    std::vector<fs::path> dirs(dirs_to_sync_.begin(), dirs_to_sync_.end());
    dirs_to_sync_.clear();
    std::vector<Status> dir_results(dirs.size());
    std::vector<std::function<void()>> syncs_tasks;
    if (sync) {
        for (auto& p : to_sync)
            syncs_tasks.push_back([&p] {
                if (::fdatasync(p.fd) == 0)
                    return;
                auto error = fail(os_error(errno, "fdatasync " + p.path.string()));
                for (Status* r : p.results)
                    if (*r)
                        *r = error;
            });
        for (std::size_t i = 0; i < dirs.size(); ++i)
            syncs_tasks.push_back(
                [&dirs, &dir_results, i] { dir_results[i] = sync_dir(dirs[i], true); });
        syncs += syncs_tasks.size();
    }
    parallel(syncs_tasks);
    for (auto& p : to_sync)
        ::close(p.fd);
    for (auto& c : creates)
        c.status_fd = -1;

    // Completions of the previous round: their directories are synced now.
    std::map<fs::path, Status> dir_status;
    for (std::size_t i = 0; i < dirs.size(); ++i) {
        dir_status[dirs[i]] = dir_results[i];
        if (!dir_results[i])
            log_.crit("directory fsync failed: {}", dir_results[i].error().message);
    }
    std::vector<Create> done_creates = std::move(renamed_);
    std::vector<Op> done_ops = std::move(renamed_ops_);
    renamed_.clear();
    renamed_ops_.clear();
    for (auto& c : done_creates) {
        auto it = dir_status.find(c.job.dir);
        if (it != dir_status.end() && !it->second) {
            c.result = it->second;
            ::unlink(c.job.status_path.c_str());
            ::unlink(c.job.body_path.c_str());
        }
    }
    for (auto& op : done_ops) {
        auto it = dir_status.find(op.status.parent_path());
        if (it != dir_status.end() && !it->second)
            op.result = it->second;
    }

    // This round's new messages: both files durable, so the status takes its name.
    std::vector<Create> failed_creates;
    for (std::size_t i = 0; i < creates.size(); ++i) {
        auto& c = creates[i];
        if (c.result && !body_results[i])
            c.result = body_results[i];
        auto temp = temp_of(c.job.status_path);
        if (c.result && ::rename(temp.c_str(), c.job.status_path.c_str()) != 0)
            c.result = fail(os_error(errno, "rename " + temp.string()));
        if (!c.result) {
            ::unlink(temp.c_str());
            ::unlink(c.job.body_path.c_str());
            failed_creates.push_back(std::move(c));
            continue;
        }
        dirs_to_sync_.insert(c.job.dir);
        renamed_.push_back(std::move(c));
    }
    std::vector<Op> finished_ops;
    for (auto& op : ops) {
        if (op.kind == Op::Kind::rewrite && op.result) {
            dirs_to_sync_.insert(op.status.parent_path());
            renamed_ops_.push_back(std::move(op));
        } else {
            finished_ops.push_back(std::move(op));
        }
    }
    for (const auto& d : next_dirs)
        dirs_to_sync_.insert(d);
    if (!sync) {
        // Nothing to wait for: complete at once rather than a round later.
        for (auto& c : renamed_)
            done_creates.push_back(std::move(c));
        for (auto& op : renamed_ops_)
            done_ops.push_back(std::move(op));
        renamed_.clear();
        renamed_ops_.clear();
        dirs_to_sync_.clear();
    }

    std::uint64_t messages = 0;
    for (auto& c : done_creates)
        messages += c.result.has_value();
    {
        std::lock_guard lock(mutex_);
        ++stats_.rounds;
        stats_.messages += messages;
        stats_.updates += finished_ops.size() + done_ops.size();
        stats_.syncs += syncs.load();
    }
    for (auto& c : done_creates)
        if (c.job.done)
            c.job.done(c.result);
    for (auto& c : failed_creates)
        if (c.job.done)
            c.job.done(c.result);
    for (auto& op : done_ops)
        if (op.done)
            op.done(op.result);
    for (auto& op : finished_ops)
        if (op.done)
            op.done(op.result);
}

}  // namespace postern::queue
