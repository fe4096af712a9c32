#include "net/access_control.h"

#include <gtest/gtest.h>

namespace postern::net {
namespace {

using namespace std::chrono_literals;
using config::AccessRule;
using config::FlowLimits;
using config::RuleAction;

AccessRule rule(RuleAction action, std::string match, int priority, FlowLimits limits = {}) {
    AccessRule r;
    r.action = action;
    r.match = match;
    r.range = *IpRange::parse(match);
    r.priority = priority;
    r.limits = limits;
    return r;
}

IpAddress ip(const char* text) {
    return *IpAddress::parse(text);
}

const SteadyTime t0{};

// The six steps of the reference's "Rule enforcement policy", one case each.
TEST(ChooseRule, ReferencePolicyCases) {
    std::vector<AccessRule> rules = {
        rule(RuleAction::deny, "10.0.0.0/8", 10),
        rule(RuleAction::allow, "10.1.0.0/16", 5),    // beats the deny (lower value)
        rule(RuleAction::allow, "10.2.0.0/16", 20),   // loses to the deny
        rule(RuleAction::allow, "10.3.0.0/16", 10),   // tie: accepted
        rule(RuleAction::allow, "192.0.2.0/24", 50),  // allow only
    };
    EXPECT_EQ(choose_rule(rules, ip("10.9.9.9"))->action, RuleAction::deny);   // only deny
    EXPECT_EQ(choose_rule(rules, ip("10.1.2.3"))->action, RuleAction::allow);  // allow wins
    EXPECT_EQ(choose_rule(rules, ip("10.2.2.3"))->action, RuleAction::deny);   // deny wins
    EXPECT_EQ(choose_rule(rules, ip("10.3.2.3"))->action, RuleAction::allow);  // equal → accept
    EXPECT_EQ(choose_rule(rules, ip("192.0.2.9"))->match, "192.0.2.0/24");     // only allow
    EXPECT_EQ(choose_rule(rules, ip("198.51.100.1")), nullptr);                // no rule
}

TEST(ChooseRule, BestOfSeveralAndDisabled) {
    std::vector<AccessRule> rules = {
        rule(RuleAction::deny, "0.0.0.0/0", 100),
        rule(RuleAction::deny, "10.0.0.0/8", 3),
        rule(RuleAction::allow, "10.0.0.0/8", 4),
        rule(RuleAction::allow, "10.0.0.7", 1),
    };
    rules[3].enabled = false;
    // The best deny (3) beats the best enabled allow (4).
    EXPECT_EQ(choose_rule(rules, ip("10.0.0.7"))->priority, 3);
    rules[3].enabled = true;
    EXPECT_EQ(choose_rule(rules, ip("10.0.0.7"))->priority, 1);
    EXPECT_EQ(choose_rule(rules, ip("::1")), nullptr);  // 0.0.0.0/0 covers IPv4 only
}

TEST(AccessController, DenyRefusesWithReason) {
    auto ac = AccessController::create({rule(RuleAction::deny, "192.0.2.0/24", 1)}, {});
    auto r = ac->admit(ip("192.0.2.1"), nullptr, t0);
    EXPECT_FALSE(r.accepted);
    EXPECT_NE(r.reason.find("denied by rule 192.0.2.0/24"), std::string::npos);
    EXPECT_TRUE(ac->admit(ip("192.0.3.1"), nullptr, t0).accepted);
}

TEST(AccessController, AllowRuleLimitsCountEveryAddressInTheRule) {
    FlowLimits two{.max_connections = 2};
    auto ac = AccessController::create({rule(RuleAction::allow, "10.0.0.0/24", 1, two)}, {});
    auto a = ac->admit(ip("10.0.0.1"), nullptr, t0);
    auto b = ac->admit(ip("10.0.0.2"), nullptr, t0);
    ASSERT_TRUE(a.accepted && b.accepted);
    auto c = ac->admit(ip("10.0.0.3"), nullptr, t0);
    EXPECT_FALSE(c.accepted);
    EXPECT_NE(c.reason.find("rule 10.0.0.0/24 limit"), std::string::npos) << c.reason;
    EXPECT_TRUE(ac->admit(ip("10.0.1.3"), nullptr, t0).accepted);  // outside the rule
    a = {};                                                        // closing one frees a slot
    EXPECT_TRUE(ac->admit(ip("10.0.0.3"), nullptr, t0).accepted);
}

TEST(AccessController, RuleThenListenerThenService) {
    FlowLimits rule_limits{.max_connections = 10};
    FlowLimits listener_limits{.max_connections_per_ip = 1};
    FlowLimits service_limits{.max_connections = 3};
    auto ac = AccessController::create({rule(RuleAction::allow, "10.0.0.0/8", 1, rule_limits)},
                                       service_limits);
    auto listener = ac->listener_scope(listener_limits);
    auto a = ac->admit(ip("10.0.0.1"), listener, t0);
    ASSERT_TRUE(a.accepted);
    auto dup = ac->admit(ip("10.0.0.1"), listener, t0);
    EXPECT_FALSE(dup.accepted);
    EXPECT_NE(dup.reason.find("listener limit"), std::string::npos) << dup.reason;
    auto b = ac->admit(ip("10.0.0.2"), listener, t0);
    auto c = ac->admit(ip("10.0.0.3"), listener, t0);
    ASSERT_TRUE(b.accepted && c.accepted);
    auto d = ac->admit(ip("10.0.0.4"), listener, t0);
    EXPECT_FALSE(d.accepted);
    EXPECT_NE(d.reason.find("service limit"), std::string::npos) << d.reason;
    EXPECT_EQ(ac->open_connections(), 3u);
}

TEST(AccessController, RefusedConnectionsDoNotCount) {
    FlowLimits limits{.max_connections = 1};
    auto ac = AccessController::create({}, {});
    auto listener = ac->listener_scope(limits);
    auto a = ac->admit(ip("10.0.0.1"), listener, t0);
    for (int i = 0; i < 5; ++i)
        EXPECT_FALSE(ac->admit(ip("10.0.0.1"), listener, t0).accepted);
    a = {};
    EXPECT_TRUE(ac->admit(ip("10.0.0.1"), listener, t0).accepted);
}

TEST(AccessController, NewConnectionRates) {
    FlowLimits limits{.new_connections = {5, 10s}, .new_connections_per_ip = {3, 10s}};
    auto ac = AccessController::create({}, {});
    auto listener = ac->listener_scope(limits);
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(ac->admit(ip("10.0.0.1"), listener, t0 + 1s).accepted);
    auto r = ac->admit(ip("10.0.0.1"), listener, t0 + 2s);
    EXPECT_FALSE(r.accepted);
    EXPECT_NE(r.reason.find("per IP per interval"), std::string::npos) << r.reason;
    EXPECT_TRUE(ac->admit(ip("10.0.0.2"), listener, t0 + 2s).accepted);
    EXPECT_TRUE(ac->admit(ip("10.0.0.3"), listener, t0 + 2s).accepted);
    EXPECT_FALSE(ac->admit(ip("10.0.0.4"), listener, t0 + 3s).accepted);  // 5 in the window
    // A new window opens once the interval has passed.
    EXPECT_TRUE(ac->admit(ip("10.0.0.1"), listener, t0 + 12s).accepted);
}

TEST(AccessController, ReloadKeepsCountersOfSurvivingRules) {
    FlowLimits one{.max_connections = 1};
    auto ac = AccessController::create({rule(RuleAction::allow, "10.0.0.0/8", 1, one)}, {});
    auto a = ac->admit(ip("10.0.0.1"), nullptr, t0);
    ASSERT_TRUE(a.accepted);
    ac->update({rule(RuleAction::allow, "10.0.0.0/8", 1, one)}, {});
    EXPECT_FALSE(ac->admit(ip("10.0.0.2"), nullptr, t0).accepted);
    // A new deny rule applies to new connections; the open one is untouched.
    ac->update({rule(RuleAction::deny, "10.0.0.0/8", 1)}, {});
    EXPECT_FALSE(ac->admit(ip("10.0.0.2"), nullptr, t0).accepted);
    ac->update({}, {});
    EXPECT_TRUE(ac->admit(ip("10.0.0.2"), nullptr, t0).accepted);
    a = {};  // releasing after reloads must not underflow anything
    EXPECT_EQ(ac->open_connections(), 0u);
}

TEST(AccessController, AdmissionOutlivingController) {
    Admission kept;
    {
        auto ac = AccessController::create({}, {});
        kept = std::move(ac->admit(ip("::1"), nullptr, t0).admission);
    }
    SUCCEED();  // destroying `kept` after the controller is gone must be safe
}

TEST(AccessController, ThousandConnectionsFromOneIp) {
    FlowLimits per_ip{.max_connections_per_ip = 20};
    auto ac = AccessController::create({}, {});
    auto listener = ac->listener_scope(per_ip);
    std::vector<Admission> open;
    int accepted = 0;
    for (int i = 0; i < 1000; ++i) {
        auto r = ac->admit(ip("203.0.113.5"), listener, t0);
        if (r.accepted) {
            ++accepted;
            open.push_back(std::move(r.admission));
        }
    }
    EXPECT_EQ(accepted, 20);
}

}  // namespace
}  // namespace postern::net
