// The credential-check engine behind Authenticator and SaslExchange: settings snapshot,
// directory lookups, the verification cache, failure accounting, the worker pool and hash
// upgrades. Internal to auth/; services use authenticator.h.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "auth/account_lookup.h"
#include "auth/auth_result.h"
#include "auth/failure_tracker.h"
#include "auth/password.h"
#include "auth/verification_cache.h"
#include "auth/worker_pool.h"
#include "config/config.h"

namespace postern::auth {

struct AuthenticatorOptions {
    std::string hostname = "localhost";  // in CRAM-MD5 challenges
    log::Logger log;                     // for events outside a session (bans, upgrades)
    std::size_t max_queued = 10'000;     // jobs waiting for a worker; beyond: temporary_failure
    std::size_t max_tracked = 100'000;   // failure-tracker entries per table
    // Injected time and SASL nonces, for tests. Empty: steady_clock::now() and random nonces.
    std::function<std::chrono::steady_clock::time_point()> clock;
    std::function<std::string()> sasl_nonce;
};

// Counters for metrics and tests.
struct AuthStats {
    std::uint64_t hash_verifications = 0;  // slow hash computations (dummy ones included)
    std::uint64_t cache_hits = 0;
    std::uint64_t coalesced = 0;  // checks that waited for an identical one already hashing
    std::uint64_t upgrades = 0;   // secrets re-derived and stored
    std::uint64_t upgrade_failures = 0;
};

class CredentialChecker {
  public:
    using Clock = std::chrono::steady_clock;
    using Callback = std::function<void(AuthResult)>;

    struct Settings {
        config::AuthConfig cfg;
        HashParams params;
    };

    // What the directory said about a login, and the key failures are counted under.
    struct Lookup {
        std::optional<std::string> login;  // normalized; nullopt when no account can have it
        std::optional<AccountCredentials> account;
        std::string failure_key;  // canonical address (lower-case) or normalized login
    };

    CredentialChecker(const config::AuthConfig& cfg, AccountLookup& lookup,
                      AuthenticatorOptions options);
    ~CredentialChecker();  // stops the pool first: queued callbacks get temporary_failure

    void update(const config::AuthConfig& cfg);
    std::shared_ptr<const Settings> settings() const {
        std::lock_guard lock(settings_mutex_);
        return settings_;
    }
    const AuthenticatorOptions& options() const { return options_; }
    Clock::time_point now() const { return options_.clock ? options_.clock() : Clock::now(); }

    // Runs `job` on a worker. When the pool refuses (queue full, stopping), calls `refused`
    // instead: on the calling thread, or on the destroying thread at shutdown.
    void post(WorkerPool::Lane lane, std::function<void()> job, std::function<void()> refused,
              WorkerPool::Admission admission = WorkerPool::Admission::new_request);

    // The password flow (ban check, lookup, cache or hash, account checks, accounting,
    // upgrade); calls `done` exactly once, on a worker. Call on a worker (fast lane).
    void check_password(const ClientContext& client, std::string login, std::string password,
                        Callback done);

    // APOP (RFC 1939 §7): bans, lookup, digest against the clear-text secret, accounting.
    // Blocking: call on a worker.
    AuthResult check_apop(const ClientContext& client, std::string_view login,
                          std::string_view timestamp, std::string_view digest);

    // Pieces of the same flow for SASL mechanisms that do their own verification.
    // Blocking: call on a worker.
    Result<Lookup> lookup(std::string_view login);
    std::optional<AuthResult> check_bans(const ClientContext& client, std::string_view failure_key);
    // After the mechanism succeeded: enabled? service allowed? then record the success.
    AuthResult admit(const ClientContext& client, const AccountCredentials& account,
                     std::string_view failure_key);
    // Counts a failure (failure_key empty: against the IP only) and logs what it triggered.
    void record_failure(const ClientContext& client, std::string_view failure_key);

    VerificationCache& cache() { return cache_; }
    FailureTracker& tracker() { return tracker_; }
    AuthStats stats() const;

  private:
    enum class Verdict { match, mismatch, unavailable };
    using VerdictCallback = std::function<void(Verdict)>;
    struct FlightKey {
        VerificationCache::Key key;
        std::int64_t account_id;
        std::uint64_t generation;
        auto operator<=>(const FlightKey&) const = default;
    };

    void verify_coalesced(const FlightKey& flight, std::string stored_hash, std::string password,
                          VerdictCallback then);
    void verify_unknown(std::string password, VerdictCallback then);
    void decide(const ClientContext& client, const Lookup& looked, std::string_view password,
                Verdict verdict, const Callback& done);
    void maybe_upgrade(const AccountCredentials& account, std::string password);
    bool verify_counted(std::string_view stored_hash, std::string_view password);
    std::string dummy_hash();

    AccountLookup& lookup_;
    const AuthenticatorOptions options_;
    // A plain mutex rather than std::atomic<std::shared_ptr>: libstdc++ 12 implements the
    // latter with a lock bit that ThreadSanitizer cannot see, and this is not a hot path.
    mutable std::mutex settings_mutex_;
    std::shared_ptr<const Settings> settings_;
    VerificationCache cache_;
    FailureTracker tracker_;

    std::mutex mutex_;  // guards flights_ and upgrading_
    std::map<FlightKey, std::vector<VerdictCallback>> flights_;
    std::set<std::int64_t> upgrading_;
    std::mutex dummy_mutex_;  // held while the dummy hash is derived (slow)
    std::string dummy_hash_;
    HashParams dummy_params_;

    std::atomic<std::uint64_t> hash_verifications_{0};
    std::atomic<std::uint64_t> cache_hits_{0};
    std::atomic<std::uint64_t> coalesced_{0};
    std::atomic<std::uint64_t> upgrades_{0};
    std::atomic<std::uint64_t> upgrade_failures_{0};

    // Shut down in the destructor's body; also the last member, destroyed first.
    std::unique_ptr<WorkerPool> pool_;
};

}  // namespace postern::auth
