// Typed lookups over Resolver::lookup (A, AAAA RFC 3596 §2; MX, TXT, PTR, CNAME RFC 1035 §3.3).
#include "net/dns/resolver.h"

#include <utility>

#include "net/dns/name.h"

namespace postern::net::dns {

template <class T>
Answer<T> typed_answer(RecordSet set) {
    Answer<T> out;
    out.name = std::move(set.name);
    out.canonical_name = std::move(set.canonical_name);
    out.ttl = set.ttl;
    if (auto* records = std::get_if<std::vector<T>>(&set.records))
        out.records = std::move(*records);
    return out;
}

template Answer<IpAddress> typed_answer<IpAddress>(RecordSet);
template Answer<MxRecord> typed_answer<MxRecord>(RecordSet);
template Answer<TxtRecord> typed_answer<TxtRecord>(RecordSet);
template Answer<std::string> typed_answer<std::string>(RecordSet);

namespace {

template <class T>
Callback<RecordSet> adapt(Callback<Answer<T>> done) {
    return [done = std::move(done)](DnsResult<RecordSet> result) mutable {
        if (!result) {
            done(std::unexpected(std::move(result.error())));
            return;
        }
        done(typed_answer<T>(std::move(*result)));
    };
}

}  // namespace

void Resolver::lookup_a(std::string_view name, Callback<AddressAnswer> done) {
    lookup(name, RecordType::a, adapt<IpAddress>(std::move(done)));
}

void Resolver::lookup_aaaa(std::string_view name, Callback<AddressAnswer> done) {
    lookup(name, RecordType::aaaa, adapt<IpAddress>(std::move(done)));
}

void Resolver::lookup_mx(std::string_view name, Callback<MxAnswer> done) {
    lookup(name, RecordType::mx, adapt<MxRecord>(std::move(done)));
}

void Resolver::lookup_txt(std::string_view name, Callback<TxtAnswer> done) {
    lookup(name, RecordType::txt, adapt<TxtRecord>(std::move(done)));
}

void Resolver::lookup_ptr(const IpAddress& address, Callback<NameAnswer> done) {
    lookup(reverse_name(address), RecordType::ptr, adapt<std::string>(std::move(done)));
}

void Resolver::lookup_ptr(std::string_view name, Callback<NameAnswer> done) {
    lookup(name, RecordType::ptr, adapt<std::string>(std::move(done)));
}

void Resolver::lookup_cname(std::string_view name, Callback<NameAnswer> done) {
    lookup(name, RecordType::cname, adapt<std::string>(std::move(done)));
}

}  // namespace postern::net::dns
