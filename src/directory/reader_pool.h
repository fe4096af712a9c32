// A pool of read-only SQLite connections: each caller borrows one for the length of a call,
// so readers never share a connection and never wait for the writer (WAL).
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <vector>

#include "base/result.h"
#include "directory/sqlite.h"

namespace postern::directory {

// Thread-safe. Opens connections lazily, up to `max_connections`; a caller that finds all of
// them lent out waits until one comes back.
class ReaderPool {
  public:
    ReaderPool(std::filesystem::path file, unsigned max_connections,
               std::chrono::milliseconds busy_timeout)
        : file_(std::move(file)),
          max_(max_connections == 0 ? 1 : max_connections),
          busy_timeout_(busy_timeout) {}

    // A borrowed connection; returns to the pool when destroyed.
    class Lease {
      public:
        Lease(ReaderPool& pool, std::unique_ptr<sql::Connection> conn)
            : pool_(&pool), conn_(std::move(conn)) {}
        Lease(Lease&&) noexcept = default;
        Lease& operator=(Lease&&) = delete;
        ~Lease() {
            if (conn_)
                pool_->give_back(std::move(conn_));
        }
        sql::Connection& operator*() const { return *conn_; }

      private:
        ReaderPool* pool_;
        std::unique_ptr<sql::Connection> conn_;
    };

    // Errc::unavailable after close().
    Result<Lease> acquire();
    // Drops idle connections and refuses new leases; leases still out close when returned.
    void close();

  private:
    void give_back(std::unique_ptr<sql::Connection> conn);

    const std::filesystem::path file_;
    const unsigned max_;
    const std::chrono::milliseconds busy_timeout_;
    std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<sql::Connection>> idle_;
    unsigned open_ = 0;  // idle plus lent out
    bool closed_ = false;
};

}  // namespace postern::directory
