// What scripts see: every ctx field in the events where it applies, headers, body chunks,
// delivery facts, and ctx.vars across events (committed only by successful calls).
#include <gtest/gtest.h>

#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

std::string str(const PolicyVars& vars, const std::string& name) {
    auto it = vars.find(name);
    if (it == vars.end())
        return "(absent)";
    if (const auto* s = std::get_if<std::string>(&it->second))
        return *s;
    if (const auto* i = std::get_if<std::int64_t>(&it->second))
        return "int:" + std::to_string(*i);
    if (const auto* b = std::get_if<bool>(&it->second))
        return *b ? "true" : "false";
    return "double:" + std::to_string(std::get<double>(it->second));
}

TEST(PolicyContext, EveryEventIsCalledWithItsName) {
    std::string source;
    for (Event e : kAllEvents) {
        source += "function " + std::string(event_function_name(e)) +
                  "(ctx) ctx.vars[ctx.event] = (ctx.vars[ctx.event] or 0) + 1 end\n";
    }
    auto script = load(source);
    ASSERT_TRUE(script);
    PolicyVars vars;
    LogCapture log;
    for (Event e : kAllEvents) {
        EXPECT_TRUE(script->handles(e));
        auto d = script->run(e, sample_context(), vars, log.logger);
        EXPECT_TRUE(d.handled);
        EXPECT_FALSE(d.failed) << d.error;
        EXPECT_EQ(d.verdict, Verdict::none);
    }
    for (Event e : kAllEvents)
        EXPECT_EQ(str(vars, std::string(event_function_name(e))), "int:1");
}

TEST(PolicyContext, ConnectionFields) {
    auto script = load(R"(
function onEhlo(ctx)
  local v = ctx.vars
  v.event, v.session, v.ip, v.port = ctx.event, ctx.session, ctx.ip, ctx.port
  v.local_ip, v.local_port, v.rdns, v.helo = ctx.local_ip, ctx.local_port, ctx.rdns, ctx.helo
  v.tls, v.proto, v.cipher, v.listener = ctx.tls, ctx.tls_protocol, ctx.tls_cipher, ctx.listener
  v.auth_is_nil = ctx.auth_user == nil
  v.queue_is_nil = ctx.queue_id == nil
  v.now_ok = type(ctx.now) == "number" and ctx.now > 1.6e9
end)");
    ASSERT_TRUE(script);
    auto r = run(*script, Event::ehlo);
    ASSERT_FALSE(r.decision.failed) << r.decision.error;
    const auto& v = r.vars;
    EXPECT_EQ(str(v, "event"), "onEhlo");
    EXPECT_EQ(str(v, "session"), "0000002A");
    EXPECT_EQ(str(v, "ip"), "192.0.2.7");
    EXPECT_EQ(str(v, "port"), "int:58047");
    EXPECT_EQ(str(v, "local_ip"), "198.51.100.1");
    EXPECT_EQ(str(v, "local_port"), "int:25");
    EXPECT_EQ(str(v, "rdns"), "mail.example.net");
    EXPECT_EQ(str(v, "helo"), "mail.example.net");
    EXPECT_EQ(str(v, "tls"), "true");
    EXPECT_EQ(str(v, "proto"), "TLSv1.3");
    EXPECT_EQ(str(v, "cipher"), "TLS_AES_256_GCM_SHA384");
    EXPECT_EQ(str(v, "listener"), "mx");
    EXPECT_EQ(str(v, "auth_is_nil"), "true");
    EXPECT_EQ(str(v, "queue_is_nil"), "true");
    EXPECT_EQ(str(v, "now_ok"), "true");
}

TEST(PolicyContext, AbsentFactsAreNil) {
    auto script = load(R"(
function onConnect(ctx)
  ctx.vars.all_nil = ctx.rdns == nil and ctx.helo == nil and ctx.from == nil and
    ctx.from_domain == nil and ctx.from_params == nil and ctx.rcpt == nil and
    ctx.chunk == nil and ctx.delivery == nil and ctx.tls_protocol == nil and #ctx.recipients == 0
  ctx.vars.ipv6 = ctx.ip
end)");
    ASSERT_TRUE(script);
    PolicyContext c;
    c.connection.client_ip = *IpAddress::parse("2001:db8::7");
    auto r = run(*script, Event::connect, c);
    ASSERT_FALSE(r.decision.failed) << r.decision.error;
    EXPECT_EQ(str(r.vars, "all_nil"), "true");
    EXPECT_EQ(str(r.vars, "ipv6"), "2001:db8::7");
}

TEST(PolicyContext, EnvelopeFields) {
    auto script = load(R"(
function onRcptTo(ctx)
  local v = ctx.vars
  v.from, v.from_domain = ctx.from, ctx.from_domain
  v.size_param, v.utf8_param = ctx.from_params.SIZE, ctx.from_params.SMTPUTF8
  v.rcpt, v.rcpt_domain, v.rcpt_kind = ctx.rcpt, ctx.rcpt_domain, ctx.rcpt_kind
  v.n = #ctx.recipients
  v.first = ctx.recipients[1].address .. "/" .. ctx.recipients[1].kind
  v.size = ctx.size
  v.role = ctx.listener
end
function onDataReceived(ctx) ctx.vars.rcpt_in_data = ctx.rcpt == nil end
)");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.connection.role = ListenerRole::submission;
    auto r = run(*script, Event::rcpt_to, c);
    ASSERT_FALSE(r.decision.failed) << r.decision.error;
    const auto& v = r.vars;
    EXPECT_EQ(str(v, "from"), "alice@example.net");
    EXPECT_EQ(str(v, "from_domain"), "example.net");
    EXPECT_EQ(str(v, "size_param"), "1234");
    EXPECT_EQ(str(v, "utf8_param"), "true");
    EXPECT_EQ(str(v, "rcpt"), "carol@example.org");
    EXPECT_EQ(str(v, "rcpt_domain"), "example.org");
    EXPECT_EQ(str(v, "rcpt_kind"), "alias");
    EXPECT_EQ(str(v, "n"), "int:1");
    EXPECT_EQ(str(v, "first"), "bob@example.org/account");
    EXPECT_EQ(str(v, "size"), "int:1234");
    EXPECT_EQ(str(v, "role"), "submission");
    EXPECT_EQ(str(run(*script, Event::data_received).vars, "rcpt_in_data"), "true");
}

TEST(PolicyContext, NullSender) {
    auto script = load(
        "function onMailFrom(ctx) ctx.vars.f = '[' .. ctx.from .. '|' .. "
        "ctx.from_domain .. ']' end");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.envelope.mail_from = "";
    EXPECT_EQ(str(run(*script, Event::mail_from, c).vars, "f"), "[|]");
}

TEST(PolicyContext, Headers) {
    auto script = load(R"(
function onHeadersReceived(ctx)
  local v = ctx.vars
  v.subject = ctx:header("subject")
  v.from = ctx.header("From")
  v.missing = ctx:header("X-None") == nil
  v.received = #ctx:headers("Received")
  v.all = #ctx:headers()
  local h = ctx:headers()[2]
  v.second = h.name .. "=" .. h.value
end)");
    ASSERT_TRUE(script);
    auto r = run(*script, Event::headers_received);
    ASSERT_FALSE(r.decision.failed) << r.decision.error;
    EXPECT_EQ(str(r.vars, "subject"), "Hello world");  // unfolded, trimmed
    EXPECT_EQ(str(r.vars, "from"), "Alice <alice@example.net>");
    EXPECT_EQ(str(r.vars, "missing"), "true");
    EXPECT_EQ(str(r.vars, "received"), "int:2");
    EXPECT_EQ(str(r.vars, "all"), "int:4");
    EXPECT_EQ(str(r.vars, "second"), "Subject=Hello world");
}

TEST(PolicyContext, BodyChunkOnlyInOnBodyChunk) {
    auto script = load(R"(
function onBodyChunk(ctx)
  ctx.vars.len = #ctx.chunk
  if ctx.chunk:find("VIRUS", 1, true) then reject(554, "5.7.1 infected") end
end
function onDataReceived(ctx) ctx.vars.chunk_nil = ctx.chunk == nil end
)");
    ASSERT_TRUE(script);
    std::string body = "clean text\r\nmore";
    auto c = sample_context();
    c.body_chunk = body;
    auto r = run(*script, Event::body_chunk, c);
    EXPECT_EQ(r.decision.verdict, Verdict::none);
    EXPECT_EQ(str(r.vars, "len"), "int:" + std::to_string(body.size()));
    std::string bad = "x VIRUS y";
    c.body_chunk = bad;
    EXPECT_EQ(run(*script, Event::body_chunk, c).decision.verdict, Verdict::reject);
    EXPECT_EQ(str(run(*script, Event::data_received, c).vars, "chunk_nil"), "true");
}

TEST(PolicyContext, DeliveryFacts) {
    auto script = load(R"(
function onRelay(ctx)
  local d = ctx.delivery
  ctx.vars.relay = d.domain .. " " .. #d.recipients .. " " .. d.recipients[1] .. " " ..
    tostring(d.host) .. " " .. tostring(d.code) .. " " .. d.attempts
end
function onDeliveryFailure(ctx)
  local d = ctx.delivery
  ctx.vars.failure = d.host .. " " .. d.code .. " " .. d.reply .. " " .. d.queued_for
end)");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.delivery = DeliveryInfo{
        "example.com", {"x@example.com", "y@example.com"}, "", 0, "", 0, std::chrono::seconds(0)};
    EXPECT_EQ(str(run(*script, Event::relay, c).vars, "relay"),
              "example.com 2 x@example.com nil nil 0");
    c.delivery.remote_host = "mx.example.com";
    c.delivery.reply_code = 550;
    c.delivery.reply_text = "5.1.1 no such user";
    c.delivery.queued_for = std::chrono::seconds(90);
    EXPECT_EQ(str(run(*script, Event::delivery_failure, c).vars, "failure"),
              "mx.example.com 550 5.1.1 no such user 90");
}

TEST(PolicyContext, UnknownFieldsAndWritesFail) {
    auto d = rcpt("local x = ctx.hlo");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("ctx has no field 'hlo'"), std::string::npos) << d.error;
    d = rcpt("ctx.ip = '1.2.3.4'");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("ctx is read-only"), std::string::npos) << d.error;
    d = rcpt("setmetatable(ctx, {})");
    EXPECT_TRUE(d.failed);
    d = rcpt("if getmetatable(ctx) ~= false then error('metatable visible') end");
    EXPECT_FALSE(d.failed) << d.error;
    d = rcpt("if tostring(ctx) ~= 'ctx (onRcptTo)' then error(tostring(ctx)) end");
    EXPECT_FALSE(d.failed) << d.error;
}

TEST(PolicyContext, CtxKeptFromAnEarlierCallSeesTheCurrentOne) {
    auto script = load(R"(
local kept = {}
function onConnect(ctx) kept[1] = ctx end
function onEhlo(ctx) ctx.vars.seen = kept[1].ip end
)");
    ASSERT_TRUE(script);
    PolicyVars vars;
    LogCapture log;
    auto c1 = sample_context();
    script->run(Event::connect, c1, vars, log.logger);
    auto c2 = sample_context();
    c2.connection.client_ip = *IpAddress::parse("203.0.113.9");
    auto d = script->run(Event::ehlo, c2, vars, log.logger);
    ASSERT_FALSE(d.failed) << d.error;
    EXPECT_EQ(str(vars, "seen"), "203.0.113.9");
}

TEST(PolicyVars, KeptAcrossEventsAndTypes) {
    auto script = load(R"(
function onConnect(ctx)
  ctx.vars.s, ctx.vars.i, ctx.vars.f, ctx.vars.b = "text", 42, 1.5, false
end
function onEhlo(ctx)
  local v = ctx.vars
  if v.s ~= "text" or v.i ~= 42 or math.type(v.i) ~= "integer" or v.f ~= 1.5 or v.b ~= false then
    error("vars lost")
  end
  v.s = nil
  if v.s ~= nil then error("not erased") end
  v.missing = v.never_set
end)");
    ASSERT_TRUE(script);
    PolicyVars vars;
    LogCapture log;
    ASSERT_FALSE(script->run(Event::connect, sample_context(), vars, log.logger).failed);
    EXPECT_EQ(vars.size(), 4u);
    auto d = script->run(Event::ehlo, sample_context(), vars, log.logger);
    ASSERT_FALSE(d.failed) << d.error;
    EXPECT_EQ(vars.count("s"), 0u);
    EXPECT_EQ(vars.size(), 3u);
}

TEST(PolicyVars, FailedCallsCommitNothing) {
    auto script =
        load("function onConnect(ctx) ctx.vars.a = 1; ctx.vars.keep = nil; error('x') end");
    ASSERT_TRUE(script);
    PolicyVars vars{{"keep", VarValue(true)}};
    LogCapture log;
    auto d = script->run(Event::connect, sample_context(), vars, log.logger);
    EXPECT_TRUE(d.failed);
    EXPECT_EQ(vars.size(), 1u);
    EXPECT_EQ(vars.count("keep"), 1u);
}

TEST(PolicyVars, Limits) {
    auto d = rcpt("for i = 1, 64 do ctx.vars['v' .. i] = i end");
    EXPECT_FALSE(d.failed) << d.error;
    d = rcpt("for i = 1, 65 do ctx.vars['v' .. i] = i end");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("at most 64"), std::string::npos) << d.error;
    d = rcpt("for i = 1, 200 do ctx.vars.same = i; ctx.vars['tmp'] = i; ctx.vars.tmp = nil end");
    EXPECT_FALSE(d.failed) << d.error;
    d = rcpt("ctx.vars[string.rep('n', 65)] = 1");
    EXPECT_TRUE(d.failed);
    d = rcpt("ctx.vars[1] = 1");
    EXPECT_TRUE(d.failed);
    d = rcpt("ctx.vars.t = {}");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("not a table"), std::string::npos) << d.error;
    d = rcpt("ctx.vars.s = string.rep('x', 4097)");
    EXPECT_TRUE(d.failed);
    d = rcpt("ctx.vars.s = string.rep('x', 4096)");
    EXPECT_FALSE(d.failed) << d.error;
}

}  // namespace
}  // namespace postern::filter::policy
