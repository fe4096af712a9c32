// Delay rules: hold messages that match sender/recipient/domain/size criteria for a while or
// until a local time of day (an "undo send" window, night-time delivery of bulk mail).
#pragma once

#include <span>
#include <string>
#include <vector>

#include "queue/options.h"
#include "queue/types.h"

namespace postern::queue {

struct HoldDecision {
    UnixMs until = 0;  // 0: no rule matched
    std::string rule;  // the rule that set `until`
};

// True when `rule` matches (every criterion it sets holds).
bool rule_matches(const DelayRule& rule, std::string_view sender,
                  std::span<const NewRecipient> recipients, std::uint64_t size);

// The latest hold of all matching rules for a message committed at `now`.
HoldDecision apply_delay_rules(std::span<const DelayRule> rules, std::string_view sender,
                               std::span<const NewRecipient> recipients, std::uint64_t size,
                               UnixMs now);

// The next moment after `now` at which the local wall clock shows `minute_of_day` (0..1439).
UnixMs next_local_time(UnixMs now, int minute_of_day);

// "22:30" -> 1350; nullopt when malformed.
std::optional<int> parse_time_of_day(std::string_view text);

}  // namespace postern::queue
