// The admin socket: a Unix stream socket (mode 0600, owned by the daemon's user) where
// posternctl sends one JSON request per line. Only root and the daemon's own user may
// connect (checked with SO_PEERCRED). Requests run on a blocking pool, never on the loop.
#pragma once

#include <filesystem>
#include <memory>

#include "admin/admin.h"
#include "base/thread_pool.h"
#include "log/log.h"

namespace boost::asio {
class io_context;
}

namespace postern::daemon {

class AdminServer {
  public:
    AdminServer(boost::asio::io_context& io, admin::Admin& admin, log::Logger logger);
    ~AdminServer();

    // Binds `path` (replacing a stale socket file) and starts accepting.
    Status start(const std::filesystem::path& path);
    void stop();

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
};

}  // namespace postern::daemon
