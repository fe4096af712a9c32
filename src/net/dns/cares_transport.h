// Sends DNS questions through one c-ares channel driven by a thread of its own (poll on the
// channel's sockets and a wake-up eventfd, ares_process_fd, c-ares' timeouts). c-ares does the
// transport: retries, server order, EDNS(0) (RFC 6891), TCP after truncation (RFC 7766 §5).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/dns/options.h"
#include "net/dns/types.h"

namespace postern::net::dns {

// The raw response message (any RCODE), or the failure of the exchange: timeout,
// server_failure (every server answered SERVFAIL/REFUSED/NOTIMP or none could be reached),
// cancelled (stop()).
using RawReply = DnsResult<std::vector<std::uint8_t>>;
using ReplyCallback = std::move_only_function<void(RawReply)>;

class CaresTransport {
  public:
    // Initialises c-ares with `options` (nameservers, timeout, tries, flags) and starts the
    // thread. Fails with unavailable when c-ares cannot be set up.
    static Result<std::unique_ptr<CaresTransport>> start(const ResolverOptions& options);

    // stop(), then frees the channel.
    ~CaresTransport();
    CaresTransport(const CaresTransport&) = delete;
    CaresTransport& operator=(const CaresTransport&) = delete;

    // Queues a question for `name` (normalised) and wakes the thread; never blocks. `done`
    // runs exactly once on the transport thread, or at once on the calling thread with
    // cancelled after stop().
    void send(std::string name, RecordType type, ReplyCallback done);

    // Cancels every question in flight or queued (their callbacks run with cancelled, on the
    // transport thread) and joins the thread. Idempotent; never from a callback.
    void stop();

    // Questions handed to c-ares so far (each may be several datagrams: retries, TCP).
    std::uint64_t sent() const;

  private:
    struct Impl;
    explicit CaresTransport(std::unique_ptr<Impl> impl);
    void run();

    std::unique_ptr<Impl> impl_;
    std::thread thread_;
};

}  // namespace postern::net::dns
