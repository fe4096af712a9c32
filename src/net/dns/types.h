// DNS answers and errors as the resolver hands them to callers: record types (RFC 1035 §3.2.2,
// RFC 3596), typed records, TTLs (RFC 2181 §8), and the error kinds of RFC 2308 §2 (NXDOMAIN,
// NODATA) apart from temporary failures.
#pragma once

#include <cstdint>
#include <expected>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"

namespace postern::net::dns {

// The types the resolver asks for; values are the wire codes.
enum class RecordType : std::uint16_t {
    a = 1,
    cname = 5,
    ptr = 12,
    mx = 15,
    txt = 16,
    aaaa = 28,
};

std::string_view record_type_name(RecordType type);  // "A", "MX", ...

struct MxRecord {
    std::uint16_t preference = 0;
    std::string exchange;  // lower case, no trailing dot; "" is the root: a null MX (RFC 7505)
    bool operator==(const MxRecord&) const = default;
};

// One TXT record: its character-strings as sent (RFC 1035 §3.3.14). SPF (RFC 7208 §3.3) and
// DKIM (RFC 6376 §3.6.2.2) read the concatenation, joined().
struct TxtRecord {
    std::vector<std::string> strings;
    std::string joined() const;
    bool operator==(const TxtRecord&) const = default;
};

// The records of one answer. Which alternative is set follows the type asked for:
// addresses for A/AAAA, MX records, TXT records, names for PTR/CNAME.
using RecordData = std::variant<std::vector<IpAddress>, std::vector<MxRecord>,
                                std::vector<TxtRecord>, std::vector<std::string>>;

// A positive answer to (name, type): what the cache stores and Resolver::lookup() returns.
struct RecordSet {
    std::string name;  // as asked, normalised: lower case, no trailing dot
    RecordType type = RecordType::a;
    std::string canonical_name;  // owner of the records after following CNAMEs (= name if none)
    std::uint32_t ttl =
        0;               // seconds it may still be used (capped by max_ttl; counts down in cache)
    RecordData records;  // never empty in a successful answer
};

// The same answer with the records of one type, for the typed lookups.
template <class T>
struct Answer {
    std::string name;
    std::string canonical_name;
    std::uint32_t ttl = 0;
    std::vector<T> records;
};

using AddressAnswer = Answer<IpAddress>;
using MxAnswer = Answer<MxRecord>;
using TxtAnswer = Answer<TxtRecord>;
using NameAnswer = Answer<std::string>;  // PTR, CNAME

enum class DnsErrc {
    nxdomain,        // the name does not exist (RCODE 3). Permanent.
    nodata,          // the name exists but has no records of this type. Permanent.
    server_failure,  // SERVFAIL, REFUSED or NOTIMP from every server, or none reachable. Temporary.
    timeout,         // no server answered within timeout × tries. Temporary.
    malformed,       // the answer broke RFC 1035 (bad packet, CNAME loop). Temporary: a broken
                     // server or a forged packet; retry later.
    limit_exceeded,  // the answer exceeded a configured limit (records, TXT size, CNAME chain).
    invalid_name,    // the name asked for is not a valid domain name. The caller's input.
    no_mail,         // resolve_mx_hosts: the domain publishes a null MX (RFC 7505 §3).
    cancelled,       // the resolver shut down before the answer came.
};

std::string_view dns_errc_name(DnsErrc code);  // "NXDOMAIN", "NODATA", "SERVFAIL", ...

// True for kinds where asking again later may give a different answer: SMTP answers 4xx,
// SPF gives temperror (RFC 7208 §2.6.6), delivery is retried.
bool is_temporary(DnsErrc code);

struct DnsError {
    DnsErrc code = DnsErrc::server_failure;
    std::string message;    // for logs: names the query and what went wrong
    std::uint32_t ttl = 0;  // how long this outcome is cached (negative and temporary answers)

    std::string to_string() const;
};

template <class T>
using DnsResult = std::expected<T, DnsError>;

// Callbacks are called exactly once; see Resolver for the thread they run on.
template <class T>
using Callback = std::move_only_function<void(DnsResult<T>)>;

inline std::unexpected<DnsError> dns_fail(DnsErrc code, std::string message,
                                          std::uint32_t ttl = 0) {
    return std::unexpected<DnsError>(DnsError{code, std::move(message), ttl});
}

// Maps to the project-wide classes for callers that only need the broad class:
// nxdomain/nodata/no_mail → not_found, server_failure/malformed → unavailable, ...
Error to_error(const DnsError& e);

}  // namespace postern::net::dns
