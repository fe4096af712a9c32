// Greylisting state in SQLite: triplets (first seen, last seen, passed) and client networks
// (passes, for the auto-whitelist). WAL, one connection behind a mutex.
#include "filter/greylist/greylist.h"

#include <algorithm>
#include <array>
#include <cstdio>

#include "base/strings.h"
#include "filter/sqlite/sqlite_file.h"

namespace postern::filter::greylist {

namespace {

constexpr int kCleanupEvery = 1000;            // checks between two cleanups
constexpr std::int64_t kCleanupSeconds = 600;  // or this long
constexpr std::size_t kMaxField = 512;         // longer addresses are cut (they still compare)

constexpr std::string_view kName = "greylist database";

using sqlite::Stmt;

Error db_error(sqlite3* db, std::string_view what) {
    return sqlite::db_error(db, kName, what);
}

std::string field(std::string_view s) {
    return to_lower(s.substr(0, kMaxField));
}

}  // namespace

std::string client_network(const IpAddress& client) {
    auto b = client.bytes();
    if (client.is_v4()) {
        char text[32];
        std::snprintf(text, sizeof text, "%u.%u.%u.0/24", b[12], b[13], b[14]);
        return text;
    }
    for (std::size_t i = 8; i < 16; ++i)
        b[i] = 0;
    return IpAddress::from_bytes(b).to_string() + "/64";
}

Triplet make_triplet(const IpAddress& client, std::string_view sender, std::string_view recipient) {
    return Triplet{client_network(client), field(sender), field(recipient)};
}

std::string_view Decision::name() const {
    switch (kind) {
        case Kind::defer:
            return "defer";
        case Kind::pass:
            return "pass";
        case Kind::whitelisted:
            return "whitelisted";
    }
    return "defer";
}

Result<std::unique_ptr<GreylistStore>> GreylistStore::open(const std::filesystem::path& file) {
    auto db = sqlite::open_wal(
        file, kName, 1,
        {"PRAGMA synchronous=NORMAL",
         "CREATE TABLE IF NOT EXISTS triplet(network TEXT NOT NULL, sender TEXT NOT NULL, "
         "recipient TEXT NOT NULL, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, "
         "passed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(network, sender, recipient))",
         "CREATE INDEX IF NOT EXISTS triplet_last_seen ON triplet(last_seen)",
         "CREATE TABLE IF NOT EXISTS network(network TEXT PRIMARY KEY, passes INTEGER NOT NULL, "
         "last_seen INTEGER NOT NULL)"});
    if (!db)
        return fail(db.error());
    return std::unique_ptr<GreylistStore>(new GreylistStore(db->release()));
}

GreylistStore::~GreylistStore() {
    sqlite3_close(db_);
}

Status GreylistStore::exec(const char* sql) {
    return sqlite::exec(db_, kName, sql);
}

Result<Decision> GreylistStore::check(const Triplet& triplet, std::int64_t now,
                                      const config::GreylistConfig& cfg) {
    std::lock_guard lock(mutex_);
    if (++checks_ % kCleanupEvery == 0 || now - last_cleanup_ > kCleanupSeconds) {
        last_cleanup_ = now;
        (void)cleanup_locked(now, cfg);
    }
    if (auto st = exec("BEGIN IMMEDIATE"); !st)
        return fail(st.error());
    auto decision = check_locked(triplet, now, cfg);
    if (!decision) {
        (void)exec("ROLLBACK");
        return decision;
    }
    if (auto st = exec("COMMIT"); !st) {
        (void)exec("ROLLBACK");
        return fail(st.error());
    }
    return decision;
}

Result<Decision> GreylistStore::check_locked(const Triplet& t, std::int64_t now,
                                             const config::GreylistConfig& cfg) {
    const std::int64_t delay = cfg.delay.count();
    const std::int64_t window = cfg.retry_window.count();
    const std::int64_t expiry = cfg.expiry.count();
    Decision d;
    if (cfg.auto_whitelist > 0) {
        Stmt q(db_, "SELECT passes, last_seen FROM network WHERE network = ?1");
        if (!q.ok())
            return fail(db_error(db_, "prepare"));
        q.bind(1, t.network);
        if (q.step() == SQLITE_ROW && q.integer(0) >= cfg.auto_whitelist &&
            now - q.integer(1) <= expiry) {
            Stmt u(db_, "UPDATE network SET last_seen = ?2 WHERE network = ?1");
            u.bind(1, t.network);
            u.bind(2, now);
            if (u.step() != SQLITE_DONE)
                return fail(db_error(db_, "update network"));
            d.kind = Decision::Kind::whitelisted;
            return d;
        }
    }
    Stmt q(db_,
           "SELECT first_seen, last_seen, passed FROM triplet "
           "WHERE network = ?1 AND sender = ?2 AND recipient = ?3");
    if (!q.ok())
        return fail(db_error(db_, "prepare"));
    q.bind(1, t.network);
    q.bind(2, t.sender);
    q.bind(3, t.recipient);
    int rc = q.step();
    bool known = rc == SQLITE_ROW;
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return fail(db_error(db_, "select triplet"));
    std::int64_t first = known ? q.integer(0) : now;
    std::int64_t last = known ? q.integer(1) : now;
    bool passed = known && q.integer(2) != 0;
    bool restart = !known || (passed && now - last > expiry) || (!passed && now - first > window);
    // Every write below names the triplet as ?1-?3 and the time as ?4.
    auto write = [&](const char* sql) {
        Stmt w(db_, sql);
        w.bind(1, t.network);
        w.bind(2, t.sender);
        w.bind(3, t.recipient);
        w.bind(4, now);
        return w.step() == SQLITE_DONE;
    };
    if (restart) {
        if (!write("INSERT OR REPLACE INTO triplet(network, sender, recipient, first_seen, "
                   "last_seen, passed) VALUES(?1, ?2, ?3, ?4, ?4, 0)"))
            return fail(db_error(db_, "insert triplet"));
        d.kind = Decision::Kind::defer;
        d.retry_after = delay;
        return d;
    }
    if (!passed && now - first < delay) {
        if (!write("UPDATE triplet SET last_seen = ?4 WHERE network = ?1 AND sender = ?2 AND "
                   "recipient = ?3"))
            return fail(db_error(db_, "update triplet"));
        d.kind = Decision::Kind::defer;
        d.retry_after = delay - (now - first);
        return d;
    }
    if (!write("UPDATE triplet SET last_seen = ?4, passed = 1 WHERE network = ?1 AND sender = ?2 "
               "AND recipient = ?3"))
        return fail(db_error(db_, "update triplet"));
    Stmt n(db_,
           "INSERT INTO network(network, passes, last_seen) VALUES(?1, 1, ?2) "
           "ON CONFLICT(network) DO UPDATE SET passes = passes + 1, last_seen = ?2");
    n.bind(1, t.network);
    n.bind(2, now);
    if (n.step() != SQLITE_DONE)
        return fail(db_error(db_, "update network"));
    d.kind = Decision::Kind::pass;
    return d;
}

Result<std::uint64_t> GreylistStore::cleanup(std::int64_t now, const config::GreylistConfig& cfg) {
    std::lock_guard lock(mutex_);
    last_cleanup_ = now;
    return cleanup_locked(now, cfg);
}

Result<std::uint64_t> GreylistStore::cleanup_locked(std::int64_t now,
                                                    const config::GreylistConfig& cfg) {
    std::uint64_t removed = 0;
    auto run = [&](const char* sql, std::int64_t a, std::int64_t b) -> Status {
        Stmt s(db_, sql);
        if (!s.ok())
            return fail(db_error(db_, "prepare cleanup"));
        s.bind(1, a);
        s.bind(2, b);
        if (s.step() != SQLITE_DONE)
            return fail(db_error(db_, "cleanup"));
        removed += static_cast<std::uint64_t>(sqlite3_changes(db_));
        return ok();
    };
    const std::int64_t expiry = cfg.expiry.count();
    const std::int64_t window = cfg.retry_window.count();
    // Passed triplets live until idle for `expiry`; unpassed ones until their window closed.
    if (auto st = run("DELETE FROM triplet WHERE (passed = 1 AND last_seen < ?1) OR "
                      "(passed = 0 AND first_seen < ?2)",
                      now - expiry, now - window);
        !st)
        return fail(st.error());
    if (auto st = run("DELETE FROM network WHERE last_seen < ?1 AND ?2 = ?2", now - expiry, 0); !st)
        return fail(st.error());
    auto max = static_cast<std::int64_t>(cfg.max_entries);
    if (auto st = run("DELETE FROM triplet WHERE rowid IN (SELECT rowid FROM triplet ORDER BY "
                      "last_seen DESC LIMIT -1 OFFSET ?1) AND ?2 = ?2",
                      max, 0);
        !st)
        return fail(st.error());
    if (auto st = run("DELETE FROM network WHERE rowid IN (SELECT rowid FROM network ORDER BY "
                      "last_seen DESC LIMIT -1 OFFSET ?1) AND ?2 = ?2",
                      max, 0);
        !st)
        return fail(st.error());
    return removed;
}

Result<std::uint64_t> GreylistStore::size() {
    std::lock_guard lock(mutex_);
    Stmt q(db_, "SELECT count(*) FROM triplet");
    if (!q.ok() || q.step() != SQLITE_ROW)
        return fail(db_error(db_, "count"));
    return static_cast<std::uint64_t>(q.integer(0));
}

namespace {

// A LIKE pattern that finds `match` anywhere, with the wildcards in it taken literally.
std::string contains_pattern(std::string_view match) {
    std::string out = "%";
    for (char c : to_lower(match)) {
        if (c == '%' || c == '_' || c == '\\')
            out += '\\';
        out += c;
    }
    return out + "%";
}

constexpr std::size_t kMaxListed = 100'000;

}  // namespace

Result<std::vector<GreylistStore::Entry>> GreylistStore::entries(std::string_view match,
                                                                 std::size_t limit) {
    std::lock_guard lock(mutex_);
    Stmt q(db_,
           "SELECT network, sender, recipient, first_seen, last_seen, passed FROM triplet "
           "WHERE network LIKE ?1 ESCAPE '\\' OR sender LIKE ?1 ESCAPE '\\' "
           "OR recipient LIKE ?1 ESCAPE '\\' ORDER BY last_seen DESC LIMIT ?2");
    if (!q.ok())
        return fail(db_error(db_, "prepare"));
    q.bind(1, contains_pattern(match));
    q.bind(2, static_cast<std::int64_t>(std::min(limit, kMaxListed)));
    std::vector<Entry> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        out.push_back(Entry{Triplet{q.text(0), q.text(1), q.text(2)}, q.integer(3), q.integer(4),
                            q.integer(5) != 0});
    }
    if (rc != SQLITE_DONE)
        return fail(db_error(db_, "list triplets"));
    return out;
}

Result<std::vector<GreylistStore::NetworkEntry>> GreylistStore::networks(std::string_view match,
                                                                         std::size_t limit) {
    std::lock_guard lock(mutex_);
    Stmt q(db_,
           "SELECT network, passes, last_seen FROM network WHERE network LIKE ?1 ESCAPE '\\' "
           "ORDER BY last_seen DESC LIMIT ?2");
    if (!q.ok())
        return fail(db_error(db_, "prepare"));
    q.bind(1, contains_pattern(match));
    q.bind(2, static_cast<std::int64_t>(std::min(limit, kMaxListed)));
    std::vector<NetworkEntry> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.push_back(NetworkEntry{q.text(0), q.integer(1), q.integer(2)});
    if (rc != SQLITE_DONE)
        return fail(db_error(db_, "list networks"));
    return out;
}

Result<std::uint64_t> GreylistStore::remove(std::string_view network,
                                            std::optional<std::string_view> sender,
                                            std::optional<std::string_view> recipient) {
    std::lock_guard lock(mutex_);
    if (auto st = exec("BEGIN IMMEDIATE"); !st)
        return fail(st.error());
    std::uint64_t removed = 0;
    auto done = [&](Status st) -> Result<std::uint64_t> {
        if (!st) {
            (void)exec("ROLLBACK");
            return fail(st.error());
        }
        if (auto c = exec("COMMIT"); !c) {
            (void)exec("ROLLBACK");
            return fail(c.error());
        }
        return removed;
    };
    Stmt q(db_,
           "DELETE FROM triplet WHERE network = ?1 AND (?2 IS NULL OR sender = ?2) "
           "AND (?3 IS NULL OR recipient = ?3)");
    if (!q.ok())
        return done(fail(db_error(db_, "prepare")));
    q.bind(1, std::string_view(network));
    if (sender)
        q.bind(2, field(*sender));
    if (recipient)
        q.bind(3, field(*recipient));
    if (q.step() != SQLITE_DONE)
        return done(fail(db_error(db_, "delete triplets")));
    removed += static_cast<std::uint64_t>(sqlite3_changes(db_));
    if (!sender && !recipient) {
        Stmt n(db_, "DELETE FROM network WHERE network = ?1");
        n.bind(1, std::string_view(network));
        if (!n.ok() || n.step() != SQLITE_DONE)
            return done(fail(db_error(db_, "delete network")));
        removed += static_cast<std::uint64_t>(sqlite3_changes(db_));
    }
    return done(ok());
}

Status GreylistStore::whitelist(const Triplet& t, std::int64_t now) {
    std::lock_guard lock(mutex_);
    Stmt q(db_,
           "INSERT INTO triplet(network, sender, recipient, first_seen, last_seen, passed) "
           "VALUES(?1, ?2, ?3, ?4, ?4, 1) ON CONFLICT(network, sender, recipient) "
           "DO UPDATE SET last_seen = ?4, passed = 1");
    if (!q.ok())
        return fail(db_error(db_, "prepare"));
    q.bind(1, t.network);
    q.bind(2, t.sender);
    q.bind(3, t.recipient);
    q.bind(4, now);
    if (q.step() != SQLITE_DONE)
        return fail(db_error(db_, "whitelist"));
    return ok();
}

}  // namespace postern::filter::greylist
