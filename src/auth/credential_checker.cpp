// The password-check flow shared by every service: ban checks, directory lookup, verification
// cache with coalescing of identical checks, slow hashing off the event loops, account and
// service checks, failure accounting and migration of imported hashes to argon2id.
#include "auth/credential_checker.h"

#include "auth/digest.h"
#include "auth/login_name.h"
#include "auth/sasl/mechanism.h"
#include "base/random.h"
#include "base/strings.h"

namespace postern::auth {
namespace {

bool service_allowed(const AccountCredentials& account, std::string_view service) {
    for (const auto& s : account.services) {
        if (iequals(s, service))
            return true;
    }
    return false;
}

std::shared_ptr<const CredentialChecker::Settings> make_settings(const config::AuthConfig& cfg) {
    return std::make_shared<const CredentialChecker::Settings>(
        CredentialChecker::Settings{cfg, HashParams::from(cfg)});
}

}  // namespace

CredentialChecker::CredentialChecker(const config::AuthConfig& cfg, AccountLookup& lookup,
                                     AuthenticatorOptions options)
    : lookup_(lookup),
      options_(std::move(options)),
      settings_(make_settings(cfg)),
      cache_(cfg.cache_size, cfg.cache_ttl),
      tracker_([&] {
          auto limits = FailureLimits::from(cfg);
          limits.max_entries = options_.max_tracked;
          return limits;
      }()),
      pool_(std::make_unique<WorkerPool>(cfg.hash_threads, options_.max_queued)) {}

CredentialChecker::~CredentialChecker() {
    // Before any member goes: running jobs use them, and cancelled ones answer callbacks.
    pool_->shutdown();
}

void CredentialChecker::update(const config::AuthConfig& cfg) {
    {
        std::lock_guard lock(settings_mutex_);
        settings_ = make_settings(cfg);
    }
    cache_.configure(cfg.cache_size, cfg.cache_ttl);
    auto limits = FailureLimits::from(cfg);
    limits.max_entries = options_.max_tracked;
    tracker_.configure(limits);
    pool_->resize(cfg.hash_threads);
}

AuthStats CredentialChecker::stats() const {
    return AuthStats{hash_verifications_.load(), cache_hits_.load(), coalesced_.load(),
                     upgrades_.load(), upgrade_failures_.load()};
}

void CredentialChecker::post(WorkerPool::Lane lane, std::function<void()> job,
                             std::function<void()> refused, WorkerPool::Admission admission) {
    // The pool keeps the job when it accepts it, so `refused` can only be needed when the
    // pool said no straight away or cancels the job at shutdown.
    auto shared_refused = std::make_shared<std::function<void()>>(std::move(refused));
    bool accepted = pool_->post(
        lane,
        [job = std::move(job), shared_refused](bool run) {
            if (run) {
                job();
            } else {
                (*shared_refused)();
            }
        },
        admission);
    if (!accepted)
        (*shared_refused)();
}

Result<CredentialChecker::Lookup> CredentialChecker::lookup(std::string_view login) {
    Lookup looked;
    looked.login = normalize_login(login);
    if (!looked.login)
        return looked;  // no account can have it: unknown user, IP-only counting
    auto found = lookup_.find_credentials(*looked.login);
    if (!found)
        return fail(found.error());
    looked.account = std::move(*found);
    looked.failure_key = looked.account ? to_lower(looked.account->address) : *looked.login;
    return looked;
}

std::optional<AuthResult> CredentialChecker::check_bans(const ClientContext& client,
                                                        std::string_view failure_key) {
    auto t = now();
    if (tracker_.ip_banned_until(client.remote_ip, t)) {
        return AuthResult::failure(AuthStatus::banned, "client IP is banned");
    }
    if (!failure_key.empty() && tracker_.account_locked_until(failure_key, t)) {
        return AuthResult::failure(AuthStatus::banned, "account is locked");
    }
    return std::nullopt;
}

AuthResult CredentialChecker::admit(const ClientContext& client, const AccountCredentials& account,
                                    std::string_view failure_key) {
    // Checked only after the credentials proved right, so these answers reveal nothing to
    // someone who does not hold the password.
    if (!account.enabled)
        return AuthResult::failure(AuthStatus::bad_credentials, "account disabled");
    if (!service_allowed(account, client.service)) {
        return AuthResult::failure(AuthStatus::service_not_allowed,
                                   "account may not use " + client.service);
    }
    tracker_.record_success(client.remote_ip, failure_key, now());
    return AuthResult{AuthStatus::ok, account.account_id, account.address, {}};
}

void CredentialChecker::record_failure(const ClientContext& client, std::string_view failure_key) {
    auto triggered = tracker_.record_failure(client.remote_ip, failure_key, now());
    auto minutes =
        std::chrono::duration_cast<std::chrono::minutes>(settings()->cfg.ban_time).count();
    if (triggered.ip_banned) {
        options_.log.warn("IP {} banned for {} min after too many failed logins",
                          client.remote_ip.to_string(), minutes);
        client.log.warn("client IP banned for {} min after too many failed logins", minutes);
    }
    if (triggered.account_locked) {
        options_.log.warn("login {} locked for {} min after too many failed logins",
                          loggable(failure_key), minutes);
    }
}

bool CredentialChecker::verify_counted(std::string_view stored_hash, std::string_view password) {
    hash_verifications_.fetch_add(1, std::memory_order_relaxed);
    return verify_hash(stored_hash, password);
}

std::string CredentialChecker::dummy_hash() {
    auto params = settings()->params;
    std::lock_guard lock(dummy_mutex_);
    if (dummy_hash_.empty() || dummy_params_.argon2_memory_kib != params.argon2_memory_kib ||
        dummy_params_.argon2_iterations != params.argon2_iterations ||
        dummy_params_.argon2_parallelism != params.argon2_parallelism) {
        dummy_params_ = params;
        dummy_hash_ = derive_secrets(random_token(32), params).hash;
    }
    return dummy_hash_;
}

void CredentialChecker::verify_unknown(std::string password, VerdictCallback then) {
    // Unknown users cost one argon2id verification at current cost, like a real account, so
    // the answer's timing does not reveal whether the account exists.
    auto shared_then = std::make_shared<VerdictCallback>(std::move(then));
    post(
        WorkerPool::Lane::slow,
        [this, password = std::move(password), shared_then] {
            verify_counted(dummy_hash(), password);
            (*shared_then)(Verdict::mismatch);
        },
        [shared_then] { (*shared_then)(Verdict::unavailable); },
        WorkerPool::Admission::continuation);
}

void CredentialChecker::verify_coalesced(const FlightKey& flight, std::string stored_hash,
                                         std::string password, VerdictCallback then) {
    bool cached = false;
    {
        std::lock_guard lock(mutex_);
        auto [it, first] = flights_.try_emplace(flight);
        if (!first) {
            // The same login and password for the same account is hashing now: share its verdict.
            it->second.push_back(std::move(then));
            coalesced_.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        // A flight fills the cache before it leaves flights_, so one that settled since our
        // cache miss is visible here.
        cached = cache_.contains(flight.key, flight.account_id, flight.generation, now());
        if (cached) {
            flights_.erase(it);
        } else {
            it->second.push_back(std::move(then));
        }
    }
    if (cached) {
        cache_hits_.fetch_add(1, std::memory_order_relaxed);
        return then(Verdict::match);
    }
    auto settle = [this, flight](Verdict verdict) {
        std::vector<VerdictCallback> waiters;
        {
            std::lock_guard lock(mutex_);
            auto node = flights_.extract(flight);
            if (node)
                waiters = std::move(node.mapped());
        }
        for (auto& w : waiters)
            w(verdict);
    };
    post(
        WorkerPool::Lane::slow,
        [this, flight, stored_hash = std::move(stored_hash), password = std::move(password),
         settle] {
            bool match = verify_counted(stored_hash, password);
            if (match)
                cache_.insert(flight.key, flight.account_id, flight.generation, now());
            settle(match ? Verdict::match : Verdict::mismatch);
        },
        [settle] { settle(Verdict::unavailable); }, WorkerPool::Admission::continuation);
}

void CredentialChecker::check_password(const ClientContext& client, std::string login,
                                       std::string password, Callback done) {
    if (auto banned = check_bans(client, {}))
        return done(std::move(*banned));
    auto found = lookup(login);
    if (!found) {
        client.log.error("account lookup for {} failed: {}", loggable(login),
                         found.error().to_string());
        return done(AuthResult::failure(AuthStatus::temporary_failure, "directory unavailable"));
    }
    auto looked = std::make_shared<const Lookup>(std::move(*found));
    if (auto locked = check_bans(client, looked->failure_key))
        return done(std::move(*locked));
    if (password.empty() || password.size() > sasl::kMaxPasswordLength) {
        record_failure(client, looked->failure_key);
        return done(
            AuthResult::failure(AuthStatus::bad_credentials, "empty or over-long password"));
    }

    auto shared_password = std::make_shared<std::string>(std::move(password));
    auto finish = [this, client, looked, shared_password, done = std::move(done)](Verdict v) {
        decide(client, *looked, *shared_password, v, done);
    };
    // An account without a usable hash (none set, or a scheme we cannot verify) costs the
    // same dummy verification as an unknown user, and always fails.
    if (!looked->account || hash_scheme(looked->account->secrets.hash).empty())
        return verify_unknown(*shared_password, std::move(finish));

    const auto& account = *looked->account;
    auto key = cache_.key_for(*looked->login, *shared_password);
    if (cache_.contains(key, account.account_id, account.password_generation, now())) {
        cache_hits_.fetch_add(1, std::memory_order_relaxed);
        return finish(Verdict::match);
    }
    verify_coalesced(FlightKey{key, account.account_id, account.password_generation},
                     account.secrets.hash, *shared_password, std::move(finish));
}

AuthResult CredentialChecker::check_apop(const ClientContext& client, std::string_view login,
                                         std::string_view timestamp, std::string_view digest) {
    if (auto banned = check_bans(client, {}))
        return std::move(*banned);
    auto found = lookup(login);
    if (!found) {
        client.log.error("account lookup for {} failed: {}", loggable(login),
                         found.error().to_string());
        return AuthResult::failure(AuthStatus::temporary_failure, "directory unavailable");
    }
    if (auto locked = check_bans(client, found->failure_key))
        return std::move(*locked);
    const auto& account = found->account;
    // Compute a digest even when there is nothing to compare it with: same work either way.
    std::string secret = account && account->apop ? account->secrets.apop : std::string();
    auto expected = apop_digest(timestamp, secret.empty() ? std::string_view("\x01") : secret);
    bool match = constant_time_equal(expected, digest) && !secret.empty();
    if (!match) {
        record_failure(client, found->failure_key);
        return AuthResult::failure(
            AuthStatus::bad_credentials,
            !account ? "unknown user"
                     : (!account->apop ? "APOP not allowed for the account"
                                       : (secret.empty() ? "no APOP secret stored yet (log in "
                                                           "once with the password)"
                                                         : "wrong APOP digest")));
    }
    return admit(client, *account, found->failure_key);
}

void CredentialChecker::decide(const ClientContext& client, const Lookup& looked,
                               std::string_view password, Verdict verdict, const Callback& done) {
    if (verdict == Verdict::unavailable) {
        return done(AuthResult::failure(AuthStatus::temporary_failure, "server busy or stopping"));
    }
    if (verdict == Verdict::mismatch || !looked.account) {
        record_failure(client, looked.failure_key);
        return done(AuthResult::failure(AuthStatus::bad_credentials,
                                        looked.account ? "wrong password" : "unknown user"));
    }
    auto result = admit(client, *looked.account, looked.failure_key);
    bool upgrade = result.ok();
    done(std::move(result));
    // After answering: the client does not wait for the second hash an upgrade costs.
    if (upgrade)
        maybe_upgrade(*looked.account, std::string(password));
}

void CredentialChecker::maybe_upgrade(const AccountCredentials& account, std::string password) {
    auto params = settings()->params;
    params.apop = account.apop;
    if (!needs_upgrade(account.secrets, params))
        return;
    {
        std::lock_guard lock(mutex_);
        if (!upgrading_.insert(account.account_id).second)
            return;  // another login does it
    }
    auto id = account.account_id;
    auto generation = account.password_generation;
    auto from = hash_scheme(account.secrets.hash);
    auto done = [this, id] {
        std::lock_guard lock(mutex_);
        upgrading_.erase(id);
    };
    post(
        WorkerPool::Lane::slow,
        [this, id, generation, from, params, password = std::move(password), done] {
            auto secrets = derive_secrets(password, params);
            auto stored = lookup_.upgrade_secrets(id, generation, secrets);
            done();  // before counting, so that whoever sees the count may upgrade again
            if (stored) {
                upgrades_.fetch_add(1, std::memory_order_relaxed);
                options_.log.info("account {}: password secrets upgraded from {}", id, from);
            } else {
                upgrade_failures_.fetch_add(1, std::memory_order_relaxed);
                options_.log.warn("account {}: storing upgraded password secrets failed: {}", id,
                                  stored.error().to_string());
            }
        },
        done, WorkerPool::Admission::continuation);
}

}  // namespace postern::auth
