// Counter snapshots of the log layer, for `posternctl status` and the admin API.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace postern::log {

// The internal writer (files).
struct WriterStats {
    std::uint64_t written = 0;             // lines handed to the kernel
    std::uint64_t failed = 0;              // lines lost to open/write errors (disk full, EACCES)
    std::uint64_t unmatched = 0;           // lines no rule took (dropped)
    std::uint64_t dropped_queue_full = 0;  // lines dropped because the queue was full
    std::uint64_t dropped_after_stop = 0;  // lines written after stop()
    std::uint64_t rotations = 0;
    std::uint64_t errors = 0;  // open/write/rename failures
    std::uint64_t queued = 0;  // items waiting right now
    std::string last_error;
};

struct SyslogStats {
    std::uint64_t written = 0;
    std::uint64_t dropped_queue_full = 0;
    std::uint64_t dropped_after_stop = 0;
};

struct RemoteStats {
    std::string target;           // "host:port" as configured
    std::uint64_t sent = 0;       // datagrams
    std::uint64_t failed = 0;     // sendto failed (buffer full, unreachable...): dropped
    std::uint64_t truncated = 0;  // text cut to fit the datagram limit
    std::string last_error;
};

// What the Hub owns. The collector's counters are separate (CollectorStats), since the
// daemon owns the collector.
struct LogStats {
    WriterStats writer;
    SyslogStats syslog;
    std::vector<RemoteStats> remotes;
    std::uint64_t channels = 0;
};

struct CollectorStats {
    std::uint64_t received = 0;            // datagrams given to receive()
    std::uint64_t accepted = 0;            // forwarded to the writer
    std::uint64_t denied = 0;              // refused by allow/deny rules (counted by the daemon)
    std::uint64_t rejected_oversize = 0;   // longer than max_datagram
    std::uint64_t rejected_malformed = 0;  // missing/invalid fields, bad numbers
    std::uint64_t rejected_encoding = 0;   // not UTF-8, or control characters
    std::string last_rejected_from;        // address of the latest rejected sender
    std::string last_rejected_reason;
    std::uint64_t rejected() const {
        return rejected_oversize + rejected_malformed + rejected_encoding;
    }
};

}  // namespace postern::log
