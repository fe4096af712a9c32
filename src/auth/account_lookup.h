// The seam between authentication and the directory: how auth finds an account's secrets
// and permissions by login name. The directory's backends (SQLite, LDAP) implement it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/password.h"
#include "base/result.h"

namespace postern::auth {

struct AccountCredentials {
    std::int64_t account_id = 0;
    std::string address;  // canonical "user@domain"
    StoredSecrets secrets;
    std::uint64_t password_generation = 0;  // bumped on every password change
    bool enabled = true;
    std::vector<std::string>
        services;  // effective services the account may use: "smtp", "imap", ...
    bool apop = false;  // the account's `apop` setting: keep secrets.apop, allow APOP
};

class AccountLookup {
  public:
    virtual ~AccountLookup() = default;

    // The account a login name refers to: its address, an alias, or an address in a domain
    // alias. nullopt when none. Thread-safe; may block (call off the event loop).
    virtual Result<std::optional<AccountCredentials>> find_credentials(std::string_view login) = 0;

    // Stores re-derived secrets (hash upgrade, SCRAM secret filled in), unless the password
    // changed since `generation` was read. Thread-safe; may block.
    virtual Status upgrade_secrets(std::int64_t account_id, std::uint64_t generation,
                                   const StoredSecrets& secrets) = 0;
};

}  // namespace postern::auth
