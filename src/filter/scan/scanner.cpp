// Scanner frame (size, concurrency, health, failsafe) and the monitor that pings failed
// scanners until they answer.
#include "filter/scan/scanner.h"

namespace postern::filter::scan {

Scanner::Scanner(config::ScannerConfig config, ScanAddress address, log::Logger logger)
    : config_(std::move(config)), address_(std::move(address)), log_(std::move(logger)) {}

void Scanner::mark_up() {
    if (!up_.exchange(true))
        log_.info("scanner {} ({}) answers again", config_.name, address_.to_string());
}

void Scanner::mark_down(const std::string& why) {
    if (up_.exchange(false))
        log_.warn("scanner {} ({}) marked down: {}", config_.name, address_.to_string(), why);
}

bool Scanner::acquire(Clock::time_point until) {
    std::unique_lock lock(mutex_);
    if (!freed_.wait_until(lock, until, [&] { return active_ < config_.max_concurrent; }))
        return false;
    ++active_;
    return true;
}

void Scanner::release() {
    {
        std::lock_guard lock(mutex_);
        --active_;
    }
    freed_.notify_one();
}

Result<Verdict> Scanner::run(const MessageView& message) {
    auto log = log_.with_session(std::string(message.queue_id));
    if (message.raw.size() > config_.max_size) {
        log.info("{}: not scanned: {} bytes is over max_size {}", config_.name, message.raw.size(),
                 config_.max_size);
        return not_scanned("message too large");
    }
    auto failed = [&](const std::string& why) -> Result<Verdict> {
        if (config_.on_failure == "pass") {
            log.warn("{}: {}; passing the message unscanned (on_failure = pass)", config_.name,
                     why);
            return not_scanned(why);
        }
        return fail(Errc::unavailable, failure_tag() + ": " + why);
    };
    if (!up())
        return failed("down since an earlier failure, waiting for it to answer a ping");
    if (!acquire(deadline())) {
        // Busy is not down: the message is retried without marking the scanner.
        if (config_.on_failure == "pass")
            return failed("all " + std::to_string(config_.max_concurrent) + " slots busy");
        return fail(Errc::unavailable, "scanner " + config_.name + " busy: all " +
                                           std::to_string(config_.max_concurrent) +
                                           " slots in use until the timeout");
    }
    auto verdict = scan(message);
    release();
    if (!verdict && verdict.error().code == Errc::cancelled)
        return fail(Errc::unavailable, verdict.error().message);
    if (!verdict) {
        mark_down(verdict.error().message);
        return failed(verdict.error().message);
    }
    return verdict;
}

ScannerMonitor::ScannerMonitor(std::chrono::milliseconds interval, Recovered recovered,
                               log::Logger logger)
    : interval_(interval), recovered_(std::move(recovered)), log_(std::move(logger)) {
    thread_ = std::thread([this] { loop(); });
}

ScannerMonitor::~ScannerMonitor() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    thread_.join();
}

void ScannerMonitor::set_scanners(std::vector<std::shared_ptr<Scanner>> scanners) {
    std::lock_guard lock(mutex_);
    scanners_ = std::move(scanners);
}

void ScannerMonitor::set_interval(std::chrono::milliseconds interval) {
    {
        std::lock_guard lock(mutex_);
        interval_ = interval;
    }
    wake_.notify_all();
}

void ScannerMonitor::loop() {
    // Scanners that came back get a second resume one interval later: a message whose
    // deferral was recorded while the first resume ran would otherwise wait a full retry.
    std::vector<std::shared_ptr<Scanner>> again;
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, interval_, [&] { return stopping_; });
        if (stopping_)
            break;
        auto scanners = scanners_;
        lock.unlock();
        for (auto& s : again)
            recovered_(*s);
        again.clear();
        for (auto& s : scanners) {
            if (s->up())
                continue;
            if (auto st = s->ping(); st) {
                s->mark_up();
                recovered_(*s);
                again.push_back(s);
            } else {
                log_.info("scanner {} still down: {}", s->name(), st.error().message);
            }
        }
        lock.lock();
    }
}

}  // namespace postern::filter::scan
