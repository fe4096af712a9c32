// Settings of the DNS resolver: upstream servers, retries, cache bounds and answer limits.
// The config layer maps `[dns]` keys onto this (docs/dns.md lists them).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "log/log.h"

namespace postern::net::dns {

using SteadyTime = std::chrono::steady_clock::time_point;

// When to use TCP: after a truncated UDP answer (RFC 7766 §5), always, or never (truncated
// answers are then used as they came).
enum class TcpMode { fallback, always, never };

struct Nameserver {
    IpAddress address;
    std::uint16_t port = 53;
    std::string to_string() const;
};

// "192.0.2.53", "192.0.2.53:5353", "2001:db8::53", "[2001:db8::53]:5353".
std::optional<Nameserver> parse_nameserver(std::string_view text);

struct ResolverOptions;

// Checks the ranges below; the message names the field ("dns.timeout must be ..."), for the
// config layer to report with the key's line.
Status validate(const ResolverOptions& options);

struct ResolverOptions {
    // Tried in this order (c-ares moves to the next on timeout, SERVFAIL or REFUSED). Empty:
    // the nameservers of /etc/resolv.conf.
    std::vector<Nameserver> nameservers;
    // How long the first try waits for each server; later rounds wait twice as long each.
    std::chrono::milliseconds timeout{3000};  // 10ms..60s
    int tries = 2;                            // rounds over all servers, 1..10
    bool rotate =
        false;  // spread queries over the servers instead of always starting with the first
    TcpMode tcp = TcpMode::fallback;
    bool edns = true;  // EDNS(0) (RFC 6891): larger UDP answers, fewer TCP retries
    std::uint16_t edns_udp_size = 1232;  // 512..4096; the DNS Flag Day 2020 size avoids fragments

    // Cache. Entries are bounded by their approximate memory, the least recently used go first.
    std::size_t cache_max_bytes = 16u << 20;     // 0 disables the cache (coalescing stays)
    std::chrono::seconds max_ttl{86400};         // positive answers kept at most this long
    std::chrono::seconds negative_ttl_max{900};  // NXDOMAIN/NODATA (RFC 2308 §5) at most this
    std::chrono::seconds failure_ttl{5};  // temporary failures, so a dead server is not hammered

    // Answer limits (hostile or broken zones).
    std::size_t max_answers = 100;  // records of the asked type in one answer, >= 1
    std::size_t max_txt_size =
        4096;  // bytes of one TXT record (joined), >= 255; larger ones are dropped
    std::size_t max_name_length = 253;  // names asked for and in answers (text form), 1..253
    std::size_t max_cname_chain = 8;    // CNAMEs followed from the name asked for, 0..32

    // Injectable for tests; default std::chrono::steady_clock::now.
    std::function<SteadyTime()> clock;
    log::Logger logger;
};

}  // namespace postern::net::dns
