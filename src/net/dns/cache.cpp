// LRU answer cache with per-entry expiry (RFC 1035 §3.2.1 TTLs, RFC 2308 §5 negative caching).
#include "net/dns/cache.h"

#include <type_traits>

namespace postern::net::dns {

namespace {

constexpr std::size_t kEntryOverhead = 160;  // list node, hash node, Entry fields

struct DataSize {
    std::size_t operator()(const std::vector<IpAddress>& v) const {
        return v.capacity() * sizeof(IpAddress);
    }
    std::size_t operator()(const std::vector<MxRecord>& v) const {
        std::size_t n = v.capacity() * sizeof(MxRecord);
        for (const auto& mx : v)
            n += mx.exchange.capacity();
        return n;
    }
    std::size_t operator()(const std::vector<TxtRecord>& v) const {
        std::size_t n = v.capacity() * sizeof(TxtRecord);
        for (const auto& txt : v) {
            n += txt.strings.capacity() * sizeof(std::string);
            for (const auto& s : txt.strings)
                n += s.capacity();
        }
        return n;
    }
    std::size_t operator()(const std::vector<std::string>& v) const {
        std::size_t n = v.capacity() * sizeof(std::string);
        for (const auto& s : v)
            n += s.capacity();
        return n;
    }
};

}  // namespace

std::size_t approximate_size(const DnsResult<RecordSet>& value) {
    if (!value)
        return sizeof(DnsError) + value.error().message.capacity();
    return sizeof(RecordSet) + value->name.capacity() + value->canonical_name.capacity() +
           std::visit(DataSize{}, value->records);
}

std::string Cache::make_key(std::string_view name, RecordType type) {
    std::string key(name);
    key += '/';
    key += std::to_string(static_cast<unsigned>(type));
    return key;
}

std::optional<DnsResult<RecordSet>> Cache::find(std::string_view name, RecordType type,
                                                SteadyTime now) {
    auto it = index_.find(make_key(name, type));
    if (it == index_.end())
        return std::nullopt;
    auto entry = it->second;
    if (entry->expires <= now) {
        erase(entry);
        return std::nullopt;
    }
    lru_.splice(lru_.begin(), lru_, entry);
    auto left = std::chrono::ceil<std::chrono::seconds>(entry->expires - now).count();
    DnsResult<RecordSet> copy = entry->value;
    if (copy) {
        copy->ttl = static_cast<std::uint32_t>(left);
    } else {
        copy.error().ttl = static_cast<std::uint32_t>(left);
    }
    return copy;
}

void Cache::insert(std::string_view name, RecordType type, DnsResult<RecordSet> value,
                   std::chrono::seconds ttl, SteadyTime now) {
    std::string key = make_key(name, type);
    if (auto old = index_.find(key); old != index_.end())
        erase(old->second);
    if (ttl.count() <= 0)
        return;
    std::size_t size = kEntryOverhead + key.capacity() + approximate_size(value);
    if (size > max_bytes_)
        return;
    while (bytes_ + size > max_bytes_ && !lru_.empty()) {
        erase(std::prev(lru_.end()));
        ++evictions_;
    }
    lru_.push_front(Entry{std::move(key), std::move(value), now + ttl, size});
    index_.emplace(std::string_view(lru_.front().key), lru_.begin());
    bytes_ += size;
}

void Cache::clear() {
    index_.clear();
    lru_.clear();
    bytes_ = 0;
}

void Cache::erase(List::iterator it) {
    bytes_ -= it->size;
    index_.erase(std::string_view(it->key));
    lru_.erase(it);
}

}  // namespace postern::net::dns
