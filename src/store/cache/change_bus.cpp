// Change bus: a queue and one dispatcher thread fanning events out to subscribers.
#include "store/cache/change_bus.h"

namespace postern::store {

namespace {
thread_local bool t_on_bus_thread = false;
}

ChangeBus::Subscription& ChangeBus::Subscription::operator=(Subscription&& o) noexcept {
    if (this != &o) {
        reset();
        bus_ = o.bus_;
        id_ = o.id_;
        o.bus_ = nullptr;
    }
    return *this;
}

void ChangeBus::Subscription::reset() {
    if (bus_)
        bus_->unsubscribe(id_);
    bus_ = nullptr;
}

ChangeBus::ChangeBus() : thread_([this] { run(); }) {}

ChangeBus::~ChangeBus() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

ChangeBus::Subscription ChangeBus::subscribe_mailbox(const std::string& account,
                                                     std::int64_t mailbox_id, Callback cb) {
    std::lock_guard lock(mu_);
    auto id = next_id_++;
    subs_[id] = std::make_shared<Sub>(Sub{account, mailbox_id, std::move(cb)});
    return Subscription(this, id);
}

ChangeBus::Subscription ChangeBus::subscribe_account(const std::string& account, Callback cb) {
    return subscribe_mailbox(account, 0, std::move(cb));
}

void ChangeBus::unsubscribe(std::uint64_t id) {
    {
        std::lock_guard lock(mu_);
        subs_.erase(id);
    }
    // Wait out a callback that may be running right now, unless we are that callback.
    if (!t_on_bus_thread) {
        std::lock_guard wait(dispatch_mu_);
    }
}

void ChangeBus::publish(ChangeEvent event) {
    {
        std::lock_guard lock(mu_);
        queue_.push_back(std::move(event));
    }
    cv_.notify_one();
}

void ChangeBus::drain() {
    std::unique_lock lock(mu_);
    idle_cv_.wait(lock, [&] { return queue_.empty() && !busy_; });
}

void ChangeBus::run() {
    t_on_bus_thread = true;
    std::unique_lock lock(mu_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (queue_.empty() && stopping_)
            break;
        ChangeEvent ev = std::move(queue_.front());
        queue_.pop_front();
        busy_ = true;
        std::vector<std::pair<std::uint64_t, std::shared_ptr<Sub>>> targets;
        for (auto& [id, s] : subs_)
            if (s->account == ev.account && (s->mailbox_id == 0 || s->mailbox_id == ev.mailbox_id))
                targets.emplace_back(id, s);
        lock.unlock();
        {
            std::lock_guard d(dispatch_mu_);
            for (auto& [id, s] : targets) {
                {
                    // Skip subscribers removed since the snapshot.
                    std::lock_guard check(mu_);
                    if (!subs_.count(id))
                        continue;
                }
                s->cb(ev);
            }
        }
        lock.lock();
        busy_ = false;
        if (queue_.empty())
            idle_cv_.notify_all();
    }
    busy_ = false;
    idle_cv_.notify_all();
}

}  // namespace postern::store
