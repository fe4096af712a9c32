// In-memory AccountLookup for the auth unit tests.
#include "memory_account_lookup.h"

#include "base/strings.h"

namespace postern::auth::testing {

void MemoryAccountLookup::add(AccountCredentials account, std::vector<std::string> aliases) {
    std::lock_guard lock(mutex_);
    logins_[to_lower(account.address)] = account.account_id;
    for (auto& a : aliases)
        logins_[to_lower(a)] = account.account_id;
    accounts_[account.account_id] = std::move(account);
}

void MemoryAccountLookup::set_secrets(std::int64_t account_id, StoredSecrets secrets) {
    std::lock_guard lock(mutex_);
    auto& a = accounts_.at(account_id);
    a.secrets = std::move(secrets);
    ++a.password_generation;
}

void MemoryAccountLookup::set_enabled(std::int64_t account_id, bool enabled) {
    std::lock_guard lock(mutex_);
    accounts_.at(account_id).enabled = enabled;
}

std::optional<AccountCredentials> MemoryAccountLookup::get(std::int64_t account_id) const {
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account_id);
    if (it == accounts_.end())
        return std::nullopt;
    return it->second;
}

void MemoryAccountLookup::close_gate() {
    std::lock_guard lock(mutex_);
    gate_closed_ = true;
}

void MemoryAccountLookup::open_gate() {
    {
        std::lock_guard lock(mutex_);
        gate_closed_ = false;
    }
    gate_changed_.notify_all();
}

Result<std::optional<AccountCredentials>> MemoryAccountLookup::find_credentials(
    std::string_view login) {
    ++find_calls_;
    std::unique_lock lock(mutex_);
    gate_changed_.wait(lock, [&] { return !gate_closed_; });
    if (fail_lookups_)
        return fail(Errc::unavailable, "directory down (test)");
    auto it = logins_.find(to_lower(login));
    if (it == logins_.end())
        return std::optional<AccountCredentials>{};
    return std::optional<AccountCredentials>{accounts_.at(it->second)};
}

Status MemoryAccountLookup::upgrade_secrets(std::int64_t account_id, std::uint64_t generation,
                                            const StoredSecrets& secrets) {
    ++upgrade_calls_;
    if (fail_upgrades_)
        return fail(Errc::io_error, "disk full (test)");
    std::lock_guard lock(mutex_);
    auto it = accounts_.find(account_id);
    if (it == accounts_.end())
        return fail(Errc::not_found, "no such account");
    if (it->second.password_generation != generation) {
        return fail(Errc::already_exists, "password changed meanwhile");
    }
    it->second.secrets = secrets;
    return ok();
}

}  // namespace postern::auth::testing
