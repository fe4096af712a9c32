// Free-space bookkeeping of one message store: container ends and holes left by deleted
// bodies, with "most free space first" placement. Pure data structure, no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

namespace postern::store::engine {

struct Extent {
    std::uint32_t container = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0;
    bool operator==(const Extent&) const = default;
};

// A change to persist in the catalog in the same transaction as the bodies it serves.
struct SpaceChange {
    enum class Kind { add_hole, remove_hole, set_end } kind;
    std::uint32_t container = 0;
    std::uint64_t offset = 0;  // hole offset, or the new end
    std::uint64_t length = 0;  // hole length
};

// Not thread-safe: owned by the store's single writer thread.
class SpaceAllocator {
  public:
    SpaceAllocator(std::uint64_t max_file_size, std::uint32_t max_files, std::uint64_t first_offset)
        : max_file_size_(max_file_size), max_files_(max_files), first_offset_(first_offset) {}

    // Loading from the catalog (no changes are logged).
    void load_container(std::uint32_t no, std::uint64_t end);
    void load_hole(const Extent& hole);

    // Chooses where a record of `length` bytes goes: the container with the most free space
    // that can hold it (best-fitting hole, else its tail). When none can, a new container is
    // proposed (`new_container` set) if max_files allows. nullopt: the store is full.
    struct Placement {
        Extent extent;
        bool new_container = false;
    };
    std::optional<Placement> allocate(std::uint64_t length);
    // Takes a journal region of between `min_len` and `want_len` bytes: in the container with
    // the most free space that has room (never `avoid`), the larger of its biggest hole and
    // its free tail. nullopt when no container (existing or new) has `min_len` contiguous
    // free bytes.
    std::optional<Placement> reserve(std::uint64_t min_len, std::uint64_t want_len,
                                     std::optional<std::uint32_t> avoid = std::nullopt);
    // For compaction: the best-fitting hole of `container` that ends at or before `limit`.
    std::optional<Extent> allocate_below(std::uint32_t container, std::uint64_t length,
                                         std::uint64_t limit);
    // Returns space to the store, merging neighbouring holes and shrinking the tail.
    void release(const Extent& e);

    std::uint64_t free_bytes() const;  // including containers not yet created
    std::uint64_t container_free(std::uint32_t no) const;
    std::uint64_t end_of(std::uint32_t no) const;
    std::vector<std::uint32_t> containers() const;
    std::vector<Extent> holes(std::uint32_t no) const;
    std::uint64_t max_file_size() const { return max_file_size_; }
    std::uint64_t first_offset() const { return first_offset_; }
    // Recovery: replaces what is known of a container (no changes are logged).
    void reset_container(std::uint32_t no, std::uint64_t end, const std::vector<Extent>& holes);

    // Changes since the last take, in order; the writer persists them with the batch.
    std::vector<SpaceChange> take_changes();

  private:
    struct Box {
        std::uint64_t end = 0;
        std::map<std::uint64_t, std::uint64_t> holes;                    // offset -> length
        std::multiset<std::pair<std::uint64_t, std::uint64_t>> by_size;  // (length, offset)
        std::uint64_t hole_bytes = 0;
    };
    void add_hole(std::uint32_t no, Box& b, std::uint64_t off, std::uint64_t len, bool log);
    void remove_hole(std::uint32_t no, Box& b, std::uint64_t off, bool log);
    std::uint64_t free_of(const Box& b) const { return max_file_size_ - b.end + b.hole_bytes; }

    std::uint64_t max_file_size_;
    std::uint32_t max_files_;
    std::uint64_t first_offset_;
    std::map<std::uint32_t, Box> boxes_;
    std::vector<SpaceChange> changes_;
};

}  // namespace postern::store::engine
