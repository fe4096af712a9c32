// System log sink: LOG_MAIL facility, level mapping, emitted off the caller's thread.
#include "log/syslog_sink.h"

#include <bit>
#include <mutex>

#include <syslog.h>

namespace postern::log {

namespace {

void emit_to_syslog(int priority, const std::string& message) {
    static std::once_flag opened;
    // The ident must outlive every syslog() call: a string literal does.
    std::call_once(opened, [] { ::openlog("postern", LOG_PID | LOG_NDELAY, LOG_MAIL); });
    ::syslog(priority, "%s", message.c_str());
}

}  // namespace

int syslog_priority(Level level) {
    unsigned bits = static_cast<unsigned>(level) & 31u;
    int severity = LOG_INFO;
    if (bits != 0) {
        switch (1u << std::countr_zero(bits)) {
            case kCritical:
                severity = LOG_CRIT;
                break;
            case kError:
                severity = LOG_ERR;
                break;
            case kWarning:
                severity = LOG_WARNING;
                break;
            case kInfo:
                severity = LOG_INFO;
                break;
            default:
                severity = LOG_DEBUG;
                break;
        }
    }
    return LOG_MAIL | severity;
}

std::string syslog_message(const Record& r) {
    std::string out;
    out.reserve(r.module.size() + r.session.size() + r.text.size() + 4);
    out += r.module;
    out += ':';
    out += r.session.empty() ? std::string_view("00000000") : std::string_view(r.session);
    out += ": ";
    out += r.text;
    return out;
}

SyslogSink::SyslogSink(SyslogEmitter emit, QueueLimits limits, std::string host)
    : emit_(emit ? std::move(emit) : SyslogEmitter(emit_to_syslog)) {
    worker_ = std::make_unique<QueueWorker>(
        limits, std::move(host), std::chrono::seconds(1),
        QueueWorker::Callbacks{
            .on_record =
                [this](Record& r) {
                    emit_(syslog_priority(r.level), syslog_message(r));
                    written_.fetch_add(1, std::memory_order_relaxed);
                },
            .on_tick = {},
            .on_stop = {},
        });
}

SyslogSink::~SyslogSink() {
    stop();
}

void SyslogSink::write(Record record) {
    worker_->push(std::move(record));
}

void SyslogSink::flush() {
    worker_->barrier();
}

void SyslogSink::stop() {
    worker_->stop();
}

SyslogStats SyslogSink::stats() const {
    return SyslogStats{written_.load(std::memory_order_relaxed), worker_->queue().dropped_full(),
                       worker_->queue().dropped_closed()};
}

}  // namespace postern::log
