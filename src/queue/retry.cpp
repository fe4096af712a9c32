// Retry schedule and NOTIFY decisions (RFC 3461 §4.1).
#include "queue/retry.h"

#include <algorithm>

namespace postern::queue {

using std::chrono::milliseconds;

milliseconds retry_delay(const RetryPolicy& policy, std::uint32_t attempts) {
    milliseconds first = policy.first_retry;
    milliseconds cap = std::max<milliseconds>(policy.max_retry_interval, first);
    milliseconds d = first;
    for (std::uint32_t i = 1; i < attempts && d < cap; ++i)
        d *= 2;
    return std::min(d, cap);
}

UnixMs expires_at(const RetryPolicy& policy, UnixMs received_at) {
    if (policy.max_age.count() <= 0)
        return kNever;
    return received_at + std::chrono::duration_cast<milliseconds>(policy.max_age).count();
}

bool retries_exhausted(const RetryPolicy& policy, std::uint32_t attempts, UnixMs received_at,
                       UnixMs now) {
    if (policy.max_attempts != 0 && attempts >= policy.max_attempts)
        return true;
    return now >= expires_at(policy, received_at);
}

bool wants_notice(std::uint8_t bits, std::uint8_t kind, bool delay_default) {
    if (bits & notify::never)
        return false;
    if (bits == notify::unspecified)
        return kind == notify::failure || (kind == notify::delay && delay_default);
    return (bits & kind) != 0;
}

milliseconds next_destination_backoff(const DestinationPolicy& policy, milliseconds current) {
    milliseconds first = policy.first_retry;
    milliseconds cap = std::max<milliseconds>(policy.max_retry_interval, first);
    if (current < first)
        return first;
    return std::min(current * 2, cap);
}

}  // namespace postern::queue
