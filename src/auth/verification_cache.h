// Remembers recent successful password verifications so that a client logging in again and
// again costs one slow hash per TTL, not one per login.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace postern::auth {

// Entries are keyed by HMAC-SHA-256(per-instance random key, login NUL password), so neither
// the login nor the password is kept in memory. An entry says "this key was verified for
// this account at this password generation" and is honoured only while the account id and
// generation still match what the directory returns and less than the TTL has passed since
// it was inserted. Size is bounded; the least recently used entry goes first.
// Capacity 0 or TTL 0 disables caching. All members are thread-safe.
class VerificationCache {
  public:
    using Clock = std::chrono::steady_clock;
    using Key = std::array<unsigned char, 32>;

    VerificationCache(std::size_t capacity, std::chrono::milliseconds ttl);

    // `login` is the normalized login (normalize_login), which never contains NUL.
    Key key_for(std::string_view login, std::string_view password) const;

    // True when `key` was verified for `account_id` at `generation` and has not expired.
    // A stale entry (expired, other account or generation) is dropped.
    bool contains(const Key& key, std::int64_t account_id, std::uint64_t generation,
                  Clock::time_point now);

    void insert(const Key& key, std::int64_t account_id, std::uint64_t generation,
                Clock::time_point now);

    // Drops every entry of the account (password changed, account disabled or deleted).
    // Linear in the cache size, which is fine for an admin action.
    void invalidate(std::int64_t account_id);
    void clear();

    // New limits from a config reload; shrinking evicts the least recently used entries.
    void configure(std::size_t capacity, std::chrono::milliseconds ttl);
    std::size_t size() const;

  private:
    struct Entry {
        Key key;
        std::int64_t account_id;
        std::uint64_t generation;
        Clock::time_point verified_at;  // TTL is applied at lookup, so a reload takes effect
    };
    struct KeyHash {
        std::size_t operator()(const Key& k) const noexcept;
    };
    using List = std::list<Entry>;

    void evict_to(std::size_t capacity);  // caller holds mutex_

    const std::string hmac_key_;
    mutable std::mutex mutex_;
    std::size_t capacity_;
    std::chrono::milliseconds ttl_;
    List lru_;  // most recently used first
    std::unordered_map<Key, List::iterator, KeyHash> index_;
};

}  // namespace postern::auth
