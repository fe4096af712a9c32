// A loaded policy script: compiled once, validated at load, run at each event by SMTP-IN,
// PROCESSING and SMTP-OUT in sandboxed Lua 5.4 interpreters with bounded time and memory.
// See docs/policy.md for the events, the ctx fields and the decision semantics.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "filter/policy/context.h"
#include "filter/policy/decision.h"
#include "filter/policy/event.h"
#include "filter/policy/limits.h"
#include "log/log.h"

namespace postern::filter::policy {

namespace detail {
struct CompiledScript;
class StatePool;
}  // namespace detail

inline constexpr std::size_t kMaxScriptBytes = 4 * 1024 * 1024;

// Immutable once loaded and safe to share between threads: every member is thread-safe. Held by
// shared_ptr; a reload makes a new one (PolicyHolder) while calls in flight finish on the old.
class PolicyScript {
  public:
    // Reads and loads a script file (UTF-8 Lua source). Errors carry "file:line:" for syntax
    // and top-level errors; a script whose top level breaks the limits fails to load too.
    static Result<std::shared_ptr<const PolicyScript>> load_file(const std::filesystem::path& path,
                                                                 const PolicyLimits& limits);
    // The same from memory; `name` is what errors and log lines call the script.
    static Result<std::shared_ptr<const PolicyScript>> load_source(std::string_view source,
                                                                   std::string_view name,
                                                                   const PolicyLimits& limits);
    ~PolicyScript();
    PolicyScript(const PolicyScript&) = delete;
    PolicyScript& operator=(const PolicyScript&) = delete;

    const std::string& name() const { return name_; }
    const PolicyLimits& limits() const { return limits_; }
    // Load-time remarks that do not stop the script ("function onRcpt is not a policy event").
    const std::vector<std::string>& warnings() const;

    // Whether the script defines the event's function. Callers may skip building context for
    // events the script ignores (onBodyChunk especially); run() returns "no opinion" for them.
    bool handles(Event event) const;

    // Runs the event. Never fails: a script error, a time or memory limit, or an invalid
    // decision gives a decision with failed = true and the configured failure action, and an
    // error log line. Blocks at most about 3 × max_time (waiting for a free interpreter,
    // creating one when the pool grows, running). `vars` is read and, if the call succeeds,
    // updated with the script's ctx.vars writes; `context.body_chunk` must stay valid during
    // the call. Log lines go to `logger` (the session's, so they carry its id). Any thread.
    PolicyDecision run(Event event, const PolicyContext& context, PolicyVars& vars,
                       const log::Logger& logger) const;

    struct Stats {
        unsigned interpreters = 0;  // alive now (created on demand, at most limits().states)
        unsigned idle = 0;
        std::size_t interpreter_bytes = 0;  // memory of one interpreter right after loading
        std::uint64_t calls = 0;            // run() calls that ran the script
        std::uint64_t failures = 0;         // of which failed
    };
    Stats stats() const;

  private:
    PolicyScript(std::string name, const PolicyLimits& limits);
    PolicyDecision failure(Event event, std::string error, std::vector<std::string> log_lines,
                           const log::Logger& logger) const;

    std::string name_;
    PolicyLimits limits_;
    std::unique_ptr<detail::CompiledScript> compiled_;
    std::unique_ptr<detail::StatePool> pool_;
    std::size_t interpreter_bytes_ = 0;
    mutable std::atomic<std::uint64_t> calls_{0};
    mutable std::atomic<std::uint64_t> failures_{0};
};

}  // namespace postern::filter::policy
