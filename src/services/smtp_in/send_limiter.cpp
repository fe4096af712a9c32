// Sliding one-hour windows per account.
#include "services/smtp_in/send_limiter.h"

namespace postern::services::smtp_in {

bool SendLimiter::try_send(std::int64_t account, std::uint64_t limit, Clock::time_point now) {
    if (limit == 0) return true;
    std::lock_guard lock(mutex_);
    auto hour_ago = now - std::chrono::hours(1);
    if (now - last_sweep_ > std::chrono::minutes(5)) {
        last_sweep_ = now;
        std::erase_if(sent_, [&](auto& kv) { return kv.second.empty() || kv.second.back() < hour_ago; });
    }
    auto& times = sent_[account];
    while (!times.empty() && times.front() < hour_ago) times.pop_front();
    if (times.size() >= limit) return false;
    times.push_back(now);
    return true;
}

std::size_t SendLimiter::tracked_accounts() {
    std::lock_guard lock(mutex_);
    return sent_.size();
}

}  // namespace postern::services::smtp_in
