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

Status sync_fd(int fd, bool enabled, const fs::path& path) {
    if (enabled && ::fdatasync(fd) != 0)
        return fail(os_error(errno, "fdatasync " + path.string()));
    return ok();
}

Status sync_dir(const fs::path& dir, bool enabled) {
    if (!enabled)
        return ok();
    return fsync_directory(dir);
}

// Writes a whole new file (must not exist) and makes its data durable.
Status create_file(const fs::path& path, std::string_view bytes, bool sync) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return fail(os_error(errno, "create " + path.string()));
    auto s = write_all(fd, bytes, path);
    if (s)
        s = sync_fd(fd, sync, path);
    ::close(fd);
    return s;
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
        creates_.push_back(Create{std::move(job), creates_submitted_++, ok()});
    }
    wake_.notify_one();
}

void GroupCommit::append(fs::path status, std::string bytes, Done done) {
    {
        std::lock_guard lock(mutex_);
        ops_.push_back(
            Op{Op::Kind::append, std::move(status), {}, std::move(bytes), std::move(done), ok()});
        ++ops_submitted_;
    }
    wake_.notify_one();
}

void GroupCommit::rewrite(fs::path status, std::string bytes, Done done) {
    {
        std::lock_guard lock(mutex_);
        ops_.push_back(
            Op{Op::Kind::rewrite, std::move(status), {}, std::move(bytes), std::move(done), ok()});
        ++ops_submitted_;
    }
    wake_.notify_one();
}

void GroupCommit::remove(fs::path status, fs::path body, Done done) {
    {
        std::lock_guard lock(mutex_);
        ops_.push_back(
            Op{Op::Kind::remove, std::move(status), std::move(body), {}, std::move(done), ok()});
        ++ops_submitted_;
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

void GroupCommit::run() {
    std::vector<Create> phase_b;  // bodies durable; status files still to write
    for (;;) {
        std::vector<Create> phase_a;
        std::vector<Op> ops;
        std::vector<Done> ready;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] {
                return stopping_ || !creates_.empty() || !ops_.empty() || !phase_b.empty() ||
                       !barriers_.empty();
            });
            // Barriers whose predecessors are all done fire before the next round.
            std::uint64_t oldest = phase_b.empty() ? UINT64_MAX : phase_b.front().seq;
            if (!creates_.empty())
                oldest = std::min(oldest, creates_.front().seq);
            std::erase_if(barriers_, [&](Barrier& b) {
                if (b.creates_before > oldest || b.ops_before > ops_taken_)
                    return false;
                ready.push_back(std::move(b.done));
                return true;
            });
            if (stopping_ && creates_.empty() && ops_.empty() && phase_b.empty() &&
                barriers_.empty() && ready.empty())
                return;
            while (!creates_.empty() && phase_a.size() < max_batch_) {
                phase_a.push_back(std::move(creates_.front()));
                creates_.pop_front();
            }
            while (!ops_.empty() && ops.size() < max_batch_) {
                ops.push_back(std::move(ops_.front()));
                ops_.pop_front();
            }
            ops_taken_ += ops.size();
        }
        for (auto& d : ready)
            if (d)
                d(ok());
        if (phase_a.empty() && phase_b.empty() && ops.empty())
            continue;
        round(phase_a, phase_b, ops);
    }
}

void GroupCommit::parallel(std::vector<std::function<void()>>& tasks) {
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

void GroupCommit::round(std::vector<Create>& phase_a, std::vector<Create>& phase_b,
                        std::vector<Op>& ops) {
    std::atomic<std::uint64_t> syncs{0};
    const bool sync = fsync_;
    std::vector<std::function<void()>> tasks;
    tasks.reserve(phase_a.size() + phase_b.size() + ops.size());

    // Status files of messages whose bodies became durable in the previous round.
    // Written under a temporary name and renamed: a <id>.status file is always complete, so
    // any damage found in one later is corruption, never a commit cut short.
    for (auto& c : phase_b)
        tasks.push_back([&c, sync, &syncs] {
            auto temp = c.job.status_path;
            temp += ".tmp";
            c.result = create_file(temp, c.job.status, sync);
            syncs += sync;
            if (c.result && ::rename(temp.c_str(), c.job.status_path.c_str()) != 0)
                c.result = fail(os_error(errno, "rename " + temp.string()));
            if (!c.result)
                ::unlink(temp.c_str());
        });
    // Bodies of new messages.
    for (auto& c : phase_a)
        tasks.push_back([&c, sync, &syncs] {
            auto& j = c.job;
            int fd = j.body_fd;
            j.body_fd = -1;
            if (fd < 0)
                fd = ::open(j.body_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
            if (fd < 0) {
                c.result = fail(os_error(errno, "create " + j.body_path.string()));
                return;
            }
            c.result = write_all(fd, j.body_tail, j.body_path);
            if (c.result)
                c.result = sync_fd(fd, sync, j.body_path);
            syncs += sync;
            ::close(fd);
            std::string().swap(j.body_tail);
        });
    // Updates, one task per status file so that its jobs keep their order.
    std::map<fs::path, std::vector<Op*>> by_file;
    for (auto& op : ops)
        by_file[op.status].push_back(&op);
    std::mutex dirs_mutex;
    std::set<fs::path> dirs;
    for (auto& [path, list] : by_file)
        tasks.push_back([&path, &list, sync, &syncs, &dirs, &dirs_mutex] {
            int fd = -1;
            for (Op* op : list) {
                if (op->kind == Op::Kind::remove) {
                    if (fd >= 0)
                        ::close(fd), fd = -1;
                    ::unlink(op->status.c_str());
                    if (!op->body.empty())
                        ::unlink(op->body.c_str());
                    continue;
                }
                if (op->kind == Op::Kind::rewrite) {
                    if (fd >= 0)
                        ::close(fd), fd = -1;
                    auto temp = path;
                    temp += ".tmp";
                    ::unlink(temp.c_str());
                    op->result = create_file(temp, op->bytes, sync);
                    syncs += sync;
                    if (op->result && ::rename(temp.c_str(), path.c_str()) != 0)
                        op->result = fail(os_error(errno, "rename " + temp.string()));
                    if (!op->result) {
                        ::unlink(temp.c_str());
                        continue;
                    }
                    std::lock_guard lock(dirs_mutex);
                    dirs.insert(path.parent_path());
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
                if (!op->result && ::ftruncate(fd, st.st_size) != 0) {
                    // The file now has a partial record in the middle: nothing more may be
                    // appended after it until a rewrite replaces it.
                    ::close(fd);
                    fd = -1;
                }
            }
            if (fd >= 0) {
                // One fdatasync covers every append to this file in the round.
                auto s = sync_fd(fd, sync, path);
                syncs += sync;
                ::close(fd);
                if (!s)
                    for (Op* op : list)
                        if (op->kind == Op::Kind::append && op->result)
                            op->result = s;
            }
        });
    parallel(tasks);

    // Directory entries of the new status files (and the renames) become durable together.
    for (auto& c : phase_b)
        if (c.result)
            dirs.insert(c.job.dir);
    if (sync && !dirs.empty()) {
        std::vector<fs::path> list(dirs.begin(), dirs.end());
        std::vector<Status> results(list.size());
        std::vector<std::function<void()>> dir_tasks;
        for (std::size_t i = 0; i < list.size(); ++i)
            dir_tasks.push_back([&, i] { results[i] = sync_dir(list[i], true); });
        parallel(dir_tasks);
        syncs += list.size();
        for (std::size_t i = 0; i < list.size(); ++i) {
            if (results[i])
                continue;
            log_.crit("directory fsync failed: {}", results[i].error().message);
            for (auto& c : phase_b)
                if (c.job.dir == list[i] && c.result)
                    c.result = results[i];
            for (auto& op : ops)
                if (op.kind == Op::Kind::rewrite && op.status.parent_path() == list[i] && op.result)
                    op.result = results[i];
        }
    }

    std::uint64_t messages = 0;
    for (auto& c : phase_b) {
        if (c.result) {
            ++messages;
        } else {
            ::unlink(c.job.status_path.c_str());
            ::unlink(c.job.body_path.c_str());
        }
    }
    std::vector<Create> next_b;
    for (auto& c : phase_a) {
        if (c.result) {
            next_b.push_back(std::move(c));
        } else {
            ::unlink(c.job.body_path.c_str());
        }
    }
    {
        std::lock_guard lock(mutex_);
        ++stats_.rounds;
        stats_.messages += messages;
        stats_.updates += ops.size();
        stats_.syncs += syncs.load();
    }
    for (auto& c : phase_b)
        if (c.job.done)
            c.job.done(c.result);
    for (auto& c : phase_a)
        if (!c.result && c.job.done)
            c.job.done(c.result);
    for (auto& op : ops)
        if (op.done)
            op.done(op.result);
    phase_b = std::move(next_b);
}

}  // namespace postern::queue
