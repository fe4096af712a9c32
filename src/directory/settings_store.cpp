// Directory settings: explicit values per level (server, domain, class, account) and their
// inherited effective values.
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/state.h"

namespace postern::directory {
namespace {

// The table and owner column of a level's explicit values.
struct LevelTable {
    std::string_view upsert;
    std::string_view remove;
    std::string_view select;
};

LevelTable table_for(SettingLevel level) {
    switch (level) {
        case SettingLevel::domain:
            return {
                "INSERT OR REPLACE INTO domain_settings (domain_id, key, value) VALUES (?1, ?2, "
                "?3)",
                "DELETE FROM domain_settings WHERE domain_id = ?1 AND key = ?2",
                "SELECT key, value FROM domain_settings WHERE domain_id = ?1 ORDER BY key"};
        case SettingLevel::account_class:
            return {
                "INSERT OR REPLACE INTO class_settings (class_id, key, value) VALUES (?1, ?2, ?3)",
                "DELETE FROM class_settings WHERE class_id = ?1 AND key = ?2",
                "SELECT key, value FROM class_settings WHERE class_id = ?1 ORDER BY key"};
        case SettingLevel::account:
            return {
                "INSERT OR REPLACE INTO account_settings (account_id, key, value) VALUES (?1, ?2, "
                "?3)",
                "DELETE FROM account_settings WHERE account_id = ?1 AND key = ?2",
                "SELECT key, value FROM account_settings WHERE account_id = ?1 ORDER BY key"};
        default:
            // The server level has no owner row: ?1 is a numbered slot the statements skip,
            // so every level binds (owner, key, value) alike.
            return {"INSERT OR REPLACE INTO server_settings (key, value) VALUES (?2, ?3)",
                    "DELETE FROM server_settings WHERE key = ?2",
                    "SELECT key, value FROM server_settings ORDER BY key"};
    }
}

}  // namespace

Status Directory::set_setting(const SettingTarget& target, std::string_view key,
                              std::string_view value) {
    auto text = canonical_setting_text(key, value);
    if (!text)
        return fail(text.error());
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto chain = query::resolve_target(db, target);
        if (!chain)
            return fail(chain.error());
        return db.run(table_for(target.level).upsert, chain->owner_id(), key, *text);
    });
}

Status Directory::unset_setting(const SettingTarget& target, std::string_view key) {
    if (!find_setting(key))
        return fail(canonical_setting_text(key, "").error());
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto chain = query::resolve_target(db, target);
        if (!chain)
            return fail(chain.error());
        return db.run(table_for(target.level).remove, chain->owner_id(), key);
    });
}

Result<std::vector<StoredSetting>> Directory::explicit_settings(const SettingTarget& target) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<std::vector<StoredSetting>> {
        auto chain = query::resolve_target(db, target);
        if (!chain)
            return fail(chain.error());
        auto st = db.prepare(table_for(target.level).select);
        if (!st)
            return fail(st.error());
        if (target.level != SettingLevel::server)
            st->bind_all(chain->owner_id());
        std::vector<StoredSetting> out;
        for (;;) {
            auto row = st->step();
            if (!row)
                return fail(row.error());
            if (!*row)
                break;
            out.push_back({target.level, st->text(0), st->text(1)});
        }
        return out;
    });
}

Result<std::vector<EffectiveSetting>> Directory::effective_settings(const SettingTarget& target) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<std::vector<EffectiveSetting>> {
        auto chain = query::resolve_target(db, target);
        if (!chain)
            return fail(chain.error());
        return query::effective_settings(db, *chain);
    });
}

Result<AccountSettings> Directory::account_settings(std::int64_t account_id) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<AccountSettings> {
        auto row = query::load_account(db, account_id);
        if (!row)
            return fail(row.error());
        if (!*row)
            return fail(Errc::not_found,
                        "account #" + std::to_string(account_id) + " does not exist");
        const auto& a = **row;
        auto effective =
            query::effective_settings(db, {SettingLevel::account, a.id, a.class_id, a.domain_id});
        if (!effective)
            return fail(effective.error());
        return typed_settings(*effective);
    });
}

}  // namespace postern::directory
