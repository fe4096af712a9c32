// The production Resolver: an answer cache (RFC 1035 §3.2.1 TTLs, RFC 2308 negative caching,
// brief caching of temporary failures) in front of c-ares, with identical concurrent questions
// coalesced into one upstream query.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "net/dns/answer.h"
#include "net/dns/cache.h"
#include "net/dns/cares_transport.h"
#include "net/dns/options.h"
#include "net/dns/resolver.h"

namespace postern::net::dns {

// For the status page and tests. Every lookup counts once as a hit or a miss; a miss is
// either coalesced (it joined a query in flight) or started an upstream query.
struct ResolverStats {
    std::uint64_t hits = 0;
    std::uint64_t negative_hits = 0;  // hits that returned a cached error (NXDOMAIN, SERVFAIL, ...)
    std::uint64_t misses = 0;
    std::uint64_t coalesced = 0;
    std::uint64_t upstream_queries = 0;  // questions sent to c-ares, CNAME follow-ups included
    std::uint64_t failures = 0;          // upstream answers that were temporary failures
    std::uint64_t evictions = 0;
    std::size_t entries = 0;
    std::size_t bytes = 0;
    std::size_t in_flight = 0;
};

class CachingResolver final : public Resolver {
  public:
    // Starts the c-ares thread. Fails with invalid_argument when validate(options) does, and
    // with unavailable when c-ares cannot be initialised.
    static Result<std::unique_ptr<CachingResolver>> create(ResolverOptions options);

    // shutdown(), then frees everything.
    ~CachingResolver() override;

    // See Resolver. Cache hits call `done` on the calling thread; answers from the network call
    // it on the resolver thread.
    void lookup(std::string_view name, RecordType type, Callback<RecordSet> done) override;

    // Forgets every cached answer (queries in flight still store theirs when they complete).
    void flush();

    // Cancels queries in flight (their callbacks run once, with cancelled, on the resolver
    // thread or here) and stops the thread; later lookups complete at once with cancelled.
    // Idempotent. Must not be called from a resolver callback.
    void shutdown();

    ResolverStats stats() const;
    const ResolverOptions& options() const { return options_; }

  private:
    struct Query;
    CachingResolver(ResolverOptions options, std::unique_ptr<CaresTransport> transport);

    void send(std::shared_ptr<Query> query, std::string name, std::size_t cnames);
    void on_reply(const std::shared_ptr<Query>& query, RawReply reply);
    void finish(const std::shared_ptr<Query>& query, DnsResult<RecordSet> result);
    std::chrono::seconds cache_ttl(const DnsResult<RecordSet>& result) const;
    SteadyTime now() const;

    const ResolverOptions options_;
    const AnswerLimits limits_;
    std::unique_ptr<CaresTransport> transport_;

    mutable std::mutex mutex_;
    Cache cache_;                                                        // guarded by mutex_
    std::unordered_map<std::string, std::shared_ptr<Query>> in_flight_;  // guarded by mutex_
    bool stopped_ = false;                                               // guarded by mutex_
    ResolverStats stats_;                                                // guarded by mutex_
};

}  // namespace postern::net::dns
