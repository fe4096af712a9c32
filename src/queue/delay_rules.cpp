// Delay rule matching and hold times (docs/queue.md "Delay rules").
#include "queue/delay_rules.h"

#include <ctime>

#include "base/strings.h"

namespace postern::queue {

bool rule_matches(const DelayRule& rule, std::string_view sender,
                  std::span<const NewRecipient> recipients, std::uint64_t size) {
    if (size < rule.min_size)
        return false;
    if (!rule.sender.empty()) {
        bool null_rule = rule.sender == "<>";
        if (null_rule ? !sender.empty() : !glob_match(rule.sender, sender))
            return false;
    }
    if (!rule.recipient.empty()) {
        bool any = false;
        for (const auto& r : recipients)
            any = any || glob_match(rule.recipient, r.address);
        if (!any)
            return false;
    }
    if (!rule.recipient_domain.empty()) {
        bool any = false;
        for (const auto& r : recipients)
            any = any || iequals(address_domain(r.address), rule.recipient_domain);
        if (!any)
            return false;
    }
    return true;
}

UnixMs next_local_time(UnixMs now, int minute_of_day) {
    std::time_t t = static_cast<std::time_t>(now / 1000);
    std::tm tm{};
    ::localtime_r(&t, &tm);
    tm.tm_hour = minute_of_day / 60;
    tm.tm_min = minute_of_day % 60;
    tm.tm_sec = 0;
    tm.tm_isdst = -1;  // let mktime find the offset of that day (DST changes)
    std::time_t target = std::mktime(&tm);
    if (static_cast<UnixMs>(target) * 1000 <= now) {
        tm.tm_mday += 1;
        tm.tm_hour = minute_of_day / 60;
        tm.tm_min = minute_of_day % 60;
        tm.tm_isdst = -1;
        target = std::mktime(&tm);
    }
    return static_cast<UnixMs>(target) * 1000;
}

HoldDecision apply_delay_rules(std::span<const DelayRule> rules, std::string_view sender,
                               std::span<const NewRecipient> recipients, std::uint64_t size,
                               UnixMs now) {
    HoldDecision d;
    for (const auto& rule : rules) {
        if (!rule_matches(rule, sender, recipients, size))
            continue;
        UnixMs until = now;
        if (rule.until_minute)
            until = next_local_time(now, *rule.until_minute);
        until += std::chrono::duration_cast<std::chrono::milliseconds>(rule.hold_for).count();
        if (until > now && until > d.until) {
            d.until = until;
            d.rule = rule.name;
        }
    }
    return d;
}

std::optional<int> parse_time_of_day(std::string_view text) {
    auto parts = split(text, ':');
    if (parts.size() != 2 || parts[0].empty() || parts[1].size() != 2)
        return std::nullopt;
    auto h = parse_uint(parts[0]);
    auto m = parse_uint(parts[1]);
    if (!h || !m || *h > 23 || *m > 59)
        return std::nullopt;
    return static_cast<int>(*h * 60 + *m);
}

}  // namespace postern::queue
