// The resolver's answer cache: positive answers by TTL (RFC 1035 §3.2.1, RFC 2181 §8), negative
// ones by their RFC 2308 §5 TTL, temporary failures briefly; bounded by memory, LRU eviction.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "net/dns/options.h"
#include "net/dns/types.h"

namespace postern::net::dns {

// Not thread-safe: the resolver guards it with its mutex. Time is passed in, so tests drive it.
class Cache {
  public:
    explicit Cache(std::size_t max_bytes) : max_bytes_(max_bytes) {}

    // The entry for (name, type) if it has not expired, with its TTL replaced by the whole
    // seconds left (rounded up, so a live entry never reports 0). Refreshes its LRU position;
    // drops it when expired.
    std::optional<DnsResult<RecordSet>> find(std::string_view name, RecordType type,
                                             SteadyTime now);

    // Stores `value` for `ttl`; a TTL of zero stores nothing (RFC 1035 §3.2.1: use only for
    // the transaction in progress). Replaces an older entry; evicts the least recently used
    // until the approximate size fits (an entry larger than the whole budget is not stored).
    void insert(std::string_view name, RecordType type, DnsResult<RecordSet> value,
                std::chrono::seconds ttl, SteadyTime now);

    void clear();
    std::size_t entries() const { return index_.size(); }
    std::size_t bytes() const { return bytes_; }
    std::uint64_t evictions() const { return evictions_; }

  private:
    struct Entry {
        std::string key;
        DnsResult<RecordSet> value;
        SteadyTime expires;
        std::size_t size = 0;
    };
    using List = std::list<Entry>;

    static std::string make_key(std::string_view name, RecordType type);
    void erase(List::iterator it);

    const std::size_t max_bytes_;
    List lru_;                                                    // front: most recently used
    std::unordered_map<std::string_view, List::iterator> index_;  // keys point into lru_ nodes
    std::size_t bytes_ = 0;
    std::uint64_t evictions_ = 0;
};

// Memory an entry holds, approximately (strings, vectors, node overhead): what the budget counts.
std::size_t approximate_size(const DnsResult<RecordSet>& value);

}  // namespace postern::net::dns
