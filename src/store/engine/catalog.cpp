// SQL of the per-store catalog, schema v2 (docs/storage.md "Catalog").
#include "store/engine/catalog.h"

#include <chrono>
#include <cstring>

namespace postern::store::engine {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS containers(no INTEGER PRIMARY KEY, end_offset INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS holes(container INTEGER NOT NULL, offset INTEGER NOT NULL,
  length INTEGER NOT NULL, PRIMARY KEY(container, offset)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS bodies(id INTEGER PRIMARY KEY, hash BLOB NOT NULL UNIQUE,
  container INTEGER NOT NULL, offset INTEGER NOT NULL, extent INTEGER NOT NULL,
  raw_size INTEGER NOT NULL, stored_size INTEGER NOT NULL, flags INTEGER NOT NULL,
  refcount INTEGER NOT NULL, created INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS refs(account TEXT NOT NULL, msg_guid TEXT NOT NULL,
  body_id INTEGER NOT NULL, mailbox_guid TEXT NOT NULL, created INTEGER NOT NULL,
  PRIMARY KEY(account, msg_guid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS refs_body ON refs(body_id);
CREATE TABLE IF NOT EXISTS mailbox_hints(account TEXT NOT NULL, mailbox_guid TEXT NOT NULL,
  name TEXT NOT NULL, PRIMARY KEY(account, mailbox_guid)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS journal(container INTEGER NOT NULL, offset INTEGER NOT NULL,
  length INTEGER NOT NULL, PRIMARY KEY(container, offset)) WITHOUT ROWID;
)sql";

std::string_view hash_view(const ContentHash& h) {
    return {reinterpret_cast<const char*>(h.data()), h.size()};
}

BodyRow body_from(Stmt& s) {
    BodyRow r;
    r.id = s.i64(0);
    auto h = s.blob(1);
    if (h.size() == r.hash.size())
        std::memcpy(r.hash.data(), h.data(), h.size());
    r.container = static_cast<std::uint32_t>(s.i64(2));
    r.offset = static_cast<std::uint64_t>(s.i64(3));
    r.extent = static_cast<std::uint64_t>(s.i64(4));
    r.raw_size = static_cast<std::uint64_t>(s.i64(5));
    r.stored_size = static_cast<std::uint64_t>(s.i64(6));
    r.flags = static_cast<std::uint32_t>(s.i64(7));
    r.refcount = s.i64(8);
    r.created = s.i64(9);
    return r;
}

constexpr std::string_view kBodyCols =
    "id, hash, container, offset, extent, raw_size, stored_size, flags, refcount, created";

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

StoreResult<std::string> catalog_meta(Db& db, const std::string& key) {
    STORE_TRY(get, db.prepare("SELECT value FROM meta WHERE key=?"));
    get->bind(1, key);
    STORE_TRY(row, get->step());
    std::string v = row ? get->text(0) : std::string();
    get->reset();
    return v;
}

StoreStatus catalog_set_meta(Db& db, const std::string& key, const std::string& value) {
    STORE_TRY(put, db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
    return put->bind(1, key).bind(2, value).run();
}

StoreStatus catalog_init(Db& db, const std::string& store_id) {
    // The schema statements only add what is missing, so they upgrade v1 in place too.
    STORE_CHECK(db.exec(kSchema));
    STORE_TRY(version, catalog_meta(db, "schema_version"));
    if (version.empty()) {
        STORE_CHECK(catalog_set_meta(db, "schema_version", std::to_string(kCatalogSchemaVersion)));
        return catalog_set_meta(db, "store_id", store_id);
    }
    if (version == "1")
        return catalog_set_meta(db, "schema_version", std::to_string(kCatalogSchemaVersion));
    if (version != std::to_string(kCatalogSchemaVersion))
        return store_fail(StoreErrc::corrupt, "catalog schema version " + version +
                                                  " is not supported (want " +
                                                  std::to_string(kCatalogSchemaVersion) + ")");
    return {};
}

StoreResult<std::vector<Extent>> catalog_journal_regions(Db& db) {
    STORE_TRY(s, db.prepare("SELECT container, offset, length FROM journal ORDER BY container, "
                            "offset"));
    std::vector<Extent> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back({static_cast<std::uint32_t>(s->i64(0)), static_cast<std::uint64_t>(s->i64(1)),
                       static_cast<std::uint64_t>(s->i64(2))});
    }
    return out;
}

StoreStatus catalog_add_region(Db& db, const Extent& e) {
    STORE_TRY(s, db.prepare("INSERT OR REPLACE INTO journal(container, offset, length) "
                            "VALUES(?, ?, ?)"));
    return s->bind(1, e.container)
        .bind(2, static_cast<std::int64_t>(e.offset))
        .bind(3, static_cast<std::int64_t>(e.length))
        .run();
}

StoreStatus catalog_remove_region(Db& db, const Extent& e) {
    STORE_TRY(s, db.prepare("DELETE FROM journal WHERE container=? AND offset=?"));
    return s->bind(1, e.container).bind(2, static_cast<std::int64_t>(e.offset)).run();
}

StoreStatus catalog_rebuild_space(Db& db, SpaceAllocator& space, std::uint32_t container) {
    STORE_TRY(b, db.prepare("SELECT offset, extent FROM bodies WHERE container=? ORDER BY offset"));
    b->bind(1, container);
    std::vector<Extent> holes;
    std::uint64_t pos = space.first_offset();
    for (;;) {
        STORE_TRY(row, b->step());
        if (!row)
            break;
        auto off = static_cast<std::uint64_t>(b->i64(0));
        auto len = static_cast<std::uint64_t>(b->i64(1));
        if (off > pos)
            holes.push_back({container, pos, off - pos});
        pos = std::max(pos, off + len);
    }
    // Whatever lies past the last body is free tail, not a hole.
    STORE_TRY(d, db.prepare("DELETE FROM holes WHERE container=?"));
    STORE_CHECK(d->bind(1, container).run());
    space.reset_container(container, pos, holes);
    for (auto& h : holes) {
        STORE_TRY(s, db.prepare("INSERT OR REPLACE INTO holes VALUES(?, ?, ?)"));
        STORE_CHECK(s->bind(1, container)
                        .bind(2, static_cast<std::int64_t>(h.offset))
                        .bind(3, static_cast<std::int64_t>(h.length))
                        .run());
    }
    STORE_TRY(e, db.prepare("INSERT OR REPLACE INTO containers(no, end_offset) VALUES(?, ?)"));
    return e->bind(1, container).bind(2, static_cast<std::int64_t>(pos)).run();
}

StoreStatus catalog_load_space(Db& db, SpaceAllocator& space) {
    STORE_TRY(c, db.prepare("SELECT no, end_offset FROM containers ORDER BY no"));
    for (;;) {
        STORE_TRY(row, c->step());
        if (!row)
            break;
        space.load_container(static_cast<std::uint32_t>(c->i64(0)),
                             static_cast<std::uint64_t>(c->i64(1)));
    }
    STORE_TRY(h, db.prepare("SELECT container, offset, length FROM holes"));
    for (;;) {
        STORE_TRY(row, h->step());
        if (!row)
            break;
        space.load_hole({static_cast<std::uint32_t>(h->i64(0)),
                         static_cast<std::uint64_t>(h->i64(1)),
                         static_cast<std::uint64_t>(h->i64(2))});
    }
    (void)space.take_changes();
    return {};
}

StoreStatus catalog_save_space(Db& db, const std::vector<SpaceChange>& changes) {
    for (auto& c : changes) {
        switch (c.kind) {
            case SpaceChange::Kind::add_hole: {
                STORE_TRY(s, db.prepare("INSERT OR REPLACE INTO holes VALUES(?, ?, ?)"));
                STORE_CHECK(s->bind(1, c.container)
                                .bind(2, static_cast<std::int64_t>(c.offset))
                                .bind(3, static_cast<std::int64_t>(c.length))
                                .run());
                break;
            }
            case SpaceChange::Kind::remove_hole: {
                STORE_TRY(s, db.prepare("DELETE FROM holes WHERE container=? AND offset=?"));
                STORE_CHECK(
                    s->bind(1, c.container).bind(2, static_cast<std::int64_t>(c.offset)).run());
                break;
            }
            case SpaceChange::Kind::set_end: {
                STORE_TRY(s, db.prepare(
                                 "INSERT OR REPLACE INTO containers(no, end_offset) VALUES(?, ?)"));
                STORE_CHECK(
                    s->bind(1, c.container).bind(2, static_cast<std::int64_t>(c.offset)).run());
                break;
            }
        }
    }
    return {};
}

StoreResult<std::optional<BodyRow>> catalog_find_body(Db& db, const ContentHash& hash) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kBodyCols) + " FROM bodies WHERE hash=?"));
    s->bind_blob(1, hash_view(hash));
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<BodyRow>();
    auto r = body_from(*s);
    s->reset();
    return std::optional<BodyRow>(r);
}

StoreResult<std::optional<BodyRow>> catalog_body_by_id(Db& db, std::int64_t id) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kBodyCols) + " FROM bodies WHERE id=?"));
    s->bind(1, id);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<BodyRow>();
    auto r = body_from(*s);
    s->reset();
    return std::optional<BodyRow>(r);
}

StoreResult<std::int64_t> catalog_insert_body(Db& db, const BodyRow& r) {
    STORE_TRY(
        s, db.prepare("INSERT INTO bodies(hash, container, offset, extent, raw_size, stored_size, "
                      "flags, refcount, created) VALUES(?, ?, ?, ?, ?, ?, ?, 0, ?)"));
    s->bind_blob(1, hash_view(r.hash))
        .bind(2, r.container)
        .bind(3, static_cast<std::int64_t>(r.offset))
        .bind(4, static_cast<std::int64_t>(r.extent))
        .bind(5, static_cast<std::int64_t>(r.raw_size))
        .bind(6, static_cast<std::int64_t>(r.stored_size))
        .bind(7, r.flags)
        .bind(8, r.created ? r.created : now_seconds());
    STORE_CHECK(s->run());
    return db.last_rowid();
}

StoreStatus catalog_update_location(Db& db, std::int64_t id, std::uint32_t container,
                                    std::uint64_t offset) {
    STORE_TRY(s, db.prepare("UPDATE bodies SET container=?, offset=? WHERE id=?"));
    return s->bind(1, container).bind(2, static_cast<std::int64_t>(offset)).bind(3, id).run();
}

StoreStatus catalog_delete_body(Db& db, std::int64_t id) {
    STORE_TRY(s, db.prepare("DELETE FROM bodies WHERE id=?"));
    return s->bind(1, id).run();
}

StoreResult<std::vector<BodyRow>> catalog_bodies(Db& db) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kBodyCols) +
                            " FROM bodies ORDER BY container, offset"));
    std::vector<BodyRow> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(body_from(*s));
    }
    return out;
}

StoreResult<bool> catalog_add_ref(Db& db, std::int64_t body_id, const RefRow& ref) {
    STORE_TRY(s, db.prepare("INSERT OR IGNORE INTO refs(account, msg_guid, body_id, mailbox_guid, "
                            "created) VALUES(?, ?, ?, ?, ?)"));
    STORE_CHECK(s->bind(1, ref.account)
                    .bind(2, ref.msg_guid)
                    .bind(3, body_id)
                    .bind(4, ref.mailbox_guid)
                    .bind(5, now_seconds())
                    .run());
    if (db.changes() == 0)
        return false;
    STORE_TRY(u, db.prepare("UPDATE bodies SET refcount = refcount + 1 WHERE id=?"));
    STORE_CHECK(u->bind(1, body_id).run());
    return true;
}

StoreResult<std::optional<Dropped>> catalog_drop_ref(Db& db, const std::string& account,
                                                     const std::string& msg_guid) {
    STORE_TRY(s, db.prepare("DELETE FROM refs WHERE account=? AND msg_guid=? RETURNING body_id"));
    s->bind(1, account).bind(2, msg_guid);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<Dropped>();
    std::int64_t body = s->i64(0);
    STORE_CHECK(s->run());
    STORE_TRY(
        u, db.prepare("UPDATE bodies SET refcount = refcount - 1 WHERE id=? RETURNING refcount"));
    u->bind(1, body);
    STORE_TRY(urow, u->step());
    std::int64_t count = urow ? u->i64(0) : 0;
    if (urow)
        STORE_CHECK(u->run());
    return std::optional<Dropped>(Dropped{body, count});
}

StoreStatus catalog_move_ref(Db& db, const std::string& account, const std::string& msg_guid,
                             const std::string& mailbox_guid) {
    STORE_TRY(s, db.prepare("UPDATE refs SET mailbox_guid=? WHERE account=? AND msg_guid=?"));
    return s->bind(1, mailbox_guid).bind(2, account).bind(3, msg_guid).run();
}

namespace {
StoreResult<std::vector<RefRow>> read_refs(Stmt& s) {
    std::vector<RefRow> out;
    for (;;) {
        STORE_TRY(row, s.step());
        if (!row)
            break;
        out.push_back(RefRow{s.text(0), s.text(1), s.text(3), s.i64(2), s.i64(4)});
    }
    return out;
}
}  // namespace

StoreResult<std::vector<RefRow>> catalog_refs_of_account(Db& db, const std::string& account) {
    STORE_TRY(s, db.prepare("SELECT account, msg_guid, body_id, mailbox_guid, created FROM refs "
                            "WHERE account=?"));
    s->bind(1, account);
    return read_refs(*s);
}

StoreResult<std::vector<RefRow>> catalog_all_refs(Db& db) {
    STORE_TRY(s, db.prepare("SELECT account, msg_guid, body_id, mailbox_guid, created FROM refs"));
    return read_refs(*s);
}

StoreResult<std::int64_t> catalog_count_refs(Db& db, std::int64_t body_id) {
    STORE_TRY(s, db.prepare("SELECT count(*) FROM refs WHERE body_id=?"));
    s->bind(1, body_id);
    STORE_TRY(row, s->step());
    std::int64_t n = row ? s->i64(0) : 0;
    s->reset();
    return n;
}

StoreStatus catalog_set_refcount(Db& db, std::int64_t body_id, std::int64_t refcount) {
    STORE_TRY(s, db.prepare("UPDATE bodies SET refcount=? WHERE id=?"));
    return s->bind(1, refcount).bind(2, body_id).run();
}

StoreStatus catalog_set_hint(Db& db, const std::string& account, const std::string& mailbox_guid,
                             const std::string& name) {
    if (name.empty()) {
        STORE_TRY(s, db.prepare("DELETE FROM mailbox_hints WHERE account=? AND mailbox_guid=?"));
        return s->bind(1, account).bind(2, mailbox_guid).run();
    }
    STORE_TRY(s, db.prepare("INSERT OR REPLACE INTO mailbox_hints VALUES(?, ?, ?)"));
    return s->bind(1, account).bind(2, mailbox_guid).bind(3, name).run();
}

StoreResult<std::vector<std::pair<std::string, std::string>>> catalog_hints(
    Db& db, const std::string& account) {
    STORE_TRY(s, db.prepare("SELECT mailbox_guid, name FROM mailbox_hints WHERE account=?"));
    s->bind(1, account);
    std::vector<std::pair<std::string, std::string>> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.emplace_back(s->text(0), s->text(1));
    }
    return out;
}

}  // namespace postern::store::engine
