// Log rule matching: priority order, host/module globs, level mask AND.
#include "log/rule_table.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::log {

RuleTable::RuleTable(std::vector<config::LogRule> rules) : rules_(std::move(rules)) {
    std::stable_sort(rules_.begin(), rules_.end(),
                     [](const auto& a, const auto& b) { return a.priority < b.priority; });
}

std::optional<std::size_t> RuleTable::match(std::string_view host, std::string_view module,
                                            Level level) const {
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        const auto& rule = rules_[i];
        if ((rule.level & level) == 0)
            continue;  // cheapest test first
        if (glob_match(rule.module, module) && glob_match(rule.host, host))
            return i;
    }
    return std::nullopt;
}

}  // namespace postern::log
