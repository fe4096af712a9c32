// Costs of policy scripts: one event call with small scripts (no function, a table lookup, a
// reject with a header, header pattern matching), the interpreter pool under threads, creating
// an interpreter, and the memory one interpreter holds.
#include <benchmark/benchmark.h>

#include "filter/policy/interpreter.h"
#include "filter/policy/script.h"
#include "filter/policy/state_pool.h"

namespace {

using namespace postern;
using namespace postern::filter::policy;

constexpr std::string_view kScript = R"(
local blocked = { ["spam.example"] = true, ["phish.example"] = true }
function onConnect(ctx) end
function onMailFrom(ctx)
  if blocked[ctx.from_domain] then reject(550, "5.7.1 Sender domain refused") end
end
function onRcptTo(ctx)
  if ctx.rcpt_kind == "remote" and not ctx.auth_user then
    reject(550, "5.7.1 Relaying denied for " .. ctx.rcpt)
  end
  addHeader("X-Policy-Rcpt", ctx.rcpt)
end
function onHeadersReceived(ctx)
  local subject = ctx:header("Subject") or ""
  if subject:lower():find("viagra", 1, true) or subject:match("^%[SPAM%]") then
    addHeader("X-Spam-Flag", "YES")
  end
end
)";

PolicyContext context() {
    PolicyContext c;
    c.session_id = "0000002A";
    c.connection.client_ip = *IpAddress::parse("192.0.2.7");
    c.connection.helo = "mail.example.net";
    c.envelope.mail_from = "alice@example.net";
    c.envelope.recipients = {{"bob@example.org", RecipientKind::account}};
    c.recipient = Recipient{"eve@elsewhere.example", RecipientKind::remote};
    c.headers = {{"From", " Alice <alice@example.net>"},
                 {"To", " bob@example.org"},
                 {"Subject", " Quarterly report for the board"},
                 {"Date", " Sun, 22 Nov 2026 13:49:08 +0000"},
                 {"Message-ID", " <1234@example.net>"}};
    return c;
}

std::shared_ptr<const PolicyScript> script(unsigned states = 16) {
    PolicyLimits limits;
    limits.states = states;
    return *PolicyScript::load_source(kScript, "bench.lua", limits);
}

void run_event(benchmark::State& state, Event event) {
    auto s = script();
    auto c = context();
    log::Logger quiet;
    for (auto _ : state) {
        PolicyVars vars;
        auto d = s->run(event, c, vars, quiet);
        benchmark::DoNotOptimize(d);
    }
    state.counters["interpreter_KiB"] = static_cast<double>(s->stats().interpreter_bytes) / 1024.0;
}

// The script has no onEhlo: run() returns at once, no interpreter is taken.
void BM_EventNotDefined(benchmark::State& state) {
    run_event(state, Event::ehlo);
}
// An empty function: pool, pcall, ctx push and the call itself.
void BM_EventEmpty(benchmark::State& state) {
    run_event(state, Event::connect);
}
// A table lookup on the sender domain, no decision.
void BM_EventLookup(benchmark::State& state) {
    run_event(state, Event::mail_from);
}
// Reads three fields, rejects with a built text and adds a header.
void BM_EventRejectWithHeader(benchmark::State& state) {
    run_event(state, Event::rcpt_to);
}
// Looks a header up and matches it twice.
void BM_EventHeaderPatterns(benchmark::State& state) {
    run_event(state, Event::headers_received);
}

BENCHMARK(BM_EventNotDefined);
BENCHMARK(BM_EventEmpty);
BENCHMARK(BM_EventLookup);
BENCHMARK(BM_EventRejectWithHeader);
BENCHMARK(BM_EventHeaderPatterns);

// Many threads on one script: with states >= threads each call finds an idle interpreter; with
// 2 states the threads queue for them.
std::shared_ptr<const PolicyScript> g_shared;

void BM_EventThreads(benchmark::State& state) {
    if (state.thread_index() == 0)
        g_shared = script(static_cast<unsigned>(state.range(0)));
    auto c = context();
    log::Logger quiet;
    for (auto _ : state) {
        PolicyVars vars;
        auto d = g_shared->run(Event::rcpt_to, c, vars, quiet);
        benchmark::DoNotOptimize(d);
    }
    if (state.thread_index() == 0)
        g_shared.reset();
}
BENCHMARK(BM_EventThreads)->Arg(16)->Arg(2)->Threads(1)->Threads(2)->Threads(4)->UseRealTime();

// The pool alone: take an idle interpreter and give it back.
void BM_PoolTakeGiveBack(benchmark::State& state) {
    detail::CompiledScript compiled;
    PolicyLimits limits;
    auto first = detail::Interpreter::compile(kScript, "bench.lua", limits, compiled);
    detail::StatePool pool(std::move(*first), 16);
    for (auto _ : state) {
        auto lease = pool.take(detail::StatePool::Clock::now() + std::chrono::seconds(1));
        pool.give_back(std::move(lease.interpreter));
    }
}
BENCHMARK(BM_PoolTakeGiveBack);

// A new interpreter from the compiled bytecode (what a pool grows by, and what replaces one
// after a time or memory abort).
void BM_InterpreterCreate(benchmark::State& state) {
    detail::CompiledScript compiled;
    PolicyLimits limits;
    auto first = detail::Interpreter::compile(kScript, "bench.lua", limits, compiled);
    for (auto _ : state) {
        auto it = detail::Interpreter::create(compiled, limits);
        benchmark::DoNotOptimize(it);
    }
    state.counters["KiB"] = static_cast<double>((*first)->memory_used()) / 1024.0;
}
BENCHMARK(BM_InterpreterCreate);

// Loading from source: compile, run the top level, dump the bytecode (a reload).
void BM_ScriptLoad(benchmark::State& state) {
    PolicyLimits limits;
    for (auto _ : state) {
        auto s = PolicyScript::load_source(kScript, "bench.lua", limits);
        benchmark::DoNotOptimize(s);
    }
}
BENCHMARK(BM_ScriptLoad);

}  // namespace
