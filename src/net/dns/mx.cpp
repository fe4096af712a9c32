// MX resolution for delivery: RFC 5321 §5.1 (preference order, random among equals, implicit
// MX, CNAMEs processed as the initial name), RFC 7505 §3–4 (null MX).
#include "net/dns/mx.h"

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <unordered_set>

#include "base/random.h"
#include "net/dns/name.h"

namespace postern::net::dns {

namespace {

std::mt19937_64& rng() {
    // Seeded from the DRBG once per thread; the shuffle needs no secrecy, only no bias.
    thread_local std::mt19937_64 engine(random_u64());
    return engine;
}

struct HostLookup {
    std::vector<IpAddress> v4, v6;
    std::optional<DnsError> v4_error, v6_error;
};

struct MxJob {
    std::mutex mutex;
    MxHosts result;
    std::vector<HostLookup> lookups;  // guarded by mutex, one per result.hosts entry
    std::size_t pending = 0;          // guarded by mutex
    std::uint32_t ttl = std::numeric_limits<std::uint32_t>::max();  // guarded by mutex
    MxOptions options;
    Callback<MxHosts> done;
};

// Of two reasons a host has no address, the one that matters to the caller: a cancellation,
// then a temporary failure (retry later), then the permanent one.
const std::optional<DnsError>& worse(const std::optional<DnsError>& a,
                                     const std::optional<DnsError>& b) {
    auto rank = [](const std::optional<DnsError>& e) {
        if (!e)
            return 0;
        if (e->code == DnsErrc::cancelled)
            return 3;
        return is_temporary(e->code) ? 2 : 1;
    };
    return rank(b) > rank(a) ? b : a;
}

DnsResult<MxHosts> assemble(MxJob& job) {
    auto& result = job.result;
    std::optional<DnsError> temporary;
    bool any_address = false;
    for (std::size_t i = 0; i < result.hosts.size(); ++i) {
        auto& host = result.hosts[i];
        auto& lookup = job.lookups[i];
        host.addresses = std::move(lookup.v4);
        host.addresses.insert(host.addresses.end(), lookup.v6.begin(), lookup.v6.end());
        const auto& error = worse(lookup.v4_error, lookup.v6_error);
        if (error && error->code == DnsErrc::cancelled)
            return std::unexpected(*error);
        if (!host.addresses.empty()) {
            any_address = true;
            continue;
        }
        host.error = error;
        if (error && is_temporary(error->code) && !temporary)
            temporary = error;
    }
    if (any_address) {
        result.ttl = job.ttl == std::numeric_limits<std::uint32_t>::max() ? 0 : job.ttl;
        return std::move(result);
    }
    if (temporary) {
        temporary->message =
            "no MX host of " + result.domain + " has an address yet: " + temporary->message;
        return std::unexpected(std::move(*temporary));
    }
    if (result.implicit) {
        return dns_fail(DnsErrc::nodata, result.domain + " has no MX and no address records");
    }
    return dns_fail(DnsErrc::nodata, "no MX host of " + result.domain + " has an address");
}

void host_answered(const std::shared_ptr<MxJob>& job, std::size_t index, bool v4,
                   DnsResult<AddressAnswer> answer) {
    DnsResult<MxHosts> final_result;
    {
        std::lock_guard lock(job->mutex);
        auto& lookup = job->lookups[index];
        if (answer) {
            job->ttl = std::min(job->ttl, answer->ttl);
            (v4 ? lookup.v4 : lookup.v6) = std::move(answer->records);
        } else {
            (v4 ? lookup.v4_error : lookup.v6_error) = std::move(answer.error());
        }
        if (--job->pending > 0)
            return;
        final_result = assemble(*job);
    }
    job->done(std::move(final_result));
}

void resolve_hosts(const std::shared_ptr<MxJob>& job, Resolver& resolver) {
    const bool v4 = job->options.ipv4;
    const bool v6 = job->options.ipv6 || !v4;  // asking for neither family means both
    std::vector<std::string> names;
    {
        std::lock_guard lock(job->mutex);
        job->lookups.resize(job->result.hosts.size());
        job->pending = job->result.hosts.size() * ((v4 ? 1 : 0) + (v6 ? 1 : 0));
        for (const auto& host : job->result.hosts)
            names.push_back(host.name);
    }
    // Answers may arrive inline (cache hits) while this loop runs: `pending` is complete first.
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (v4) {
            resolver.lookup_a(names[i], [job, i](DnsResult<AddressAnswer> a) {
                host_answered(job, i, true, std::move(a));
            });
        }
        if (v6) {
            resolver.lookup_aaaa(names[i], [job, i](DnsResult<AddressAnswer> a) {
                host_answered(job, i, false, std::move(a));
            });
        }
    }
}

void mx_answered(const std::shared_ptr<MxJob>& job, Resolver& resolver,
                 DnsResult<MxAnswer> answer) {
    auto& result = job->result;
    if (!answer) {
        if (answer.error().code != DnsErrc::nodata) {
            job->done(std::unexpected(std::move(answer.error())));
            return;
        }
        // RFC 5321 §5.1: no MX records, so the domain itself is the host, at preference 0.
        result.implicit = true;
        result.hosts.push_back(MxHost{result.domain, 0, {}, std::nullopt});
        resolve_hosts(job, resolver);
        return;
    }
    const auto& records = answer->records;
    if (std::all_of(records.begin(), records.end(),
                    [](const MxRecord& mx) { return mx.exchange.empty(); })) {
        job->done(dns_fail(DnsErrc::no_mail,
                           result.domain + " publishes a null MX: it accepts no mail (RFC 7505)",
                           answer->ttl));
        return;
    }
    auto ordered =
        order_mx(std::move(answer->records), std::max<std::size_t>(1, job->options.max_hosts));
    job->ttl = answer->ttl;
    for (auto& mx : ordered)
        result.hosts.push_back(MxHost{std::move(mx.exchange), mx.preference, {}, std::nullopt});
    resolve_hosts(job, resolver);
}

}  // namespace

std::vector<MxRecord> order_mx(std::vector<MxRecord> records, std::size_t max_hosts) {
    // A "." exchange next to real ones breaks RFC 7505 §3; the real ones are still usable.
    std::erase_if(records, [](const MxRecord& mx) { return mx.exchange.empty(); });
    std::stable_sort(records.begin(), records.end(), [](const MxRecord& a, const MxRecord& b) {
        return a.preference < b.preference;
    });
    std::unordered_set<std::string> seen;
    std::erase_if(records,
                  [&seen](const MxRecord& mx) { return !seen.insert(mx.exchange).second; });
    for (auto first = records.begin(); first != records.end();) {
        auto last = std::find_if(first, records.end(), [p = first->preference](const MxRecord& mx) {
            return mx.preference != p;
        });
        std::shuffle(first, last, rng());
        first = last;
    }
    if (records.size() > max_hosts)
        records.resize(max_hosts);
    return records;
}

void resolve_mx_hosts(Resolver& resolver, std::string_view domain, Callback<MxHosts> done,
                      MxOptions options) {
    auto name = normalize_name(domain);
    if (!name) {
        done(std::unexpected(std::move(name.error())));
        return;
    }
    auto job = std::make_shared<MxJob>();
    job->result.domain = std::move(*name);
    job->options = options;
    job->done = std::move(done);
    std::string query = job->result.domain;
    resolver.lookup_mx(query, [job, &resolver](DnsResult<MxAnswer> answer) {
        mx_answered(job, resolver, std::move(answer));
    });
}

}  // namespace postern::net::dns
