// Log rules of the internal writer: which rule (and so which file) takes a record.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "log/log.h"

namespace postern::log {

// Immutable after construction; safe to share between threads.
//
// Rules are tried in priority order (lowest value first; equal priorities keep the order
// given). A record goes to the FIRST rule for which all three hold:
//   glob_match(rule.host, record.host)      ('*' and '?', ASCII case-insensitive)
//   glob_match(rule.module, record.module)
//   (rule.level & record.level) != 0        (the rule's mask ANDed with the line's level)
// A record no rule takes is dropped and counted as `unmatched`. A rule with level 0 takes
// nothing. Because the level is part of the match, a line a narrow rule refuses falls through
// to later, broader rules.
class RuleTable {
  public:
    RuleTable() = default;
    explicit RuleTable(std::vector<config::LogRule> rules);

    std::optional<std::size_t> match(std::string_view host, std::string_view module,
                                     Level level) const;
    const std::vector<config::LogRule>& rules() const { return rules_; }

  private:
    std::vector<config::LogRule> rules_;
};

}  // namespace postern::log
