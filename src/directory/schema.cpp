// Directory schema migrations (SQLite, WAL, foreign keys), versioned by PRAGMA user_version.
#include "directory/schema.h"

#include <string>

namespace postern::directory {
namespace {

// Names are stored lower-case (see address.h), so plain BINARY comparison is the
// case-insensitive one and every lookup is a single index probe.
//
// `addresses` is the one namespace of a domain: an account's own address, its aliases,
// groups and forwarders share it, so UNIQUE(domain_id, local_part) guarantees one meaning
// per address and resolve() is one probe. kind: 1 account, 2 alias, 3 group, 4 forwarder.
constexpr std::string_view kSchemaV1 = R"sql(
CREATE TABLE domains (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  created INTEGER NOT NULL
);
CREATE TABLE domain_aliases (
  name TEXT PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX domain_aliases_domain ON domain_aliases(domain_id);

CREATE TABLE account_classes (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  UNIQUE (domain_id, name)
);

CREATE TABLE accounts (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  class_id INTEGER REFERENCES account_classes(id),
  enabled INTEGER NOT NULL DEFAULT 1,
  created INTEGER NOT NULL,
  password_hash TEXT NOT NULL DEFAULT '',
  scram_sha256 TEXT NOT NULL DEFAULT '',
  cram_md5 TEXT NOT NULL DEFAULT '',
  password_generation INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX accounts_domain ON accounts(domain_id);
CREATE INDEX accounts_class ON accounts(class_id);

CREATE TABLE addresses (
  id INTEGER PRIMARY KEY,
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  local_part TEXT NOT NULL,
  kind INTEGER NOT NULL CHECK (kind BETWEEN 1 AND 4),
  account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE,
  UNIQUE (domain_id, local_part),
  CHECK ((kind IN (1, 2)) = (account_id IS NOT NULL))
);
CREATE UNIQUE INDEX addresses_primary ON addresses(account_id) WHERE kind = 1;
CREATE INDEX addresses_account ON addresses(account_id);

-- Members of a group, targets of a forwarder: full addresses, local or external.
CREATE TABLE address_targets (
  address_id INTEGER NOT NULL REFERENCES addresses(id) ON DELETE CASCADE,
  target TEXT NOT NULL,
  PRIMARY KEY (address_id, target)
) WITHOUT ROWID;
CREATE INDEX address_targets_target ON address_targets(target);

CREATE TABLE catch_alls (
  domain_id INTEGER PRIMARY KEY REFERENCES domains(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE
);
CREATE INDEX catch_alls_account ON catch_alls(account_id);

-- Explicit setting values per level; a missing row means "inherit". Values are the
-- canonical text of settings.h.
CREATE TABLE server_settings (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE domain_settings (
  domain_id INTEGER NOT NULL REFERENCES domains(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (domain_id, key)
) WITHOUT ROWID;
CREATE TABLE class_settings (
  class_id INTEGER NOT NULL REFERENCES account_classes(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (class_id, key)
) WITHOUT ROWID;
CREATE TABLE account_settings (
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (account_id, key)
) WITHOUT ROWID;
)sql";

// The clear-text secret POP3 APOP needs, kept only for accounts with the `apop` setting.
constexpr std::string_view kSchemaV2 = R"sql(
ALTER TABLE accounts ADD COLUMN apop_secret TEXT NOT NULL DEFAULT '';
)sql";

constexpr Migration kMigrations[] = {
    {"domains, aliases, classes, accounts, groups, forwarders, catch-alls, settings", kSchemaV1},
    {"accounts.apop_secret (POP3 APOP)", kSchemaV2},
};

Result<int> read_version(sql::Connection& db) {
    auto st = db.prepare("PRAGMA user_version");
    if (!st)
        return fail(st.error());
    auto row = st->step();
    if (!row)
        return fail(row.error());
    return static_cast<int>(st->int64(0));
}

}  // namespace

std::span<const Migration> migrations() {
    return kMigrations;
}

int schema_version() {
    return static_cast<int>(std::size(kMigrations));
}

Status migrate(sql::Connection& db) {
    auto version = read_version(db);
    if (!version)
        return fail(version.error());
    if (*version > schema_version()) {
        return fail(Errc::corrupt, "directory database has schema version " +
                                       std::to_string(*version) + ", newer than this program's " +
                                       std::to_string(schema_version()));
    }
    for (int v = *version; v < schema_version(); ++v) {
        // IMMEDIATE takes the write lock up front, so two processes opening a fresh file
        // cannot both start the same step; the loser re-reads the version below.
        if (auto s = db.exec("BEGIN IMMEDIATE"); !s)
            return s;
        auto current = read_version(db);
        if (!current) {
            (void)db.exec("ROLLBACK");
            return fail(current.error());
        }
        if (*current > v) {
            (void)db.exec("ROLLBACK");
            v = *current - 1;
            continue;
        }
        const auto& step = kMigrations[v];
        auto s = db.exec(step.sql);
        if (s)
            s = db.exec("PRAGMA user_version = " + std::to_string(v + 1));
        if (s)
            s = db.exec("COMMIT");
        if (!s) {
            (void)db.exec("ROLLBACK");
            return fail(s.error().code, "schema migration " + std::to_string(v + 1) + " (" +
                                            std::string(step.description) +
                                            ") failed: " + s.error().message);
        }
    }
    return ok();
}

}  // namespace postern::directory
