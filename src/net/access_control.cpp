// Rule enforcement policy (reference manual, "Listeners & rules"):
//   1. take the client IP; 2. best (lowest priority value) matching deny rule;
//   3. best matching allow rule; 4. only a deny rule → refuse;
//   5. both → the higher priority wins, equal priorities accept, an allow applies its limits;
//   6. only an allow rule → its limits; then the listener's limits (and the service's).
#include "net/access_control.h"

#include <algorithm>

namespace postern::net {

namespace {
std::string limit_text(std::string_view what, std::uint32_t n) {
    return std::string(what) + " (" + std::to_string(n) + ")";
}
}  // namespace

bool FlowScope::window_full(Window& w, const config::RateLimit& rate, SteadyTime now) {
    if (rate.count == 0)
        return false;
    if (now - w.start >= rate.interval) {
        w.start = now;
        w.count = 0;
    }
    return w.count >= rate.count;
}

void FlowScope::prune_windows(SteadyTime now) {
    // Per-IP windows older than their interval hold no information; drop them so a scan from
    // many addresses cannot grow memory without bound.
    auto interval = limits_.new_connections_per_ip.interval;
    if (now - last_prune_ < std::max<std::chrono::milliseconds>(interval, std::chrono::seconds(1)))
        return;
    last_prune_ = now;
    std::erase_if(window_per_ip_, [&](auto& kv) { return now - kv.second.start >= interval; });
}

std::optional<std::string> FlowScope::check(const IpAddress& ip, SteadyTime now) {
    if (limits_.max_connections && open_ >= limits_.max_connections) {
        return limit_text("max connections", limits_.max_connections);
    }
    if (limits_.max_connections_per_ip) {
        auto it = open_per_ip_.find(ip);
        if (it != open_per_ip_.end() && it->second >= limits_.max_connections_per_ip) {
            return limit_text("max connections per IP", limits_.max_connections_per_ip);
        }
    }
    if (window_full(window_, limits_.new_connections, now)) {
        return limit_text("max new connections per interval", limits_.new_connections.count);
    }
    if (limits_.new_connections_per_ip.count) {
        prune_windows(now);
        auto it = window_per_ip_.find(ip);
        if (it != window_per_ip_.end() &&
            window_full(it->second, limits_.new_connections_per_ip, now)) {
            return limit_text("max new connections per IP per interval",
                              limits_.new_connections_per_ip.count);
        }
    }
    return std::nullopt;
}

void FlowScope::add(const IpAddress& ip, SteadyTime now) {
    ++open_;
    ++open_per_ip_[ip];
    if (limits_.new_connections.count)
        ++window_.count;
    if (limits_.new_connections_per_ip.count) {
        auto [it, inserted] = window_per_ip_.try_emplace(ip, Window{now, 0});
        ++it->second.count;
    }
}

void FlowScope::remove(const IpAddress& ip) {
    if (open_)
        --open_;
    auto it = open_per_ip_.find(ip);
    if (it != open_per_ip_.end() && --it->second == 0)
        open_per_ip_.erase(it);
}

const config::AccessRule* choose_rule(const std::vector<config::AccessRule>& rules,
                                      const IpAddress& ip) {
    const config::AccessRule* best_deny = nullptr;
    const config::AccessRule* best_allow = nullptr;
    for (auto& r : rules) {
        if (!r.enabled || !r.range.contains(ip))
            continue;
        auto*& best = r.action == config::RuleAction::deny ? best_deny : best_allow;
        if (!best || r.priority < best->priority)
            best = &r;
    }
    if (best_deny && best_allow)
        return best_deny->priority < best_allow->priority ? best_deny : best_allow;
    return best_deny ? best_deny : best_allow;
}

struct Admission::State {
    std::weak_ptr<AccessController> controller;
    std::vector<std::shared_ptr<FlowScope>> scopes;
    IpAddress ip;
};

Admission::Admission() = default;
Admission::Admission(Admission&&) noexcept = default;

Admission& Admission::operator=(Admission&& other) noexcept {
    if (this != &other) {
        Admission released(std::move(*this));  // release our counts first
        state_ = std::move(other.state_);
    }
    return *this;
}

Admission::~Admission() {
    if (!state_)
        return;
    if (auto c = state_->controller.lock()) {
        c->release(state_->scopes, state_->ip);
    }
}

AccessController::AccessController(std::vector<config::AccessRule> rules,
                                   config::FlowLimits service_limits)
    : service_(std::make_shared<FlowScope>(service_limits)) {
    set_rules(std::move(rules));
}

std::shared_ptr<AccessController> AccessController::create(std::vector<config::AccessRule> rules,
                                                           config::FlowLimits service_limits) {
    return std::shared_ptr<AccessController>(
        new AccessController(std::move(rules), service_limits));
}

void AccessController::set_rules(std::vector<config::AccessRule> rules) {
    std::vector<Rule> next;
    for (auto& r : rules) {
        std::shared_ptr<FlowScope> scope;
        if (r.action == config::RuleAction::allow) {
            // Keep the counters of a rule that survives a reload (same address set and priority).
            for (auto& old : rules_) {
                if (old.scope && old.config.match == r.match && old.config.priority == r.priority) {
                    scope = old.scope;
                    scope->set_limits(r.limits);
                }
            }
            if (!scope)
                scope = std::make_shared<FlowScope>(r.limits);
        }
        next.push_back(Rule{std::move(r), std::move(scope)});
    }
    rules_ = std::move(next);
    rule_configs_.clear();
    for (auto& r : rules_)
        rule_configs_.push_back(r.config);
}

std::shared_ptr<FlowScope> AccessController::listener_scope(const config::FlowLimits& limits) {
    return std::make_shared<FlowScope>(limits);
}

AdmissionResult AccessController::admit(const IpAddress& ip,
                                        const std::shared_ptr<FlowScope>& listener,
                                        SteadyTime now) {
    std::lock_guard lock(mutex_);
    std::vector<std::pair<std::string, std::shared_ptr<FlowScope>>> checks;
    if (const auto* chosen = choose_rule(rule_configs_, ip)) {
        auto& rule = rules_[static_cast<std::size_t>(chosen - rule_configs_.data())];
        if (rule.config.action == config::RuleAction::deny) {
            return {false,
                    "denied by rule " + rule.config.match + " (priority " +
                        std::to_string(rule.config.priority) + ")",
                    {}};
        }
        checks.emplace_back("rule " + rule.config.match, rule.scope);
    }
    if (listener)
        checks.emplace_back("listener", listener);
    checks.emplace_back("service", service_);

    for (auto& [name, scope] : checks) {
        if (auto broken = scope->check(ip, now))
            return {false, name + " limit: " + *broken, {}};
    }
    std::vector<std::shared_ptr<FlowScope>> scopes;
    for (auto& [name, scope] : checks) {
        scope->add(ip, now);
        scopes.push_back(scope);
    }
    AdmissionResult result{true, "", {}};
    result.admission.state_ = std::make_unique<Admission::State>(
        Admission::State{weak_from_this(), std::move(scopes), ip});
    return result;
}

void AccessController::release(const std::vector<std::shared_ptr<FlowScope>>& scopes,
                               const IpAddress& ip) {
    std::lock_guard lock(mutex_);
    for (auto& s : scopes)
        s->remove(ip);
}

void AccessController::update(std::vector<config::AccessRule> rules,
                              config::FlowLimits service_limits) {
    std::lock_guard lock(mutex_);
    set_rules(std::move(rules));
    service_->set_limits(service_limits);
}

void AccessController::update_listener(const std::shared_ptr<FlowScope>& scope,
                                       const config::FlowLimits& limits) {
    std::lock_guard lock(mutex_);
    scope->set_limits(limits);
}

std::uint32_t AccessController::open_connections() const {
    std::lock_guard lock(mutex_);
    return service_->open_connections();
}

}  // namespace postern::net
