// LRU cache of decoded bodies by content hash (body_cache.h).
#include "store/cache/body_cache.h"

namespace postern::store {

BodyCache::BodyCache(std::uint64_t capacity) : capacity_(capacity), max_entry_(capacity / 8) {}

std::optional<std::string> BodyCache::find(std::string_view hash) const {
    if (capacity_ == 0)
        return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = map_.find(hash);
    if (it == map_.end())
        return std::nullopt;
    lru_.splice(lru_.begin(), lru_, it->second);
    return it->second->body;
}

void BodyCache::insert(std::string_view hash, std::string_view body) {
    if (capacity_ == 0 || body.size() > max_entry_)
        return;
    std::lock_guard lock(mu_);
    if (map_.contains(hash))
        return;
    lru_.push_front(Entry{std::string(hash), std::string(body)});
    map_.emplace(lru_.front().hash, lru_.begin());
    bytes_ += body.size();
    while (bytes_ > capacity_ && !lru_.empty()) {
        auto& last = lru_.back();
        bytes_ -= last.body.size();
        map_.erase(last.hash);
        lru_.pop_back();
    }
}

std::uint64_t BodyCache::bytes() const {
    std::lock_guard lock(mu_);
    return bytes_;
}

std::size_t BodyCache::entries() const {
    std::lock_guard lock(mu_);
    return map_.size();
}

}  // namespace postern::store
