// Connection admission for TCP services: allow/deny rules by priority, then the chosen allow
// rule's flow limits, then the listener's, then the service's — the order of the reference
// manual's "Rule enforcement policy". Pure logic (no sockets), thread-safe.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "config/config.h"

namespace postern::net {

using SteadyTime = std::chrono::steady_clock::time_point;

// Live counters of one scope (a rule, a listener or a service): connections open now, in
// total and per remote IP, and new connections in the current rate window.
class FlowScope {
  public:
    explicit FlowScope(config::FlowLimits limits) : limits_(limits) {}

    // nullopt if one more connection from `ip` fits; otherwise which limit it would break.
    std::optional<std::string> check(const IpAddress& ip, SteadyTime now);
    void add(const IpAddress& ip, SteadyTime now);
    void remove(const IpAddress& ip);

    void set_limits(const config::FlowLimits& limits) { limits_ = limits; }
    std::uint32_t open_connections() const { return open_; }

  private:
    struct Window {
        SteadyTime start{};
        std::uint32_t count = 0;
    };
    // Fixed windows: cheap, and a burst can straddle a boundary at most once (2x the rate).
    static bool window_full(Window& w, const config::RateLimit& rate, SteadyTime now);
    void prune_windows(SteadyTime now);

    config::FlowLimits limits_;
    std::uint32_t open_ = 0;
    std::map<IpAddress, std::uint32_t> open_per_ip_;
    Window window_;
    std::map<IpAddress, Window> window_per_ip_;
    SteadyTime last_prune_{};
};

class AccessController;

// Proof that a connection was admitted; while it lives the connection counts against every
// scope it was admitted through. Destroying it releases those counts.
class Admission {
  public:
    Admission();
    Admission(Admission&&) noexcept;
    Admission& operator=(Admission&&) noexcept;
    ~Admission();

  private:
    friend class AccessController;
    struct State;
    std::unique_ptr<State> state_;
};

struct AdmissionResult {
    bool accepted = false;
    std::string reason;  // why it was refused (for the log; the client gets a short refusal)
    Admission admission;
};

// One per TCP service. Listeners register their own scope and pass it to admit().
class AccessController : public std::enable_shared_from_this<AccessController> {
  public:
    static std::shared_ptr<AccessController> create(std::vector<config::AccessRule> rules,
                                                    config::FlowLimits service_limits);

    // A listener's scope; keep the returned pointer for the listener's lifetime.
    std::shared_ptr<FlowScope> listener_scope(const config::FlowLimits& limits);

    AdmissionResult admit(const IpAddress& ip, const std::shared_ptr<FlowScope>& listener,
                          SteadyTime now = std::chrono::steady_clock::now());

    // Config reload: new rules and limits apply to new connections; open connections keep
    // counting in the scopes they entered (a rule kept across the reload keeps its counters).
    void update(std::vector<config::AccessRule> rules, config::FlowLimits service_limits);
    void update_listener(const std::shared_ptr<FlowScope>& scope, const config::FlowLimits& limits);

    std::uint32_t open_connections() const;

  private:
    friend class Admission;
    struct Rule {
        config::AccessRule config;
        std::shared_ptr<FlowScope> scope;  // allow rules only
    };
    AccessController(std::vector<config::AccessRule> rules, config::FlowLimits service_limits);
    void set_rules(std::vector<config::AccessRule> rules);
    void release(const std::vector<std::shared_ptr<FlowScope>>& scopes, const IpAddress& ip);

    mutable std::mutex mutex_;
    std::vector<Rule> rules_;
    std::vector<config::AccessRule> rule_configs_;  // rules_[i].config, contiguous for choose_rule
    std::shared_ptr<FlowScope> service_;
};

// The pure rule decision, exposed for tests: which rule applies to `ip`, if any.
// Returns nullptr when no enabled rule matches. A deny rule wins only with a strictly lower
// priority value than the best allow rule (equal priorities accept, per the reference).
const config::AccessRule* choose_rule(const std::vector<config::AccessRule>& rules,
                                      const IpAddress& ip);

}  // namespace postern::net
