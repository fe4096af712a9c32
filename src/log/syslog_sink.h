// System log type: records to syslog(3) with facility LOG_MAIL, ident "postern", LOG_PID
// (facility and severity codes as in RFC 5424 section 6.2.1; the transport is the libc's).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "log/record_queue.h"
#include "log/stats.h"

namespace postern::log {

// 1 → LOG_CRIT, 2 → LOG_ERR, 4 → LOG_WARNING, 8 → LOG_INFO, 16 → LOG_DEBUG, or'ed with
// LOG_MAIL. A value with several bits maps by its most severe bit; 0 maps like info.
int syslog_priority(Level level);

// "MODULE:session: text" (syslog adds date, host and ident itself).
std::string syslog_message(const Record& r);

// Delivers one message. The default calls openlog("postern", LOG_PID | LOG_NDELAY, LOG_MAIL)
// once per process and then syslog(3); tests pass their own.
using SyslogEmitter = std::function<void(int priority, const std::string& message)>;

// Thread-safe. syslog(3) may block when syslogd is slow (a full /dev/log), so records are
// queued and emitted by a worker thread, like the internal writer; a full queue drops and
// counts.
class SyslogSink final : public Sink {
  public:
    explicit SyslogSink(SyslogEmitter emit = {}, QueueLimits limits = {}, std::string host = {});
    ~SyslogSink() override;

    void write(Record record) override;
    // Returns once everything queued before the call has been emitted.
    void flush() override;
    // Emits what is queued and ends the thread. Idempotent.
    void stop();

    SyslogStats stats() const;

  private:
    SyslogEmitter emit_;
    std::atomic<std::uint64_t> written_{0};
    std::unique_ptr<QueueWorker> worker_;  // last: its thread uses emit_
};

}  // namespace postern::log
