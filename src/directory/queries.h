// Internal to the directory: the lookups and writes that several operations share, each a
// few indexed statements on a connection the caller already holds in a transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "auth/password.h"
#include "base/result.h"
#include "directory/address.h"
#include "directory/settings.h"
#include "directory/sqlite.h"
#include "directory/types.h"

namespace postern::directory::query {

// addresses.kind in the schema.
enum class Kind : int { account = 1, alias = 2, group = 3, forwarder = 4 };
std::string_view kind_noun(Kind kind);  // "an account", "an alias", ...

std::int64_t now_seconds();

struct DomainRow {
    std::int64_t id = 0;
    std::string name;        // the primary name
    bool via_alias = false;  // found under a domain alias name
};

// By canonical name, primary or alias. nullopt when neither.
Result<std::optional<DomainRow>> find_domain(sql::Connection& db, std::string_view canonical_name);
// By an admin-typed name that must be a primary domain: not_found, or invalid_argument when
// it is a domain alias ("x is an alias of y").
Result<DomainRow> require_domain(sql::Connection& db, std::string_view name);

struct AddressRow {
    std::int64_t id = 0;
    Kind kind = Kind::account;
    std::int64_t account_id = 0;  // account, alias
};
Result<std::optional<AddressRow>> find_address(sql::Connection& db, std::int64_t domain_id,
                                               std::string_view local_part);

// An admin-typed address in a local primary domain, parsed, with its row if it exists.
struct LocalAddress {
    Address address;
    DomainRow domain;
    std::optional<AddressRow> row;
};
Result<LocalAddress> local_address(sql::Connection& db, std::string_view text);
// Like local_address, but the address must exist with `kind` (not_found / invalid_argument
// naming what it is instead).
Result<LocalAddress> require_kind(sql::Connection& db, std::string_view text, Kind kind);
// already_exists naming what the address is, unless it is free.
Status require_free(const LocalAddress& address);

struct AccountRow {
    std::int64_t id = 0;
    std::int64_t domain_id = 0;
    std::int64_t class_id = 0;  // 0 = no class
    bool enabled = true;
    std::int64_t created = 0;
    auth::StoredSecrets secrets;
    std::uint64_t generation = 0;
    std::string local_part;
    std::string domain;
    std::string class_name;

    std::string address() const { return local_part + "@" + domain; }
};
Result<std::optional<AccountRow>> load_account(sql::Connection& db, std::int64_t account_id);
// By the account's own address as an admin typed it.
Result<AccountRow> require_account(sql::Connection& db, std::string_view address);

// Class names: 1..64 of [a-z0-9._-], stored lower-case.
Result<std::string> canonical_class_name(std::string_view name);
// The id of class `name` in `domain_id`; not_found names both.
Result<std::int64_t> require_class(sql::Connection& db, std::int64_t domain_id,
                                   std::string_view name, std::string_view domain_name);

// The explicit settings along an inheritance chain (0 ids skip that level; the server level
// is always included).
Result<std::vector<StoredSetting>> load_settings_chain(sql::Connection& db, std::int64_t account_id,
                                                       std::int64_t class_id,
                                                       std::int64_t domain_id);

// The ids along the inheritance chain of a settings target (0 = level not in the chain), and
// the row that holds the target's own settings.
struct Chain {
    SettingLevel level = SettingLevel::server;
    std::int64_t account_id = 0;
    std::int64_t class_id = 0;
    std::int64_t domain_id = 0;
    std::int64_t owner_id() const;  // the id of the target's own row (0 for the server)
};
Result<Chain> resolve_target(sql::Connection& db, const SettingTarget& target);
Result<std::vector<EffectiveSetting>> effective_settings(sql::Connection& db, const Chain& chain);

// Calls fn(row) for each account of `domain_id` (0 = all domains), ordered by domain name
// then local part, until fn returns false.
template <class F>
Status for_each_account(sql::Connection& db, std::int64_t domain_id, F&& fn);

// A group member or forwarder target: parsed and canonical; an address in a domain alias is
// rewritten to the primary domain. External addresses are kept (lower-case).
Result<std::string> canonical_target(sql::Connection& db, std::string_view text);

// Creates an account and its address row. `settings` are canonical (key, value) pairs.
Result<std::int64_t> insert_account(sql::Connection& db, std::int64_t domain_id,
                                    std::string_view local_part, std::int64_t class_id,
                                    bool enabled, const auth::StoredSecrets& secrets,
                                    std::span<const std::pair<std::string, std::string>> settings);

// A group's members or a forwarder's targets, sorted.
Result<std::vector<std::string>> list_targets(sql::Connection& db, std::int64_t address_id);

// Takes every address of the account (own and aliases) out of every group's member list.
Status leave_groups(sql::Connection& db, std::int64_t account_id);

// For for_each_account: the statement and the row reader it needs.
Result<sql::Statement> prepare_account_scan(sql::Connection& db, std::int64_t domain_id);
AccountRow read_account(const sql::Statement& st);

template <class F>
Status for_each_account(sql::Connection& db, std::int64_t domain_id, F&& fn) {
    auto st = prepare_account_scan(db, domain_id);
    if (!st)
        return fail(st.error());
    for (;;) {
        auto row = st->step();
        if (!row)
            return fail(row.error());
        if (!*row || !fn(read_account(*st)))
            return ok();
    }
}

}  // namespace postern::directory::query
