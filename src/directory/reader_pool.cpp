// Read connection pool for the directory database.
#include "directory/reader_pool.h"

namespace postern::directory {

Result<ReaderPool::Lease> ReaderPool::acquire() {
    std::unique_lock lock(mutex_);
    returned_.wait(lock, [&] { return closed_ || !idle_.empty() || open_ < max_; });
    if (closed_)
        return fail(Errc::unavailable, "directory is closed");
    if (!idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(*this, std::move(conn));
    }
    ++open_;
    lock.unlock();
    // Opened read-write with query_only: a read-only open of a WAL database would need the
    // -shm file to exist already and fails in more corner cases.
    auto conn = sql::Connection::open(file_, sql::Connection::Mode::read_write, busy_timeout_);
    Status setup = conn ? (*conn)->exec("PRAGMA query_only = ON") : Status(fail(conn.error()));
    if (!setup) {
        lock.lock();
        --open_;
        returned_.notify_one();
        return fail(setup.error());
    }
    return Lease(*this, std::move(*conn));
}

void ReaderPool::give_back(std::unique_ptr<sql::Connection> conn) {
    std::lock_guard lock(mutex_);
    if (closed_) {
        --open_;
        conn.reset();
    } else {
        idle_.push_back(std::move(conn));
    }
    returned_.notify_one();
}

void ReaderPool::close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    open_ -= static_cast<unsigned>(idle_.size());
    idle_.clear();
    returned_.notify_all();
}

}  // namespace postern::directory
