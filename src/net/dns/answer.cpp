// Interpretation of one DNS response for one question: CNAME chains (RFC 1034 §3.6.2, RFC 2181
// §10.1), negative answers and their TTL (RFC 2308 §2.1, §2.2, §5), RCODE classes (RFC 1035
// §4.1.1), truncation (RFC 2181 §9).
#include "net/dns/answer.h"

#include <algorithm>
#include <limits>
#include <vector>

#include "net/dns/name.h"

namespace postern::net::dns {

namespace {

std::string describe(std::string_view name, RecordType type) {
    return std::string(name) + "/" + std::string(record_type_name(type));
}

// The SOA of the zone holding `name`, if the authority section has one (RFC 2308 §3).
std::optional<std::uint32_t> negative_ttl(const Message& m, std::string_view name) {
    for (const auto& rec : m.authority) {
        if (rec.type != kTypeSoa || !is_subdomain(name, rec.owner))
            continue;
        if (const auto* soa = std::get_if<SoaData>(&rec.data))
            return std::min(rec.ttl, soa->minimum);
    }
    return std::nullopt;
}

const std::string* cname_of(const Message& m, std::string_view owner) {
    for (const auto& rec : m.answers) {
        if (rec.type == static_cast<std::uint16_t>(RecordType::cname) && rec.owner == owner) {
            return std::get_if<std::string>(&rec.data);
        }
    }
    return nullptr;
}

std::uint32_t cname_ttl(const Message& m, std::string_view owner) {
    for (const auto& rec : m.answers) {
        if (rec.type == static_cast<std::uint16_t>(RecordType::cname) && rec.owner == owner)
            return rec.ttl;
    }
    return 0;
}

template <class T>
std::vector<T>& records_as(RecordData& data) {
    if (!std::holds_alternative<std::vector<T>>(data))
        data = std::vector<T>{};
    return std::get<std::vector<T>>(data);
}

bool name_too_long(std::string_view name, const AnswerLimits& limits) {
    return name.size() > std::min(limits.max_name_length, kMaxNameLength);
}

}  // namespace

Outcome interpret_answer(const Message& m, std::string_view qname, RecordType type,
                         const AnswerLimits& limits, std::size_t cnames_before) {
    std::string name(qname);
    std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();
    std::size_t cnames = cnames_before;
    std::vector<std::string> seen{name};

    // Follow the chain inside this message; asking for CNAME itself stops at the first step.
    while (type != RecordType::cname) {
        const std::string* target = cname_of(m, name);
        if (target == nullptr)
            break;
        if (++cnames > limits.max_cname_chain) {
            return DnsError{DnsErrc::limit_exceeded, describe(qname, type) +
                                                         ": CNAME chain longer than " +
                                                         std::to_string(limits.max_cname_chain)};
        }
        if (std::find(seen.begin(), seen.end(), *target) != seen.end()) {
            return DnsError{DnsErrc::malformed,
                            describe(qname, type) + ": CNAME loop at " + *target};
        }
        if (name_too_long(*target, limits)) {
            return DnsError{DnsErrc::limit_exceeded,
                            describe(qname, type) + ": CNAME target name too long"};
        }
        ttl = std::min(ttl, cname_ttl(m, name));
        name = *target;
        seen.push_back(name);
    }

    RecordSet set;
    set.name = std::string(qname);
    set.type = type;
    set.canonical_name = name;
    std::size_t found = 0;
    std::size_t dropped = 0;
    for (const auto& rec : m.answers) {
        if (rec.type != static_cast<std::uint16_t>(type) || rec.owner != name)
            continue;
        if (++found > limits.max_answers) {
            return DnsError{DnsErrc::limit_exceeded, describe(qname, type) + ": more than " +
                                                         std::to_string(limits.max_answers) +
                                                         " records"};
        }
        if (const auto* address = std::get_if<IpAddress>(&rec.data)) {
            records_as<IpAddress>(set.records).push_back(*address);
        } else if (const auto* mx = std::get_if<MxRecord>(&rec.data)) {
            if (name_too_long(mx->exchange, limits)) {
                return DnsError{DnsErrc::limit_exceeded,
                                describe(qname, type) + ": MX host name too long"};
            }
            records_as<MxRecord>(set.records).push_back(*mx);
        } else if (const auto* txt = std::get_if<TxtRecord>(&rec.data)) {
            std::size_t size = 0;
            for (const auto& s : txt->strings)
                size += s.size();
            // Dropping rather than failing: an unrelated oversized TXT record (a verification
            // token) must not break SPF or DMARC, which look for their own record among all.
            if (size > limits.max_txt_size) {
                ++dropped;
                continue;
            }
            records_as<TxtRecord>(set.records).push_back(*txt);
        } else if (const auto* target = std::get_if<std::string>(&rec.data)) {
            if (name_too_long(*target, limits)) {
                return DnsError{DnsErrc::limit_exceeded,
                                describe(qname, type) + ": name in answer too long"};
            }
            records_as<std::string>(set.records).push_back(*target);
        } else {
            continue;
        }
        ttl = std::min(ttl, rec.ttl);
    }
    std::size_t kept = found - dropped;

    switch (m.rcode) {
        case rcode::kNoError:
            break;
        case rcode::kNxDomain: {
            // RFC 6604: after CNAMEs the RCODE speaks of the last name of the chain.
            std::uint32_t negative = 0;
            if (auto soa = negative_ttl(m, name))
                negative = std::min(ttl, *soa);
            std::string what = describe(qname, type) + ": name does not exist";
            if (name != qname)
                what += " (CNAME target " + name + ")";
            return DnsError{DnsErrc::nxdomain, std::move(what), negative};
        }
        case rcode::kFormErr:
            return DnsError{DnsErrc::server_failure,
                            describe(qname, type) + ": server answered FORMERR"};
        case rcode::kServFail:
            return DnsError{DnsErrc::server_failure,
                            describe(qname, type) + ": server answered SERVFAIL"};
        case rcode::kRefused:
            return DnsError{DnsErrc::server_failure,
                            describe(qname, type) + ": server answered REFUSED"};
        default:
            return DnsError{
                DnsErrc::server_failure,
                describe(qname, type) + ": server answered RCODE " + std::to_string(m.rcode)};
    }

    if (kept > 0) {
        set.ttl = ttl;
        return set;
    }
    if (dropped > 0) {
        return DnsError{DnsErrc::limit_exceeded,
                        describe(qname, type) + ": every TXT record is larger than " +
                            std::to_string(limits.max_txt_size) + " bytes"};
    }
    if (m.truncated) {
        // Only with TCP disabled: an empty truncated answer says nothing about the name.
        return DnsError{DnsErrc::server_failure,
                        describe(qname, type) + ": truncated answer without records"};
    }
    auto soa = negative_ttl(m, name);
    if (name != qname && !soa)
        return ChainContinues{name, ttl, cnames};
    std::uint32_t negative = soa ? std::min(ttl, *soa) : 0;
    std::string what = describe(qname, type) + ": no records of this type";
    if (name != qname)
        what += " (CNAME target " + name + ")";
    return DnsError{DnsErrc::nodata, std::move(what), negative};
}

}  // namespace postern::net::dns
