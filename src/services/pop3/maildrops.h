// What POP3 sessions of one service share: which maildrops (account + mailbox) are open in a
// session now (RFC 1939 §8: the maildrop is locked for the session; a second session gets
// -ERR [IN-USE], RFC 2449 §8.1.1), and when each account last logged in, for LOGIN-DELAY
// (RFC 2449 §8.1.2). In memory: a restart forgets both, which is what a crash of the holder
// should do to a lock anyway.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <utility>

namespace postern::services::pop3 {

class Maildrops : public std::enable_shared_from_this<Maildrops> {
  public:
    using Clock = std::chrono::steady_clock;
    using Key = std::pair<std::int64_t, std::int64_t>;  // directory account id, mailbox id

    // Held while a session has the maildrop open; released when destroyed.
    class Lock {
      public:
        Lock() = default;
        Lock(std::shared_ptr<Maildrops> owner, Key key) : owner_(std::move(owner)), key_(key) {}
        Lock(Lock&& other) noexcept : owner_(std::move(other.owner_)), key_(other.key_) {}
        Lock& operator=(Lock&& other) noexcept {
            if (this != &other) {
                release();
                owner_ = std::move(other.owner_);
                key_ = other.key_;
            }
            return *this;
        }
        ~Lock() { release(); }
        void release();
        explicit operator bool() const { return owner_ != nullptr; }

      private:
        std::shared_ptr<Maildrops> owner_;
        Key key_{};
    };

    // The lock, or an empty one when another session holds the maildrop.
    Lock try_lock(Key key);
    bool locked(Key key) const;

    // Whether the account may log in now with at least `delay` since its last login; records
    // this login when it may. A zero delay always allows (and records nothing).
    bool admit_login(std::int64_t account, std::chrono::seconds delay, Clock::time_point now);

  private:
    void unlock(Key key);

    mutable std::mutex mu_;
    std::set<Key> locked_;
    std::map<std::int64_t, Clock::time_point> last_login_;
};

}  // namespace postern::services::pop3
