// Per-account sending limit per hour (directory setting send_limit_per_hour): a sliding
// window of submission times per authenticated account. Thread-safe; memory bounded by the
// number of accounts that sent in the last hour.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>

namespace postern::services::smtp_in {

class SendLimiter {
public:
    using Clock = std::chrono::steady_clock;

    // Records one message for `account` if it stays within `limit` per hour (0 = unlimited)
    // and returns true; false when the limit is reached (nothing recorded).
    bool try_send(std::int64_t account, std::uint64_t limit, Clock::time_point now = Clock::now());
    std::size_t tracked_accounts();

private:
    std::mutex mutex_;
    std::map<std::int64_t, std::deque<Clock::time_point>> sent_;
    Clock::time_point last_sweep_{};
};

}  // namespace postern::services::smtp_in
