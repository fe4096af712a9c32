// Remote log type: each record as one UDP datagram (log/datagram.h) to another Postern's
// log service. Plain POSIX socket, non-blocking: a full socket buffer drops the line.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include <sys/socket.h>

#include "base/ip_address.h"
#include "base/result.h"
#include "log/datagram.h"
#include "log/stats.h"

namespace postern::log {

// Thread-safe: write() may be called from any thread at once (one sendto per record, which
// the kernel keeps whole). It never blocks: MSG_DONTWAIT, and failures are only counted.
// No ordering or delivery guarantee beyond UDP's; use it on a LAN or loopback.
class RemoteSink final : public Sink {
  public:
    // Resolves `target` now (the only blocking step: getaddrinfo for a host name; numeric
    // addresses resolve at once) and opens the socket. Fails when the name does not resolve
    // or no socket can be opened; the caller decides where the lines go instead.
    static Result<std::shared_ptr<RemoteSink>> open(const HostPort& target,
                                                    std::size_t max_datagram = kDefaultMaxDatagram);
    ~RemoteSink() override;

    void write(Record record) override;

    const HostPort& target() const { return target_; }
    RemoteStats stats() const;

  private:
    RemoteSink(HostPort target, int fd, const sockaddr_storage& addr, socklen_t addr_len,
               std::size_t max_datagram);

    const HostPort target_;
    const int fd_;
    const sockaddr_storage addr_;
    const socklen_t addr_len_;
    const std::size_t max_datagram_;
    std::atomic<std::uint64_t> sent_{0};
    std::atomic<std::uint64_t> failed_{0};
    std::atomic<std::uint64_t> truncated_{0};
    mutable std::mutex error_mutex_;
    std::string last_error_;
};

}  // namespace postern::log
