// Directory account classes: named per-domain groups of accounts that share settings.
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/state.h"

namespace postern::directory {

Status Directory::add_class(std::string_view domain_name, std::string_view name) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        auto canonical = query::canonical_class_name(name);
        if (!canonical)
            return fail(canonical.error());
        auto s = db.run("INSERT INTO account_classes (domain_id, name) VALUES (?1, ?2)", domain->id,
                        *canonical);
        if (!s && s.error().code == Errc::already_exists) {
            return fail(Errc::already_exists,
                        "class " + *canonical + " already exists in domain " + domain->name);
        }
        return s;
    });
}

Status Directory::remove_class(std::string_view domain_name, std::string_view name, bool force) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        auto id = query::require_class(db, domain->id, name, domain->name);
        if (!id)
            return fail(id.error());
        auto st = db.prepare("SELECT COUNT(*) FROM accounts WHERE class_id = ?1");
        if (!st)
            return fail(st.error());
        st->bind_all(*id);
        auto row = st->step();
        if (!row)
            return fail(row.error());
        auto users = st->int64(0);
        if (users > 0 && !force) {
            return fail(Errc::permission_denied, "class " + std::string(name) + " is used by " +
                                                     std::to_string(users) +
                                                     " account(s); change them first or force");
        }
        if (auto s = db.run("UPDATE accounts SET class_id = NULL WHERE class_id = ?1", *id); !s)
            return s;
        return db.run("DELETE FROM account_classes WHERE id = ?1", *id);
    });
}

Result<std::vector<ClassInfo>> Directory::list_classes(std::string_view domain_name) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<std::vector<ClassInfo>> {
        auto domain = query::require_domain(db, domain_name);
        if (!domain)
            return fail(domain.error());
        auto st = db.prepare(
            "SELECT c.name, (SELECT COUNT(*) FROM accounts WHERE class_id = c.id) FROM "
            "account_classes c "
            "WHERE c.domain_id = ?1 ORDER BY c.name");
        if (!st)
            return fail(st.error());
        st->bind_all(domain->id);
        std::vector<ClassInfo> out;
        for (;;) {
            auto row = st->step();
            if (!row)
                return fail(row.error());
            if (!*row)
                break;
            out.push_back({st->text(0), static_cast<std::uint64_t>(st->int64(1))});
        }
        return out;
    });
}

}  // namespace postern::directory
