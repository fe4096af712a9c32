// The directory as auth::AccountLookup: credentials by login name, and secret upgrades that
// lose to a concurrent password change (compare-and-set on password_generation).
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/state.h"

namespace postern::directory {

Result<std::optional<auth::AccountCredentials>> Directory::find_credentials(
    std::string_view login) {
    using Found = std::optional<auth::AccountCredentials>;
    // A login that is not an address names no account; that is an answer, not an error.
    std::string qualified;
    if (login.find('@') == std::string_view::npos &&
        !state_->options.default_login_domain.empty()) {
        qualified = std::string(login) + "@" + state_->options.default_login_domain;
        login = qualified;
    }
    auto address = parse_address(login);
    if (!address)
        return Found{};
    return with_reader(*state_, [&](sql::Connection& db) -> Result<Found> {
        auto domain = query::find_domain(db, address->domain);
        if (!domain)
            return fail(domain.error());
        if (!*domain)
            return Found{};
        auto row = query::find_address(db, (*domain)->id, address->local_part);
        if (!row)
            return fail(row.error());
        if (!*row || ((*row)->kind != query::Kind::account && (*row)->kind != query::Kind::alias))
            return Found{};
        auto account = query::load_account(db, (*row)->account_id);
        if (!account)
            return fail(account.error());
        if (!*account)
            return Found{};
        const auto& a = **account;
        auto effective =
            query::effective_settings(db, {SettingLevel::account, a.id, a.class_id, a.domain_id});
        if (!effective)
            return fail(effective.error());
        auth::AccountCredentials c;
        c.account_id = a.id;
        c.address = a.address();
        c.secrets = a.secrets;
        c.password_generation = a.generation;
        c.enabled = a.enabled;
        auto typed = typed_settings(*effective);
        c.services = std::move(typed.services);
        c.apop = typed.apop;
        return Found{std::move(c)};
    });
}

Status Directory::upgrade_secrets(std::int64_t account_id, std::uint64_t generation,
                                  const auth::StoredSecrets& secrets) {
    if (auth::hash_scheme(secrets.hash).empty()) {
        return fail(Errc::invalid_argument, "upgrade_secrets: unrecognised password hash");
    }
    if (!secrets.scram_sha256.empty() && !auth::parse_scram_secret(secrets.scram_sha256)) {
        return fail(Errc::invalid_argument, "upgrade_secrets: malformed SCRAM-SHA-256 secret");
    }
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto s = db.run(
            "UPDATE accounts SET password_hash = ?3, scram_sha256 = ?4, cram_md5 = ?5, "
            "apop_secret = ?6 WHERE id = ?1 AND password_generation = ?2",
            account_id, static_cast<std::int64_t>(generation), secrets.hash, secrets.scram_sha256,
            secrets.cram_md5, secrets.apop);
        if (!s || db.changes() > 0)
            return s;
        // Nothing updated: either the account is gone, or its password changed after the
        // caller read it. The latter is the expected race and not an error: the new
        // password's secrets are already current.
        auto account = query::load_account(db, account_id);
        if (!account)
            return fail(account.error());
        if (!*account)
            return fail(Errc::not_found,
                        "account #" + std::to_string(account_id) + " does not exist");
        return ok();
    });
}

}  // namespace postern::directory
