// run_all_events (posternctl policy test): event order, what stops the sequence, chunking,
// accumulated changes, relay routes and simulated failures, and bad input.
#include "filter/policy/test_runner.h"

#include <gtest/gtest.h>

#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

const std::string kMessage =
    "From: Alice <alice@example.net>\r\n"
    "To: bob@example.org\r\n"
    "Subject: Quarterly\r\n"
    "X-Spam: maybe\r\n"
    "\r\n"
    "Line one of the body.\r\n"
    "Line two of the body.\r\n";

TestInput sample_input() {
    TestInput in;
    in.message = kMessage;
    in.mail_from = "alice@example.net";
    in.recipients = {{"bob@example.org", RecipientKind::account},
                     {"eve@elsewhere.example", RecipientKind::remote}};
    in.client_ip = "192.0.2.7";
    in.helo = "mail.example.net";
    return in;
}

std::vector<Event> events_of(const TestReport& r) {
    std::vector<Event> out;
    for (const auto& e : r.events)
        out.push_back(e.event);
    return out;
}

std::string all_events_script(const std::string& extra = "") {
    std::string src = extra;
    for (Event e : kAllEvents) {
        std::string name(event_function_name(e));
        if (extra.find("function " + name + "(") == std::string::npos)
            src += "function " + name + "(ctx) end\n";
    }
    return src;
}

TEST(PolicyTestRunner, RunsEveryEventInOrder) {
    auto script = load(all_events_script());
    ASSERT_TRUE(script);
    auto in = sample_input();
    in.chunk_size = 20;
    in.failure_code = 550;
    auto report = run_all_events(*script, in);
    ASSERT_TRUE(report) << report.error().message;
    std::vector<Event> expected = {
        Event::connect,       Event::ehlo,       Event::mail_from,
        Event::rcpt_to,       Event::rcpt_to,    Event::headers_received,
        Event::body_chunk,    Event::body_chunk, Event::body_chunk,
        Event::data_received, Event::relay,      Event::delivery_failure};
    EXPECT_EQ(events_of(*report), expected);
    EXPECT_EQ(report->outcome, TestOutcome::accepted);
    EXPECT_EQ(report->summary, "accepted for 2 recipients");
    EXPECT_EQ(report->events[3].subject, "bob@example.org");
    EXPECT_EQ(report->events[6].subject, "chunk 1 (bytes 0-19)");
    EXPECT_EQ(report->events[10].subject, "elsewhere.example");
    EXPECT_EQ(report->events[0].effect, "no opinion");
    for (const auto& e : report->events)
        EXPECT_TRUE(e.defined);
}

TEST(PolicyTestRunner, ContextAsSmtpInFillsIt) {
    auto script = load(R"(
function onConnect(ctx) ctx.vars.c = tostring(ctx.helo) .. "/" .. tostring(ctx.auth_user) end
function onMailFrom(ctx) ctx.vars.m = ctx.from .. "/" .. ctx.auth_user .. "/" .. ctx.from_params.SIZE end
function onRcptTo(ctx) ctx.vars.r = (ctx.vars.r or "") .. ctx.rcpt .. ":" .. ctx.rcpt_kind .. "," .. #ctx.recipients .. ";" end
function onHeadersReceived(ctx) ctx.vars.h = ctx:header("Subject") .. "/" .. ctx.size end
function onBodyChunk(ctx) ctx.vars.b = (ctx.vars.b or 0) + #ctx.chunk end
function onDataReceived(ctx) ctx.vars.d = ctx.size end
)");
    ASSERT_TRUE(script);
    auto in = sample_input();
    in.auth_user = "alice";
    auto report = run_all_events(*script, in);
    ASSERT_TRUE(report);
    auto s = [&](const char* k) {
        auto it = report->vars.find(k);
        if (it == report->vars.end())
            return std::string("(absent)");
        if (auto* v = std::get_if<std::string>(&it->second))
            return *v;
        return std::to_string(std::get<std::int64_t>(it->second));
    };
    EXPECT_EQ(s("c"), "nil/nil");
    EXPECT_EQ(s("m"), "alice@example.net/alice/" + std::to_string(kMessage.size()));
    EXPECT_EQ(s("r"), "bob@example.org:account,0;eve@elsewhere.example:remote,1;");
    auto header_size = kMessage.find("\r\n\r\n") + 4;
    EXPECT_EQ(s("h"), "Quarterly/" + std::to_string(header_size));
    EXPECT_EQ(s("b"), std::to_string(kMessage.size() - header_size));
    EXPECT_EQ(s("d"), std::to_string(kMessage.size()));
}

TEST(PolicyTestRunner, RefusalAtConnectStops) {
    auto script = load(all_events_script("function onConnect(ctx) reject(554, 'no') end\n"));
    ASSERT_TRUE(script);
    auto report = run_all_events(*script, sample_input());
    ASSERT_TRUE(report);
    EXPECT_EQ(events_of(*report), std::vector<Event>{Event::connect});
    EXPECT_EQ(report->outcome, TestOutcome::refused);
    EXPECT_EQ(report->summary, "connection refused at onConnect: 554 no");
    EXPECT_EQ(report->events[0].effect, "connection refused: 554 no");
}

TEST(PolicyTestRunner, RecipientRefusalsAndDiscards) {
    auto script = load(all_events_script(
        "function onRcptTo(ctx) if ctx.rcpt_kind == 'remote' then reject(550, '5.7.1 no relay') "
        "end end\n"));
    ASSERT_TRUE(script);
    auto report = run_all_events(*script, sample_input());
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, TestOutcome::accepted);
    EXPECT_EQ(report->recipients, std::vector<std::string>{"bob@example.org"});
    EXPECT_EQ(report->events[4].effect, "recipient refused: 550 5.7.1 no relay");
    // bob is local: no onRelay.
    for (const auto& e : report->events)
        EXPECT_NE(e.event, Event::relay);

    auto all_refused = load("function onRcptTo(ctx) tempfail() end");
    ASSERT_TRUE(all_refused);
    report = run_all_events(*all_refused, sample_input());
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, TestOutcome::no_recipients);

    auto drop = load("function onRcptTo(ctx) discard() end");
    ASSERT_TRUE(drop);
    report = run_all_events(*drop, sample_input());
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, TestOutcome::discarded);
    EXPECT_EQ(report->events[3].effect, "recipient accepted and dropped");
}

TEST(PolicyTestRunner, MessageVerdictEndsTheMessageEvents) {
    auto script = load(all_events_script(
        "function onBodyChunk(ctx) if ctx.chunk:find('body') then reject(554, '5.7.1 no body') end "
        "end\n"));
    ASSERT_TRUE(script);
    auto in = sample_input();
    in.chunk_size = 10;
    auto report = run_all_events(*script, in);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, TestOutcome::refused);
    EXPECT_EQ(report->events.back().event, Event::body_chunk);
    EXPECT_EQ(report->summary, "message refused at onBodyChunk: 554 5.7.1 no body");

    auto discard = load(all_events_script("function onMailFrom(ctx) discard() end\n"));
    ASSERT_TRUE(discard);
    report = run_all_events(*discard, in);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, TestOutcome::discarded);
    EXPECT_EQ(report->events.back().event, Event::mail_from);
    EXPECT_EQ(report->summary, "accepted and dropped at onMailFrom");
}

TEST(PolicyTestRunner, ChangesAreAccumulatedAndApplied) {
    auto script = load(R"(
function onMailFrom(ctx) addRecipient("archive@example.org") end
function onRcptTo(ctx) addHeader("X-Rcpt", ctx.rcpt) end
function onHeadersReceived(ctx) removeHeader("X-Spam") end
function onDataReceived(ctx) removeRecipient("bob@example.org") addHeader("X-Checked", "yes") end
function onRelay(ctx) setRelay("smart.example.net", 587, "required") end
)");
    ASSERT_TRUE(script);
    auto report = run_all_events(*script, sample_input());
    ASSERT_TRUE(report);
    EXPECT_EQ(report->recipients,
              (std::vector<std::string>{"eve@elsewhere.example", "archive@example.org"}));
    ASSERT_EQ(report->header_changes.size(), 4u);
    ASSERT_GE(report->headers.size(), 6u);
    EXPECT_EQ(report->headers[0].name, "X-Rcpt");
    EXPECT_EQ(report->headers[2].name, "X-Checked");
    for (const auto& h : report->headers)
        EXPECT_NE(h.name, "X-Spam");
    // onRelay for eve's domain and for the added archive recipient (kind unknown = remote here).
    ASSERT_EQ(report->routes.size(), 2u);
    EXPECT_EQ(report->routes.at("elsewhere.example"),
              (RelayRoute{"smart.example.net", 587, RelayTls::required}));
}

TEST(PolicyTestRunner, TemporaryFailureEvent) {
    auto script = load(
        "function onTemporaryDeliveryFailure(ctx) ctx.vars.code = ctx.delivery.code "
        "setNdrText('later') end");
    ASSERT_TRUE(script);
    auto in = sample_input();
    in.failure_code = 451;
    in.failure_text = "4.4.1 no answer";
    auto report = run_all_events(*script, in);
    ASSERT_TRUE(report);
    EXPECT_EQ(report->events.back().event, Event::temporary_delivery_failure);
    EXPECT_EQ(report->events.back().decision.ndr_text, "later");
    EXPECT_EQ(std::get<std::int64_t>(report->vars.at("code")), 451);
    EXPECT_FALSE(report->events[0].defined);
    EXPECT_EQ(report->events[0].effect, "not defined: no opinion");
}

TEST(PolicyTestRunner, ScriptFailuresAreReported) {
    auto script = load("function onMailFrom(ctx) error('broken') end");
    ASSERT_TRUE(script);
    auto report = run_all_events(*script, sample_input());
    ASSERT_TRUE(report);
    EXPECT_EQ(report->outcome, TestOutcome::refused);
    const auto& e = report->events.back();
    EXPECT_TRUE(e.decision.failed);
    EXPECT_EQ(e.effect,
              "script failed (policy.lua:1: broken), failure action: MAIL refused: 451 4.3.0 "
              "Temporary local problem, try again later");
}

TEST(PolicyTestRunner, BadInput) {
    auto script = load("function onConnect() end");
    ASSERT_TRUE(script);
    auto in = sample_input();
    in.client_ip = "not-an-ip";
    EXPECT_FALSE(run_all_events(*script, in));
    in = sample_input();
    in.mail_from = "broken@";
    EXPECT_FALSE(run_all_events(*script, in));
    in = sample_input();
    in.recipients.push_back({"no-domain", RecipientKind::unknown});
    EXPECT_FALSE(run_all_events(*script, in));
    in = sample_input();
    in.mail_from = "";  // the null sender is fine
    in.message = "no header at all";
    in.chunk_size = 0;
    EXPECT_TRUE(run_all_events(*script, in));
}

}  // namespace
}  // namespace postern::filter::policy
