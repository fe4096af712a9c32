// The directory: domains, domain aliases, accounts, account classes, aliases, groups,
// forwarders, catch-alls and inherited settings, kept in one SQLite database (WAL).
#pragma once

#include <filesystem>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_lookup.h"
#include "base/result.h"
#include "directory/types.h"

namespace postern::directory {

struct DirectoryState;

// Thread-safety: every member may be called from any thread at once. Reads run on a pool of
// read connections (WAL: readers never wait for the writer); writes are serialised on one
// connection, each in its own transaction. Password hashing happens before the write lock
// is taken, so a slow hash never holds up other writers. All calls block on disk: call them
// from a blocking pool, not from an event loop.
//
// Names: domains and addresses are taken as admins type them and stored in canonical form
// (lower-case, see address.h); results always carry the canonical form. Calls that act on an
// account want the account's own address; an alias gives Errc::invalid_argument naming the
// account, so `remove` never hits the wrong thing.
//
// Errors: invalid_argument (syntax, bad value, wrong kind of address), not_found,
// already_exists, permission_denied (refused without `force`), limit_exceeded (expansion),
// io_error/corrupt/unavailable from the database.
class Directory final : public auth::AccountLookup {
  public:
    // Opens (creating if needed) `data_dir`/directory.db and migrates its schema. `data_dir`
    // must exist.
    static Result<std::unique_ptr<Directory>> open(const std::filesystem::path& data_dir,
                                                   DirectoryOptions options = {});
    ~Directory() override;
    Directory(const Directory&) = delete;
    Directory& operator=(const Directory&) = delete;

    // Checkpoints the WAL and closes every connection; later calls fail with
    // Errc::unavailable. Call it when no other call is running. The destructor closes too.
    Status close();

    const std::filesystem::path& database_file() const;

    // --- domains ------------------------------------------------------------------------
    Result<DomainInfo> add_domain(std::string_view name);
    Result<DomainInfo> get_domain(std::string_view name);
    Result<std::vector<DomainInfo>> list_domains(std::string_view pattern = "*");
    // Renames in place: accounts, aliases, classes and settings keep their ids; group members
    // and forwarder targets in the old domain are rewritten to the new name.
    Status rename_domain(std::string_view from, std::string_view to, RenameOptions options = {});
    // Refused (permission_denied) while the domain has accounts, aliases, groups or
    // forwarders, unless `force`: then all of them go too, and the domain's accounts leave
    // every group they were members of.
    Status remove_domain(std::string_view name, bool force = false);
    Status add_domain_alias(std::string_view alias, std::string_view domain);
    Status remove_domain_alias(std::string_view alias);
    Result<std::vector<std::string>> list_domain_aliases(std::string_view domain);
    // The account that receives mail for unknown local parts of `domain`; nullopt removes it.
    Status set_catch_all(std::string_view domain, std::optional<std::string_view> account);

    // --- account classes ----------------------------------------------------------------
    Status add_class(std::string_view domain, std::string_view name);
    // Refused while accounts use the class unless `force`: they then have no class.
    Status remove_class(std::string_view domain, std::string_view name, bool force = false);
    Result<std::vector<ClassInfo>> list_classes(std::string_view domain);

    // --- accounts -----------------------------------------------------------------------
    // A plain password is checked against the effective policy of the account's class (or
    // domain) before it is hashed with options.hash.
    Result<AddedAccount> add_account(const NewAccount& account);
    Result<AccountInfo> get_account(std::string_view address);
    Result<AccountInfo> get_account(std::int64_t account_id);
    Result<std::vector<AccountInfo>> list_accounts(const AccountQuery& query);
    // Replaces every stored secret and bumps password_generation (even for NoPassword,
    // which clears the password).
    Result<PasswordChange> set_password(std::string_view address, const PasswordSource& password);
    Status set_enabled(std::string_view address, bool enabled);
    Status set_account_class(std::string_view address, std::optional<std::string_view> class_name);
    // Moves an account to a new address (possibly in another local domain; its class must
    // exist there under the same name). Group members and forwarder targets follow.
    Status rename_account(std::string_view from, std::string_view to, RenameOptions options = {});
    // Removes the account, its aliases and settings, and takes it out of every group.
    Status remove_account(std::string_view address);
    // The policy a new password must meet at `target` (an account, or a class or domain for
    // accounts about to be created there).
    Result<PasswordPolicy> password_policy(const SettingTarget& target);

    // --- aliases, groups, forwarders ------------------------------------------------------
    // An alias may be in any local domain (not a domain alias name: those mirror their domain).
    Status add_alias(std::string_view alias, std::string_view account);
    Status remove_alias(std::string_view alias);
    Result<std::vector<AliasInfo>> list_aliases(std::string_view domain);
    Result<std::vector<std::string>> aliases_of(std::string_view account);

    // Members are addresses, local (accounts, aliases, other groups, forwarders) or external.
    Status add_group(std::string_view address, std::span<const std::string> members = {});
    Status remove_group(std::string_view address);
    Status add_group_members(std::string_view group, std::span<const std::string> members);
    Status remove_group_members(std::string_view group, std::span<const std::string> members);
    Result<AddressList> get_group(std::string_view group);
    Result<std::vector<AddressList>> list_groups(std::string_view domain);

    // A forwarder needs at least one target.
    Status add_forwarder(std::string_view address, std::span<const std::string> targets);
    Status remove_forwarder(std::string_view address);
    Status add_forwarder_targets(std::string_view forwarder, std::span<const std::string> targets);
    Status remove_forwarder_targets(std::string_view forwarder,
                                    std::span<const std::string> targets);
    Result<AddressList> get_forwarder(std::string_view forwarder);
    Result<std::vector<AddressList>> list_forwarders(std::string_view domain);

    // --- delivery -----------------------------------------------------------------------
    // What `address` is (SMTP RCPT). A few index probes, no scans. invalid_argument for
    // address syntax errors.
    Result<Resolution> resolve(std::string_view address);
    Result<bool> is_local_domain(std::string_view name);
    // The final recipients of an address: accounts, external addresses and unknown local
    // users, following groups and forwarders recursively with options.expand limits
    // (limit_exceeded when passed). Cycles are cut and reported in Expansion::cycle.
    Result<Expansion> expand(std::string_view address);

    // --- settings -----------------------------------------------------------------------
    // Errc::invalid_argument for unknown keys or bad values; the value is stored canonical.
    Status set_setting(const SettingTarget& target, std::string_view key, std::string_view value);
    // Back to inheriting. Unsetting a key that is not set is not an error.
    Status unset_setting(const SettingTarget& target, std::string_view key);
    // Only what `target` itself sets (level = target.level).
    Result<std::vector<StoredSetting>> explicit_settings(const SettingTarget& target);
    // Every key's effective value at `target` and the level it came from.
    Result<std::vector<EffectiveSetting>> effective_settings(const SettingTarget& target);
    // Typed effective settings of an account, for the services that enforce them.
    Result<AccountSettings> account_settings(std::int64_t account_id);

    // --- bulk ---------------------------------------------------------------------------
    // Creates accounts from CSV (format in types.h, ImportOptions). Per-row problems land in
    // the report with their line numbers; a row is created whole or not at all. Errors of
    // the whole input (no usable header, database failure) are returned as an error; rows
    // committed before such a failure stay.
    Result<ImportReport> import_accounts(std::istream& csv, const ImportOptions& options = {});

    // --- auth::AccountLookup ----------------------------------------------------------------
    // The login is an address: the account's own, an alias's, or either in a domain alias;
    // a bare name when options.default_login_domain is set. Compared case-insensitively like
    // every address here. No sub-addressing, no catch-all. nullopt for logins that are not
    // addresses. A disabled account is returned (enabled = false): auth decides what to say.
    // upgrade_secrets keeps password_generation (same password) and does nothing, successfully,
    // when the generation no longer matches: the password changed meanwhile.
    Result<std::optional<auth::AccountCredentials>> find_credentials(
        std::string_view login) override;
    Status upgrade_secrets(std::int64_t account_id, std::uint64_t generation,
                           const auth::StoredSecrets& secrets) override;

  private:
    explicit Directory(std::unique_ptr<DirectoryState> state);

    std::unique_ptr<DirectoryState> state_;
};

}  // namespace postern::directory
