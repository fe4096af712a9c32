// Value types of the directory API: what callers pass in and get back (no behaviour).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "auth/password.h"
#include "directory/csv.h"
#include "directory/settings.h"

namespace postern::config {
struct Config;
}

namespace postern::directory {

struct ExpandLimits {
    unsigned max_depth = 10;             // nested groups/forwarders followed
    std::size_t max_recipients = 10000;  // distinct final recipients of one expansion
};

struct DirectoryOptions {
    auth::HashParams hash;  // cost of new secrets: HashParams::from(config.auth)
    // Cost for plain passwords in CSV imports: HashParams::bulk_import(config.auth). Such
    // hashes are upgraded to `hash` at the account's first login (auth::needs_upgrade).
    auth::HashParams bulk_hash{.argon2_memory_kib = 4096, .argon2_iterations = 1};
    unsigned hash_threads = 2;  // threads that hash passwords during an import
    unsigned max_readers = 8;   // read connections; more concurrent readers wait for one
    std::chrono::milliseconds busy_timeout{5000};  // wait for another process's write lock
    // Sub-addressing: "user+tag@domain" resolves like "user@domain" when no address
    // "user+tag" exists. Each character is a delimiter; empty turns it off.
    std::string recipient_delimiters = "+";
    // A login without '@' ("tim") is looked up as "tim@<this domain>"; empty: such logins
    // name no account.
    std::string default_login_domain;
    ExpandLimits expand;

    // hash, bulk_hash and hash_threads from the [auth] section.
    static DirectoryOptions from(const config::AuthConfig& auth);
    // Everything from the configuration: [auth] costs and the [directory] section.
    static DirectoryOptions from(const config::Config& config);
};

struct DomainInfo {
    std::int64_t id = 0;
    std::string name;
    std::int64_t created = 0;              // unix seconds
    std::vector<std::string> aliases;      // domain alias names, sorted
    std::optional<std::string> catch_all;  // the catch-all account's address
    std::uint64_t accounts = 0;
};

struct AccountInfo {
    std::int64_t id = 0;
    std::string address;  // canonical "local@domain"
    std::string domain;
    std::optional<std::string> account_class;
    bool enabled = true;
    std::int64_t created = 0;  // unix seconds
    std::uint64_t password_generation = 0;
    std::string password_scheme;       // "ARGON2ID", "SHA512-CRYPT", ...; "" = no password
    std::vector<std::string> aliases;  // filled by get_account only
};

struct ClassInfo {
    std::string name;
    std::uint64_t accounts = 0;
};

struct AliasInfo {
    std::string address;  // the alias
    std::string account;  // the account's canonical address
};

// A group's members or a forwarder's targets.
struct AddressList {
    std::string address;
    std::vector<std::string> targets;  // sorted
};

// How a new or changed password is given.
struct NoPassword {};  // the account cannot log in until a password is set
struct PlainPassword {
    std::string text;  // checked against the effective policy, then hashed
};
struct HashedPassword {
    std::string text;  // "{SCHEME}...", stored as is (see auth::normalize_imported_hash)
};
struct RandomPassword {};  // generated to satisfy the policy and returned to the caller
using PasswordSource = std::variant<NoPassword, PlainPassword, HashedPassword, RandomPassword>;

struct NewAccount {
    std::string address;
    PasswordSource password = NoPassword{};
    std::optional<std::string> account_class;
    bool enabled = true;
    std::vector<std::pair<std::string, std::string>>
        settings;  // explicit account-level (key, value)
};

struct AddedAccount {
    AccountInfo account;
    std::optional<std::string> generated_password;  // for RandomPassword: show it once, then forget
};

struct PasswordChange {
    std::uint64_t generation = 0;  // the new password_generation
    std::optional<std::string> generated_password;
};

struct AccountQuery {
    std::string domain;  // empty = every domain
    std::string pattern =
        "*";  // glob on the local part (on the whole address when domain is empty)
    std::size_t offset = 0;
    std::size_t limit = 0;  // 0 = no limit
};

struct RenameOptions {
    bool keep_old_as_alias = false;  // the old name keeps working (as a domain alias / an alias)
};

// What an address is, as SMTP needs to know at RCPT time.
enum class AddressKind {
    not_local,     // the domain is not ours: relay decision elsewhere
    unknown_user,  // our domain, no such address and no catch-all
    account,       // an account's own address
    alias,         // an alias of an account
    group,         // a distribution address: expand()
    forwarder,     // forwards to targets, no mailbox: expand()
    catch_all,     // unknown local part, delivered to the domain's catch-all account
};
std::string_view kind_name(AddressKind kind);

struct Resolution {
    AddressKind kind = AddressKind::not_local;
    std::string address;  // canonical input with the primary domain (domain alias replaced)
    bool via_domain_alias = false;
    std::string subaddress;       // "tag" when "user+tag" matched "user"; else empty
    std::int64_t account_id = 0;  // account, alias, catch_all
    std::string account_address;  // the account's canonical address
    bool account_enabled = false;
    std::int64_t list_id = 0;  // group, forwarder
};

struct Recipient {
    enum class Kind { account, external, unknown_user };
    Kind kind = Kind::external;
    std::string address;  // account: canonical address; otherwise the target as stored
    std::int64_t account_id = 0;
    bool enabled = true;  // account: whether it is enabled
};

struct Expansion {
    std::vector<Recipient> recipients;  // distinct, in first-seen order
    bool cycle = false;                 // a group/forwarder contains itself (skipped, not an error)
};

// One level at which settings are set. Names are given as admins type them.
struct SettingTarget {
    SettingLevel level = SettingLevel::server;
    std::string domain;  // domain and account_class levels
    std::string name;    // account_class: the class name; account: the address

    static SettingTarget server() { return {SettingLevel::server, "", ""}; }
    static SettingTarget for_domain(std::string domain) {
        return {SettingLevel::domain, std::move(domain), ""};
    }
    static SettingTarget for_class(std::string domain, std::string name) {
        return {SettingLevel::account_class, std::move(domain), std::move(name)};
    }
    static SettingTarget for_account(std::string address) {
        return {SettingLevel::account, "", std::move(address)};
    }
};

// CSV import (Directory::import_accounts). The header line names the columns, in any order,
// case-insensitive: `address` and `password` are required; `class`, `enabled` and any
// setting key (quota, services, ...) are optional. Empty cells mean "not given": no class,
// enabled, inherit the setting.
struct ImportOptions {
    bool dry_run = false;           // check every row, write nothing, hash nothing
    bool stop_on_error = false;     // stop at the first bad row; rows before it stay imported
    bool skip_existing = false;     // an existing address is skipped instead of an error
    bool create_domains = false;    // unknown domains are created instead of an error
    bool generate_missing = false;  // empty password cell: generate one (returned in the report)
    std::size_t batch_size = 1000;  // rows per write transaction
    CsvLimits csv;
};

struct ImportRowError {
    std::size_t line = 0;  // where the row starts in the input (1-based)
    std::string address;   // as given, may be empty
    std::string message;
};

struct ImportReport {
    std::size_t rows = 0;      // data rows read (blank lines not counted)
    std::size_t imported = 0;  // accounts created (dry run: would be created)
    std::size_t skipped = 0;   // existing accounts skipped (skip_existing)
    std::vector<ImportRowError> errors;
    std::vector<std::pair<std::string, std::string>> generated;  // (address, password)
    std::vector<std::string> created_domains;
    bool stopped = false;  // stop_on_error ended the import early
};

}  // namespace postern::directory
