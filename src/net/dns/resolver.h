// The DNS seam every module resolves through: one virtual lookup of (name, type) and typed
// helpers for A, AAAA (RFC 3596), MX, TXT, PTR (RFC 1035 §3.3, §3.5) and CNAME on top of it.
// CachingResolver (caching_resolver.h) is the implementation over c-ares.
#pragma once

#include <string_view>

#include "base/ip_address.h"
#include "net/dns/types.h"

namespace postern::net::dns {

// Contract of every implementation:
// - Any thread may call lookup() at any time; it never blocks on the network.
// - `done` is called exactly once: on the calling thread before lookup() returns (cache hit,
//   invalid name, resolver shut down), or later on the resolver's thread. It must not block;
//   coroutine callers post back to their executor (services/dns_bridge.h).
// - `done` may start new lookups.
class Resolver {
  public:
    virtual ~Resolver() = default;

    // The records of `type` at `name` (followed through CNAMEs). The name is normalised first
    // (lower case, trailing dot dropped); an invalid one fails with invalid_name.
    virtual void lookup(std::string_view name, RecordType type, Callback<RecordSet> done) = 0;

    void lookup_a(std::string_view name, Callback<AddressAnswer> done);
    void lookup_aaaa(std::string_view name, Callback<AddressAnswer> done);
    // Records in the order the server sent them; resolve_mx_hosts (mx.h) orders them.
    void lookup_mx(std::string_view name, Callback<MxAnswer> done);
    void lookup_txt(std::string_view name, Callback<TxtAnswer> done);
    // PTR records of the reverse name of `address` (in-addr.arpa / ip6.arpa).
    void lookup_ptr(const IpAddress& address, Callback<NameAnswer> done);
    // PTR records of a name given as is.
    void lookup_ptr(std::string_view name, Callback<NameAnswer> done);
    // The CNAME of `name` itself (one step, not followed).
    void lookup_cname(std::string_view name, Callback<NameAnswer> done);
};

// Converts a RecordSet holding records of type T (see RecordData) into an Answer<T>.
template <class T>
Answer<T> typed_answer(RecordSet set);

}  // namespace postern::net::dns
