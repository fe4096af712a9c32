// Bounded LRU cache of successful password verifications, keyed by HMAC-SHA-256 (RFC 2104).
#include "auth/verification_cache.h"

#include <cstring>

#include "auth/digest.h"
#include "base/random.h"

namespace postern::auth {

std::size_t VerificationCache::KeyHash::operator()(const Key& k) const noexcept {
    // The key is an HMAC output: any 8 bytes of it are already uniformly distributed.
    std::size_t h = 0;
    std::memcpy(&h, k.data(), sizeof h);
    return h;
}

VerificationCache::VerificationCache(std::size_t capacity, std::chrono::milliseconds ttl)
    : hmac_key_(random_bytes(32)), capacity_(capacity), ttl_(ttl) {}

VerificationCache::Key VerificationCache::key_for(std::string_view login,
                                                  std::string_view password) const {
    std::string message;
    message.reserve(login.size() + 1 + password.size());
    message.append(login);
    message.push_back('\0');
    message.append(password);
    auto mac = hmac_sha256(hmac_key_, message);
    std::fill(message.begin(), message.end(), '\0');  // it held the password
    Key key;
    std::memcpy(key.data(), mac.data(), key.size());
    return key;
}

bool VerificationCache::contains(const Key& key, std::int64_t account_id, std::uint64_t generation,
                                 Clock::time_point now) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end())
        return false;
    auto entry = it->second;
    if (now - entry->verified_at >= ttl_ || entry->account_id != account_id ||
        entry->generation != generation) {
        lru_.erase(entry);
        index_.erase(it);
        return false;
    }
    lru_.splice(lru_.begin(), lru_, entry);
    return true;
}

void VerificationCache::insert(const Key& key, std::int64_t account_id, std::uint64_t generation,
                               Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (capacity_ == 0 || ttl_.count() <= 0)
        return;
    if (auto it = index_.find(key); it != index_.end()) {
        *it->second = Entry{key, account_id, generation, now};
        lru_.splice(lru_.begin(), lru_, it->second);
        return;
    }
    evict_to(capacity_ - 1);
    lru_.push_front(Entry{key, account_id, generation, now});
    index_.emplace(key, lru_.begin());
}

void VerificationCache::invalidate(std::int64_t account_id) {
    std::lock_guard lock(mutex_);
    for (auto it = lru_.begin(); it != lru_.end();) {
        if (it->account_id == account_id) {
            index_.erase(it->key);
            it = lru_.erase(it);
        } else {
            ++it;
        }
    }
}

void VerificationCache::clear() {
    std::lock_guard lock(mutex_);
    index_.clear();
    lru_.clear();
}

void VerificationCache::configure(std::size_t capacity, std::chrono::milliseconds ttl) {
    std::lock_guard lock(mutex_);
    capacity_ = capacity;
    ttl_ = ttl;
    if (capacity_ == 0 || ttl_.count() <= 0) {
        index_.clear();
        lru_.clear();
        return;
    }
    evict_to(capacity_);
}

std::size_t VerificationCache::size() const {
    std::lock_guard lock(mutex_);
    return lru_.size();
}

void VerificationCache::evict_to(std::size_t capacity) {
    while (lru_.size() > capacity) {
        index_.erase(lru_.back().key);
        lru_.pop_back();
    }
}

}  // namespace postern::auth
