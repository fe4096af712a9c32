#include "filter/chain/chain.h"

#include <atomic>

#include <gtest/gtest.h>

namespace postern::filter {
namespace {

// Small real filters (the interface's seam, not mocks of anything else).
class HeaderFilter : public Filter {
  public:
    explicit HeaderFilter(std::string value) : value_(std::move(value)) {}
    std::string_view name() const override { return "header"; }
    Result<Verdict> run(const MessageView&) override {
        ++calls;
        Verdict v;
        v.add_headers.emplace_back("X-Seen", value_);
        return v;
    }
    std::atomic<int> calls{0};

  private:
    std::string value_;
};

class RejectFilter : public Filter {
  public:
    std::string_view name() const override { return "reject"; }
    Result<Verdict> run(const MessageView& m) override {
        Verdict v;
        if (m.raw.find("SPAM") != std::string_view::npos) {
            v.action = Verdict::Action::reject;
            v.status = "5.7.1";
            v.text = "spam";
        }
        return v;
    }
};

class BrokenFilter : public Filter {
  public:
    std::string_view name() const override { return "broken"; }
    Result<Verdict> run(const MessageView&) override {
        return fail(Errc::unavailable, "scanner down");
    }
};

// Changes the envelope like a milter's CHGFROM/ADDRCPT/DELRCPT.
class EnvelopeFilter : public Filter {
  public:
    std::string_view name() const override { return "envelope"; }
    Result<Verdict> run(const MessageView& m) override {
        seen_sender = std::string(m.sender);
        seen.assign(m.recipients.begin(), m.recipients.end());
        seen_raw = std::string(m.raw);
        return verdict;
    }
    Verdict verdict;
    std::string seen_sender;
    std::string seen_raw;
    std::vector<std::string> seen;
};

const std::vector<ChainRecipient> kRecipients = {{"a@one.test", "one.test", "1"},
                                                 {"b@one.test", "one.test", "2"},
                                                 {"c@two.test", "two.test", "3"},
                                                 {"d@remote.test", "remote.test", ""}};

MessageView message(std::string_view raw) {
    MessageView m;
    m.queue_id = "Q1";
    m.raw = raw;
    return m;
}

TEST(FilterChain, LevelsRunInOrderAndScope) {
    FilterChain chain;
    auto server = std::make_shared<HeaderFilter>("server");
    auto domain = std::make_shared<HeaderFilter>("one");
    auto account = std::make_shared<HeaderFilter>("acct3");
    chain.add(Level::account, "3", 1, account);
    chain.add(Level::domain, "ONE.test", 1, domain);
    chain.add(Level::server, "", 1, server);
    auto r = chain.run(message("hello"), kRecipients);
    ASSERT_TRUE(r) << r.error().message;
    ASSERT_EQ(r->trace.size(), 3u);
    EXPECT_EQ(r->trace[0], "server/header: pass");
    EXPECT_EQ(r->trace[1], "domain:one.test/header: pass");
    EXPECT_EQ(r->trace[2], "account:3/header: pass");
    EXPECT_EQ(r->recipients[0].add_headers.size(), 2u);  // server + domain one
    EXPECT_EQ(r->recipients[2].add_headers.size(), 2u);  // server + account 3
    EXPECT_EQ(r->recipients[3].add_headers.size(), 1u);  // server only (remote)
}

TEST(FilterChain, ServerLevelFiltersChangeTheEnvelope) {
    FilterChain chain;
    auto first = std::make_shared<EnvelopeFilter>();
    first->verdict.sender = "new@one.test";
    first->verdict.add_recipients = {"x@two.test", "A@one.test"};  // a@one.test is one already
    first->verdict.remove_recipients = {"b@one.test"};
    auto second = std::make_shared<EnvelopeFilter>();
    second->verdict.remove_recipients = {"x@two.test"};  // what the first added
    second->verdict.add_recipients = {"y@two.test"};
    auto domain = std::make_shared<EnvelopeFilter>();
    domain->verdict.add_recipients = {"z@two.test"};  // not allowed below server level
    domain->verdict.remove_recipients = {"c@two.test"};
    chain.add(Level::server, "", 1, first);
    chain.add(Level::server, "", 2, second);
    chain.add(Level::domain, "two.test", 1, domain);
    auto r = chain.run(message("hello"), kRecipients);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->sender, "new@one.test");
    EXPECT_EQ(second->seen_sender, "new@one.test");  // later filters see the new envelope
    EXPECT_EQ(second->seen,
              (std::vector<std::string>{"a@one.test", "c@two.test", "d@remote.test"}));
    EXPECT_EQ(r->added_recipients, std::vector<std::string>{"y@two.test"});
    EXPECT_EQ(r->recipients[1].action, Verdict::Action::discard);
    EXPECT_EQ(r->recipients[1].text, "recipient removed");
    EXPECT_EQ(r->recipients[2].action, Verdict::Action::pass);  // the domain filter's is ignored
    EXPECT_EQ(r->trace.back(),
              "domain:two.test/envelope: envelope or body change ignored (server level only)");
}

TEST(FilterChain, ServerLevelFiltersReplaceTheBody) {
    FilterChain chain;
    auto first = std::make_shared<EnvelopeFilter>();
    first->verdict.body = "new body\r\n";
    first->verdict.add_headers.emplace_back("X-A", "1");
    auto second = std::make_shared<EnvelopeFilter>();
    auto domain = std::make_shared<EnvelopeFilter>();
    domain->verdict.body = "not allowed\r\n";
    auto last = std::make_shared<EnvelopeFilter>();
    chain.add(Level::server, "", 1, first);
    chain.add(Level::server, "", 2, second);
    chain.add(Level::domain, "one.test", 1, domain);
    chain.add(Level::domain, "one.test", 2, last);
    auto r = chain.run(message("Subject: s\r\n\r\nold body\r\n"), kRecipients);
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->body, "new body\r\n");
    EXPECT_EQ(second->seen_raw, "X-A: 1\r\nSubject: s\r\n\r\nnew body\r\n");
    EXPECT_EQ(last->seen_raw, second->seen_raw);  // the domain filter's body was ignored
}

TEST(FilterChain, RejectAtServerLevelStopsLaterLevels) {
    FilterChain chain;
    auto later = std::make_shared<HeaderFilter>("later");
    chain.add(Level::server, "", 1, std::make_shared<RejectFilter>());
    chain.add(Level::domain, "one.test", 1, later);
    auto r = chain.run(message("SPAM here"), kRecipients);
    ASSERT_TRUE(r);
    for (auto& v : r->recipients) {
        EXPECT_EQ(v.action, Verdict::Action::reject);
        EXPECT_EQ(v.filter, "server/reject");
    }
    EXPECT_EQ(later->calls.load(), 0);
    auto clean = chain.run(message("ham"), kRecipients);
    ASSERT_TRUE(clean);
    EXPECT_EQ(clean->recipients[0].action, Verdict::Action::pass);
    EXPECT_EQ(later->calls.load(), 1);
}

TEST(FilterChain, DomainRejectOnlyCoversItsDomain) {
    FilterChain chain;
    chain.add(Level::domain, "two.test", 1, std::make_shared<RejectFilter>());
    auto r = chain.run(message("SPAM"), kRecipients);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->recipients[0].action, Verdict::Action::pass);
    EXPECT_EQ(r->recipients[2].action, Verdict::Action::reject);
}

TEST(FilterChain, AnyFilterErrorFailsTheRun) {
    FilterChain chain;
    chain.add(Level::server, "", 1, std::make_shared<HeaderFilter>("x"));
    chain.add(Level::domain, "one.test", 5, std::make_shared<BrokenFilter>());
    auto r = chain.run(message("hello"), kRecipients);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::unavailable);
    EXPECT_NE(r.error().message.find("domain:one.test/broken"), std::string::npos);
}

TEST(FilterChain, EmptyChainPassesEveryone) {
    FilterChain chain;
    auto r = chain.run(message("x"), kRecipients);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->recipients.size(), kRecipients.size());
    EXPECT_TRUE(r->trace.empty());
}

}  // namespace
}  // namespace postern::filter

namespace postern::filter {
namespace {

// Records the message it was shown, and adds/removes one field.
class RewriteFilter : public Filter {
  public:
    std::string_view name() const override { return "rewrite"; }
    Result<Verdict> run(const MessageView& m) override {
        seen = std::string(m.raw);
        Verdict v;
        v.remove_headers.push_back("X-Level");
        v.add_headers.emplace_back("X-Level", "7");
        return v;
    }
    std::string seen;
};

TEST(FilterChain, LaterFiltersSeeEarlierHeaderChanges) {
    FilterChain chain;
    auto first = std::make_shared<RewriteFilter>();
    auto second = std::make_shared<RewriteFilter>();
    chain.add(Level::server, "", 1, first);
    chain.add(Level::account, "1", 1, second);
    std::string raw = "X-Level: 1\r\nSubject: s\r\n\r\nbody X-Level: 1\r\n";
    auto r = chain.run(message(raw), kRecipients);
    ASSERT_TRUE(r);
    EXPECT_EQ(first->seen, raw);
    EXPECT_EQ(second->seen, "X-Level: 7\r\nSubject: s\r\n\r\nbody X-Level: 1\r\n");
    EXPECT_EQ(r->recipients[0].remove_headers, (std::vector<std::string>{"X-Level", "X-Level"}));
}

}  // namespace
}  // namespace postern::filter
