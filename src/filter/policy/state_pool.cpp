// Interpreter pool: idle stack (the most recently used first, its memory is warm), on-demand
// creation up to the limit, bounded waiting.
#include "filter/policy/state_pool.h"

namespace postern::filter::policy::detail {

StatePool::StatePool(std::unique_ptr<Interpreter> first, unsigned max_interpreters)
    : max_(max_interpreters) {
    if (first) {
        idle_.push_back(std::move(first));
        created_ = 1;
    }
}

StatePool::Lease StatePool::take(Clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!idle_.empty()) {
            Lease lease{std::move(idle_.back()), false};
            idle_.pop_back();
            return lease;
        }
        if (created_ < max_) {
            ++created_;
            return Lease{nullptr, true};
        }
        if (returned_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
            created_ >= max_)
            return Lease{};
    }
}

void StatePool::give_back(std::unique_ptr<Interpreter> interpreter) {
    {
        std::lock_guard lock(mutex_);
        if (interpreter)
            idle_.push_back(std::move(interpreter));
        else
            --created_;
    }
    returned_.notify_one();
}

StatePool::Stats StatePool::stats() const {
    std::lock_guard lock(mutex_);
    return Stats{created_, static_cast<unsigned>(idle_.size()), max_};
}

}  // namespace postern::filter::policy::detail
