// Logging front end: levels as a bitmask, one Channel per service/module, cheap Logger handles
// that carry the session id. Line format: "date level host MODULE:sessionid: text".
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace postern::log {

// Bit values are part of the admin-facing format (config `level = 0..31`).
enum Level : std::uint8_t {
    kCritical = 1,
    kError = 2,
    kWarning = 4,
    kInfo = 8,
    kProtocol = 16,
};

struct Record {
    std::chrono::system_clock::time_point when;
    Level level = kInfo;
    std::string host;     // the host that produced the line (ours, or a remote node's)
    std::string module;   // "SMTP-IN", "IMAP", "SUPERVISOR", ...
    std::string session;  // 8 hex digits, or a queue id; empty prints as 00000000
    std::string text;
};

// "2026-11-22 13:49:08 +0000 08 mx1 SMTP-IN:0000001A: connection accepted from [192.0.2.7]"
// The date is local time with its UTC offset; the level is two decimal digits.
std::string format_line(const Record& r);
// The same, appended to `out` (no newline): lets a writer reuse one buffer per line.
void append_line(std::string& out, const Record& r);

// Where records go. Implementations must be safe to call from any thread and must not block
// for long (file sinks queue and write on their own thread). flush() returns once everything
// written before it has been delivered (for files: handed to the kernel).
class Sink {
  public:
    virtual ~Sink() = default;
    virtual void write(Record record) = 0;
    virtual void flush() {}
};

// One service's (or module's) log destination: its level mask and sink. Services keep a
// shared_ptr<Channel>; a config reload changes mask and sink in place, atomically.
class Channel {
  public:
    Channel(std::string module, std::string host, std::uint8_t mask, std::shared_ptr<Sink> sink);

    bool enabled(Level level) const { return (mask_.load(std::memory_order_relaxed) & level) != 0; }
    void update(std::uint8_t mask, std::shared_ptr<Sink> sink);
    void write(Level level, std::string_view session, std::string text);
    const std::string& module() const { return module_; }
    std::uint8_t mask() const { return mask_.load(std::memory_order_relaxed); }

  private:
    const std::string module_;
    const std::string host_;
    std::atomic<std::uint8_t> mask_;
    // A mutex, not std::atomic<std::shared_ptr>: libstdc++ 12 implements that as a spin lock
    // whose load() unlocks with relaxed order, which ThreadSanitizer (rightly, on weakly
    // ordered CPUs) reports as a race against update(). This costs the same uncontended.
    mutable std::mutex sink_mutex_;
    std::shared_ptr<Sink> sink_;
};

// A value handle: channel + session id. A default-constructed Logger logs nothing.
class Logger {
  public:
    Logger() = default;
    Logger(std::shared_ptr<Channel> channel, std::string session)
        : channel_(std::move(channel)), session_(std::move(session)) {}

    Logger with_session(std::string session) const { return Logger(channel_, std::move(session)); }
    const std::string& session() const { return session_; }
    bool enabled(Level level) const { return channel_ && channel_->enabled(level); }

    template <class... Args>
    void log(Level level, fmt::format_string<Args...> f, Args&&... args) const {
        if (enabled(level))
            channel_->write(level, session_, fmt::format(f, std::forward<Args>(args)...));
    }
    template <class... Args>
    void crit(fmt::format_string<Args...> f, Args&&... a) const {
        log(kCritical, f, std::forward<Args>(a)...);
    }
    template <class... Args>
    void error(fmt::format_string<Args...> f, Args&&... a) const {
        log(kError, f, std::forward<Args>(a)...);
    }
    template <class... Args>
    void warn(fmt::format_string<Args...> f, Args&&... a) const {
        log(kWarning, f, std::forward<Args>(a)...);
    }
    template <class... Args>
    void info(fmt::format_string<Args...> f, Args&&... a) const {
        log(kInfo, f, std::forward<Args>(a)...);
    }
    template <class... Args>
    void proto(fmt::format_string<Args...> f, Args&&... a) const {
        log(kProtocol, f, std::forward<Args>(a)...);
    }

  private:
    std::shared_ptr<Channel> channel_;
    std::string session_;
};

// Formats a session counter as 8 upper-case hex digits ("0000001A").
std::string session_id(std::uint64_t n);

// Writes formatted lines to stderr; used before configuration is loaded and by tools.
class StderrSink : public Sink {
  public:
    void write(Record record) override;
};

}  // namespace postern::log
