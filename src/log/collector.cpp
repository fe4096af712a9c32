// Log service receiving logic: datagram validation, rejection accounting, forwarding.
#include "log/collector.h"

namespace postern::log {

Collector::Collector(std::shared_ptr<Sink> sink, std::size_t max_datagram)
    : sink_(std::move(sink)), max_datagram_(max_datagram) {}

Status Collector::receive(std::string_view datagram, const IpAddress& from) {
    received_.fetch_add(1, std::memory_order_relaxed);
    auto record = decode_datagram(datagram, max_datagram_.load(std::memory_order_relaxed));
    if (!record) {
        const auto& e = record.error();
        switch (e.kind) {
            case DatagramError::oversize:
                oversize_.fetch_add(1, std::memory_order_relaxed);
                break;
            case DatagramError::malformed:
                malformed_.fetch_add(1, std::memory_order_relaxed);
                break;
            case DatagramError::encoding:
                encoding_.fetch_add(1, std::memory_order_relaxed);
                break;
        }
        {
            std::lock_guard lock(last_mutex_);
            last_from_ = from;
            last_reason_ = e.reason;
            any_rejected_ = true;
        }
        auto code =
            e.kind == DatagramError::oversize ? Errc::limit_exceeded : Errc::invalid_argument;
        return fail(code, std::string(e.reason));
    }
    accepted_.fetch_add(1, std::memory_order_relaxed);
    std::shared_ptr<Sink> sink;
    {
        std::lock_guard lock(sink_mutex_);
        sink = sink_;
    }
    if (sink)
        sink->write(std::move(*record));
    return ok();
}

void Collector::set_sink(std::shared_ptr<Sink> sink) {
    std::lock_guard lock(sink_mutex_);
    sink_.swap(sink);
}

CollectorStats Collector::stats() const {
    CollectorStats s;
    s.received = received_.load(std::memory_order_relaxed);
    s.accepted = accepted_.load(std::memory_order_relaxed);
    s.denied = denied_.load(std::memory_order_relaxed);
    s.rejected_oversize = oversize_.load(std::memory_order_relaxed);
    s.rejected_malformed = malformed_.load(std::memory_order_relaxed);
    s.rejected_encoding = encoding_.load(std::memory_order_relaxed);
    std::lock_guard lock(last_mutex_);
    if (any_rejected_) {
        s.last_rejected_from = last_from_.to_string();
        s.last_rejected_reason = std::string(last_reason_);
    }
    return s;
}

}  // namespace postern::log
