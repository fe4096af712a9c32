// Shared directory lookups and writes (domain, address, account, class, settings rows).
#include "directory/queries.h"

#include <chrono>

#include "base/strings.h"

namespace postern::directory::query {

std::string_view kind_noun(Kind kind) {
    switch (kind) {
        case Kind::account:
            return "an account";
        case Kind::alias:
            return "an alias";
        case Kind::group:
            return "a group";
        case Kind::forwarder:
            return "a forwarder";
    }
    return "something else";
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

Result<std::optional<DomainRow>> find_domain(sql::Connection& db, std::string_view canonical_name) {
    auto st = db.prepare(
        "SELECT id, name, 0 FROM domains WHERE name = ?1 "
        "UNION ALL SELECT d.id, d.name, 1 FROM domain_aliases a JOIN domains d ON d.id = "
        "a.domain_id "
        "WHERE a.name = ?1");
    if (!st)
        return fail(st.error());
    st->bind_all(canonical_name);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row)
        return std::optional<DomainRow>{};
    return DomainRow{st->int64(0), st->text(1), st->int64(2) != 0};
}

Result<DomainRow> require_domain(sql::Connection& db, std::string_view name) {
    auto canonical = canonical_domain(name);
    if (!canonical)
        return fail(canonical.error());
    auto found = find_domain(db, *canonical);
    if (!found)
        return fail(found.error());
    if (!*found)
        return fail(Errc::not_found, "domain " + *canonical + " does not exist");
    if ((*found)->via_alias) {
        return fail(Errc::invalid_argument, *canonical + " is a domain alias of " + (*found)->name +
                                                "; use " + (*found)->name);
    }
    return std::move(**found);
}

Result<std::optional<AddressRow>> find_address(sql::Connection& db, std::int64_t domain_id,
                                               std::string_view local_part) {
    auto st = db.prepare(
        "SELECT id, kind, account_id FROM addresses WHERE domain_id = ?1 AND local_part = ?2");
    if (!st)
        return fail(st.error());
    st->bind_all(domain_id, local_part);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row)
        return std::optional<AddressRow>{};
    return AddressRow{st->int64(0), static_cast<Kind>(st->int64(1)),
                      st->is_null(2) ? 0 : st->int64(2)};
}

Result<LocalAddress> local_address(sql::Connection& db, std::string_view text) {
    auto address = parse_address(text);
    if (!address)
        return fail(address.error());
    auto domain = require_domain(db, address->domain);
    if (!domain)
        return fail(domain.error());
    auto row = find_address(db, domain->id, address->local_part);
    if (!row)
        return fail(row.error());
    return LocalAddress{std::move(*address), std::move(*domain), *row};
}

Result<LocalAddress> require_kind(sql::Connection& db, std::string_view text, Kind kind) {
    auto found = local_address(db, text);
    if (!found)
        return found;
    auto name = found->address.to_string();
    if (!found->row)
        return fail(Errc::not_found, name + " does not exist");
    if (found->row->kind != kind) {
        std::string what(kind_noun(found->row->kind));
        if (found->row->kind == Kind::alias) {
            auto account = load_account(db, found->row->account_id);
            if (account && *account)
                what += " of " + (*account)->address();
        }
        return fail(Errc::invalid_argument,
                    name + " is " + what + ", not " + std::string(kind_noun(kind)));
    }
    return found;
}

Status require_free(const LocalAddress& address) {
    if (!address.row)
        return ok();
    return fail(Errc::already_exists, address.address.to_string() + " already exists as " +
                                          std::string(kind_noun(address.row->kind)));
}

namespace {

constexpr std::string_view kAccountColumns =
    "SELECT ac.id, ac.domain_id, IFNULL(ac.class_id, 0), ac.enabled, ac.created, ac.password_hash, "
    "ac.scram_sha256, ac.cram_md5, ac.password_generation, a.local_part, d.name, IFNULL(c.name, "
    "''), ac.apop_secret "
    "FROM accounts ac JOIN addresses a ON a.account_id = ac.id AND a.kind = 1 "
    "JOIN domains d ON d.id = ac.domain_id LEFT JOIN account_classes c ON c.id = ac.class_id ";

}  // namespace

AccountRow read_account(const sql::Statement& st) {
    AccountRow r;
    r.id = st.int64(0);
    r.domain_id = st.int64(1);
    r.class_id = st.int64(2);
    r.enabled = st.int64(3) != 0;
    r.created = st.int64(4);
    r.secrets = {st.text(5), st.text(6), st.text(7), st.text(12)};
    r.generation = static_cast<std::uint64_t>(st.int64(8));
    r.local_part = st.text(9);
    r.domain = st.text(10);
    r.class_name = st.text(11);
    return r;
}

Result<sql::Statement> prepare_account_scan(sql::Connection& db, std::int64_t domain_id) {
    auto st = domain_id == 0
                  ? db.prepare(std::string(kAccountColumns) + "ORDER BY d.name, a.local_part")
                  : db.prepare(std::string(kAccountColumns) +
                               "WHERE ac.domain_id = ?1 ORDER BY a.local_part");
    if (st && domain_id != 0)
        st->bind_all(domain_id);
    return st;
}

Result<std::optional<AccountRow>> load_account(sql::Connection& db, std::int64_t account_id) {
    auto st = db.prepare(std::string(kAccountColumns) + "WHERE ac.id = ?1");
    if (!st)
        return fail(st.error());
    st->bind_all(account_id);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row)
        return std::optional<AccountRow>{};
    return read_account(*st);
}

Result<AccountRow> require_account(sql::Connection& db, std::string_view address) {
    auto found = require_kind(db, address, Kind::account);
    if (!found)
        return fail(found.error());
    auto account = load_account(db, found->row->account_id);
    if (!account)
        return fail(account.error());
    if (!*account)
        return fail(Errc::corrupt, "address " + found->address.to_string() + " has no account row");
    return std::move(**account);
}

Result<std::string> canonical_class_name(std::string_view name) {
    if (name.empty() || name.size() > 64) {
        return fail(Errc::invalid_argument, "class name must be 1 to 64 characters");
    }
    for (char c : name) {
        bool okay = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == '-';
        if (!okay) {
            return fail(Errc::invalid_argument, "invalid class name '" + std::string(name) +
                                                    "': use letters, digits, '.', '_' and '-'");
        }
    }
    std::string out(name);
    for (auto& c : out)
        c = ascii_lower(c);
    return out;
}

Result<std::int64_t> require_class(sql::Connection& db, std::int64_t domain_id,
                                   std::string_view name, std::string_view domain_name) {
    auto canonical = canonical_class_name(name);
    if (!canonical)
        return fail(canonical.error());
    auto st = db.prepare("SELECT id FROM account_classes WHERE domain_id = ?1 AND name = ?2");
    if (!st)
        return fail(st.error());
    st->bind_all(domain_id, *canonical);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row) {
        return fail(Errc::not_found, "class " + *canonical + " does not exist in domain " +
                                         std::string(domain_name));
    }
    return st->int64(0);
}

Result<std::vector<StoredSetting>> load_settings_chain(sql::Connection& db, std::int64_t account_id,
                                                       std::int64_t class_id,
                                                       std::int64_t domain_id) {
    auto st = db.prepare(
        "SELECT 4, key, value FROM account_settings WHERE account_id = ?1 "
        "UNION ALL SELECT 3, key, value FROM class_settings WHERE class_id = ?2 "
        "UNION ALL SELECT 2, key, value FROM domain_settings WHERE domain_id = ?3 "
        "UNION ALL SELECT 1, key, value FROM server_settings");
    if (!st)
        return fail(st.error());
    st->bind_all(account_id, class_id, domain_id);
    std::vector<StoredSetting> out;
    for (;;) {
        auto row = st->step();
        if (!row)
            return fail(row.error());
        if (!*row)
            break;
        out.push_back({static_cast<SettingLevel>(st->int64(0)), st->text(1), st->text(2)});
    }
    return out;
}

std::int64_t Chain::owner_id() const {
    switch (level) {
        case SettingLevel::account:
            return account_id;
        case SettingLevel::account_class:
            return class_id;
        case SettingLevel::domain:
            return domain_id;
        default:
            return 0;
    }
}

Result<Chain> resolve_target(sql::Connection& db, const SettingTarget& target) {
    Chain chain;
    chain.level = target.level;
    switch (target.level) {
        case SettingLevel::builtin:
            return fail(Errc::invalid_argument,
                        "built-in defaults cannot be changed; set them at server level");
        case SettingLevel::server:
            return chain;
        case SettingLevel::domain:
        case SettingLevel::account_class: {
            auto domain = require_domain(db, target.domain);
            if (!domain)
                return fail(domain.error());
            chain.domain_id = domain->id;
            if (target.level == SettingLevel::account_class) {
                auto id = require_class(db, domain->id, target.name, domain->name);
                if (!id)
                    return fail(id.error());
                chain.class_id = *id;
            }
            return chain;
        }
        case SettingLevel::account: {
            auto account = require_account(db, target.name);
            if (!account)
                return fail(account.error());
            chain.account_id = account->id;
            chain.class_id = account->class_id;
            chain.domain_id = account->domain_id;
            return chain;
        }
    }
    return fail(Errc::internal, "unknown setting level");
}

Result<std::vector<EffectiveSetting>> effective_settings(sql::Connection& db, const Chain& chain) {
    auto stored = load_settings_chain(db, chain.account_id, chain.class_id, chain.domain_id);
    if (!stored)
        return fail(stored.error());
    return resolve_settings(*stored);
}

Result<std::string> canonical_target(sql::Connection& db, std::string_view text) {
    auto address = parse_address(text);
    if (!address)
        return fail(address.error());
    auto domain = find_domain(db, address->domain);
    if (!domain)
        return fail(domain.error());
    if (*domain)
        address->domain = (*domain)->name;
    return address->to_string();
}

Result<std::int64_t> insert_account(sql::Connection& db, std::int64_t domain_id,
                                    std::string_view local_part, std::int64_t class_id,
                                    bool enabled, const auth::StoredSecrets& secrets,
                                    std::span<const std::pair<std::string, std::string>> settings) {
    auto st = db.prepare(
        "INSERT INTO accounts (domain_id, class_id, enabled, created, password_hash, scram_sha256, "
        "cram_md5, apop_secret) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    if (!st)
        return fail(st.error());
    st->bind_all(domain_id, class_id, enabled ? 1 : 0, now_seconds(), secrets.hash,
                 secrets.scram_sha256, secrets.cram_md5, secrets.apop);
    if (class_id == 0)
        st->bind_null(2);
    if (auto s = st->run(); !s)
        return fail(s.error());
    auto id = db.last_insert_rowid();
    if (auto s = db.run("INSERT INTO addresses (domain_id, local_part, kind, account_id) VALUES "
                        "(?1, ?2, 1, ?3)",
                        domain_id, local_part, id);
        !s) {
        return fail(s.error());
    }
    for (const auto& [key, value] : settings) {
        if (auto s = db.run("INSERT OR REPLACE INTO account_settings (account_id, key, value) "
                            "VALUES (?1, ?2, ?3)",
                            id, key, value);
            !s) {
            return fail(s.error());
        }
    }
    return id;
}

Result<std::vector<std::string>> list_targets(sql::Connection& db, std::int64_t address_id) {
    auto st =
        db.prepare("SELECT target FROM address_targets WHERE address_id = ?1 ORDER BY target");
    if (!st)
        return fail(st.error());
    st->bind_all(address_id);
    std::vector<std::string> out;
    for (;;) {
        auto row = st->step();
        if (!row)
            return fail(row.error());
        if (!*row)
            break;
        out.push_back(st->text(0));
    }
    return out;
}

Status leave_groups(sql::Connection& db, std::int64_t account_id) {
    return db.run(
        "DELETE FROM address_targets WHERE target IN ("
        "  SELECT a.local_part || '@' || d.name FROM addresses a JOIN domains d ON d.id = "
        "a.domain_id "
        "  WHERE a.account_id = ?1) "
        // Correlated, so only the few rows found by target are checked, not every group.
        "AND (SELECT kind FROM addresses WHERE id = address_targets.address_id) = 3",
        account_id);
}

}  // namespace postern::directory::query
