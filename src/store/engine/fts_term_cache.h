// FtsTermCache: which words the account's full-text vocabulary already holds (index_fts.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace postern::store::engine {

// Words the vocabulary (fts_terms) is known to hold, by 64-bit hash, so that a flush looks up
// only words it has not met before: mail repeats the same few thousand words, and one lookup
// per word and message cost more than the full-text rows themselves. A flat open-addressing
// table (one cache line per lookup). Words noted during a transaction that then fails are
// forgotten with everything else (abandoned()), so a word is only ever skipped once a commit
// holds it. Bounded: grows to kMaxSlots, then starts over.
class FtsTermCache {
  public:
    bool known(std::uint64_t hash) const;
    void note(std::uint64_t hash);
    bool add(std::uint64_t hash);  // note(); true when it was not known before
    void abandoned();

  private:
    static constexpr std::size_t kMinSlots = 1024, kMaxSlots = 32768;
    std::size_t find(std::uint64_t hash) const;  // its slot, or the empty one it would take
    std::vector<std::uint64_t> slots_;           // 0: empty (hash 0 is stored as 1)
    std::size_t used_ = 0;
};

}  // namespace postern::store::engine
