// The receiving half of the log service as pure logic: validates datagrams from other nodes
// (format in log/datagram.h) and forwards them as records to the internal writer.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>

#include "base/ip_address.h"
#include "base/result.h"
#include "log/datagram.h"
#include "log/stats.h"

namespace postern::log {

// Thread-safe: receive() may run on several threads at once. Owns no socket: the daemon's
// UDP service reads datagrams, applies its allow/deny rules (count_denied() for refusals)
// and calls receive() for the rest. The record keeps the sender's host, module, session and
// time, so the writer's host/module rules apply to remote nodes as to local ones.
class Collector {
  public:
    // `sink` is normally Hub::internal_sink(). `max_datagram` is LogServiceConfig::max_datagram.
    explicit Collector(std::shared_ptr<Sink> sink, std::size_t max_datagram = kDefaultMaxDatagram);

    // Parses, validates and forwards one datagram. On rejection (counted by kind) returns
    // Errc::invalid_argument (limit_exceeded for oversize) with the reason; nothing is
    // forwarded. Never throws on any input. `from` is kept for status output only.
    Status receive(std::string_view datagram, const IpAddress& from);

    // The daemon refused a datagram by its allow/deny rules.
    void count_denied() { denied_.fetch_add(1, std::memory_order_relaxed); }

    // On reload: a new limit, and possibly a new sink.
    void set_max_datagram(std::size_t max_datagram) {
        max_datagram_.store(max_datagram, std::memory_order_relaxed);
    }
    void set_sink(std::shared_ptr<Sink> sink);

    CollectorStats stats() const;

  private:
    mutable std::mutex sink_mutex_;  // see Channel: not std::atomic<std::shared_ptr>
    std::shared_ptr<Sink> sink_;
    std::atomic<std::size_t> max_datagram_;
    std::atomic<std::uint64_t> received_{0};
    std::atomic<std::uint64_t> accepted_{0};
    std::atomic<std::uint64_t> denied_{0};
    std::atomic<std::uint64_t> oversize_{0};
    std::atomic<std::uint64_t> malformed_{0};
    std::atomic<std::uint64_t> encoding_{0};
    mutable std::mutex last_mutex_;
    IpAddress last_from_;
    std::string_view last_reason_;  // static text from decode_datagram
    bool any_rejected_ = false;
};

}  // namespace postern::log
