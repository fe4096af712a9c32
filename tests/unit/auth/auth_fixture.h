// Shared fixture for Authenticator tests: cheap hash costs, an in-memory directory with a few
// accounts, injected time and synchronous wrappers around the callback API.
#pragma once

#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <crypt.h>
#include <gtest/gtest.h>

#include "auth/authenticator.h"
#include "memory_account_lookup.h"

namespace postern::auth::testing {

inline config::AuthConfig fast_config() {
    config::AuthConfig cfg;
    cfg.argon2_memory_kib = 1024;  // the loader's minimum: ~1 ms per hash
    cfg.argon2_iterations = 1;
    cfg.hash_threads = 2;
    return cfg;
}

inline std::string sha512_crypt(const char* password) {
    crypt_data data{};
    return "{SHA512-CRYPT}" + std::string(crypt_r(password, "$6$rounds=5000$migrated$", &data));
}

inline IpAddress ip(std::string_view text) {
    return IpAddress::parse(text).value();
}

class AuthFixture : public ::testing::Test {
  protected:
    static constexpr std::int64_t kTim = 1, kOld = 2, kOff = 3, kWeb = 4;

    void SetUp() override {
        auto params = HashParams::from(cfg_);
        directory_.add({kTim,
                        "tim@example.com",
                        derive_secrets("tanstaaftanstaaf", params),
                        1,
                        true,
                        {"imap", "smtp", "pop3"}},
                       {"timothy@example.com"});
        directory_.add(
            {kOld, "old@example.com", {sha512_crypt("legacy"), "", ""}, 1, true, {"imap"}});
        directory_.add(
            {kOff, "off@example.com", derive_secrets("secret", params), 1, false, {"imap"}});
        directory_.add(
            {kWeb, "web@example.com", derive_secrets("secret", params), 1, true, {"http"}});
    }

    void TearDown() override { auth_.reset(); }

    Authenticator& auth() {
        if (!auth_) {
            AuthenticatorOptions options;
            options.hostname = "mail.example.com";
            options.clock = [this] { return std::chrono::steady_clock::time_point{} + offset(); };
            options.max_queued = max_queued_;
            auth_ = std::make_unique<Authenticator>(cfg_, directory_, options);
        }
        return *auth_;
    }

    std::chrono::milliseconds offset() const { return std::chrono::milliseconds(now_ms_.load()); }
    void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }

    ClientContext client(std::string service = "imap", std::string_view addr = "192.0.2.1",
                         bool secure = true) {
        return ClientContext{std::move(service), ip(addr), secure, false, {}};
    }

    AuthResult check(std::string login, std::string password, ClientContext c) {
        std::promise<AuthResult> result;
        auth().check_password({std::move(login), std::move(password), std::move(c)},
                              [&](AuthResult r) { result.set_value(std::move(r)); });
        return result.get_future().get();
    }
    AuthResult check(std::string login, std::string password) {
        return check(std::move(login), std::move(password), client());
    }

    static SaslReply step(SaslExchange& exchange, std::optional<std::string> response) {
        std::promise<SaslReply> reply;
        exchange.step(std::move(response), [&](SaslReply r) { reply.set_value(std::move(r)); });
        return reply.get_future().get();
    }

    // Waits (bounded) for background work such as a hash upgrade.
    template <class Pred>
    static bool eventually(Pred pred) {
        auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!pred()) {
            if (std::chrono::steady_clock::now() > deadline)
                return false;
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return true;
    }

    config::AuthConfig cfg_ = fast_config();
    MemoryAccountLookup directory_;
    std::size_t max_queued_ = 10'000;
    std::atomic<std::int64_t> now_ms_{100LL * 3600 * 1000};
    std::unique_ptr<Authenticator> auth_;
};

}  // namespace postern::auth::testing
