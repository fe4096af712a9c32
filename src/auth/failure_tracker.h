// Brute-force accounting: counts failed authentications per client IP and per account, bans
// an IP or locks an account for a while once a limit is reached, and lists/lifts bans.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/ip_address.h"

namespace postern::config {
struct AuthConfig;
}

namespace postern::auth {

struct FailureLimits {
    std::uint32_t ip_max_failures = 10;  // in one window, then the IP is banned; 0 = never
    std::uint32_t account_max_failures =
        20;  // in one window, then the account is locked; 0 = never
    std::chrono::milliseconds window{std::chrono::minutes(10)};
    std::chrono::milliseconds ban_time{std::chrono::minutes(15)};
    std::size_t max_entries = 100'000;  // per table (IPs, accounts, IP×account pairs)

    static FailureLimits from(const config::AuthConfig& cfg);
};

// The automatic ban for protocol abuse ([protection.auto_ban]): sessions an IP got closed
// for too many bad commands, counted across services.
struct ProtocolErrorLimits {
    // Sessions closed for errors in one window, then the IP is banned; 0 = never.
    std::uint32_t max_sessions = 0;
    std::chrono::milliseconds window{std::chrono::minutes(10)};
    std::chrono::milliseconds ban_time{std::chrono::minutes(30)};
};

struct Ban {
    // ip and account: failed logins (logins refused); protocol: protocol errors (connections
    // refused by every TCP service).
    enum class Kind { ip, account, protocol };
    Kind kind = Kind::ip;
    std::string subject;  // "192.0.2.7", "2001:db8:1:2::/64", or the account key
    std::chrono::steady_clock::time_point until;
};

// Counting rules (docs/authentication.md explains why):
// - A window opens at a subject's first failure and lasts `window`; the count restarts after
//   it (a fixed window per subject, so at most 2×limit−1 failures fit across a boundary).
// - IPv4 addresses count one by one; IPv6 addresses count per /64, since one host usually
//   owns a whole /64.
// - The account key is the caller's choice: the canonical address for a known account, the
//   normalized login for an unknown one (so unknown names lock like real ones and lockout
//   does not reveal which exist). Empty: count the IP only.
// - A success forgives only the failures that the same IP made against the same account in
//   the current window (a user who mistyped, then got it right), on both counters. It never
//   lifts a ban, and logging into one's own account does not reset failures against others.
// - Each table holds at most max_entries; when full, stale entries go first, then the least
//   recently active counters, and only then the bans closest to expiry.
// Time is passed in by the caller so tests need no sleeping. All members are thread-safe.
class FailureTracker {
  public:
    using Clock = std::chrono::steady_clock;

    explicit FailureTracker(FailureLimits limits);

    void configure(const FailureLimits& limits);

    std::optional<Clock::time_point> ip_banned_until(const IpAddress& ip,
                                                     Clock::time_point now) const;
    std::optional<Clock::time_point> account_locked_until(std::string_view account,
                                                          Clock::time_point now) const;

    // What a failure triggered, for the caller's log.
    struct Triggered {
        bool ip_banned = false;
        bool account_locked = false;
    };
    Triggered record_failure(const IpAddress& ip, std::string_view account, Clock::time_point now);
    void record_success(const IpAddress& ip, std::string_view account, Clock::time_point now);

    // Protocol-error bans (same IP keys, own table and limits). record_protocol_error()
    // returns true when this error started a ban.
    void configure_protocol_errors(const ProtocolErrorLimits& limits);
    bool record_protocol_error(const IpAddress& ip, Clock::time_point now);
    std::optional<Clock::time_point> ip_blocked_until(const IpAddress& ip,
                                                      Clock::time_point now) const;

    // Current bans and locks, for admins. unban_ip lifts both kinds of IP ban.
    std::vector<Ban> bans(Clock::time_point now) const;
    // Lift a ban and forget the failures counted so far. False when nothing was recorded.
    bool unban_ip(const IpAddress& ip);
    bool unban_account(std::string_view account);

    std::size_t entry_count() const;  // all tables together; for tests and metrics
    // The subject an IP is counted under: IPv4 as is, IPv6 with the host part cleared.
    static IpAddress ip_key(const IpAddress& ip);

  private:
    struct Counter {
        Clock::time_point window_start{};
        std::uint32_t count = 0;
        Clock::time_point banned_until{};
        Clock::time_point last_seen{};
    };
    template <class Map>
    void make_room(Map& table, Clock::time_point now);  // caller holds mutex_
    template <class Map>
    void purge(Map& table, Clock::time_point now);
    bool bump(Counter& c, std::uint32_t limit, Clock::time_point now);
    bool stale(const Counter& c, Clock::time_point now) const;

    mutable std::mutex mutex_;
    FailureLimits limits_;
    std::map<IpAddress, Counter> ips_;
    std::map<std::string, Counter, std::less<>> accounts_;
    std::map<std::pair<IpAddress, std::string>, Counter> pairs_;
    ProtocolErrorLimits protocol_limits_;
    std::map<IpAddress, Counter> protocol_;
    Clock::time_point last_purge_{};
};

}  // namespace postern::auth
