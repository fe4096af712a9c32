// One sandboxed Lua interpreter holding the policy script: compiled from source once, or
// created from that compilation's bytecode, then used for event calls (internal).
// Not thread-safe: one thread uses an interpreter at a time (StatePool hands them out).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "filter/policy/event.h"
#include "filter/policy/limits.h"
#include "filter/policy/sandbox.h"

namespace postern::filter::policy::detail {

struct Call;

// What every further interpreter is created from. Immutable after compile().
struct CompiledScript {
    std::string bytecode;      // lua_dump of the main chunk, debug info kept for line numbers
    std::uint32_t events = 0;  // bit (1 << Event) per event function the script defines
    std::vector<std::string> warnings;

    bool defines(Event e) const { return (events & (1u << static_cast<unsigned>(e))) != 0; }
};

class Interpreter {
  public:
    // Compiles `source` (Lua text, "name:line:" in errors), runs its top level and checks its
    // event functions. On success `compiled` describes the script and the interpreter is ready.
    static Result<std::unique_ptr<Interpreter>> compile(std::string_view source,
                                                        std::string_view chunk_name,
                                                        const PolicyLimits& limits,
                                                        CompiledScript& compiled);
    // A fresh interpreter from an earlier compile (runs the top level again).
    static Result<std::unique_ptr<Interpreter>> create(const CompiledScript& compiled,
                                                       const PolicyLimits& limits);
    ~Interpreter();
    Interpreter(const Interpreter&) = delete;
    Interpreter& operator=(const Interpreter&) = delete;

    struct Outcome {
        bool ok = true;
        // False after a time or memory abort: the script's own tables may be half-built or
        // full, so the caller drops this interpreter rather than reuse it.
        bool reusable = true;
        std::string error;  // one line, safe to log
    };
    // Runs the event's function (the script must define it) with call.context; decisions and
    // ctx.vars writes accumulate in `call`.
    Outcome run(Call& call);

    std::size_t memory_used() const { return control_.used; }

  private:
    explicit Interpreter(const PolicyLimits& limits);
    Status setup(std::string_view code, std::string_view chunk_name, bool binary,
                 CompiledScript* compiled);
    std::string error_text(int status) const;

    StateControl control_;  // before L_: lua_close still allocates through it
    lua_State* L_ = nullptr;
    std::chrono::milliseconds max_time_;
};

}  // namespace postern::filter::policy::detail
