// An in-memory AccountLookup for tests: accounts, aliases, injected failures and call counters.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "auth/account_lookup.h"

namespace postern::auth::testing {

class MemoryAccountLookup final : public AccountLookup {
  public:
    // Adds an account; `aliases` are further logins that resolve to it. Addresses and aliases
    // match case-insensitively, as a directory would.
    void add(AccountCredentials account, std::vector<std::string> aliases = {});
    // Replaces the secrets and bumps the password generation, like a password change.
    void set_secrets(std::int64_t account_id, StoredSecrets secrets);
    void set_enabled(std::int64_t account_id, bool enabled);
    std::optional<AccountCredentials> get(std::int64_t account_id) const;

    void fail_lookups(bool fail) { fail_lookups_ = fail; }
    void fail_upgrades(bool fail) { fail_upgrades_ = fail; }
    // While closed, find_credentials() blocks: lets tests fill the worker queue.
    void close_gate();
    void open_gate();

    int find_calls() const { return find_calls_; }
    int upgrade_calls() const { return upgrade_calls_; }

    Result<std::optional<AccountCredentials>> find_credentials(std::string_view login) override;
    Status upgrade_secrets(std::int64_t account_id, std::uint64_t generation,
                           const StoredSecrets& secrets) override;

  private:
    mutable std::mutex mutex_;
    std::condition_variable gate_changed_;
    bool gate_closed_ = false;
    std::map<std::int64_t, AccountCredentials> accounts_;
    std::map<std::string, std::int64_t> logins_;  // lower-cased login → account id
    std::atomic<bool> fail_lookups_{false};
    std::atomic<bool> fail_upgrades_{false};
    std::atomic<int> find_calls_{0};
    std::atomic<int> upgrade_calls_{0};
};

}  // namespace postern::auth::testing
