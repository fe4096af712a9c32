// Maildrop locks and login times shared by the POP3 sessions of one service.
#include "services/pop3/maildrops.h"

namespace postern::services::pop3 {

void Maildrops::Lock::release() {
    if (owner_) {
        owner_->unlock(key_);
        owner_.reset();
    }
}

Maildrops::Lock Maildrops::try_lock(Key key) {
    std::lock_guard lock(mu_);
    if (!locked_.insert(key).second)
        return {};
    return Lock(shared_from_this(), key);
}

bool Maildrops::locked(Key key) const {
    std::lock_guard lock(mu_);
    return locked_.contains(key);
}

void Maildrops::unlock(Key key) {
    std::lock_guard lock(mu_);
    locked_.erase(key);
}

bool Maildrops::admit_login(std::int64_t account, std::chrono::seconds delay,
                            Clock::time_point now) {
    if (delay.count() == 0)
        return true;
    std::lock_guard lock(mu_);
    auto it = last_login_.find(account);
    if (it != last_login_.end() && now - it->second < delay)
        return false;
    last_login_[account] = now;
    // Forget logins older than the delay now and then, so the map stays as small as the set
    // of accounts that logged in recently.
    if (last_login_.size() > 4096) {
        for (auto i = last_login_.begin(); i != last_login_.end();)
            i = now - i->second >= delay ? last_login_.erase(i) : std::next(i);
    }
    return true;
}

}  // namespace postern::services::pop3
