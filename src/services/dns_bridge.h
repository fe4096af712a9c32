// Coroutine wrappers around the DNS resolver's callback API: the lookup runs on the resolver
// (or is answered from its cache) and the coroutine resumes on its own executor.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "base/ip_address.h"
#include "net/dns/mx.h"
#include "net/dns/resolver.h"
#include "net/dns/reverse.h"

namespace postern::services {

// Each resumes the calling coroutine on the executor it runs on (a strand stays a strand),
// after the resolver's callback, whichever thread that ran on. While a lookup is pending it
// counts as outstanding work of that executor. The resolver must outlive the call. Lookups
// are bounded by the resolver's timeout × tries; they cannot be cancelled one by one.
// The records of any type at `name`, as the resolver's lookup() gives them (sender
// authentication feeds them to its evaluators through a net::dns::AnswerSet).
boost::asio::awaitable<net::dns::DnsResult<net::dns::RecordSet>> dns_lookup(
    net::dns::Resolver& resolver, std::string name, net::dns::RecordType type);
boost::asio::awaitable<net::dns::DnsResult<net::dns::AddressAnswer>> dns_lookup_a(
    net::dns::Resolver& resolver, std::string name);
boost::asio::awaitable<net::dns::DnsResult<net::dns::AddressAnswer>> dns_lookup_aaaa(
    net::dns::Resolver& resolver, std::string name);
boost::asio::awaitable<net::dns::DnsResult<net::dns::MxAnswer>> dns_lookup_mx(
    net::dns::Resolver& resolver, std::string name);
boost::asio::awaitable<net::dns::DnsResult<net::dns::TxtAnswer>> dns_lookup_txt(
    net::dns::Resolver& resolver, std::string name);
boost::asio::awaitable<net::dns::DnsResult<net::dns::NameAnswer>> dns_lookup_ptr(
    net::dns::Resolver& resolver, IpAddress address);
boost::asio::awaitable<net::dns::DnsResult<net::dns::MxHosts>> dns_resolve_mx_hosts(
    net::dns::Resolver& resolver, std::string domain, net::dns::MxOptions options = {});
boost::asio::awaitable<net::dns::DnsResult<net::dns::ConfirmedNames>> dns_forward_confirmed_names(
    net::dns::Resolver& resolver, IpAddress address);

// What the reverse DNS of a client says (RFC 8601 §3 iprev).
struct ClientReverse {
    enum class Kind : std::uint8_t {
        confirmed,    // a PTR name whose A/AAAA records lead back: `name` is it
        unconfirmed,  // PTR names, none leading back: `name` is the first PTR name
        none,         // no PTR record (NXDOMAIN/NODATA)
        temperror,    // a lookup failed temporarily, or it took longer than the timeout
    };
    Kind kind = Kind::temperror;
    std::string name;
    std::string_view kind_name() const;  // "pass", "fail", "none", "temperror"
};

// The reverse DNS of `address` as above, within `timeout` (the lookup then finishes in the
// background and its answer is dropped).
boost::asio::awaitable<ClientReverse> dns_client_reverse(net::dns::Resolver& resolver,
                                                         IpAddress address,
                                                         std::chrono::milliseconds timeout);

// Waits until the callback given to `subscribe` is called (on any thread) or `timeout` passed,
// whichever is first; true when the callback came in time. `subscribe` is called once, at
// once; the callback may also be called from inside it.
boost::asio::awaitable<bool> await_callback(
    const std::function<void(std::move_only_function<void()>)>& subscribe,
    std::chrono::milliseconds timeout);

// The first forward-confirmed name of `address` (RFC 8601 §3 "iprev pass"), or "" when it has
// none, the lookup failed, or it took longer than `timeout` (the lookup then finishes in the
// background and its answer is dropped). Never waits much longer than `timeout`.
boost::asio::awaitable<std::string> dns_confirmed_name(net::dns::Resolver& resolver,
                                                       IpAddress address,
                                                       std::chrono::milliseconds timeout);

}  // namespace postern::services
