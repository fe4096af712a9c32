// Decisions: each function, its defaults, precedence (last verdict wins), where each may be used,
// and invalid requests failing the call with the failure action and a log line.
#include <gtest/gtest.h>

#include "filter/policy/validate.h"
#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;
using proto::smtp::EnhancedCode;

TEST(PolicyDecisions, RejectDefaultsAndExplicitCodes) {
    auto d = rcpt("reject()");
    EXPECT_EQ(d.verdict, Verdict::reject);
    EXPECT_EQ(d.code, 550);
    EXPECT_EQ(d.enhanced, (EnhancedCode{5, 7, 1}));
    EXPECT_EQ(d.text, "Rejected by local policy");

    d = rcpt("reject(554, '5.7.26 DMARC says no')");
    EXPECT_EQ(d.code, 554);
    EXPECT_EQ(d.enhanced, (EnhancedCode{5, 7, 26}));
    EXPECT_EQ(d.text, "DMARC says no");

    d = rcpt("reject('No relaying here')");
    EXPECT_EQ(d.code, 550);
    EXPECT_EQ(d.enhanced, (EnhancedCode{5, 7, 1}));
    EXPECT_EQ(d.text, "No relaying here");

    d = rcpt("reject(553)");
    EXPECT_EQ(d.code, 553);
    EXPECT_EQ(d.text, "Rejected by local policy");
    auto reply = d.reply();
    ASSERT_TRUE(reply);
    EXPECT_EQ(proto::smtp::format_reply(*reply, true), "553 5.7.1 Rejected by local policy\r\n");
}

TEST(PolicyDecisions, Tempfail) {
    auto d = rcpt("tempfail()");
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    EXPECT_EQ(d.code, 451);
    EXPECT_EQ(d.enhanced, (EnhancedCode{4, 7, 1}));
    d = rcpt("tempfail(450, '4.2.0 Mailbox busy')");
    EXPECT_EQ(d.code, 450);
    EXPECT_EQ(d.enhanced, (EnhancedCode{4, 2, 0}));
    EXPECT_EQ(d.text, "Mailbox busy");
}

TEST(PolicyDecisions, ConnectRepliesCarryNoEnhancedCode) {
    auto script = load(
        "function onConnect(ctx) if ctx.tls then tempfail() else reject(554, "
        "'5.7.1 go away') end end");
    ASSERT_TRUE(script);
    auto d = run(*script, Event::connect).decision;  // sample context has TLS
    EXPECT_EQ(d.code, 421);
    EXPECT_FALSE(d.enhanced);
    auto c = sample_context();
    c.connection.tls = false;
    d = run(*script, Event::connect, c).decision;
    EXPECT_EQ(d.code, 554);
    EXPECT_FALSE(d.enhanced);
    EXPECT_EQ(d.text, "5.7.1 go away");  // kept as text: greetings have no enhanced code
}

TEST(PolicyDecisions, AcceptDiscardAndReplyText) {
    auto d = rcpt("accept()");
    EXPECT_EQ(d.verdict, Verdict::accept);
    EXPECT_EQ(d.code, 0);
    EXPECT_EQ(d.text, "");
    d = rcpt("accept('Emails accepted from domain example.net')");
    EXPECT_EQ(d.verdict, Verdict::accept);
    EXPECT_EQ(d.text, "Emails accepted from domain example.net");
    EXPECT_FALSE(d.reply());
    d = rcpt("setReplyText('Recipient ok')");
    EXPECT_EQ(d.verdict, Verdict::none);
    EXPECT_EQ(d.text, "Recipient ok");
    d = rcpt("discard()");
    EXPECT_EQ(d.verdict, Verdict::discard);
}

TEST(PolicyDecisions, LastVerdictWins) {
    auto d = rcpt("reject(550, 'first') accept()");
    EXPECT_EQ(d.verdict, Verdict::accept);
    EXPECT_EQ(d.code, 0);
    EXPECT_EQ(d.text, "");
    d = rcpt("accept('hello') tempfail()");
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    EXPECT_EQ(d.code, 451);
    d = rcpt("reject(550, 'x') setReplyText('changed text')");
    EXPECT_EQ(d.verdict, Verdict::reject);
    EXPECT_EQ(d.code, 550);
    EXPECT_EQ(d.text, "changed text");
}

TEST(PolicyDecisions, HeaderChanges) {
    auto d = rcpt(
        "addHeader('X-Policy', 'checked') removeHeader('X-Spam') "
        "addHeader('X-Empty', '')");
    ASSERT_FALSE(d.failed) << d.error;
    ASSERT_EQ(d.header_changes.size(), 3u);
    EXPECT_EQ(d.header_changes[0], (HeaderChange{HeaderChange::Kind::add, "X-Policy", "checked"}));
    EXPECT_EQ(d.header_changes[1], (HeaderChange{HeaderChange::Kind::remove, "X-Spam", ""}));
    EXPECT_EQ(d.header_changes[2].name, "X-Empty");
    EXPECT_EQ(d.verdict, Verdict::none);
}

TEST(PolicyDecisions, RecipientChanges) {
    auto d = rcpt("addRecipient('archive@Example.ORG') removeRecipient('<bob@example.org>')");
    ASSERT_FALSE(d.failed) << d.error;
    ASSERT_EQ(d.recipient_changes.size(), 2u);
    EXPECT_EQ(d.recipient_changes[0],
              (RecipientChange{RecipientChange::Kind::add, "archive@example.org"}));
    EXPECT_EQ(d.recipient_changes[1],
              (RecipientChange{RecipientChange::Kind::remove, "bob@example.org"}));
    d = rcpt("setRecipients({'a@x.example', 'b@x.example'})");
    ASSERT_FALSE(d.failed) << d.error;
    ASSERT_EQ(d.recipient_changes.size(), 3u);
    EXPECT_EQ(d.recipient_changes[0].kind, RecipientChange::Kind::clear);
    EXPECT_EQ(d.recipient_changes[2].address, "b@x.example");
    d = rcpt("setRecipients({})");
    ASSERT_EQ(d.recipient_changes.size(), 1u);
}

TEST(PolicyDecisions, RelayAndNdr) {
    auto script = load(R"(
function onRelay(ctx)
  if ctx.delivery.domain == "partner.example" then setRelay("smart.example.net", 2525, "required")
  elseif ctx.delivery.domain == "ip.example" then setRelay("192.0.2.25")
  else tempfail(451, "4.4.5 hold for now") end
end
function onDeliveryFailure(ctx) setNdrText("Your message to " .. ctx.delivery.domain .. " failed.\nCall us.") end
function onTemporaryDeliveryFailure(ctx) discard() end
)");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.delivery.domain = "partner.example";
    auto d = run(*script, Event::relay, c).decision;
    ASSERT_TRUE(d.relay);
    EXPECT_EQ(*d.relay, (RelayRoute{"smart.example.net", 2525, RelayTls::required}));
    c.delivery.domain = "ip.example";
    d = run(*script, Event::relay, c).decision;
    ASSERT_TRUE(d.relay);
    EXPECT_EQ(*d.relay, (RelayRoute{"[192.0.2.25]", 25, RelayTls::opportunistic}));
    c.delivery.domain = "other.example";
    d = run(*script, Event::relay, c).decision;
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    EXPECT_EQ(d.enhanced, (EnhancedCode{4, 4, 5}));
    d = run(*script, Event::delivery_failure, c).decision;
    ASSERT_TRUE(d.ndr_text);
    EXPECT_EQ(*d.ndr_text, "Your message to other.example failed.\nCall us.");
    d = run(*script, Event::temporary_delivery_failure, c).decision;
    EXPECT_EQ(d.verdict, Verdict::discard);
}

TEST(PolicyDecisions, LogAndPrint) {
    auto script = load(
        "function onRcptTo(ctx) log('checking', ctx.rcpt, 42) print('a', nil, true) "
        "log('line\\r\\nbreak') end");
    ASSERT_TRUE(script);
    LogCapture log;
    PolicyVars vars;
    auto d = script->run(Event::rcpt_to, sample_context(), vars, log.logger);
    ASSERT_FALSE(d.failed) << d.error;
    ASSERT_EQ(d.log_lines.size(), 3u);
    EXPECT_EQ(d.log_lines[0], "checking carol@example.org 42");
    EXPECT_EQ(d.log_lines[1], "a nil true");
    EXPECT_EQ(d.log_lines[2], "line??break");
    auto records = log.sink->records();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records[0].text, "policy onRcptTo: checking carol@example.org 42");
    EXPECT_EQ(records[0].session, "0000002A");
    EXPECT_EQ(records[0].level, log::kInfo);
}

TEST(PolicyDecisions, TooManyLogLinesAreDroppedNotFatal) {
    auto d = rcpt("for i = 1, 500 do log('n', i) end");
    EXPECT_FALSE(d.failed);
    EXPECT_EQ(d.log_lines.size(), kMaxLogLines);
}

TEST(PolicyDecisions, DecisionsAreLoggedLikeTheReference) {
    auto script = load(
        "function onMailFrom(ctx) accept('Emails accepted from domain ' .. "
        "ctx.from_domain) end");
    ASSERT_TRUE(script);
    LogCapture log;
    PolicyVars vars;
    script->run(Event::mail_from, sample_context(), vars, log.logger);
    EXPECT_TRUE(log.sink->contains(
        "policy onMailFrom: accept reply text \"Emails accepted from domain example.net\""));
}

// ---- invalid decisions: the call fails, the failure action applies, an error is logged ----

struct BadCase {
    const char* body;
    const char* error;
};

class PolicyBadDecision : public ::testing::TestWithParam<BadCase> {};

TEST_P(PolicyBadDecision, FailsTheCall) {
    auto script = load("function onRcptTo(ctx)\n  addHeader('X-Before', 'x')\n  " +
                       std::string(GetParam().body) + "\nend\n");
    ASSERT_TRUE(script);
    LogCapture log;
    PolicyVars vars;
    auto d = script->run(Event::rcpt_to, sample_context(), vars, log.logger);
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find(GetParam().error), std::string::npos) << d.error;
    EXPECT_NE(d.error.find("policy.lua:3:"), std::string::npos) << d.error;
    // Default failure action: tempfail 451 4.3.0, and nothing of the failed call is applied.
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    EXPECT_EQ(d.code, 451);
    EXPECT_EQ(d.enhanced, (EnhancedCode{4, 3, 0}));
    EXPECT_TRUE(d.header_changes.empty());
    auto records = log.sink->records();
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(records.back().level, log::kError);
    EXPECT_NE(records.back().text.find("policy onRcptTo: script policy.lua failed"),
              std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, PolicyBadDecision,
    ::testing::Values(
        BadCase{"reject(250, 'ok?')", "reject needs a 5xx reply code (500-599), not 250"},
        BadCase{"reject(451)", "reject needs a 5xx"},
        BadCase{"tempfail(550)", "tempfail needs a 4xx"},
        BadCase{"reject(550.5)", "number has no integer representation"},
        BadCase{"reject(550, '4.7.1 class mismatch')", "class differs"},
        BadCase{"reject(550, 'a\\r\\n250 OK')", "printable ASCII"},
        BadCase{"reject(550, string.rep('x', 401))", "longer than 400"},
        BadCase{"accept('x\\ny')", "printable ASCII"},
        BadCase{"setReplyText()", "bad argument #1 to 'setReplyText'"},
        BadCase{"addHeader('X-A', 'v\\r\\nBcc: victim@example.com')", "CR or LF"},
        BadCase{"addHeader('X-A', 'v\\nBcc: x')", "CR or LF"},
        BadCase{"addHeader('Bad Name', 'v')", "header name"},
        BadCase{"addHeader('X-A:', 'v')", "header name"}, BadCase{"addHeader('', 'v')", "empty"},
        BadCase{"addHeader('X-A', '\\xff')", "UTF-8"},
        BadCase{"addHeader('X-A')", "bad argument #2 to 'addHeader'"},
        BadCase{"for i = 1, 100 do addHeader('X-N', 'v') end", "too many header changes"},
        BadCase{"removeHeader('Received')", "cannot be removed"},
        BadCase{"addRecipient('not an address')", "is not a valid address"},
        BadCase{"addRecipient('user@')", "is not a valid address"},
        BadCase{"addRecipient('a@b.example\\r\\nRCPT TO:<x@y>')", "is not a valid address"},
        BadCase{"removeRecipient('')", "is not a valid address"},
        BadCase{"setRecipients({'ok@x.example', 42})", "entry 2 is not a string"},
        BadCase{"setRecipients('a@b.example')", "table expected"},
        BadCase{"setRelay('smart.example.net')", "setRelay() is not allowed in onRcptTo"},
        BadCase{"setNdrText('x')", "setNdrText() is not allowed in onRcptTo"},
        BadCase{"error('plain failure')", "plain failure"},
        BadCase{"local t = nil; t.x = 1", "attempt to index a nil value"}));

TEST(PolicyDecisions, WhereEachFunctionIsAllowed) {
    struct Case {
        Event event;
        const char* call;
        bool allowed;
    };
    const Case cases[] = {
        {Event::connect, "reject()", true},
        {Event::connect, "accept()", true},
        {Event::connect, "discard()", false},
        {Event::connect, "addHeader('X-A', 'b')", false},
        {Event::ehlo, "addRecipient('a@b.example')", false},
        {Event::ehlo, "setReplyText('hi')", true},
        {Event::mail_from, "discard()", true},
        {Event::mail_from, "addRecipient('a@b.example')", true},
        {Event::headers_received, "removeHeader('X-A')", true},
        {Event::body_chunk, "reject()", true},
        {Event::data_received, "setRecipients({})", true},
        {Event::data_received, "setRelay('a.example')", false},
        {Event::relay, "setRelay('a.example')", true},
        {Event::relay, "reject()", true},
        {Event::relay, "accept()", false},
        {Event::relay, "addHeader('X-A', 'b')", false},
        {Event::relay, "setReplyText('x')", false},
        {Event::delivery_failure, "setNdrText('x')", true},
        {Event::delivery_failure, "discard()", true},
        {Event::delivery_failure, "reject()", false},
        {Event::temporary_delivery_failure, "setNdrText('x')", true},
        {Event::temporary_delivery_failure, "setRelay('a.example')", false},
    };
    for (const auto& c : cases) {
        std::string name(event_function_name(c.event));
        auto script = load("function " + name + "(ctx) " + c.call + " end");
        ASSERT_TRUE(script);
        auto d = run(*script, c.event).decision;
        EXPECT_EQ(d.failed, !c.allowed) << name << ": " << c.call << " -> " << d.error;
        if (!c.allowed) {
            EXPECT_NE(d.error.find("is not allowed in " + name), std::string::npos) << d.error;
        }
    }
}

TEST(PolicyDecisions, OutsideAnEventFunction) {
    std::string error = load_error("reject()\n");
    EXPECT_NE(error.find("reject() can only be called while an event function runs"),
              std::string::npos)
        << error;
    auto script = load("log('top level is quiet') print('x')\nfunction onConnect() end\n");
    EXPECT_TRUE(script);
}

TEST(PolicyFailureAction, RejectAndIgnore) {
    PolicyLimits l = test_limits();
    l.failure_action = FailureAction::reject;
    auto script = load(
        "function onRcptTo(ctx) error('x') end\n"
        "function onConnect(ctx) error('x') end\n"
        "function onRelay(ctx) error('x') end\n"
        "function onDeliveryFailure(ctx) error('x') end\n",
        l);
    ASSERT_TRUE(script);
    auto d = run(*script, Event::rcpt_to).decision;
    EXPECT_EQ(d.verdict, Verdict::reject);
    EXPECT_EQ(d.code, 554);
    EXPECT_EQ(d.enhanced, (EnhancedCode{5, 7, 0}));
    d = run(*script, Event::connect).decision;
    EXPECT_EQ(d.code, 554);
    EXPECT_FALSE(d.enhanced);
    // The queue side never bounces because of a script bug.
    d = run(*script, Event::relay).decision;
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    d = run(*script, Event::delivery_failure).decision;
    EXPECT_TRUE(d.failed);
    EXPECT_EQ(d.verdict, Verdict::none);

    l.failure_action = FailureAction::ignore;
    auto lenient = load("function onRcptTo(ctx) reject() error('x') end", l);
    ASSERT_TRUE(lenient);
    d = run(*lenient, Event::rcpt_to).decision;
    EXPECT_TRUE(d.failed);
    EXPECT_EQ(d.verdict, Verdict::none);  // the reject before the error does not count
}

TEST(PolicyFailureAction, TempfailAtConnectIs421) {
    auto script = load("function onConnect(ctx) error('x') end");
    ASSERT_TRUE(script);
    auto d = run(*script, Event::connect).decision;
    EXPECT_EQ(d.code, 421);
    EXPECT_FALSE(d.enhanced);
}

}  // namespace
}  // namespace postern::filter::policy
