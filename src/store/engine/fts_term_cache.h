// FtsTermCache: which words the account's full-text vocabulary already holds (index_fts.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <unordered_set>

namespace postern::store::engine {

// Words the vocabulary (fts_terms) is known to hold, by 64-bit hash, so that a flush looks up
// only words it has not met before: mail repeats the same few thousand words, and one lookup
// per word and message cost more than the full-text rows themselves. Words noted during a
// transaction count only once it has committed. Bounded: past kMaxKnown it starts over.
class FtsTermCache {
  public:
    bool known(std::uint64_t hash) const {
        return known_.contains(hash) || pending_.contains(hash);
    }
    void note(std::uint64_t hash) { pending_.insert(hash); }
    void committed();
    void abandoned() { pending_.clear(); }

  private:
    static constexpr std::size_t kMaxKnown = 16384;
    std::unordered_set<std::uint64_t> known_, pending_;
};

}  // namespace postern::store::engine
