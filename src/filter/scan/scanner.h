// The common frame of every external scanner filter (spamd, clamd, socket filter, milter):
// size limit, bounded concurrency, health with fail-fast while down, and the failsafe rule
// (docs/antivirus-antispam.md "Failsafe"). Subclasses implement scan() and ping().
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "config/config.h"
#include "filter/chain/filter.h"
#include "filter/scan/connection.h"
#include "log/log.h"

namespace postern::filter::scan {

class Scanner : public Filter {
  public:
    Scanner(config::ScannerConfig config, ScanAddress address, log::Logger logger);

    std::string_view name() const override { return config_.name; }
    // Size check, concurrency gate, then scan(). A failed scan marks the scanner down; while
    // down, run() fails at once (Errc::unavailable) without connecting, until the monitor's
    // ping succeeds. With on_failure = "pass" a failure gives not_scanned() instead.
    Result<Verdict> run(const MessageView& message) final;

    // One liveness probe (blocking, bounded by connect_timeout/timeout).
    virtual Status ping() = 0;

    bool up() const { return up_.load(); }
    void mark_up();
    void mark_down(const std::string& why);
    const config::ScannerConfig& config() const { return config_; }
    // The text a deferral for this scanner carries in the queue (matched to resume it).
    std::string failure_tag() const { return "scanner " + config_.name + " unavailable"; }

  protected:
    // Scans one message (raw.size() <= max_size). Errors mean "the scanner failed" and mark
    // it down, except Errc::cancelled: it answered and asked for a retry later (tempfail).
    virtual Result<Verdict> scan(const MessageView& message) = 0;
    // The verdict for a message that was not scanned (too large, or on_failure = pass).
    virtual Verdict not_scanned(std::string_view why) = 0;

    Clock::time_point deadline() const { return Clock::now() + config_.timeout; }
    Result<Connection> connect() const {
        return Connection::open(address_, config_.connect_timeout);
    }

    config::ScannerConfig config_;
    ScanAddress address_;
    log::Logger log_;

  private:
    bool acquire(Clock::time_point until);
    void release();

    std::atomic<bool> up_{true};
    std::mutex mutex_;
    std::condition_variable freed_;
    unsigned active_ = 0;
};

// Pings every scanner that is down, every `interval`, on its own thread; when one answers it
// is marked up and `recovered(scanner)` runs (PROCESSING uses it to resume the messages that
// were deferred for it, see Queue::resume_processing).
class ScannerMonitor {
  public:
    using Recovered = std::function<void(const Scanner&)>;
    ScannerMonitor(std::chrono::milliseconds interval, Recovered recovered, log::Logger logger);
    ~ScannerMonitor();
    void set_scanners(std::vector<std::shared_ptr<Scanner>> scanners);
    void set_interval(std::chrono::milliseconds interval);

  private:
    void loop();

    std::mutex mutex_;
    std::condition_variable wake_;
    std::chrono::milliseconds interval_;
    std::vector<std::shared_ptr<Scanner>> scanners_;
    Recovered recovered_;
    log::Logger log_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace postern::filter::scan
