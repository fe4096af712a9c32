// DNS block and allow lists (RFC 5782): the query name of a client address in a zone (IPv4
// octets and IPv6 nibbles reversed), which answers count as "listed", the TXT reason, and one
// verdict over all configured zones. Lookups for every zone start together (at connect) and are
// awaited where SMTP-IN decides (MAIL FROM), so the greeting is not held up.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "config/protection.h"
#include "net/dns/resolver.h"

namespace postern::filter::dnsbl {

// "2.0.0.127.bl.example" for 127.0.0.2; for IPv6 the 32 nibbles of the address reversed
// (RFC 5782 §2.4). `zone` is used as given.
std::string query_name(const IpAddress& client, std::string_view zone);

// True when `answer` is a listing per the zone's codes (default: any 127.0.0.0/8 address; RFC
// 5782 §2.1 keeps other answers for errors such as "query refused", which must never block).
bool is_listing(const config::DnsblZone& zone, const IpAddress& answer);

struct ZoneResult {
    enum class State : std::uint8_t { pending, clear, listed, error };
    std::string zone;
    State state = State::pending;
    std::string code;    // the first listing answer, "127.0.0.2"
    std::string reason;  // the TXT record of a listing (reject zones), possibly empty
    std::string error;   // a temporary DNS failure, for the log
};

struct Verdict {
    enum class Kind : std::uint8_t { pass, allowed, reject };
    Kind kind = Kind::pass;
    int score = 0;                    // sum of the weights of listing score zones
    std::vector<std::string> listed;  // zones listing the client (block and allow lists)
    std::string reply_text;           // Kind::reject: the text of the 554 reply
    bool complete = true;             // every zone answered (else: timed out, pending ones ignored)
    std::string summary() const;      // "pass", "listed bl.example (score 3)", "allowed wl.example"
};

// Evaluates answered zones: an allow-list hit wins; then a reject zone's listing rejects; then
// the score reaches reject_score. Zones still pending or failed count as not listing.
Verdict evaluate(const std::vector<config::DnsblZone>& zones, int reject_score,
                 const std::vector<ZoneResult>& results);

// The lookups for one client in every zone, issued at once. Shared with the resolver callbacks;
// all members are thread-safe.
class Lookup {
  public:
    // Starts the A query in every zone (and a TXT query in a reject zone that lists the client).
    static std::shared_ptr<Lookup> start(net::dns::Resolver& resolver,
                                         std::vector<config::DnsblZone> zones,
                                         const IpAddress& client);

    bool done() const;
    // Calls `ready` once, when every query has answered: now on this thread if they have,
    // else on the resolver's thread. A second call replaces a waiter not yet called.
    void when_done(std::move_only_function<void()> ready);
    std::vector<ZoneResult> results() const;
    const std::vector<config::DnsblZone>& zones() const { return zones_; }

    explicit Lookup(std::vector<config::DnsblZone> zones);

  private:
    void finish_one();  // one zone answered completely (called with nothing locked)

    std::vector<config::DnsblZone> zones_;
    mutable std::mutex mutex_;
    std::vector<ZoneResult> results_;
    std::size_t remaining_ = 0;
    std::move_only_function<void()> ready_;
};

}  // namespace postern::filter::dnsbl
