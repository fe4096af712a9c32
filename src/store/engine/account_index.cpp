// Account index: schema v6 (and the upgrades from v1-v5), mailboxes (RFC 3501 §6.3 CREATE/DELETE/
// RENAME/SUBSCRIBE, RFC 6154 special-use) and keywords (RFC 3501 §2.3.2).
#include "store/engine/account_index.h"

#include <chrono>
#include <cstdio>

#include "base/encoding.h"
#include "base/fs.h"
#include "base/random.h"
#include "base/strings.h"

namespace postern::store::engine {
namespace {

constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mailboxes(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,
  guid TEXT NOT NULL UNIQUE, uidvalidity INTEGER NOT NULL, uidnext INTEGER NOT NULL,
  highestmodseq INTEGER NOT NULL, special_use INTEGER NOT NULL DEFAULT 0,
  subscribed INTEGER NOT NULL DEFAULT 0, first_recent_uid INTEGER NOT NULL DEFAULT 1,
  messages INTEGER NOT NULL DEFAULT 0, unseen INTEGER NOT NULL DEFAULT 0,
  deleted INTEGER NOT NULL DEFAULT 0, size INTEGER NOT NULL DEFAULT 0,
  expunge_log INTEGER NOT NULL DEFAULT 0, vanished_floor INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS keywords(mailbox_id INTEGER NOT NULL, bit INTEGER NOT NULL,
  name TEXT NOT NULL, PRIMARY KEY(mailbox_id, bit)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages(id INTEGER PRIMARY KEY AUTOINCREMENT,
  mailbox_id INTEGER NOT NULL, uid INTEGER NOT NULL, guid TEXT NOT NULL, store_id TEXT NOT NULL,
  body_hash BLOB NOT NULL, size INTEGER NOT NULL, internal_date INTEGER NOT NULL,
  save_date INTEGER NOT NULL, flags INTEGER NOT NULL, keywords INTEGER NOT NULL,
  modseq INTEGER NOT NULL, text_id INTEGER NOT NULL, header_size INTEGER NOT NULL,
  sent_date INTEGER NOT NULL,
  s_subject TEXT NOT NULL, s_from TEXT NOT NULL, s_to TEXT NOT NULL, s_cc TEXT NOT NULL,
  s_dfrom TEXT NOT NULL, s_dto TEXT NOT NULL, h_from TEXT NOT NULL, h_to TEXT NOT NULL,
  h_cc TEXT NOT NULL, h_subject TEXT NOT NULL, message_id TEXT NOT NULL DEFAULT '',
  thread_id TEXT NOT NULL DEFAULT '', email_id TEXT NOT NULL DEFAULT '');
CREATE UNIQUE INDEX IF NOT EXISTS messages_guid ON messages(guid);
CREATE INDEX IF NOT EXISTS messages_msgid ON messages(message_id) WHERE message_id <> '';
CREATE INDEX IF NOT EXISTS messages_view ON messages(mailbox_id, uid, flags, keywords, modseq);
CREATE INDEX IF NOT EXISTS messages_text ON messages(text_id);
CREATE TABLE IF NOT EXISTS message_data(id INTEGER PRIMARY KEY, envelope BLOB NOT NULL,
  bodystructure BLOB NOT NULL, parts BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS expunged(mailbox_id INTEGER NOT NULL, uid INTEGER NOT NULL,
  modseq INTEGER NOT NULL, PRIMARY KEY(mailbox_id, uid)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(mailbox_id, modseq);
CREATE TABLE IF NOT EXISTS fts_pending(text_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS metadata(mailbox_id INTEGER NOT NULL, name TEXT NOT NULL,
  value BLOB NOT NULL, PRIMARY KEY(mailbox_id, name)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS acl(mailbox_id INTEGER NOT NULL, identifier TEXT NOT NULL,
  rights TEXT NOT NULL, PRIMARY KEY(mailbox_id, identifier)) WITHOUT ROWID;
CREATE VIRTUAL TABLE IF NOT EXISTS fts_body USING fts5(body, content='', detail=none,
  columnsize=0, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS fts_hdr USING fts5(headers, content='', detail=none,
  columnsize=0, tokenize='unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS subscriptions(name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fts_terms(id INTEGER PRIMARY KEY, term TEXT NOT NULL UNIQUE);
CREATE VIRTUAL TABLE IF NOT EXISTS fts_terms_tri USING fts5(term, content='fts_terms',
  content_rowid='id', detail=none, columnsize=0, tokenize='trigram');
)sql";

// v1 -> v2: the expunge log gets a per-mailbox size and pruning floor (RFC 7162 §3.2.5.2).
constexpr std::string_view kUpgradeV1 = R"sql(
ALTER TABLE mailboxes ADD COLUMN expunge_log INTEGER NOT NULL DEFAULT 0;
ALTER TABLE mailboxes ADD COLUMN vanished_floor INTEGER NOT NULL DEFAULT 0;
UPDATE mailboxes SET expunge_log = (SELECT count(*) FROM expunged e WHERE e.mailbox_id = mailboxes.id);
CREATE INDEX IF NOT EXISTS expunged_modseq ON expunged(mailbox_id, modseq);
INSERT OR REPLACE INTO meta(key, value) SELECT 'fts_live', count(DISTINCT text_id) FROM messages
  WHERE text_id NOT IN (SELECT text_id FROM fts_pending);
INSERT OR REPLACE INTO meta(key, value) SELECT 'fts_dead', count(*) FROM expunged;
)sql";

// v2 -> v3: subscriptions get their own table keyed by name, so a deleted mailbox stays
// subscribed (RFC 3501 §6.3.6, RFC 5258 \NonExistent); the mailboxes.subscribed column is
// no longer read. The full-text vocabulary (fts_terms, for substring SEARCH) is filled by a
// rebuild of the full-text tables, which the store runs in the background.
constexpr std::string_view kUpgradeV2 = R"sql(
CREATE TABLE IF NOT EXISTS subscriptions(name TEXT PRIMARY KEY) WITHOUT ROWID;
INSERT OR IGNORE INTO subscriptions(name) SELECT name FROM mailboxes WHERE subscribed=1;
UPDATE mailboxes SET subscribed=0;
INSERT OR REPLACE INTO meta(key, value) SELECT 'fts_rebuild', '0'
  WHERE EXISTS (SELECT 1 FROM messages);
)sql";

// v3 -> v4: two indexes every append and flag change paid for go. messages_view, which starts
// with (mailbox_id, uid), serves UID lookups (UIDs are unique by construction; check verifies);
// CHANGEDSINCE scans it instead of keeping a modseq index up to date on every STORE.
constexpr std::string_view kUpgradeV3 = R"sql(
DROP INDEX IF EXISTS messages_uid;
DROP INDEX IF EXISTS messages_modseq;
)sql";

// v4 -> v5: thread ids (RFC 8474 THREADID). The Message-ID is kept to find a new message's
// parent; index_backfill_threads then threads the messages already there (index_threads.cpp).
// (The columns may be there already in an index a test marked older than it is.)
constexpr std::string_view kUpgradeV4Columns = R"sql(
ALTER TABLE messages ADD COLUMN message_id TEXT NOT NULL DEFAULT '';
ALTER TABLE messages ADD COLUMN thread_id TEXT NOT NULL DEFAULT '';
)sql";
constexpr std::string_view kUpgradeV4 = R"sql(
CREATE INDEX IF NOT EXISTS messages_msgid ON messages(message_id) WHERE message_id <> '';
)sql";

// v5 -> v6: a copy keeps the EMAILID of its original (RFC 8474 §5.1) instead of its own guid.
// "" (every row an upgrade finds) means the row's guid is its EMAILID.
constexpr std::string_view kUpgradeV5 = R"sql(
ALTER TABLE messages ADD COLUMN email_id TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::string_view kMailboxCols =
    "id, name, guid, uidvalidity, uidnext, highestmodseq, special_use, first_recent_uid, "
    "messages, unseen, deleted, size, expunge_log, vanished_floor";

MailboxRow mailbox_from(Stmt& s) {
    MailboxRow m;
    m.id = s.i64(0);
    m.name = s.text(1);
    m.guid = s.text(2);
    m.uidvalidity = static_cast<std::uint32_t>(s.i64(3));
    m.uidnext = static_cast<Uid>(s.i64(4));
    m.highestmodseq = static_cast<ModSeq>(s.i64(5));
    m.special_use = static_cast<std::uint32_t>(s.i64(6));
    m.first_recent_uid = static_cast<Uid>(s.i64(7));
    m.messages = static_cast<std::uint32_t>(s.i64(8));
    m.unseen = static_cast<std::uint32_t>(s.i64(9));
    m.deleted = static_cast<std::uint32_t>(s.i64(10));
    m.size = static_cast<std::uint64_t>(s.i64(11));
    m.expunge_log = static_cast<std::uint64_t>(s.i64(12));
    m.vanished_floor = static_cast<ModSeq>(s.i64(13));
    return m;
}

// Whether an older index has the column already (a test may mark an index older than it is).
StoreResult<bool> has_column(Db& db, std::string_view table, std::string_view column) {
    STORE_TRY(c, db.prepare("SELECT 1 FROM pragma_table_info(?) WHERE name=?"));
    c->bind(1, std::string(table)).bind(2, std::string(column));
    STORE_TRY(found, c->step());
    c->reset();
    return found;
}

bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if ((c >> 5) == 6) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c >> 4) == 14) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c >> 3) == 30) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + n >= s.size())
            return false;
        for (std::size_t k = 1; k <= n; ++k) {
            auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc >> 6) != 2)
                return false;
            cp = (cp << 6) | (cc & 0x3F);
        }
        // Reject overlong forms, surrogates and out-of-range code points.
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += n + 1;
    }
    return true;
}

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

StoreResult<std::string> normalize_mailbox_name(std::string_view name) {
    constexpr std::size_t kMaxName = 1000, kMaxComponent = 255, kMaxDepth = 32;
    if (name.empty())
        return store_fail(StoreErrc::invalid_name, "mailbox name is empty");
    if (name.size() > kMaxName)
        return store_fail(StoreErrc::invalid_name, "mailbox name longer than 1000 bytes");
    if (!valid_utf8(name))
        return store_fail(StoreErrc::invalid_name, "mailbox name is not UTF-8");
    for (unsigned char c : name) {
        if (c < 0x20 || c == 0x7F)
            return store_fail(StoreErrc::invalid_name, "mailbox name contains a control character");
        // IMAP LIST wildcards: a name holding them could never be listed unambiguously.
        if (c == '*' || c == '%')
            return store_fail(StoreErrc::invalid_name, "mailbox name contains '*' or '%'");
    }
    auto parts = split(name, '/');
    if (parts.size() > kMaxDepth)
        return store_fail(StoreErrc::invalid_name, "mailbox hierarchy deeper than 32");
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (parts[i].empty())
            return store_fail(StoreErrc::invalid_name, "mailbox name has an empty component");
        if (parts[i].size() > kMaxComponent)
            return store_fail(StoreErrc::invalid_name,
                              "mailbox name component longer than 255 bytes");
        if (parts[i] == "." || parts[i] == "..")
            return store_fail(StoreErrc::invalid_name, "mailbox name component '.' or '..'");
        if (i)
            out += '/';
        out +=
            (i == 0 && iequals(parts[i], "INBOX")) ? std::string("INBOX") : std::string(parts[i]);
    }
    return out;
}

StoreResult<std::unique_ptr<AccountIndex>> AccountIndex::open(const std::filesystem::path& path,
                                                              const std::string& account,
                                                              bool create, bool fsync) {
    std::error_code ec;
    const bool building = path.extension() == ".new";
    if (!create && !building && !std::filesystem::exists(path, ec))
        return store_fail(StoreErrc::not_found, "no index for account " + account);
    if (create && !std::filesystem::exists(path, ec)) {
        // A new index is built aside and renamed into place, so a crash never leaves an
        // index.db without its schema (check would rightly call it unreadable).
        std::filesystem::create_directories(path.parent_path(), ec);
        auto tmp = path;
        tmp += ".new";
        for (auto suffix : {"", "-wal", "-shm"})
            std::filesystem::remove(tmp.string() + suffix, ec);
        {
            STORE_TRY(fresh, open(tmp, account, false, fsync));
            (void)fresh;
        }
        if (std::rename(tmp.c_str(), path.c_str()) != 0)
            return store_fail(StoreErrc::io, "rename " + tmp.string() + ": " + errno_text(errno));
        if (fsync) {
            if (auto s = fsync_directory(path.parent_path()); !s)
                return store_fail(StoreErrc::io, s.error().message);
        }
    }
    std::unique_ptr<AccountIndex> idx(new AccountIndex());
    idx->account_ = account;
    idx->path_ = path;
    STORE_TRY(db, Db::open(path, create || building, fsync));
    idx->db_ = std::move(db);
    Db& d = *idx->db_;
    STORE_CHECK(d.exec("PRAGMA foreign_keys=OFF"));
    // The index is read far more than written; a larger page cache helps SELECT and SEARCH.
    STORE_CHECK(d.exec("PRAGMA cache_size=-8192"));
    {
        Transaction txn(d);
        STORE_CHECK(txn.begin());
        // An older index is upgraded step by step before the schema statements run (they
        // name columns v1 lacks).
        bool has_meta = false;
        {
            STORE_TRY(t, d.prepare("SELECT 1 FROM sqlite_master WHERE name='meta'"));
            STORE_TRY(r, t->step());
            has_meta = r;
            t->reset();
        }
        if (has_meta) {
            STORE_TRY(v, index_meta(d, "schema_version"));
            const std::string found = v;
            if (v == "1") {
                STORE_CHECK(d.exec(kUpgradeV1));
                v = "2";
            }
            if (v == "2") {
                STORE_CHECK(d.exec(kUpgradeV2));
                v = "3";
            }
            if (v == "3") {
                STORE_CHECK(d.exec(kUpgradeV3));
                v = "4";
            }
            if (v == "4") {
                STORE_TRY(has_threads, has_column(d, "messages", "thread_id"));
                if (!has_threads)
                    STORE_CHECK(d.exec(kUpgradeV4Columns));
                STORE_CHECK(d.exec(kUpgradeV4));
                STORE_CHECK(index_backfill_threads(d));
                v = "5";
            }
            if (v == "5") {
                STORE_TRY(has_email_id, has_column(d, "messages", "email_id"));
                if (!has_email_id)
                    STORE_CHECK(d.exec(kUpgradeV5));
                v = "6";
            }
            if (v != found)
                STORE_CHECK(
                    index_set_meta(d, "schema_version", std::to_string(kIndexSchemaVersion)));
        }
        STORE_CHECK(d.exec(kSchema));
        auto version = index_meta(d, "schema_version");
        if (!version)
            return store_fail(version.error());
        if (version->empty()) {
            STORE_CHECK(index_set_meta(d, "schema_version", std::to_string(kIndexSchemaVersion)));
            STORE_CHECK(index_set_meta(d, "account", account));
            STORE_CHECK(index_set_meta(d, "created", std::to_string(now_seconds())));
        } else if (*version != std::to_string(kIndexSchemaVersion)) {
            return store_fail(StoreErrc::corrupt,
                              "index schema version " + *version + " unsupported");
        } else {
            STORE_TRY(owner, index_meta(d, "account"));
            if (owner != account)
                return store_fail(StoreErrc::corrupt, "index " + path.string() + " belongs to '" +
                                                          owner + "', not '" + account + "'");
        }
        STORE_TRY(inbox, index_find_mailbox(d, "INBOX"));
        if (!inbox)
            STORE_CHECK(index_create_mailbox(d, "INBOX", 0));
        STORE_CHECK(txn.commit());
        STORE_CHECK(d.sync());
    }
    idx->readers_ = std::make_unique<ReadPool>(path, fsync);
    return idx;
}

StoreResult<std::string> index_meta(Db& db, const std::string& key) {
    STORE_TRY(s, db.prepare("SELECT value FROM meta WHERE key=?"));
    s->bind(1, key);
    STORE_TRY(row, s->step());
    std::string v = row ? s->text(0) : std::string();
    s->reset();
    return v;
}

StoreStatus index_set_meta(Db& db, const std::string& key, const std::string& value) {
    STORE_TRY(s, db.prepare("INSERT OR REPLACE INTO meta(key, value) VALUES(?, ?)"));
    return s->bind(1, key).bind(2, value).run();
}

StoreResult<std::vector<MailboxRow>> index_list_mailboxes(Db& db) {
    STORE_TRY(s,
              db.prepare("SELECT " + std::string(kMailboxCols) + " FROM mailboxes ORDER BY name"));
    std::vector<MailboxRow> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(mailbox_from(*s));
    }
    return out;
}

StoreResult<std::optional<MailboxRow>> index_find_mailbox(Db& db, const std::string& name) {
    STORE_TRY(s,
              db.prepare("SELECT " + std::string(kMailboxCols) + " FROM mailboxes WHERE name=?"));
    s->bind(1, name);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<MailboxRow>();
    auto m = mailbox_from(*s);
    s->reset();
    return std::optional<MailboxRow>(std::move(m));
}

StoreResult<std::optional<MailboxRow>> index_mailbox_by_id(Db& db, std::int64_t id) {
    STORE_TRY(s, db.prepare("SELECT " + std::string(kMailboxCols) + " FROM mailboxes WHERE id=?"));
    s->bind(1, id);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<MailboxRow>();
    auto m = mailbox_from(*s);
    s->reset();
    return std::optional<MailboxRow>(std::move(m));
}

StoreResult<std::optional<MailboxRow>> index_mailbox_by_guid(Db& db, const std::string& guid) {
    STORE_TRY(s,
              db.prepare("SELECT " + std::string(kMailboxCols) + " FROM mailboxes WHERE guid=?"));
    s->bind(1, guid);
    STORE_TRY(row, s->step());
    if (!row)
        return std::optional<MailboxRow>();
    auto m = mailbox_from(*s);
    s->reset();
    return std::optional<MailboxRow>(std::move(m));
}

StoreStatus index_burn_uid(Db& db, const std::string& mailbox_guid, Uid uid) {
    STORE_TRY(s, db.prepare("UPDATE mailboxes SET uidnext = max(uidnext, ?) WHERE guid=?"));
    return s->bind(1, static_cast<std::int64_t>(uid) + 1).bind(2, mailbox_guid).run();
}

StoreResult<std::uint32_t> index_next_uidvalidity(Db& db) {
    // Time-based like most servers, but strictly increasing within the account so a deleted
    // and re-created mailbox never reuses a UIDVALIDITY (RFC 3501 §2.3.1.1).
    STORE_TRY(last, index_meta(db, "last_uidvalidity"));
    std::uint64_t prev = parse_uint(last).value_or(0);
    std::uint64_t v = std::max<std::uint64_t>(static_cast<std::uint64_t>(now_seconds()), prev + 1);
    if (v > 0xFFFFFFFFu)
        v = prev + 1 > 0xFFFFFFFFu ? 1 : prev + 1;
    STORE_CHECK(index_set_meta(db, "last_uidvalidity", std::to_string(v)));
    return static_cast<std::uint32_t>(v);
}

StoreResult<std::vector<MailboxRow>> index_create_mailbox(Db& db, const std::string& name,
                                                          std::uint32_t special_use) {
    STORE_TRY(existing, index_find_mailbox(db, name));
    if (existing)
        return store_fail(StoreErrc::exists, "mailbox " + name + " already exists");
    std::vector<MailboxRow> created;
    auto parts = split(name, '/');
    std::string path;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        if (i)
            path += '/';
        path += parts[i];
        STORE_TRY(have, index_find_mailbox(db, path));
        if (have)
            continue;
        MailboxRow m;
        m.name = path;
        m.guid = hex_encode(random_bytes(16));
        STORE_TRY(uv, index_next_uidvalidity(db));
        m.uidvalidity = uv;
        m.special_use = i + 1 == parts.size() ? special_use : 0;
        // Ids are never reused, not even the last one after a DELETE: handles and views are
        // bound to the id, and a re-created "Foo" must not inherit the deleted one's.
        STORE_TRY(high, db.prepare("SELECT coalesce(max(id), 0) FROM mailboxes"));
        STORE_TRY(has_row, high->step());
        std::int64_t max_id = has_row ? high->i64(0) : 0;
        high->reset();
        STORE_TRY(last_id, index_meta(db, "last_mailbox_id"));
        m.id = std::max<std::int64_t>(max_id,
                                      static_cast<std::int64_t>(parse_uint(last_id).value_or(0))) +
               1;
        STORE_CHECK(index_set_meta(db, "last_mailbox_id", std::to_string(m.id)));
        STORE_TRY(s, db.prepare("INSERT INTO mailboxes(id, name, guid, uidvalidity, uidnext, "
                                "highestmodseq, special_use) VALUES(?, ?, ?, ?, 1, 1, ?)"));
        STORE_CHECK(s->bind(1, m.id)
                        .bind(2, m.name)
                        .bind(3, m.guid)
                        .bind(4, m.uidvalidity)
                        .bind(5, m.special_use)
                        .run());
        created.push_back(std::move(m));
    }
    return created;
}

StoreStatus index_save_mailbox(Db& db, const MailboxRow& m) {
    STORE_TRY(s, db.prepare("UPDATE mailboxes SET uidnext=?, highestmodseq=?, special_use=?, "
                            "first_recent_uid=?, messages=?, unseen=?, deleted=?, size=?, "
                            "expunge_log=?, vanished_floor=? WHERE id=?"));
    // Not the name: setting it, even unchanged, rewrites its UNIQUE index entry on every
    // append. Renames have their own statement.
    return s->bind(1, m.uidnext)
        .bind(2, static_cast<std::int64_t>(m.highestmodseq))
        .bind(3, m.special_use)
        .bind(4, m.first_recent_uid)
        .bind(5, m.messages)
        .bind(6, m.unseen)
        .bind(7, m.deleted)
        .bind(8, static_cast<std::int64_t>(m.size))
        .bind(9, static_cast<std::int64_t>(m.expunge_log))
        .bind(10, static_cast<std::int64_t>(m.vanished_floor))
        .bind(11, m.id)
        .run();
}

StoreStatus index_delete_mailbox_row(Db& db, std::int64_t id) {
    for (auto sql :
         {"DELETE FROM mailboxes WHERE id=?", "DELETE FROM keywords WHERE mailbox_id=?",
          "DELETE FROM expunged WHERE mailbox_id=?", "DELETE FROM metadata WHERE mailbox_id=?",
          "DELETE FROM acl WHERE mailbox_id=?"}) {
        STORE_TRY(s, db.prepare(sql));
        STORE_CHECK(s->bind(1, id).run());
    }
    return {};
}

StoreResult<std::vector<MailboxRow>> index_rename_mailbox(Db& db, const std::string& from,
                                                          const std::string& to) {
    STORE_TRY(src, index_find_mailbox(db, from));
    if (!src)
        return store_fail(StoreErrc::not_found, "mailbox " + from + " does not exist");
    STORE_TRY(dst, index_find_mailbox(db, to));
    if (dst)
        return store_fail(StoreErrc::exists, "mailbox " + to + " already exists");
    if (to.size() > from.size() && to.compare(0, from.size() + 1, from + "/") == 0)
        return store_fail(StoreErrc::invalid_name, "cannot move a mailbox into itself");
    STORE_TRY(all, index_list_mailboxes(db));
    std::vector<MailboxRow> moved;
    for (auto& m : all) {
        if (m.name == from || m.name.compare(0, from.size() + 1, from + "/") == 0) {
            std::string new_name = to + m.name.substr(from.size());
            STORE_TRY(clash, index_find_mailbox(db, new_name));
            if (clash)
                return store_fail(StoreErrc::exists, "mailbox " + new_name + " already exists");
            m.name = new_name;
            moved.push_back(m);
        }
    }
    // Two passes through a temporary name so a subtree rename never collides with itself.
    for (auto& m : moved) {
        STORE_TRY(s, db.prepare("UPDATE mailboxes SET name=? WHERE id=?"));
        STORE_CHECK(s->bind(1, "\x01rename\x01" + std::to_string(m.id)).bind(2, m.id).run());
    }
    for (auto& m : moved) {
        STORE_TRY(s, db.prepare("UPDATE mailboxes SET name=? WHERE id=?"));
        STORE_CHECK(s->bind(1, m.name).bind(2, m.id).run());
    }
    // Subscriptions follow the renamed subtree, those of deleted children included.
    STORE_TRY(subs, index_subscriptions(db));
    for (auto& name : subs) {
        if (name != from && name.compare(0, from.size() + 1, from + "/") != 0)
            continue;
        STORE_CHECK(index_set_subscribed(db, name, false));
        STORE_CHECK(index_set_subscribed(db, to + name.substr(from.size()), true));
    }
    // Parents of the new name must exist (IMAP RENAME creates them, RFC 3501 §6.3.5).
    auto slash = to.rfind('/');
    if (slash != std::string::npos) {
        std::string parent = to.substr(0, slash);
        STORE_TRY(p, index_find_mailbox(db, parent));
        if (!p) {
            STORE_TRY(made, index_create_mailbox(db, parent, 0));
            moved.insert(moved.end(), made.begin(), made.end());
        }
    }
    return moved;
}

StoreResult<std::vector<std::string>> index_subscriptions(Db& db) {
    STORE_TRY(s, db.prepare("SELECT name FROM subscriptions ORDER BY name"));
    std::vector<std::string> out;
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        out.push_back(s->text(0));
    }
    return out;
}

StoreStatus index_set_subscribed(Db& db, const std::string& name, bool subscribed) {
    STORE_TRY(s, db.prepare(subscribed ? "INSERT OR IGNORE INTO subscriptions(name) VALUES(?)"
                                       : "DELETE FROM subscriptions WHERE name=?"));
    return s->bind(1, name).run();
}

StoreResult<std::vector<std::string>> index_keywords(Db& db, std::int64_t mailbox_id) {
    STORE_TRY(s, db.prepare("SELECT bit, name FROM keywords WHERE mailbox_id=?"));
    s->bind(1, mailbox_id);
    std::vector<std::string> table(kMaxKeywords);
    for (;;) {
        STORE_TRY(row, s->step());
        if (!row)
            break;
        auto bit = s->i64(0);
        if (bit >= 0 && bit < static_cast<std::int64_t>(kMaxKeywords))
            table[static_cast<std::size_t>(bit)] = s->text(1);
    }
    return table;
}

StoreResult<std::uint64_t> index_keyword_mask(Db& db, std::int64_t mailbox_id,
                                              const std::vector<std::string>& names, bool create) {
    if (names.empty())
        return std::uint64_t{0};
    STORE_TRY(table, index_keywords(db, mailbox_id));
    std::uint64_t mask = 0;
    for (auto& n : names) {
        if (n.empty() || n.size() > 200)
            return store_fail(StoreErrc::invalid_argument, "keyword must be 1..200 bytes");
        for (unsigned char c : n)
            if (c <= 0x20 || c >= 0x7F || c == '(' || c == ')' || c == '{' || c == '%' ||
                c == '*' || c == '"' || c == '\\' || c == ']')
                return store_fail(StoreErrc::invalid_argument,
                                  "keyword '" + n + "' is not an IMAP atom");
        std::size_t found = kMaxKeywords, free_bit = kMaxKeywords;
        for (std::size_t b = 0; b < kMaxKeywords; ++b) {
            if (!table[b].empty() && iequals(table[b], n)) {
                found = b;
                break;
            }
            if (table[b].empty() && free_bit == kMaxKeywords)
                free_bit = b;
        }
        if (found == kMaxKeywords) {
            if (!create)
                continue;
            if (free_bit == kMaxKeywords)
                return store_fail(StoreErrc::limit, "mailbox already has 64 keywords");
            STORE_TRY(s, db.prepare("INSERT INTO keywords(mailbox_id, bit, name) VALUES(?, ?, ?)"));
            STORE_CHECK(s->bind(1, mailbox_id)
                            .bind(2, static_cast<std::int64_t>(free_bit))
                            .bind(3, n)
                            .run());
            table[free_bit] = n;
            found = free_bit;
        }
        mask |= std::uint64_t{1} << found;
    }
    return mask;
}

std::vector<std::string> keyword_names(const std::vector<std::string>& table, std::uint64_t mask) {
    std::vector<std::string> out;
    for (std::size_t b = 0; b < kMaxKeywords && b < table.size(); ++b)
        if ((mask >> b) & 1)
            out.push_back(table[b]);
    return out;
}

StoreResult<Usage> index_usage(Db& db) {
    STORE_TRY(
        s, db.prepare("SELECT coalesce(sum(size), 0), coalesce(sum(messages), 0) FROM mailboxes"));
    STORE_TRY(row, s->step());
    Usage u;
    if (row) {
        u.bytes = static_cast<std::uint64_t>(s->i64(0));
        u.messages = static_cast<std::uint64_t>(s->i64(1));
    }
    s->reset();
    return u;
}

StoreStatus index_recount(Db& db, MailboxRow& mb) {
    STORE_TRY(
        s, db.prepare("SELECT count(*), coalesce(sum(size), 0), coalesce(sum((flags & 1) = 0), 0), "
                      "coalesce(sum((flags & 8) != 0), 0), coalesce(max(uid), 0), "
                      "coalesce(max(modseq), 0) FROM messages WHERE mailbox_id=?"));
    s->bind(1, mb.id);
    STORE_TRY(row, s->step());
    if (row) {
        mb.messages = static_cast<std::uint32_t>(s->i64(0));
        mb.size = static_cast<std::uint64_t>(s->i64(1));
        mb.unseen = static_cast<std::uint32_t>(s->i64(2));
        mb.deleted = static_cast<std::uint32_t>(s->i64(3));
        mb.uidnext = std::max<Uid>(mb.uidnext, static_cast<Uid>(s->i64(4)) + 1);
        mb.highestmodseq = std::max<ModSeq>(mb.highestmodseq, static_cast<ModSeq>(s->i64(5)));
    }
    s->reset();
    return index_save_mailbox(db, mb);
}

}  // namespace postern::store::engine
