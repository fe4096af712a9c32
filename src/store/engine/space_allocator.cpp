// Placement of bodies in containers: most-free container first, best-fit holes, coalescing
// of freed extents (docs/storage.md "Free space").
#include "store/engine/space_allocator.h"

#include <algorithm>
#include <cassert>

namespace postern::store::engine {

void SpaceAllocator::load_container(std::uint32_t no, std::uint64_t end) {
    boxes_[no].end = std::max(end, first_offset_);
}

void SpaceAllocator::load_hole(const Extent& hole) {
    auto& b = boxes_[hole.container];
    add_hole(hole.container, b, hole.offset, hole.length, false);
}

void SpaceAllocator::add_hole(std::uint32_t no, Box& b, std::uint64_t off, std::uint64_t len,
                              bool log) {
    b.holes[off] = len;
    b.by_size.emplace(len, off);
    b.hole_bytes += len;
    if (log)
        changes_.push_back({SpaceChange::Kind::add_hole, no, off, len});
}

void SpaceAllocator::remove_hole(std::uint32_t no, Box& b, std::uint64_t off, bool log) {
    auto it = b.holes.find(off);
    assert(it != b.holes.end());
    b.by_size.erase(b.by_size.find({it->second, off}));
    b.hole_bytes -= it->second;
    b.holes.erase(it);
    if (log)
        changes_.push_back({SpaceChange::Kind::remove_hole, no, off, 0});
}

std::optional<SpaceAllocator::Placement> SpaceAllocator::allocate(std::uint64_t length) {
    if (length == 0 || length > max_file_size_ - first_offset_)
        return std::nullopt;
    // Candidates in order of free space, most first (the placement rule).
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    for (auto& [no, b] : boxes_)
        order.emplace_back(free_of(b), no);
    std::sort(order.begin(), order.end(), [](auto& a, auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (auto& [free, no] : order) {
        if (free < length)
            break;
        auto& b = boxes_[no];
        auto fit = b.by_size.lower_bound({length, 0});
        if (fit != b.by_size.end()) {
            auto [hlen, hoff] = *fit;
            remove_hole(no, b, hoff, true);
            if (hlen > length)
                add_hole(no, b, hoff + length, hlen - length, true);
            return Placement{{no, hoff, length}, false};
        }
        if (max_file_size_ - b.end >= length) {
            Extent e{no, b.end, length};
            b.end += length;
            changes_.push_back({SpaceChange::Kind::set_end, no, b.end, 0});
            return Placement{e, false};
        }
    }
    if (boxes_.size() >= max_files_)
        return std::nullopt;
    std::uint32_t no = boxes_.empty() ? 0 : boxes_.rbegin()->first + 1;
    auto& b = boxes_[no];
    b.end = first_offset_ + length;
    changes_.push_back({SpaceChange::Kind::set_end, no, b.end, 0});
    return Placement{{no, first_offset_, length}, true};
}

std::optional<SpaceAllocator::Placement> SpaceAllocator::reserve(
    std::uint64_t min_len, std::uint64_t want_len, std::optional<std::uint32_t> avoid) {
    if (min_len == 0 || min_len > max_file_size_ - first_offset_)
        return std::nullopt;
    want_len = std::max(want_len, min_len);
    std::vector<std::pair<std::uint64_t, std::uint32_t>> order;
    for (auto& [no, b] : boxes_)
        order.emplace_back(free_of(b), no);
    std::sort(order.begin(), order.end(), [](auto& a, auto& b) {
        return a.first != b.first ? a.first > b.first : a.second < b.second;
    });
    for (auto& [free, no] : order) {
        if (free < min_len)
            break;
        if (avoid && no == *avoid)
            continue;
        auto& b = boxes_[no];
        std::uint64_t tail = max_file_size_ - b.end;
        std::uint64_t hole = b.by_size.empty() ? 0 : b.by_size.rbegin()->first;
        // The bigger piece makes the longer region: fewer reservations, each a catalog fsync.
        if (hole >= min_len && hole > tail) {
            auto [hlen, hoff] = *b.by_size.rbegin();
            std::uint64_t take = std::min(hlen, want_len);
            remove_hole(no, b, hoff, true);
            if (hlen > take)
                add_hole(no, b, hoff + take, hlen - take, true);
            return Placement{{no, hoff, take}, false};
        }
        if (tail >= min_len) {
            std::uint64_t take = std::min(tail, want_len);
            Extent e{no, b.end, take};
            b.end += take;
            changes_.push_back({SpaceChange::Kind::set_end, no, b.end, 0});
            return Placement{e, false};
        }
    }
    if (boxes_.size() >= max_files_)
        return std::nullopt;
    std::uint32_t no = boxes_.empty() ? 0 : boxes_.rbegin()->first + 1;
    std::uint64_t take = std::min(want_len, max_file_size_ - first_offset_);
    auto& b = boxes_[no];
    b.end = first_offset_ + take;
    changes_.push_back({SpaceChange::Kind::set_end, no, b.end, 0});
    return Placement{{no, first_offset_, take}, true};
}

void SpaceAllocator::reset_container(std::uint32_t no, std::uint64_t end,
                                     const std::vector<Extent>& holes) {
    Box fresh;
    fresh.end = std::max(end, first_offset_);
    boxes_[no] = std::move(fresh);
    for (auto& h : holes)
        add_hole(no, boxes_[no], h.offset, h.length, false);
}

std::optional<Extent> SpaceAllocator::allocate_below(std::uint32_t container, std::uint64_t length,
                                                     std::uint64_t limit) {
    auto it = boxes_.find(container);
    if (it == boxes_.end())
        return std::nullopt;
    auto& b = it->second;
    for (auto fit = b.by_size.lower_bound({length, 0}); fit != b.by_size.end(); ++fit) {
        auto [hlen, hoff] = *fit;
        if (hoff + length > limit)
            continue;
        remove_hole(container, b, hoff, true);
        if (hlen > length)
            add_hole(container, b, hoff + length, hlen - length, true);
        return Extent{container, hoff, length};
    }
    return std::nullopt;
}

void SpaceAllocator::release(const Extent& e) {
    auto it = boxes_.find(e.container);
    if (it == boxes_.end() || e.length == 0)
        return;
    auto& b = it->second;
    std::uint64_t off = e.offset, len = e.length;
    // Merge with the hole just before and just after, so fragments do not pile up.
    auto next = b.holes.lower_bound(off);
    if (next != b.holes.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == off) {
            off = prev->first;
            len += prev->second;
            remove_hole(e.container, b, prev->first, true);
        }
    }
    next = b.holes.find(e.offset + e.length);
    if (next != b.holes.end()) {
        len += next->second;
        remove_hole(e.container, b, next->first, true);
    }
    if (off + len == b.end) {
        b.end = off;
        changes_.push_back({SpaceChange::Kind::set_end, e.container, b.end, 0});
    } else {
        add_hole(e.container, b, off, len, true);
    }
}

std::uint64_t SpaceAllocator::free_bytes() const {
    std::uint64_t total = 0;
    for (auto& [no, b] : boxes_)
        total += free_of(b);
    if (boxes_.size() < max_files_)
        total += (max_files_ - boxes_.size()) * (max_file_size_ - first_offset_);
    return total;
}

std::uint64_t SpaceAllocator::container_free(std::uint32_t no) const {
    auto it = boxes_.find(no);
    return it == boxes_.end() ? 0 : free_of(it->second);
}

std::uint64_t SpaceAllocator::end_of(std::uint32_t no) const {
    auto it = boxes_.find(no);
    return it == boxes_.end() ? 0 : it->second.end;
}

std::vector<std::uint32_t> SpaceAllocator::containers() const {
    std::vector<std::uint32_t> out;
    for (auto& [no, b] : boxes_)
        out.push_back(no);
    return out;
}

std::vector<Extent> SpaceAllocator::holes(std::uint32_t no) const {
    std::vector<Extent> out;
    auto it = boxes_.find(no);
    if (it == boxes_.end())
        return out;
    for (auto& [off, len] : it->second.holes)
        out.push_back({no, off, len});
    return out;
}

std::vector<SpaceChange> SpaceAllocator::take_changes() {
    std::vector<SpaceChange> out;
    out.swap(changes_);
    return out;
}

}  // namespace postern::store::engine
