// Retry arithmetic (first delay, doubling, cap, attempt and age limits) and the RFC 3461 §4.1
// NOTIFY decision of which notifications a recipient gets. Pure functions.
#pragma once

#include <cstdint>

#include "queue/options.h"
#include "queue/types.h"

namespace postern::queue {

// Delay before attempt `attempts + 1`, after `attempts` (>= 1) failed attempts:
// first_retry * 2^(attempts-1), at most max_retry_interval.
std::chrono::milliseconds retry_delay(const RetryPolicy& policy, std::uint32_t attempts);

// True when a message that arrived at `received_at` must not be tried again after
// `attempts` failed attempts at `now`.
bool retries_exhausted(const RetryPolicy& policy, std::uint32_t attempts, UnixMs received_at,
                       UnixMs now);

// The moment a message stops being retried because of its age.
UnixMs expires_at(const RetryPolicy& policy, UnixMs received_at);

// Whether a recipient with `notify` bits wants a notification of `kind` (notify::success,
// notify::failure or notify::delay). No NOTIFY means failure (and delay if `delay_default`).
bool wants_notice(std::uint8_t notify, std::uint8_t kind, bool delay_default);

// Next back-off of an unavailable destination: doubling from first_retry up to the cap.
std::chrono::milliseconds next_destination_backoff(const DestinationPolicy& policy,
                                                   std::chrono::milliseconds current);

}  // namespace postern::queue
