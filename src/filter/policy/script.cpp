// Loading a policy script (source checks, compile, first interpreter) and running events
// through the interpreter pool, turning every failure into the configured failure action.
#include "filter/policy/script.h"

#include "base/fs.h"
#include "base/utf8.h"
#include "filter/policy/call.h"
#include "filter/policy/interpreter.h"
#include "filter/policy/state_pool.h"

namespace postern::filter::policy {
namespace {

using Clock = std::chrono::steady_clock;

// Lua source as the compiler gets it: UTF-8 checked (with the line of the first bad byte), a
// byte order mark dropped and a "#!" first line commented out, keeping line numbers.
Result<std::string> prepare_source(std::string_view source, std::string_view name) {
    if (source.size() > kMaxScriptBytes)
        return fail(Errc::limit_exceeded, std::string(name) + ": script is larger than 4 MiB");
    if (source.starts_with("\xEF\xBB\xBF"))
        source.remove_prefix(3);
    std::size_t line = 1;
    for (std::size_t i = 0; i < source.size();) {
        char32_t cp = 0;
        std::size_t n = utf8_sequence(source, i, cp);
        if (n == 0) {
            return fail(Errc::invalid_argument,
                        std::string(name) + ":" + std::to_string(line) + ": invalid UTF-8");
        }
        if (source[i] == '\n')
            ++line;
        i += n;
    }
    std::string out;
    if (source.starts_with("#"))
        out = "--";
    out.append(source);
    return out;
}

}  // namespace

PolicyScript::PolicyScript(std::string name, const PolicyLimits& limits)
    : name_(std::move(name)), limits_(limits) {}

PolicyScript::~PolicyScript() = default;

Result<std::shared_ptr<const PolicyScript>> PolicyScript::load_file(
    const std::filesystem::path& path, const PolicyLimits& limits) {
    std::error_code ec;
    auto size = std::filesystem::file_size(path, ec);
    if (!ec && size > kMaxScriptBytes)
        return fail(Errc::limit_exceeded, path.string() + ": script is larger than 4 MiB");
    auto source = read_file(path);
    if (!source)
        return fail(source.error());
    return load_source(*source, path.filename().string(), limits);
}

Result<std::shared_ptr<const PolicyScript>> PolicyScript::load_source(std::string_view source,
                                                                      std::string_view name,
                                                                      const PolicyLimits& limits) {
    if (auto st = validate_limits(limits); !st)
        return fail(st.error());
    auto text = prepare_source(source, name);
    if (!text)
        return fail(text.error());
    std::shared_ptr<PolicyScript> script(new PolicyScript(std::string(name), limits));
    script->compiled_ = std::make_unique<detail::CompiledScript>();
    auto first = detail::Interpreter::compile(*text, name, limits, *script->compiled_);
    if (!first)
        return fail(first.error());
    script->interpreter_bytes_ = (*first)->memory_used();
    script->pool_ = std::make_unique<detail::StatePool>(std::move(*first), limits.states);
    return std::shared_ptr<const PolicyScript>(std::move(script));
}

const std::vector<std::string>& PolicyScript::warnings() const {
    return compiled_->warnings;
}

bool PolicyScript::handles(Event event) const {
    return compiled_->defines(event);
}

PolicyDecision PolicyScript::run(Event event, const PolicyContext& context, PolicyVars& vars,
                                 const log::Logger& logger) const {
    if (!handles(event))
        return PolicyDecision{};
    calls_.fetch_add(1, std::memory_order_relaxed);
    auto lease = pool_->take(Clock::now() + limits_.max_time);
    if (!lease.interpreter && lease.may_create) {
        auto created = detail::Interpreter::create(*compiled_, limits_);
        if (!created) {
            pool_->give_back(nullptr);
            return failure(event, "cannot start an interpreter: " + created.error().message, {},
                           logger);
        }
        lease.interpreter = std::move(*created);
    }
    if (!lease.interpreter) {
        return failure(event, "no interpreter became free within max_time (raise [policy] states)",
                       {}, logger);
    }
    detail::Call call(event, context, vars, logger);
    auto outcome = lease.interpreter->run(call);
    if (!outcome.reusable)
        lease.interpreter.reset();  // closed here, outside the pool's lock
    pool_->give_back(std::move(lease.interpreter));
    if (!outcome.ok)
        return failure(event, std::move(outcome.error), std::move(call.decision.log_lines), logger);

    for (auto& [name, value] : call.var_writes) {
        if (value)
            vars.insert_or_assign(name, std::move(*value));
        else
            vars.erase(name);
    }
    PolicyDecision decision = std::move(call.decision);
    decision.handled = true;
    if (decision.verdict != Verdict::none || !decision.text.empty() || decision.changes_message() ||
        decision.relay || decision.ndr_text) {
        logger.info("policy {}: {}", event_function_name(event), describe(decision));
    }
    return decision;
}

PolicyDecision PolicyScript::failure(Event event, std::string error,
                                     std::vector<std::string> log_lines,
                                     const log::Logger& logger) const {
    failures_.fetch_add(1, std::memory_order_relaxed);
    PolicyDecision d;
    d.handled = true;
    d.failed = true;
    d.error = std::move(error);
    d.log_lines = std::move(log_lines);
    // The queue side never bounces because of a script bug (ARCHITECTURE.md §4: no message is
    // lost): onRelay defers instead of rejecting, and a failed NDR event keeps the default NDR.
    FailureAction action = limits_.failure_action;
    if (event == Event::delivery_failure || event == Event::temporary_delivery_failure)
        action = FailureAction::ignore;
    else if (event == Event::relay && action == FailureAction::reject)
        action = FailureAction::tempfail;
    bool greeting = event == Event::connect;
    switch (action) {
        case FailureAction::tempfail:
            d.verdict = Verdict::tempfail;
            d.code = greeting ? 421 : 451;
            if (!greeting)
                d.enhanced = proto::smtp::EnhancedCode{4, 3, 0};
            d.text = "Temporary local problem, try again later";
            break;
        case FailureAction::reject:
            d.verdict = Verdict::reject;
            d.code = 554;
            if (!greeting)
                d.enhanced = proto::smtp::EnhancedCode{5, 7, 0};
            d.text = "Rejected by local policy";
            break;
        case FailureAction::ignore:
            break;
    }
    std::string outcome = action == FailureAction::ignore
                              ? std::string("ignored (failure_action)")
                              : std::string(verdict_name(d.verdict)) + " " + std::to_string(d.code);
    logger.error("policy {}: script {} failed: {}; {}", event_function_name(event), name_, d.error,
                 outcome);
    return d;
}

PolicyScript::Stats PolicyScript::stats() const {
    auto pool = pool_->stats();
    return Stats{pool.created, pool.idle, interpreter_bytes_,
                 calls_.load(std::memory_order_relaxed), failures_.load(std::memory_order_relaxed)};
}

}  // namespace postern::filter::policy
