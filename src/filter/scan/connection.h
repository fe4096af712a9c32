// Blocking stream sockets (TCP or Unix) with deadlines, for scanner clients that run inside
// Filter::run on PROCESSING's pool. Every call is bounded by the deadline it is given.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::filter::scan {

using Clock = std::chrono::steady_clock;
using Millis = std::chrono::milliseconds;

// "unix:/run/clamav/clamd.ctl", "/run/spamd.sock", "127.0.0.1:783", "[::1]:3310", "host:783".
struct ScanAddress {
    enum class Kind { tcp, unix_socket } kind = Kind::tcp;
    std::string host;  // tcp
    std::uint16_t port = 0;
    std::string path;  // unix
    static Result<ScanAddress> parse(std::string_view text);
    std::string to_string() const;
};

// One connected socket. Errors: Errc::unavailable (refused, reset, closed early),
// Errc::timeout (the deadline passed). Move-only; closes on destruction.
class Connection {
  public:
    static Result<Connection> open(const ScanAddress& address, Millis timeout);
    Connection(Connection&& other) noexcept;
    Connection& operator=(Connection&& other) noexcept;
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection();

    Status write_all(std::string_view data, Clock::time_point deadline);
    // Reads what is available (at least one byte); 0 at end of stream.
    Result<std::size_t> read_some(char* buffer, std::size_t size, Clock::time_point deadline);
    // Reads until the peer closes, failing with Errc::limit_exceeded beyond `max` bytes.
    Result<std::string> read_to_end(std::size_t max, Clock::time_point deadline);
    // Reads exactly `size` bytes (Errc::unavailable if the stream ends first).
    Status read_exact(char* buffer, std::size_t size, Clock::time_point deadline);
    void shutdown_write();
    // TCP_NODELAY (no-op on Unix sockets): for request/reply protocols of many small packets
    // (milter), where Nagle's algorithm and the peer's delayed ACK would add ~40 ms per step.
    void set_no_delay();

  private:
    explicit Connection(int fd) : fd_(fd) {}
    Status wait(short events, Clock::time_point deadline);
    int fd_ = -1;
};

}  // namespace postern::filter::scan
