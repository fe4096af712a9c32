// The sandbox: what is absent, what is bounded (time, memory, recursion), and the escapes a
// script could try: catching the abort, finalizers, C-function metamethods in library loops,
// pathological patterns, odd error objects and failing metamethods.
#include <gtest/gtest.h>

#include "filter/policy/validate.h"
#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

PolicyLimits tight_time() {
    PolicyLimits l = test_limits();
    l.max_time = std::chrono::milliseconds(30);
    return l;
}

// Runs `body` as onRcptTo under `limits` and returns the decision.
PolicyDecision rcpt_with(std::string_view body, PolicyLimits limits) {
    auto script = load("function onRcptTo(ctx)\n" + std::string(body) + "\nend\n", limits);
    if (!script)
        return PolicyDecision{};
    return run(*script, Event::rcpt_to).decision;
}

void expect_time_limit(std::string_view body) {
    auto d = rcpt_with(body, tight_time());
    EXPECT_TRUE(d.failed) << body;
    EXPECT_NE(d.error.find("time limit exceeded (max_time 30 ms)"), std::string::npos)
        << body << " -> " << d.error;
    EXPECT_EQ(d.verdict, Verdict::tempfail);
}

void expect_memory_limit(std::string_view body) {
    auto d = rcpt_with(body, test_limits());
    EXPECT_TRUE(d.failed) << body;
    EXPECT_NE(d.error.find("memory limit"), std::string::npos) << body << " -> " << d.error;
}

TEST(PolicySandbox, ForbiddenFunctionsAreAbsent) {
    for (const char* name :
         {"os", "io", "package", "require", "load", "loadstring", "dofile", "loadfile", "debug",
          "warn", "module", "setfenv", "getfenv", "newproxy", "jit", "ffi"}) {
        auto d = rcpt(std::string("if ") + name + " ~= nil then error('present') end");
        EXPECT_FALSE(d.failed) << name << ": " << d.error;
    }
    auto d = rcpt("if string.dump ~= nil then error('string.dump present') end");
    EXPECT_FALSE(d.failed) << d.error;
    d = rcpt("if _G.os or _ENV.io or rawget(_G, 'debug') then error('reachable') end");
    EXPECT_FALSE(d.failed) << d.error;
}

TEST(PolicySandbox, SafeLibrariesArePresent) {
    auto d = rcpt(R"(
assert(string.upper("a") == "A" and ("abc"):sub(2, 2) == "b")
assert(table.concat({1, 2}, ",") == "1,2" and #table.pack(1, 2, 3) == 3)
assert(math.max(1, 5) == 5 and math.type(1) == "integer")
assert(utf8.len("caf\u{e9}") == 4)
assert(select("#", 1, 2) == 2 and tonumber("10") == 10 and tostring(nil) == "nil")
assert(type(pairs) == "function" and type(ipairs) == "function" and type(next) == "function")
assert(type(coroutine.wrap) == "function" and type(setmetatable) == "function")
assert(collectgarbage("count") > 0)
local ok = pcall(collectgarbage)
assert(not ok, "collectgarbage() must be refused")
assert(not pcall(collectgarbage, "stop"))
local ok2, e = pcall(error, {code = 1})
assert(not ok2 and e.code == 1)
assert(math.random(1, 6) >= 1)
)");
    EXPECT_FALSE(d.failed) << d.error;
}

TEST(PolicySandbox, GlobalsAreReadOnlyInEvents) {
    auto d = rcpt("counter = 1");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("cannot assign global 'counter'"), std::string::npos) << d.error;
    d = rcpt("onConnect = nil");
    EXPECT_TRUE(d.failed);
    d = rcpt("_G.x = 1");
    EXPECT_TRUE(d.failed);
    d = rcpt("local x = 1; x = 2");
    EXPECT_FALSE(d.failed) << d.error;
    auto script = load(
        "blocked = { ['spam.example'] = true }\n"
        "function onMailFrom(ctx) if blocked[ctx.from_domain] then reject() end end");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.envelope.mail_from = "x@spam.example";
    EXPECT_EQ(run(*script, Event::mail_from, c).decision.verdict, Verdict::reject);
}

TEST(PolicySandbox, StringMetatableIsHidden) {
    auto d = rcpt("if getmetatable('') ~= false then error('visible') end");
    EXPECT_FALSE(d.failed) << d.error;
    d = rcpt("getmetatable('').__index = {}");
    EXPECT_TRUE(d.failed);
}

TEST(PolicySandbox, FinalizersAreRefused) {
    auto d = rcpt("setmetatable({}, {__gc = function() while true do end end})");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("__gc metamethods are not allowed"), std::string::npos) << d.error;
    d = rcpt("local mt = {} setmetatable({}, mt) mt.__gc = function() end");  // never marked
    EXPECT_FALSE(d.failed) << d.error;
}

TEST(PolicySandbox, InfiniteLoops) {
    expect_time_limit("while true do end");
    expect_time_limit("local i = 0 repeat i = i + 1 until false");
    expect_time_limit("local function f() return f() end f()");  // a proper tail call: no stack
}

TEST(PolicySandbox, TheAbortCannotBeCaught) {
    expect_time_limit("while true do pcall(function() while true do end end) end");
    expect_time_limit(
        "while true do xpcall(function() while true do end end, function(e) return e end) end");
    expect_time_limit(
        "while true do coroutine.resume(coroutine.create(function() while true do end end)) end");
    expect_time_limit("local co = coroutine.wrap(function() while true do end end) co()");
    expect_time_limit(
        "while true do local ok = pcall(function() local x <close> = setmetatable({}, "
        "{__close = function() while true do end end}) end) end");
    expect_time_limit("while true do pcall(string.rep, 'x', -1) end");
}

TEST(PolicySandbox, CoroutinesWorkAndYieldThroughPcall) {
    auto d = rcpt(R"(
local co = coroutine.wrap(function()
  local ok = pcall(function() coroutine.yield(1) end)
  assert(ok)
  return 2
end)
assert(co() == 1)
assert(co() == 2)
local c2 = coroutine.create(function() error("inside") end)
local ok, err = coroutine.resume(c2)
assert(not ok and err:find("inside"))
)");
    EXPECT_FALSE(d.failed) << d.error;
}

TEST(PolicySandbox, CFunctionLoopsInTheTableLibrary) {
    // __len claims billions of elements; the loops run in C with no Lua instruction to hook.
    expect_time_limit("table.remove(setmetatable({}, {__len = function() return 1 << 40 end}), 1)");
    expect_time_limit(
        "table.insert(setmetatable({}, {__len = function() return 1 << 40 end}), 1, 'x')");
    expect_time_limit("table.move({}, 1, 1 << 40, 2)");
    expect_time_limit(
        "table.concat(setmetatable({}, {__len = function() return 1 << 40 end, __index = type}))");
    expect_time_limit(
        "table.sort(setmetatable({}, {__len = function() return (1 << 31) - 2 end, "
        "__index = tostring}))");
}

TEST(PolicySandbox, PathologicalPatterns) {
    expect_time_limit("string.find(string.rep('a', 4000), '.-.-.-.-.-b')");
    expect_time_limit("string.match(string.rep('a', 4000), 'a*a*a*a*a*b')");
    expect_time_limit("for w in string.gmatch(string.rep('a', 4000), '.-.-.-b') do end");
    expect_time_limit("string.gsub(string.rep('a', 4000), '.-.-.-b', '')");
    // Plain find with a long near-miss needle: quadratic in C.
    expect_time_limit(
        "local h = string.rep('a', 4000000) local n = string.rep('a', 2000000) .. 'b' "
        "while true do string.find(h, n, 1, true) end");
}

TEST(PolicySandbox, MemoryLimit) {
    expect_memory_limit("local s = string.rep('x', 1e10)");
    expect_memory_limit("local s = string.rep('x', 10000000, 'yy')");
    expect_memory_limit("local t = {} for i = 1, 1e8 do t[i] = i end");
    expect_memory_limit("local s = 'x' while true do s = s .. s end");
    expect_memory_limit("local t = {} for i = 1, 1e7 do t[i] = coroutine.create(print) end");
    expect_memory_limit("local t = {} for i = 1, 1e7 do t[#t + 1] = {i} end");
    expect_memory_limit("local s = string.rep('ab', 4000000) local r = s:gsub('a', 'aaaa')");
    auto d = rcpt("local s = string.rep('x', 1e10)");
    EXPECT_NE(d.error.find("string.rep: the result would exceed the memory limit"),
              std::string::npos)
        << d.error;
}

TEST(PolicySandbox, DeepRecursion) {
    auto d = rcpt("local function f(n) return 1 + f(n + 1) end f(1)");
    EXPECT_TRUE(d.failed);
    EXPECT_TRUE(d.error.find("stack overflow") != std::string::npos ||
                d.error.find("memory limit") != std::string::npos)
        << d.error;
    d = rcpt(
        "local t = setmetatable({}, {}) getmetatable(t).__index = function(s, k) return s[k] end "
        "local x = t.x");
    EXPECT_TRUE(d.failed);
    d = rcpt("local function f() pcall(f) end f()");  // C-stack depth through pcall
    EXPECT_FALSE(d.failed) << d.error;  // pcall catches "stack overflow" at each level
    d = rcpt("local s = string.rep('(', 300) .. 'a' .. string.rep(')', 300) string.find('a', s)");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("too many captures"), std::string::npos) << d.error;
    d = rcpt("string.find(string.rep('a', 300), string.rep('a?', 300))");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("pattern too complex"), std::string::npos) << d.error;
}

TEST(PolicySandbox, OddErrorObjects) {
    struct Case {
        const char* body;
        const char* expected;
    };
    const Case cases[] = {
        {"error({code = 5})", "error object is a table value"},
        {"error(nil)", "error object is a nil value"},
        {"error()", "error object is a nil value"},
        {"error(42)", "error 42"},
        {"error(1.5)", "error 1.5"},
        {"error(true)", "error object is a boolean value"},
        {"error(coroutine.create(print))", "error object is a thread value"},
        {"error(setmetatable({}, {__tostring = function() while true do end end}))",
         "error object is a table value"},
        {"error('multi\\nline\\r\\nmessage', 0)", "multi?line??message"},
        {"error(string.rep('e', 100000), 0)", "eeee"},
    };
    for (const auto& c : cases) {
        auto d = rcpt(c.body);
        EXPECT_TRUE(d.failed) << c.body;
        EXPECT_NE(d.error.find(c.expected), std::string::npos) << c.body << " -> " << d.error;
        EXPECT_LE(d.error.size(), kMaxLogText);
    }
}

TEST(PolicySandbox, FailingMetamethods) {
    auto d = rcpt(
        "local t = setmetatable({}, {__tostring = function() error('in tostring') end}) "
        "log(t)");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("in tostring"), std::string::npos) << d.error;
    d = rcpt("log(setmetatable({}, {__tostring = function() return {} end}))");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("'__tostring' must return a string"), std::string::npos) << d.error;
    d = rcpt(
        "local t = setmetatable({}, {__index = function() error('in index') end}) local x = t.a");
    EXPECT_TRUE(d.failed);
    EXPECT_NE(d.error.find("in index"), std::string::npos) << d.error;
    expect_time_limit(
        "local t = setmetatable({}, {__tostring = function() while true do end end}) "
        "log(t)");
    expect_time_limit(
        "local t = setmetatable({}, {__eq = function() while true do end end}) "
        "local u = setmetatable({}, getmetatable(t)) local b = t == u");
    d = rcpt("reject(550, setmetatable({}, {__tostring = function() return 'x' end}))");
    EXPECT_TRUE(d.failed);  // decisions take strings, not objects that convert
}

TEST(PolicySandbox, AnAbortedInterpreterIsReplacedAndTheNextCallWorks) {
    PolicyLimits l = tight_time();
    l.states = 1;
    auto script = load(R"(
local cache = {}
function onRcptTo(ctx)
  if ctx.rcpt == "loop@example.org" then while true do end end
  if ctx.rcpt == "hog@example.org" then for i = 1, 1e8 do cache[i] = i end end
  reject(550, "5.1.1 " .. ctx.rcpt)
end)",
                       l);
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.recipient = Recipient{"loop@example.org", RecipientKind::account};
    EXPECT_TRUE(run(*script, Event::rcpt_to, c).decision.failed);
    c.recipient = Recipient{"hog@example.org", RecipientKind::account};
    auto d = run(*script, Event::rcpt_to, c).decision;
    EXPECT_TRUE(d.failed);  // memory or time, whichever comes first on this machine
    c.recipient = Recipient{"ok@example.org", RecipientKind::account};
    d = run(*script, Event::rcpt_to, c).decision;
    EXPECT_FALSE(d.failed) << d.error;
    EXPECT_EQ(d.text, "ok@example.org");
    EXPECT_EQ(script->stats().interpreters, 1u);
}

TEST(PolicySandbox, OrdinaryErrorsKeepTheInterpreter) {
    PolicyLimits l = test_limits();
    l.states = 1;
    auto script = load(
        "local n = 0\nfunction onConnect(ctx) n = n + 1 ctx.vars.n = n error('x') end\n"
        "function onEhlo(ctx) n = n + 1 ctx.vars.n = n end",
        l);
    ASSERT_TRUE(script);
    PolicyVars vars;
    LogCapture log;
    script->run(Event::connect, sample_context(), vars, log.logger);
    script->run(Event::ehlo, sample_context(), vars, log.logger);
    EXPECT_EQ(std::get<std::int64_t>(vars.at("n")), 2);  // same interpreter: upvalue kept
}

}  // namespace
}  // namespace postern::filter::policy
