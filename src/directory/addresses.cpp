// Directory addresses that are not accounts: account aliases, groups (distribution
// addresses) and forwarders, which share one target-list table.
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/state.h"

namespace postern::directory {
namespace {

using query::Kind;

Status insert_targets(sql::Connection& db, const query::LocalAddress& list,
                      std::span<const std::string> targets) {
    auto self = list.address.to_string();
    for (const auto& text : targets) {
        auto target = query::canonical_target(db, text);
        if (!target)
            return fail(target.error());
        if (*target == self)
            return fail(Errc::invalid_argument, self + " cannot contain itself");
        if (auto s =
                db.run("INSERT OR IGNORE INTO address_targets (address_id, target) VALUES (?1, ?2)",
                       list.row->id, *target);
            !s) {
            return s;
        }
    }
    return ok();
}

Status create_list(DirectoryState& state, std::string_view address, Kind kind,
                   std::span<const std::string> targets) {
    return with_writer(state, [&](sql::Connection& db) -> Status {
        auto list = query::local_address(db, address);
        if (!list)
            return fail(list.error());
        if (auto s = query::require_free(*list); !s)
            return s;
        if (auto s =
                db.run("INSERT INTO addresses (domain_id, local_part, kind) VALUES (?1, ?2, ?3)",
                       list->domain.id, list->address.local_part, static_cast<int>(kind));
            !s) {
            return s;
        }
        list->row = query::AddressRow{db.last_insert_rowid(), kind, 0};
        return insert_targets(db, *list, targets);
    });
}

Status remove_address(DirectoryState& state, std::string_view address, Kind kind) {
    return with_writer(state, [&](sql::Connection& db) -> Status {
        auto found = query::require_kind(db, address, kind);
        if (!found)
            return fail(found.error());
        return db.run("DELETE FROM addresses WHERE id = ?1", found->row->id);
    });
}

Status add_targets(DirectoryState& state, std::string_view address, Kind kind,
                   std::span<const std::string> targets) {
    return with_writer(state, [&](sql::Connection& db) -> Status {
        auto list = query::require_kind(db, address, kind);
        if (!list)
            return fail(list.error());
        return insert_targets(db, *list, targets);
    });
}

Status remove_targets(DirectoryState& state, std::string_view address, Kind kind,
                      std::span<const std::string> targets) {
    return with_writer(state, [&](sql::Connection& db) -> Status {
        auto list = query::require_kind(db, address, kind);
        if (!list)
            return fail(list.error());
        for (const auto& text : targets) {
            auto target = query::canonical_target(db, text);
            if (!target)
                return fail(target.error());
            if (auto s = db.run("DELETE FROM address_targets WHERE address_id = ?1 AND target = ?2",
                                list->row->id, *target);
                !s) {
                return s;
            }
            if (db.changes() == 0) {
                return fail(Errc::not_found, *target + " is not in " + list->address.to_string());
            }
        }
        if (kind == Kind::forwarder) {
            auto left = query::list_targets(db, list->row->id);
            if (!left)
                return fail(left.error());
            if (left->empty()) {
                return fail(Errc::invalid_argument,
                            "a forwarder needs at least one target; remove the forwarder instead");
            }
        }
        return ok();
    });
}

Result<AddressList> get_list(DirectoryState& state, std::string_view address, Kind kind) {
    return with_reader(state, [&](sql::Connection& db) -> Result<AddressList> {
        auto list = query::require_kind(db, address, kind);
        if (!list)
            return fail(list.error());
        auto targets = query::list_targets(db, list->row->id);
        if (!targets)
            return fail(targets.error());
        return AddressList{list->address.to_string(), std::move(*targets)};
    });
}

Result<std::vector<AddressList>> list_lists(DirectoryState& state, std::string_view domain_name,
                                            Kind kind) {
    return with_reader(state, [&](sql::Connection& db) -> Result<std::vector<AddressList>> {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        auto st = db.prepare(
            "SELECT a.id, a.local_part, t.target FROM addresses a "
            "LEFT JOIN address_targets t ON t.address_id = a.id "
            "WHERE a.domain_id = ?1 AND a.kind = ?2 ORDER BY a.local_part, t.target");
        if (!st)
            return fail(st.error());
        st->bind_all(domain->id, static_cast<int>(kind));
        std::vector<AddressList> out;
        std::int64_t current = 0;
        for (;;) {
            auto row = st->step();
            if (!row)
                return fail(row.error());
            if (!*row)
                break;
            if (out.empty() || st->int64(0) != current) {
                current = st->int64(0);
                out.push_back({st->text(1) + "@" + domain->name, {}});
            }
            if (!st->is_null(2))
                out.back().targets.push_back(st->text(2));
        }
        return out;
    });
}

}  // namespace

Status Directory::add_alias(std::string_view alias, std::string_view account) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto target = query::require_account(db, account);
        if (!target)
            return fail(target.error());
        auto name = query::local_address(db, alias);
        if (!name)
            return fail(name.error());
        if (auto s = query::require_free(*name); !s)
            return s;
        return db.run(
            "INSERT INTO addresses (domain_id, local_part, kind, account_id) VALUES (?1, ?2, 2, "
            "?3)",
            name->domain.id, name->address.local_part, target->id);
    });
}

Status Directory::remove_alias(std::string_view alias) {
    return remove_address(*state_, alias, Kind::alias);
}

Result<std::vector<AliasInfo>> Directory::list_aliases(std::string_view domain_name) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<std::vector<AliasInfo>> {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        auto st = db.prepare(
            "SELECT a.local_part, p.local_part || '@' || pd.name FROM addresses a "
            "JOIN addresses p ON p.account_id = a.account_id AND p.kind = 1 JOIN domains pd ON "
            "pd.id = p.domain_id "
            "WHERE a.domain_id = ?1 AND a.kind = 2 ORDER BY a.local_part");
        if (!st)
            return fail(st.error());
        st->bind_all(domain->id);
        std::vector<AliasInfo> out;
        for (;;) {
            auto row = st->step();
            if (!row)
                return fail(row.error());
            if (!*row)
                break;
            out.push_back({st->text(0) + "@" + domain->name, st->text(1)});
        }
        return out;
    });
}

Result<std::vector<std::string>> Directory::aliases_of(std::string_view account) {
    auto info = get_account(account);
    if (!info)
        return fail(info.error());
    return std::move(info->aliases);
}

Status Directory::add_group(std::string_view address, std::span<const std::string> members) {
    return create_list(*state_, address, Kind::group, members);
}

Status Directory::remove_group(std::string_view address) {
    return remove_address(*state_, address, Kind::group);
}

Status Directory::add_group_members(std::string_view group, std::span<const std::string> members) {
    return add_targets(*state_, group, Kind::group, members);
}

Status Directory::remove_group_members(std::string_view group,
                                       std::span<const std::string> members) {
    return remove_targets(*state_, group, Kind::group, members);
}

Result<AddressList> Directory::get_group(std::string_view group) {
    return get_list(*state_, group, Kind::group);
}

Result<std::vector<AddressList>> Directory::list_groups(std::string_view domain) {
    return list_lists(*state_, domain, Kind::group);
}

Status Directory::add_forwarder(std::string_view address, std::span<const std::string> targets) {
    if (targets.empty())
        return fail(Errc::invalid_argument, "a forwarder needs at least one target");
    return create_list(*state_, address, Kind::forwarder, targets);
}

Status Directory::remove_forwarder(std::string_view address) {
    return remove_address(*state_, address, Kind::forwarder);
}

Status Directory::add_forwarder_targets(std::string_view forwarder,
                                        std::span<const std::string> targets) {
    return add_targets(*state_, forwarder, Kind::forwarder, targets);
}

Status Directory::remove_forwarder_targets(std::string_view forwarder,
                                           std::span<const std::string> targets) {
    return remove_targets(*state_, forwarder, Kind::forwarder, targets);
}

Result<AddressList> Directory::get_forwarder(std::string_view forwarder) {
    return get_list(*state_, forwarder, Kind::forwarder);
}

Result<std::vector<AddressList>> Directory::list_forwarders(std::string_view domain) {
    return list_lists(*state_, domain, Kind::forwarder);
}

}  // namespace postern::directory
