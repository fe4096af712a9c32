// Decoded message bodies kept in RAM by content hash, least recently used first out, so that
// FETCHes of the same messages (a client listing headers again, several sessions on one
// mailbox) skip the catalog lookup, the container read, the checksum and zstd.
#pragma once

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace postern::store {

// Thread-safe. Bodies are content-addressed (SHA-256 of the bytes), so an entry never goes
// stale: whether a message still exists is the index's business, not the cache's.
class BodyCache {
  public:
    // `capacity`: bytes of bodies held at most (0 disables the cache); bodies larger than
    // `capacity / 8` are never held, so one big attachment cannot flush everything else.
    explicit BodyCache(std::uint64_t capacity);

    // A copy of the body with this hash, if held.
    std::optional<std::string> find(std::string_view hash) const;
    void insert(std::string_view hash, std::string_view body);
    std::uint64_t bytes() const;
    std::size_t entries() const;

  private:
    struct Entry {
        std::string hash;
        std::string body;
    };
    const std::uint64_t capacity_;
    const std::uint64_t max_entry_;
    mutable std::mutex mu_;
    mutable std::list<Entry> lru_;  // most recently used first
    std::unordered_map<std::string_view, std::list<Entry>::iterator> map_;  // keys in lru_
    std::uint64_t bytes_ = 0;
};

}  // namespace postern::store
