// [protection]: SMTP-time protection (docs/smtp-protection.md): DNSBL/DNSWL, greylisting, DNS
// checks of the client and the sender domain, country filtering, address white/blacklists and
// the automatic ban of abusive IPs. Every key is documented in docs/configuration.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "base/ip_address.h"

namespace postern::config {

// What a DNS-based zone does with a client it lists.
enum class DnsblAction : std::uint8_t {
    reject,  // 554 5.7.1 with the zone's TXT reason (unless authenticated)
    score,   // adds `weight` to the session's score; reject_score decides
    header,  // only recorded in the X-Postern-Protection field and for policy scripts
};

struct DnsblZone {
    std::string zone;    // "zen.spamhaus.org" (no leading or trailing dot)
    bool allow = false;  // a DNSWL: a hit skips DNSBL rejection and greylisting
    DnsblAction action = DnsblAction::reject;
    int weight = 1;              // for action = score (may be negative)
    std::vector<IpRange> codes;  // answers that count as listed; empty = 127.0.0.0/8
    std::string message;         // reply text; empty = the zone's TXT record, or a default
};

struct DnsblConfig {
    bool enabled = false;
    std::vector<DnsblZone> zones;
    std::vector<IpRange> exclude;  // clients never looked up
    int reject_score = 0;          // total weight that rejects; 0 = scores never reject
    std::chrono::milliseconds timeout{std::chrono::seconds(5)};  // wait at RCPT at most this
};

struct GreylistConfig {
    bool enabled = false;
    std::chrono::seconds delay{300};              // a retry sooner than this is deferred again
    std::chrono::seconds retry_window{4 * 3600};  // a first retry later than this starts over
    std::chrono::seconds expiry{36 * 24 * 3600};  // passed triplets forgotten after this idle
    std::uint32_t auto_whitelist = 5;             // passes of a client network; 0 = never
    std::vector<IpRange> exclude;                 // clients never greylisted
    std::vector<std::string> exclude_domains;     // recipient domains never greylisted
    std::uint64_t max_entries = 1'000'000;        // oldest entries go first past this
    std::filesystem::path database;               // empty: <data_dir>/greylist.db
};

enum class CheckAction : std::uint8_t { ignore, tempfail, reject };

struct DnsChecksConfig {
    CheckAction reverse_dns = CheckAction::ignore;        // the client has a PTR name at all
    CheckAction confirmed_reverse = CheckAction::ignore;  // ... that resolves back to it
    CheckAction sender_domain = CheckAction::ignore;      // MAIL FROM's domain has MX or A/AAAA
    std::vector<IpRange> exclude;                         // clients never checked
};

struct CountryConfig {
    bool enabled = false;
    std::filesystem::path database;  // a MaxMind DB file (.mmdb)
    std::filesystem::path csv;       // or a CSV of "first,last,CC" ranges
    std::vector<std::string> allow;  // when not empty: only these countries (upper case)
    std::vector<std::string> deny;   // these countries are refused
    bool refuse_unknown = false;     // with an allow list: refuse addresses of no known country
    std::vector<IpRange> skip;       // never looked up
};

// Address lists for PROCESSING (server level here; domain and account lists in the store).
struct AddressListsConfig {
    bool enabled = false;
    std::vector<std::string> whitelist;  // "user@domain", "@domain" or "*@*.domain" globs
    std::vector<std::string> blacklist;
    std::filesystem::path database;  // empty: <data_dir>/address_lists.db
};

struct AutoBanConfig {
    bool enabled = true;
    std::uint32_t max_protocol_errors = 5;  // sessions closed for errors in `window`; 0 = never
    std::chrono::milliseconds window{std::chrono::minutes(10)};
    std::chrono::milliseconds ban_time{std::chrono::minutes(30)};
    std::vector<IpRange> exclude;  // never banned
};

struct ProtectionConfig {
    DnsblConfig dnsbl;
    GreylistConfig greylist;
    DnsChecksConfig dns_checks;
    CountryConfig country;
    AddressListsConfig lists;
    AutoBanConfig auto_ban;
};

}  // namespace postern::config
