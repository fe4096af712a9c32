// Directory domains: add, list, rename, remove, domain aliases and the per-domain catch-all.
#include "base/strings.h"
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/state.h"

namespace postern::directory {
namespace {

using query::Kind;

Result<DomainInfo> load_domain_info(sql::Connection& db, std::int64_t id) {
    auto st = db.prepare(
        "SELECT d.name, d.created, (SELECT COUNT(*) FROM accounts WHERE domain_id = d.id), "
        "(SELECT a.local_part || '@' || ad.name FROM catch_alls c JOIN addresses a ON a.account_id "
        "= c.account_id "
        " AND a.kind = 1 JOIN domains ad ON ad.id = a.domain_id WHERE c.domain_id = d.id) "
        "FROM domains d WHERE d.id = ?1");
    if (!st)
        return fail(st.error());
    st->bind_all(id);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row)
        return fail(Errc::not_found, "domain #" + std::to_string(id) + " does not exist");
    DomainInfo info;
    info.id = id;
    info.name = st->text(0);
    info.created = st->int64(1);
    info.accounts = static_cast<std::uint64_t>(st->int64(2));
    if (!st->is_null(3))
        info.catch_all = st->text(3);

    auto aliases = db.prepare("SELECT name FROM domain_aliases WHERE domain_id = ?1 ORDER BY name");
    if (!aliases)
        return fail(aliases.error());
    aliases->bind_all(id);
    for (;;) {
        auto r = aliases->step();
        if (!r)
            return fail(r.error());
        if (!*r)
            break;
        info.aliases.push_back(aliases->text(0));
    }
    return info;
}

// A name that is about to become a domain or a domain alias must be neither yet.
Result<std::string> require_new_domain_name(sql::Connection& db, std::string_view name) {
    auto canonical = canonical_domain(name);
    if (!canonical)
        return fail(canonical.error());
    auto existing = query::find_domain(db, *canonical);
    if (!existing)
        return fail(existing.error());
    if (*existing) {
        if ((*existing)->via_alias) {
            return fail(Errc::already_exists,
                        *canonical + " already exists as a domain alias of " + (*existing)->name);
        }
        return fail(Errc::already_exists, "domain " + *canonical + " already exists");
    }
    return std::move(*canonical);
}

}  // namespace

Result<DomainInfo> Directory::add_domain(std::string_view name) {
    return with_writer(*state_, [&](sql::Connection& db) -> Result<DomainInfo> {
        auto canonical = require_new_domain_name(db, name);
        if (!canonical)
            return fail(canonical.error());
        if (auto s = db.run("INSERT INTO domains (name, created) VALUES (?1, ?2)", *canonical,
                            query::now_seconds());
            !s) {
            return fail(s.error());
        }
        return load_domain_info(db, db.last_insert_rowid());
    });
}

Result<DomainInfo> Directory::get_domain(std::string_view name) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<DomainInfo> {
        auto domain = query::require_domain(db, name);
        if (!domain)
            return fail(domain.error());
        return load_domain_info(db, domain->id);
    });
}

Result<std::vector<DomainInfo>> Directory::list_domains(std::string_view pattern) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<std::vector<DomainInfo>> {
        auto st = db.prepare("SELECT id, name FROM domains ORDER BY name");
        if (!st)
            return fail(st.error());
        std::vector<std::int64_t> ids;
        for (;;) {
            auto row = st->step();
            if (!row)
                return fail(row.error());
            if (!*row)
                break;
            if (glob_match(pattern, st->text_view(1)))
                ids.push_back(st->int64(0));
        }
        std::vector<DomainInfo> out;
        for (auto id : ids) {
            auto info = load_domain_info(db, id);
            if (!info)
                return fail(info.error());
            out.push_back(std::move(*info));
        }
        return out;
    });
}

Status Directory::rename_domain(std::string_view from, std::string_view to, RenameOptions options) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto domain = query::require_domain(db, from);
        if (!domain)
            return fail(domain.error());
        auto new_name = require_new_domain_name(db, to);
        if (!new_name)
            return fail(new_name.error());
        if (auto s = db.run("UPDATE domains SET name = ?2 WHERE id = ?1", domain->id, *new_name);
            !s)
            return s;
        // Members and targets are stored as text; without this they would point at a domain
        // that is no longer local and mail would leave the server. OR REPLACE merges a list
        // that already named the same user under both names.
        if (auto s = db.run("UPDATE OR REPLACE address_targets SET target = substr(target, 1, "
                            "length(target) - length(?1)) || ?2 "
                            "WHERE substr(target, -length(?1) - 1) = '@' || ?1",
                            domain->name, *new_name);
            !s) {
            return s;
        }
        if (options.keep_old_as_alias) {
            return db.run("INSERT INTO domain_aliases (name, domain_id) VALUES (?1, ?2)",
                          domain->name, domain->id);
        }
        return ok();
    });
}

Status Directory::remove_domain(std::string_view name, bool force) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto domain = query::require_domain(db, name);
        if (!domain)
            return fail(domain.error());
        auto st = db.prepare(
            "SELECT (SELECT COUNT(*) FROM accounts WHERE domain_id = ?1), "
            "(SELECT COUNT(*) FROM addresses WHERE domain_id = ?1 AND kind <> 1)");
        if (!st)
            return fail(st.error());
        st->bind_all(domain->id);
        auto row = st->step();
        if (!row)
            return fail(row.error());
        auto accounts = st->int64(0), others = st->int64(1);
        if ((accounts > 0 || others > 0) && !force) {
            return fail(Errc::permission_denied,
                        "domain " + domain->name + " still has " + std::to_string(accounts) +
                            " account(s) and " + std::to_string(others) +
                            " alias(es), group(s) or forwarder(s); remove them first "
                            "or force");
        }
        auto members = db.prepare("SELECT id FROM accounts WHERE domain_id = ?1");
        if (!members)
            return fail(members.error());
        members->bind_all(domain->id);
        std::vector<std::int64_t> ids;
        for (;;) {
            auto r = members->step();
            if (!r)
                return fail(r.error());
            if (!*r)
                break;
            ids.push_back(members->int64(0));
        }
        for (auto id : ids) {
            if (auto s = query::leave_groups(db, id); !s)
                return s;
        }
        // Everything else (accounts, addresses, classes, settings, catch-all) cascades.
        return db.run("DELETE FROM domains WHERE id = ?1", domain->id);
    });
}

Status Directory::add_domain_alias(std::string_view alias, std::string_view domain_name) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        auto name = require_new_domain_name(db, alias);
        if (!name)
            return fail(name.error());
        return db.run("INSERT INTO domain_aliases (name, domain_id) VALUES (?1, ?2)", *name,
                      domain->id);
    });
}

Status Directory::remove_domain_alias(std::string_view alias) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto name = canonical_domain(alias);
        if (!name)
            return fail(name.error());
        if (auto s = db.run("DELETE FROM domain_aliases WHERE name = ?1", *name); !s)
            return s;
        if (db.changes() == 0)
            return fail(Errc::not_found, "domain alias " + *name + " does not exist");
        return ok();
    });
}

Result<std::vector<std::string>> Directory::list_domain_aliases(std::string_view domain_name) {
    auto info = get_domain(domain_name);
    if (!info)
        return fail(info.error());
    return std::move(info->aliases);
}

Status Directory::set_catch_all(std::string_view domain_name,
                                std::optional<std::string_view> account) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        if (!account)
            return db.run("DELETE FROM catch_alls WHERE domain_id = ?1", domain->id);
        auto target = query::require_account(db, *account);
        if (!target)
            return fail(target.error());
        return db.run("INSERT OR REPLACE INTO catch_alls (domain_id, account_id) VALUES (?1, ?2)",
                      domain->id, target->id);
    });
}

}  // namespace postern::directory
