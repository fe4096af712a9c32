// Cache and coalescing in front of c-ares (RFC 1035 §3.2.1 TTLs, RFC 2181 §8, RFC 2308 §5
// negative caching and §7.1 caching of server failures), plus re-asking for the target of a
// CNAME chain that a server did not chase (RFC 1034 §5.3.3 step 3c).
#include "net/dns/caching_resolver.h"

#include <algorithm>
#include <limits>

#include "net/dns/message.h"
#include "net/dns/name.h"

namespace postern::net::dns {

struct CachingResolver::Query {
    std::string key;  // in_flight_ key
    std::string name;
    RecordType type = RecordType::a;
    std::vector<Callback<RecordSet>> waiters;  // guarded by the resolver's mutex

    // The chain followed across follow-up questions; touched only by the thread that runs the
    // transport's callbacks, one reply at a time.
    std::string current;
    std::size_t cnames = 0;
    std::uint32_t chain_ttl = std::numeric_limits<std::uint32_t>::max();
    std::vector<std::string> visited;
};

namespace {

std::string query_key(std::string_view name, RecordType type) {
    std::string key(name);
    key += '/';
    key += std::to_string(static_cast<unsigned>(type));
    return key;
}

DnsResult<RecordSet> cancelled(std::string_view name, RecordType type) {
    return dns_fail(
        DnsErrc::cancelled,
        std::string(name) + "/" + std::string(record_type_name(type)) + ": resolver shut down");
}

}  // namespace

Result<std::unique_ptr<CachingResolver>> CachingResolver::create(ResolverOptions options) {
    if (auto valid = validate(options); !valid)
        return fail(std::move(valid.error()));
    auto transport = CaresTransport::start(options);
    if (!transport)
        return fail(std::move(transport.error()));
    std::string servers;
    for (const auto& ns : options.nameservers)
        servers += (servers.empty() ? "" : ", ") + ns.to_string();
    options.logger.info("DNS resolver started; nameservers: {}",
                        servers.empty() ? std::string("from /etc/resolv.conf") : servers);
    return std::unique_ptr<CachingResolver>(
        new CachingResolver(std::move(options), std::move(*transport)));
}

CachingResolver::CachingResolver(ResolverOptions options, std::unique_ptr<CaresTransport> transport)
    : options_(std::move(options)),
      limits_{options_.max_answers, options_.max_txt_size, options_.max_name_length,
              options_.max_cname_chain},
      transport_(std::move(transport)),
      cache_(options_.cache_max_bytes) {}

CachingResolver::~CachingResolver() {
    shutdown();
}

SteadyTime CachingResolver::now() const {
    return options_.clock ? options_.clock() : std::chrono::steady_clock::now();
}

void CachingResolver::lookup(std::string_view raw_name, RecordType type, Callback<RecordSet> done) {
    auto name = normalize_name(raw_name, options_.max_name_length);
    if (!name) {
        done(std::unexpected(std::move(name.error())));
        return;
    }
    std::string key = query_key(*name, type);
    std::shared_ptr<Query> query;
    std::optional<DnsResult<RecordSet>> immediate;
    {
        std::lock_guard lock(mutex_);
        if (stopped_) {
            immediate = cancelled(*name, type);
        } else if (auto hit = cache_.find(*name, type, now())) {
            ++stats_.hits;
            if (!hit->has_value())
                ++stats_.negative_hits;
            immediate = std::move(*hit);
        } else {
            ++stats_.misses;
            if (auto it = in_flight_.find(key); it != in_flight_.end()) {
                ++stats_.coalesced;
                it->second->waiters.push_back(std::move(done));
                return;
            }
            ++stats_.upstream_queries;
            query = std::make_shared<Query>();
            query->key = key;
            query->name = *name;
            query->type = type;
            query->current = *name;
            query->visited.push_back(*name);
            query->waiters.push_back(std::move(done));
            in_flight_.emplace(std::move(key), query);
        }
    }
    if (immediate) {
        done(std::move(*immediate));
        return;
    }
    send(query, query->name, 0);
}

void CachingResolver::send(std::shared_ptr<Query> query, std::string name, std::size_t cnames) {
    query->current = name;
    query->cnames = cnames;
    RecordType type = query->type;
    transport_->send(std::move(name), type,
                     [this, query = std::move(query)](RawReply reply) mutable {
                         on_reply(query, std::move(reply));
                     });
}

void CachingResolver::on_reply(const std::shared_ptr<Query>& query, RawReply reply) {
    if (!reply) {
        finish(query, std::unexpected(std::move(reply.error())));
        return;
    }
    auto message = parse_message(*reply);
    if (!message) {
        auto error = std::move(message.error());
        error.message = query->current + "/" + std::string(record_type_name(query->type)) + ": " +
                        error.message;
        finish(query, std::unexpected(std::move(error)));
        return;
    }
    Outcome outcome =
        interpret_answer(*message, query->current, query->type, limits_, query->cnames);
    if (auto* next = std::get_if<ChainContinues>(&outcome)) {
        query->chain_ttl = std::min(query->chain_ttl, next->ttl);
        if (std::find(query->visited.begin(), query->visited.end(), next->target) !=
            query->visited.end()) {
            finish(query,
                   dns_fail(DnsErrc::malformed, query->name + ": CNAME loop at " + next->target));
            return;
        }
        query->visited.push_back(next->target);
        {
            std::lock_guard lock(mutex_);
            ++stats_.upstream_queries;
        }
        send(query, next->target, next->cnames);
        return;
    }
    if (auto* set = std::get_if<RecordSet>(&outcome)) {
        set->name = query->name;
        set->ttl = std::min(set->ttl, query->chain_ttl);
        finish(query, std::move(*set));
        return;
    }
    auto& error = std::get<DnsError>(outcome);
    error.ttl = std::min(error.ttl, query->chain_ttl);
    finish(query, std::unexpected(std::move(error)));
}

std::chrono::seconds CachingResolver::cache_ttl(const DnsResult<RecordSet>& result) const {
    using std::chrono::seconds;
    if (result)
        return std::min(seconds(result->ttl), options_.max_ttl);
    switch (result.error().code) {
        case DnsErrc::nxdomain:
        case DnsErrc::nodata:
            // No SOA in the answer gives TTL 0: not cached (RFC 2308 §5).
            return std::min(seconds(result.error().ttl), options_.negative_ttl_max);
        case DnsErrc::server_failure:
        case DnsErrc::timeout:
        case DnsErrc::malformed:
        case DnsErrc::limit_exceeded:
            // RFC 2308 §7.1 allows up to five minutes; a few seconds absorb a burst of
            // identical lookups without delaying recovery.
            return options_.failure_ttl;
        case DnsErrc::invalid_name:
        case DnsErrc::no_mail:
        case DnsErrc::cancelled:
            return seconds(0);
    }
    return seconds(0);
}

void CachingResolver::finish(const std::shared_ptr<Query>& query, DnsResult<RecordSet> result) {
    auto ttl = cache_ttl(result);
    if (result) {
        result->ttl = static_cast<std::uint32_t>(ttl.count());
    } else {
        result.error().ttl = static_cast<std::uint32_t>(ttl.count());
    }
    if (!result && result.error().code != DnsErrc::cancelled) {
        auto level = is_temporary(result.error().code) ? log::kWarning : log::kProtocol;
        options_.logger.log(level, "DNS {}", result.error().to_string());
    }
    std::vector<Callback<RecordSet>> waiters;
    {
        std::lock_guard lock(mutex_);
        if (!result && is_temporary(result.error().code))
            ++stats_.failures;
        cache_.insert(query->name, query->type, result, ttl, now());
        waiters = std::move(query->waiters);
        in_flight_.erase(query->key);
    }
    for (std::size_t i = 0; i + 1 < waiters.size(); ++i)
        waiters[i](result);
    if (!waiters.empty())
        waiters.back()(std::move(result));
}

void CachingResolver::flush() {
    std::lock_guard lock(mutex_);
    cache_.clear();
}

void CachingResolver::shutdown() {
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
    }
    transport_->stop();
}

ResolverStats CachingResolver::stats() const {
    std::lock_guard lock(mutex_);
    ResolverStats s = stats_;
    s.evictions = cache_.evictions();
    s.entries = cache_.entries();
    s.bytes = cache_.bytes();
    s.in_flight = in_flight_.size();
    return s;
}

}  // namespace postern::net::dns
