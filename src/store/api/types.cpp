// UidSet: sorted, merged UID ranges with IMAP "*" resolution (RFC 3501 §9 sequence-set).
#include "store/api/types.h"

#include <algorithm>

namespace postern::store {

UidSet UidSet::range(Uid lo, Uid hi) {
    UidSet s;
    s.add_range(lo, hi);
    return s;
}

UidSet UidSet::of(std::initializer_list<Uid> uids) {
    UidSet s;
    for (auto u : uids)
        s.add(u);
    return s;
}

UidSet& UidSet::add_range(Uid lo, Uid hi) {
    if (lo > hi)
        std::swap(lo, hi);
    if (hi == 0)
        return *this;
    if (lo == 0)
        lo = 1;
    auto it = std::lower_bound(ranges_.begin(), ranges_.end(), std::make_pair(lo, Uid{0}));
    it = ranges_.insert(it, {lo, hi});
    // Merge with overlapping or adjacent neighbours on both sides.
    if (it != ranges_.begin()) {
        auto prev = std::prev(it);
        if (prev->second == kUidStar || prev->second + 1 >= it->first) {
            prev->second = std::max(prev->second, it->second);
            it = std::prev(ranges_.erase(it));
        }
    }
    while (std::next(it) != ranges_.end()) {
        auto next = std::next(it);
        if (it->second != kUidStar && it->second + 1 < next->first)
            break;
        it->second = std::max(it->second, next->second);
        ranges_.erase(next);
    }
    return *this;
}

bool UidSet::contains(Uid uid) const {
    auto it = std::upper_bound(ranges_.begin(), ranges_.end(), std::make_pair(uid, kUidStar));
    if (it == ranges_.begin())
        return false;
    --it;
    return uid >= it->first && uid <= it->second;
}

UidSet UidSet::resolved(Uid max_uid) const {
    UidSet out;
    for (auto [lo, hi] : ranges_) {
        Uid a = lo == kUidStar ? max_uid : lo;
        Uid b = hi == kUidStar ? max_uid : hi;
        if (a == 0 && b == 0)
            continue;
        out.add_range(a, b);
    }
    return out;
}

std::uint64_t UidSet::count() const {
    std::uint64_t n = 0;
    for (auto [lo, hi] : ranges_)
        n += static_cast<std::uint64_t>(hi) - lo + 1;
    return n;
}

std::vector<Uid> UidSet::to_vector(std::uint64_t limit) const {
    std::vector<Uid> out;
    for (auto [lo, hi] : ranges_) {
        for (std::uint64_t u = lo; u <= hi && out.size() < limit; ++u)
            out.push_back(static_cast<Uid>(u));
    }
    return out;
}

std::string UidSet::to_string() const {
    std::string out;
    for (auto [lo, hi] : ranges_) {
        if (!out.empty())
            out += ',';
        auto one = [](Uid u) { return u == kUidStar ? std::string("*") : std::to_string(u); };
        out += one(lo);
        if (hi != lo)
            out += ':' + one(hi);
    }
    return out;
}

}  // namespace postern::store
