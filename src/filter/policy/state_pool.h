// A bounded pool of interpreters of one script (internal). Lua states are not thread-safe, so a
// call borrows one, uses it alone and gives it back. Interpreters are created on demand up to
// the limit and then reused; a call that finds none free waits (bounded) for one.
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "filter/policy/interpreter.h"

namespace postern::filter::policy::detail {

class StatePool {
  public:
    using Clock = std::chrono::steady_clock;

    // `first` is the interpreter that compiled the script; it is the first one lent out.
    StatePool(std::unique_ptr<Interpreter> first, unsigned max_interpreters);

    struct Lease {
        std::unique_ptr<Interpreter> interpreter;  // an idle one, or null
        bool may_create = false;  // null interpreter: a slot is reserved, create one into it
    };
    // An idle interpreter, or a reserved slot to create one in, or (both empty) nothing before
    // `deadline`. Every non-empty lease must be ended with give_back().
    Lease take(Clock::time_point deadline);
    // Returns the interpreter; null frees the slot (it was dropped, or creating it failed).
    void give_back(std::unique_ptr<Interpreter> interpreter);

    struct Stats {
        unsigned created = 0;  // interpreters alive (idle or lent out)
        unsigned idle = 0;
        unsigned max = 0;
    };
    Stats stats() const;

  private:
    mutable std::mutex mutex_;
    std::condition_variable returned_;
    std::vector<std::unique_ptr<Interpreter>> idle_;
    unsigned created_ = 0;
    const unsigned max_;
};

}  // namespace postern::filter::policy::detail
