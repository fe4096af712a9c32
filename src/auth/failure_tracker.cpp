// Failed-authentication counters per IP (IPv6 per /64), per account and per IP×account pair,
// with temporary bans; bounded memory.
#include "auth/failure_tracker.h"

#include <algorithm>

#include "config/config.h"

namespace postern::auth {

FailureLimits FailureLimits::from(const config::AuthConfig& cfg) {
    FailureLimits l;
    l.ip_max_failures = cfg.ip_max_failures;
    l.account_max_failures = cfg.account_max_failures;
    l.window = cfg.failure_window;
    l.ban_time = cfg.ban_time;
    return l;
}

FailureTracker::FailureTracker(FailureLimits limits) {
    configure(limits);
}

void FailureTracker::configure(const FailureLimits& limits) {
    std::lock_guard lock(mutex_);
    limits_ = limits;
    limits_.max_entries = std::max<std::size_t>(limits_.max_entries, 1);
}

IpAddress FailureTracker::ip_key(const IpAddress& ip) {
    if (ip.is_v4())
        return ip;
    auto bytes = ip.bytes();
    std::fill(bytes.begin() + 8, bytes.end(), std::uint8_t{0});
    return IpAddress::from_bytes(bytes);
}

bool FailureTracker::bump(Counter& c, std::uint32_t limit, Clock::time_point now) {
    if (c.count == 0 || now - c.window_start >= limits_.window) {
        c.window_start = now;
        c.count = 0;
    }
    ++c.count;
    c.last_seen = now;
    if (limit == 0 || c.count < limit || limits_.ban_time.count() <= 0)
        return false;
    c.banned_until = now + limits_.ban_time;
    c.count = 0;  // after the ban the subject starts afresh
    return true;
}

bool FailureTracker::stale(const Counter& c, Clock::time_point now) const {
    return c.banned_until <= now && (c.count == 0 || now - c.window_start >= limits_.window);
}

template <class Map>
void FailureTracker::purge(Map& table, Clock::time_point now) {
    std::erase_if(table, [&](const auto& kv) { return stale(kv.second, now); });
}

template <class Map>
void FailureTracker::make_room(Map& table, Clock::time_point now) {
    if (table.size() < limits_.max_entries)
        return;
    purge(table, now);
    if (table.size() < limits_.max_entries)
        return;
    // Still full of live entries: drop an eighth at once so a flood of new subjects costs
    // amortised O(log n) per failure. Counters go before bans; among them the least recent.
    using It = typename Map::iterator;
    std::vector<std::pair<std::pair<int, Clock::time_point>, It>> ranked;
    ranked.reserve(table.size());
    for (auto it = table.begin(); it != table.end(); ++it) {
        bool banned = it->second.banned_until > now;
        ranked.push_back(
            {{banned ? 1 : 0, banned ? it->second.banned_until : it->second.last_seen}, it});
    }
    auto drop = std::max<std::size_t>(1, table.size() / 8);
    auto by_value = [](const auto& a, const auto& b) { return a.first < b.first; };
    std::nth_element(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(drop - 1),
                     ranked.end(), by_value);
    for (std::size_t i = 0; i < drop; ++i)
        table.erase(ranked[i].second);
}

std::optional<FailureTracker::Clock::time_point> FailureTracker::ip_banned_until(
    const IpAddress& ip, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = ips_.find(ip_key(ip));
    if (it == ips_.end() || it->second.banned_until <= now)
        return std::nullopt;
    return it->second.banned_until;
}

std::optional<FailureTracker::Clock::time_point> FailureTracker::account_locked_until(
    std::string_view account, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account);
    if (it == accounts_.end() || it->second.banned_until <= now)
        return std::nullopt;
    return it->second.banned_until;
}

FailureTracker::Triggered FailureTracker::record_failure(const IpAddress& ip,
                                                         std::string_view account,
                                                         Clock::time_point now) {
    std::lock_guard lock(mutex_);
    // Sweep finished windows now and then so that memory shrinks again after an attack.
    if (now - last_purge_ >=
        std::max<std::chrono::milliseconds>(limits_.window, std::chrono::seconds(1))) {
        purge(ips_, now);
        purge(accounts_, now);
        purge(pairs_, now);
        last_purge_ = now;
    }
    Triggered triggered;
    auto key = ip_key(ip);
    if (limits_.ip_max_failures > 0) {
        auto it = ips_.find(key);
        if (it == ips_.end()) {
            make_room(ips_, now);
            it = ips_.emplace(key, Counter{}).first;
        }
        triggered.ip_banned = bump(it->second, limits_.ip_max_failures, now);
    }
    if (account.empty())
        return triggered;
    if (limits_.account_max_failures > 0) {
        auto it = accounts_.find(account);
        if (it == accounts_.end()) {
            make_room(accounts_, now);
            it = accounts_.emplace(std::string(account), Counter{}).first;
        }
        triggered.account_locked = bump(it->second, limits_.account_max_failures, now);
    }
    if (limits_.ip_max_failures > 0 || limits_.account_max_failures > 0) {
        auto pair_key = std::pair{key, std::string(account)};
        auto it = pairs_.find(pair_key);
        if (it == pairs_.end()) {
            make_room(pairs_, now);
            it = pairs_.emplace(std::move(pair_key), Counter{}).first;
        }
        bump(it->second, 0, now);
    }
    return triggered;
}

void FailureTracker::record_success(const IpAddress& ip, std::string_view account,
                                    Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto key = ip_key(ip);
    auto it = pairs_.find(std::pair{key, std::string(account)});
    if (it == pairs_.end())
        return;
    auto pair = it->second;
    pairs_.erase(it);
    if (pair.count == 0 || now - pair.window_start >= limits_.window)
        return;
    // Forgive only when all of the pair's failures fall in the counter's current window, so
    // the forgiven failures are certainly among those counted there.
    auto forgive = [&](Counter& c) {
        if (c.count == 0 || now - c.window_start >= limits_.window)
            return;
        if (pair.window_start < c.window_start)
            return;
        c.count -= std::min(c.count, pair.count);
    };
    if (auto ip_it = ips_.find(key); ip_it != ips_.end())
        forgive(ip_it->second);
    if (auto acc = accounts_.find(account); acc != accounts_.end())
        forgive(acc->second);
}

void FailureTracker::configure_protocol_errors(const ProtocolErrorLimits& limits) {
    std::lock_guard lock(mutex_);
    protocol_limits_ = limits;
}

bool FailureTracker::record_protocol_error(const IpAddress& ip, Clock::time_point now) {
    std::lock_guard lock(mutex_);
    const auto& l = protocol_limits_;
    if (l.max_sessions == 0 || l.ban_time.count() <= 0)
        return false;
    std::erase_if(protocol_, [&](const auto& kv) {
        const auto& c = kv.second;
        return c.banned_until <= now && now - c.window_start >= l.window;
    });
    auto key = ip_key(ip);
    auto it = protocol_.find(key);
    if (it == protocol_.end()) {
        if (protocol_.size() >= limits_.max_entries)
            return false;  // full of live entries even after the sweep: count nothing new
        it = protocol_.emplace(key, Counter{}).first;
    }
    auto& c = it->second;
    if (c.banned_until > now)
        return false;
    if (c.count == 0 || now - c.window_start >= l.window) {
        c.window_start = now;
        c.count = 0;
    }
    c.last_seen = now;
    if (++c.count < l.max_sessions)
        return false;
    c.banned_until = now + l.ban_time;
    c.count = 0;
    return true;
}

std::optional<FailureTracker::Clock::time_point> FailureTracker::ip_blocked_until(
    const IpAddress& ip, Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    auto it = protocol_.find(ip_key(ip));
    if (it == protocol_.end() || it->second.banned_until <= now)
        return std::nullopt;
    return it->second.banned_until;
}

std::vector<Ban> FailureTracker::bans(Clock::time_point now) const {
    std::lock_guard lock(mutex_);
    std::vector<Ban> out;
    for (const auto& [ip, c] : ips_) {
        if (c.banned_until <= now)
            continue;
        out.push_back(
            {Ban::Kind::ip, ip.is_v4() ? ip.to_string() : ip.to_string() + "/64", c.banned_until});
    }
    for (const auto& [account, c] : accounts_) {
        if (c.banned_until > now)
            out.push_back({Ban::Kind::account, account, c.banned_until});
    }
    for (const auto& [ip, c] : protocol_) {
        if (c.banned_until <= now)
            continue;
        out.push_back({Ban::Kind::protocol, ip.is_v4() ? ip.to_string() : ip.to_string() + "/64",
                       c.banned_until});
    }
    return out;
}

bool FailureTracker::unban_ip(const IpAddress& ip) {
    std::lock_guard lock(mutex_);
    bool any = ips_.erase(ip_key(ip)) > 0;
    return protocol_.erase(ip_key(ip)) > 0 || any;
}

bool FailureTracker::unban_account(std::string_view account) {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account);
    if (it == accounts_.end())
        return false;
    accounts_.erase(it);
    return true;
}

std::size_t FailureTracker::entry_count() const {
    std::lock_guard lock(mutex_);
    return ips_.size() + accounts_.size() + pairs_.size() + protocol_.size();
}

}  // namespace postern::auth
