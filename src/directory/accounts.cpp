// Directory accounts: create (plain, imported or generated password), read, list, change
// password/state/class, rename and remove.
#include "base/strings.h"
#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/secrets.h"
#include "directory/state.h"

namespace postern::directory {
namespace {

AccountInfo to_info(const query::AccountRow& row) {
    AccountInfo info;
    info.id = row.id;
    info.address = row.address();
    info.domain = row.domain;
    if (!row.class_name.empty())
        info.account_class = row.class_name;
    info.enabled = row.enabled;
    info.created = row.created;
    info.password_generation = row.generation;
    info.password_scheme = auth::hash_scheme(row.secrets.hash);
    return info;
}

Result<std::vector<std::string>> account_aliases(sql::Connection& db, std::int64_t account_id) {
    auto st = db.prepare(
        "SELECT a.local_part || '@' || d.name AS address FROM addresses a JOIN domains d ON d.id = "
        "a.domain_id "
        "WHERE a.account_id = ?1 AND a.kind = 2 ORDER BY address");
    if (!st)
        return fail(st.error());
    st->bind_all(account_id);
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

Result<AccountInfo> full_info(sql::Connection& db, const query::AccountRow& row) {
    auto info = to_info(row);
    auto aliases = account_aliases(db, row.id);
    if (!aliases)
        return fail(aliases.error());
    info.aliases = std::move(*aliases);
    return info;
}

// Where a new account would go: checked once before hashing (so a bad request fails fast)
// and again under the write lock (so nothing changed in between).
struct Placement {
    query::LocalAddress address;
    std::int64_t class_id = 0;
};

Result<Placement> place(sql::Connection& db, const NewAccount& account) {
    auto address = query::local_address(db, account.address);
    if (!address)
        return fail(address.error());
    if (auto s = query::require_free(*address); !s)
        return fail(s.error());
    Placement p{std::move(*address), 0};
    if (account.account_class) {
        auto id = query::require_class(db, p.address.domain.id, *account.account_class,
                                       p.address.domain.name);
        if (!id)
            return fail(id.error());
        p.class_id = *id;
    }
    return p;
}

}  // namespace

Result<AddedAccount> Directory::add_account(const NewAccount& account) {
    std::vector<std::pair<std::string, std::string>> settings;
    for (const auto& [key, value] : account.settings) {
        auto text = canonical_setting_text(key, value);
        if (!text)
            return fail(text.error());
        settings.emplace_back(key, std::move(*text));
    }
    auto policy = with_reader(*state_, [&](sql::Connection& db) -> Result<PasswordPolicy> {
        auto p = place(db, account);
        if (!p)
            return fail(p.error());
        auto stored = query::load_settings_chain(db, 0, p->class_id, p->address.domain.id);
        if (!stored)
            return fail(stored.error());
        // The account's own settings (say, a longer password_min_length) apply to it already.
        for (const auto& [k, v] : settings)
            stored->push_back({SettingLevel::account, k, v});
        return typed_settings(resolve_settings(*stored)).password_policy;
    });
    if (!policy)
        return fail(policy.error());
    auto secrets = prepare_secrets(account.password, *policy, state_->options.hash);
    if (!secrets)
        return fail(secrets.error());

    return with_writer(*state_, [&](sql::Connection& db) -> Result<AddedAccount> {
        auto p = place(db, account);
        if (!p)
            return fail(p.error());
        auto id = query::insert_account(db, p->address.domain.id, p->address.address.local_part,
                                        p->class_id, account.enabled, secrets->secrets, settings);
        if (!id)
            return fail(id.error());
        auto row = query::load_account(db, *id);
        if (!row)
            return fail(row.error());
        if (!*row)
            return fail(Errc::internal, "account vanished after insert");
        return AddedAccount{to_info(**row), std::move(secrets->generated_password)};
    });
}

Result<AccountInfo> Directory::get_account(std::string_view address) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<AccountInfo> {
        auto row = query::require_account(db, address);
        if (!row)
            return fail(row.error());
        return full_info(db, *row);
    });
}

Result<AccountInfo> Directory::get_account(std::int64_t account_id) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<AccountInfo> {
        auto row = query::load_account(db, account_id);
        if (!row)
            return fail(row.error());
        if (!*row)
            return fail(Errc::not_found,
                        "account #" + std::to_string(account_id) + " does not exist");
        return full_info(db, **row);
    });
}

Result<std::vector<AccountInfo>> Directory::list_accounts(const AccountQuery& q) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<std::vector<AccountInfo>> {
        std::int64_t domain_id = 0;
        if (!q.domain.empty()) {
            auto domain = query::require_domain(db, q.domain);
            if (!domain)
                return fail(domain.error());
            domain_id = domain->id;
        }
        std::vector<AccountInfo> out;
        std::size_t matched = 0;
        auto s = query::for_each_account(db, domain_id, [&](const query::AccountRow& row) {
            bool hit = domain_id != 0 ? glob_match(q.pattern, row.local_part)
                                      : glob_match(q.pattern, row.address());
            if (!hit)
                return true;
            if (matched++ < q.offset)
                return true;
            out.push_back(to_info(row));
            return q.limit == 0 || out.size() < q.limit;
        });
        if (!s)
            return fail(s.error());
        return out;
    });
}

Result<PasswordChange> Directory::set_password(std::string_view address,
                                               const PasswordSource& password) {
    auto policy = with_reader(*state_, [&](sql::Connection& db) -> Result<PasswordPolicy> {
        auto row = query::require_account(db, address);
        if (!row)
            return fail(row.error());
        auto effective = query::effective_settings(
            db, {SettingLevel::account, row->id, row->class_id, row->domain_id});
        if (!effective)
            return fail(effective.error());
        return typed_settings(*effective).password_policy;
    });
    if (!policy)
        return fail(policy.error());
    auto secrets = prepare_secrets(password, *policy, state_->options.hash);
    if (!secrets)
        return fail(secrets.error());
    return with_writer(*state_, [&](sql::Connection& db) -> Result<PasswordChange> {
        auto row = query::require_account(db, address);
        if (!row)
            return fail(row.error());
        const auto& s = secrets->secrets;
        if (auto r =
                db.run("UPDATE accounts SET password_hash = ?2, scram_sha256 = ?3, cram_md5 = ?4, "
                       "apop_secret = ?5, password_generation = password_generation + 1 "
                       "WHERE id = ?1",
                       row->id, s.hash, s.scram_sha256, s.cram_md5, s.apop);
            !r) {
            return fail(r.error());
        }
        return PasswordChange{row->generation + 1, std::move(secrets->generated_password)};
    });
}

Status Directory::set_enabled(std::string_view address, bool enabled) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto row = query::require_account(db, address);
        if (!row)
            return fail(row.error());
        return db.run("UPDATE accounts SET enabled = ?2 WHERE id = ?1", row->id, enabled ? 1 : 0);
    });
}

Status Directory::set_account_class(std::string_view address,
                                    std::optional<std::string_view> class_name) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto row = query::require_account(db, address);
        if (!row)
            return fail(row.error());
        if (!class_name)
            return db.run("UPDATE accounts SET class_id = NULL WHERE id = ?1", row->id);
        auto id = query::require_class(db, row->domain_id, *class_name, row->domain);
        if (!id)
            return fail(id.error());
        return db.run("UPDATE accounts SET class_id = ?2 WHERE id = ?1", row->id, *id);
    });
}

Status Directory::rename_account(std::string_view from, std::string_view to,
                                 RenameOptions options) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto row = query::require_account(db, from);
        if (!row)
            return fail(row.error());
        auto target = query::local_address(db, to);
        if (!target)
            return fail(target.error());
        auto old_address = row->address();
        auto new_address = target->address.to_string();
        if (new_address == old_address)
            return ok();
        // Renaming to one of its own aliases promotes the alias.
        if (target->row && target->row->kind == query::Kind::alias &&
            target->row->account_id == row->id) {
            if (auto s = db.run("DELETE FROM addresses WHERE id = ?1", target->row->id); !s)
                return s;
            target->row.reset();
        }
        if (auto s = query::require_free(*target); !s)
            return s;

        std::int64_t class_id = row->class_id;
        if (class_id != 0 && target->domain.id != row->domain_id) {
            auto id =
                query::require_class(db, target->domain.id, row->class_name, target->domain.name);
            if (!id) {
                return fail(Errc::invalid_argument,
                            "cannot move " + old_address + " to " + target->domain.name + ": " +
                                id.error().message + "; create it or clear the class");
            }
            class_id = *id;
        }
        auto s = db.run(
            "UPDATE addresses SET domain_id = ?2, local_part = ?3 WHERE account_id = ?1 AND kind = "
            "1",
            row->id, target->domain.id, target->address.local_part);
        if (s) {
            auto st = db.prepare("UPDATE accounts SET domain_id = ?2, class_id = ?3 WHERE id = ?1");
            if (!st)
                return fail(st.error());
            st->bind_all(row->id, target->domain.id, class_id);
            if (class_id == 0)
                st->bind_null(3);
            s = st->run();
        }
        if (s) {
            s = db.run("UPDATE OR REPLACE address_targets SET target = ?2 WHERE target = ?1",
                       old_address, new_address);
        }
        if (s && options.keep_old_as_alias) {
            s = db.run(
                "INSERT INTO addresses (domain_id, local_part, kind, account_id) VALUES (?1, ?2, "
                "2, ?3)",
                row->domain_id, row->local_part, row->id);
        }
        return s;
    });
}

Status Directory::remove_account(std::string_view address) {
    return with_writer(*state_, [&](sql::Connection& db) -> Status {
        auto row = query::require_account(db, address);
        if (!row)
            return fail(row.error());
        if (auto s = query::leave_groups(db, row->id); !s)
            return s;
        // Aliases, settings and a catch-all pointing here cascade.
        return db.run("DELETE FROM accounts WHERE id = ?1", row->id);
    });
}

Result<PasswordPolicy> Directory::password_policy(const SettingTarget& target) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<PasswordPolicy> {
        auto chain = query::resolve_target(db, target);
        if (!chain)
            return fail(chain.error());
        auto effective = query::effective_settings(db, *chain);
        if (!effective)
            return fail(effective.error());
        return typed_settings(*effective).password_policy;
    });
}

}  // namespace postern::directory
