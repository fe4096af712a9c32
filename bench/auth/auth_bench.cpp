// Costs of authentication: argon2id at the default cost, imported crypt hashes, a cache hit
// (alone and through the whole Authenticator), and a SCRAM-SHA-256 exchange (RFC 7677 §3).
#include <future>
#include <mutex>

#include <benchmark/benchmark.h>
#include <crypt.h>

#include "auth/authenticator.h"
#include "auth/password.h"
#include "auth/sasl/scram_sha256.h"
#include "auth/verification_cache.h"
#include "base/encoding.h"
#include "config/config.h"

namespace {

using namespace postern;
using namespace postern::auth;
using namespace std::string_literals;

// One account in memory: the Authenticator's cost without a real directory behind it.
class OneAccount final : public AccountLookup {
  public:
    explicit OneAccount(StoredSecrets secrets, std::string address = "tim@example.com") {
        account_ = {1, std::move(address), std::move(secrets), 1, true, {"imap"}};
    }
    Result<std::optional<AccountCredentials>> find_credentials(std::string_view login) override {
        std::lock_guard lock(mutex_);
        if (login != account_.address)
            return std::optional<AccountCredentials>{};
        return std::optional<AccountCredentials>{account_};
    }
    Status upgrade_secrets(std::int64_t, std::uint64_t, const StoredSecrets&) override {
        return ok();
    }

  private:
    std::mutex mutex_;
    AccountCredentials account_;
};

const StoredSecrets& default_cost_secrets() {
    static const StoredSecrets s =
        derive_secrets("tanstaaftanstaaf", HashParams::from(config::AuthConfig{}));
    return s;
}

void BM_Argon2idVerifyDefaultCost(benchmark::State& state) {
    const auto& s = default_cost_secrets();
    for (auto _ : state)
        benchmark::DoNotOptimize(verify_hash(s.hash, "tanstaaftanstaaf"));
}
BENCHMARK(BM_Argon2idVerifyDefaultCost)->Unit(benchmark::kMillisecond);

void BM_Sha512CryptVerify(benchmark::State& state) {
    crypt_data data{};
    auto stored = "{SHA512-CRYPT}"s + crypt_r("legacy", "$6$saltsalt$", &data);
    for (auto _ : state)
        benchmark::DoNotOptimize(verify_hash(stored, "legacy"));
}
BENCHMARK(BM_Sha512CryptVerify)->Unit(benchmark::kMillisecond);

void BM_CacheHit(benchmark::State& state) {
    VerificationCache cache(10000, std::chrono::seconds(60));
    auto now = std::chrono::steady_clock::now();
    for (int i = 0; i < 10000; ++i)
        cache.insert(cache.key_for("user" + std::to_string(i), "pw"), i, 1, now);
    auto key = cache.key_for("user42", "pw");
    for (auto _ : state) {
        // key_for is part of every lookup: the HMAC is the cache's main cost.
        key = cache.key_for("user42", "pw");
        benchmark::DoNotOptimize(cache.contains(key, 42, 1, now));
    }
}
BENCHMARK(BM_CacheHit);

// check_password through the worker pool, answered from the cache: what a client that logs
// in again and again costs after its first login.
void BM_CheckPasswordCacheHit(benchmark::State& state) {
    OneAccount directory(default_cost_secrets());
    Authenticator auth(config::AuthConfig{}, directory);
    auto check = [&] {
        std::promise<AuthResult> result;
        auth.check_password({"tim@example.com", "tanstaaftanstaaf", {"imap", {}, true, false, {}}},
                            [&](AuthResult r) { result.set_value(std::move(r)); });
        return result.get_future().get();
    };
    if (!check().ok())
        state.SkipWithError("login failed");
    for (auto _ : state)
        benchmark::DoNotOptimize(check());
    auto stats = auth.stats();
    state.counters["hashes"] = static_cast<double>(stats.hash_verifications);
}
BENCHMARK(BM_CheckPasswordCacheHit)->UseRealTime();

// The same without the cache: one argon2id per login, plus the pool hop.
void BM_CheckPasswordNoCache(benchmark::State& state) {
    OneAccount directory(default_cost_secrets());
    config::AuthConfig cfg;
    cfg.cache_size = 0;
    Authenticator auth(cfg, directory);
    for (auto _ : state) {
        std::promise<AuthResult> result;
        auth.check_password({"tim@example.com", "tanstaaftanstaaf", {"imap", {}, true, false, {}}},
                            [&](AuthResult r) { result.set_value(std::move(r)); });
        benchmark::DoNotOptimize(result.get_future().get());
    }
}
BENCHMARK(BM_CheckPasswordNoCache)->Unit(benchmark::kMillisecond)->UseRealTime();

constexpr std::string_view kServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
constexpr std::string_view kClientFirst = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
constexpr std::string_view kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
    "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";

StoredSecrets rfc7677_secrets() {
    return {"",
            format_scram_secret(make_scram_secret(
                "pencil", 4096, base64_decode("W22ZaJ0SNY7soEsUEjb6gQ==").value())),
            ""};
}

// The server's side of RFC 7677's exchange: parsing, two HMACs and a SHA-256 for the proof,
// one HMAC for the signature. No PBKDF2: the server stores StoredKey and ServerKey.
void BM_ScramExchangeMechanism(benchmark::State& state) {
    auto secrets = rfc7677_secrets();
    for (auto _ : state) {
        sasl::ScramSha256Mechanism m(4096, "key", [] { return std::string(kServerNonce); });
        m.start(kClientFirst);
        m.provide_credentials(&secrets);
        auto done = m.respond(kClientFinal);
        if (!std::holds_alternative<sasl::Success>(done))
            state.SkipWithError("exchange failed");
    }
}
BENCHMARK(BM_ScramExchangeMechanism);

// The same exchange through the Authenticator: two worker-pool round trips, a lookup and the
// account checks.
void BM_ScramExchangeAuthenticator(benchmark::State& state) {
    OneAccount directory(rfc7677_secrets(), "user");  // RFC 7677's user name
    AuthenticatorOptions options;
    options.sasl_nonce = [] { return std::string(kServerNonce); };
    Authenticator auth(config::AuthConfig{}, directory, options);
    auto step = [](SaslExchange& ex, std::optional<std::string> response) {
        std::promise<SaslReply> reply;
        ex.step(std::move(response), [&](SaslReply r) { reply.set_value(std::move(r)); });
        return reply.get_future().get();
    };
    for (auto _ : state) {
        auto ex = auth.start_sasl({"SCRAM-SHA-256", {"imap", {}, true, false, {}}});
        step(**ex, std::string(kClientFirst));
        auto out = step(**ex, std::string(kClientFinal));
        auto* outcome = std::get_if<SaslOutcome>(&out);
        if (!outcome || !outcome->result.ok())
            state.SkipWithError("exchange failed");
    }
}
BENCHMARK(BM_ScramExchangeAuthenticator)->UseRealTime();

}  // namespace
