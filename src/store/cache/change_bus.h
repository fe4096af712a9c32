// The change bus: appends, flag changes, expunges and mailbox changes are published here
// after they commit, and delivered to subscribers (IMAP IDLE/NOTIFY RFC 2177/RFC 5465, POP3,
// push sync) on the bus's own thread, off the writer's critical path. No polling.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/api/types.h"

namespace postern::store {

struct ChangeEvent {
    enum class Kind {
        appended,
        flags_changed,
        expunged,
        mailbox_created,
        mailbox_deleted,
        mailbox_renamed,
        subscription_changed,
    };
    Kind kind = Kind::appended;
    std::string account;
    std::int64_t mailbox_id = 0;
    std::string mailbox;   // current name
    std::string old_name;  // for renames
    std::vector<Uid> uids;
    ModSeq modseq = 0;
    Uid uidnext = 0;
    std::uint32_t messages = 0;  // message count after the change
};

// Thread-safety: all members may be called from any thread. Callbacks run on the bus thread,
// one at a time, in publish order; they must not block for long (queue work elsewhere).
class ChangeBus {
  public:
    using Callback = std::function<void(const ChangeEvent&)>;

    // Unsubscribes on destruction: once the destructor returns, the callback is never called
    // again (unless it is destroyed from inside a callback, which is allowed).
    class Subscription {
      public:
        Subscription() = default;
        Subscription(Subscription&& o) noexcept : bus_(o.bus_), id_(o.id_) { o.bus_ = nullptr; }
        Subscription& operator=(Subscription&& o) noexcept;
        ~Subscription() { reset(); }
        void reset();
        bool active() const { return bus_ != nullptr; }

      private:
        friend class ChangeBus;
        Subscription(ChangeBus* bus, std::uint64_t id) : bus_(bus), id_(id) {}
        ChangeBus* bus_ = nullptr;
        std::uint64_t id_ = 0;
    };

    ChangeBus();
    ~ChangeBus();
    ChangeBus(const ChangeBus&) = delete;
    ChangeBus& operator=(const ChangeBus&) = delete;

    // Events of one mailbox (by id: renames do not break the subscription).
    [[nodiscard]] Subscription subscribe_mailbox(const std::string& account,
                                                 std::int64_t mailbox_id, Callback cb);
    // Every event of the account (NOTIFY, sync).
    [[nodiscard]] Subscription subscribe_account(const std::string& account, Callback cb);
    // Never blocks on subscribers.
    void publish(ChangeEvent event);
    // Waits until everything published so far has been delivered (tests, shutdown).
    void drain();

  private:
    struct Sub {
        std::string account;
        std::int64_t mailbox_id;  // 0: whole account
        Callback cb;
    };
    void unsubscribe(std::uint64_t id);
    void run();

    std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable idle_cv_;
    std::deque<ChangeEvent> queue_;
    std::map<std::uint64_t, std::shared_ptr<Sub>> subs_;
    std::uint64_t next_id_ = 1;
    bool stopping_ = false;
    bool busy_ = false;
    std::mutex dispatch_mu_;  // held while a callback runs, so unsubscribe can wait for it
    std::thread thread_;
};

}  // namespace postern::store
