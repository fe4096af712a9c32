// The supervisor ↔ worker channel: a SOCK_SEQPACKET socket pair carrying one text message per
// packet and, for ACQUIRE replies, a file descriptor (SCM_RIGHTS).
//   worker → supervisor: "ACQUIRE tcp 127.0.0.1:25" → "OK" + fd | "ERR <reason>"
//                        "RELEASE udp 127.0.0.1:2000" (no reply)
//                        "RELOAD" (supervisor re-reads the config, then sends SIGHUP)
#pragma once

#include <mutex>
#include <optional>
#include <string>

#include "base/result.h"
#include "net/listen_sockets.h"

namespace postern::daemon {

struct Packet {
    std::string text;
    int fd = -1;  // received descriptor, owned by the receiver
};

Status send_packet(int channel, std::string_view text, int fd = -1);
// Blocks until a packet arrives; Errc::unavailable when the peer closed the channel.
Result<Packet> receive_packet(int channel);

// Worker side: listening sockets come from the supervisor, which may still be root.
class SupervisorListenSockets : public net::ListenSockets {
  public:
    explicit SupervisorListenSockets(int channel) : channel_(channel) {}
    Result<int> acquire(net::SocketKind kind, const HostPort& address) override;
    void release(net::SocketKind kind, const HostPort& address) override;
    Status request_reload();

  private:
    std::mutex mutex_;  // one request/reply at a time
    int channel_;
};

}  // namespace postern::daemon
