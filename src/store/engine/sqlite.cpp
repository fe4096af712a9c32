// SQLite connection, statement and transaction helpers for the catalog and account indexes.
#include "store/engine/sqlite.h"

#include "store/engine/file_sync.h"

namespace postern::store::engine {

StoreResult<std::unique_ptr<Db>> Db::open(const std::filesystem::path& path, bool create,
                                          bool fsync, bool read_only) {
    sqlite3* raw = nullptr;
    int flags = SQLITE_OPEN_NOMUTEX | (read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE);
    if (create && !read_only)
        flags |= SQLITE_OPEN_CREATE;
    int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
        sqlite3_close(raw);
        return store_fail(rc == SQLITE_CANTOPEN ? StoreErrc::not_found : StoreErrc::io,
                          "open " + path.string() + ": " + msg);
    }
    std::unique_ptr<Db> db(new Db(raw, path, fsync));
    sqlite3_busy_timeout(raw, 30'000);
    sqlite3_extended_result_codes(raw, 1);
    if (!read_only) {
        if (auto s = db->exec("PRAGMA journal_mode=WAL"); !s)
            return store_fail(s.error());
    }
    // NORMAL in WAL mode keeps the database consistent across power loss but lets a commit
    // return before its fsync; durability comes from sync() or from the container journal.
    auto s = db->exec(fsync ? "PRAGMA synchronous=NORMAL" : "PRAGMA synchronous=OFF");
    if (!s)
        return store_fail(s.error());
    return db;
}

StoreStatus Db::sync() const {
    return fsync_ ? sync_files(path_) : StoreStatus{};
}

StoreStatus Db::sync_files(const std::filesystem::path& path) {
    // Committed frames live in the WAL until a checkpoint copies them into the database, which
    // SQLite syncs (synchronous=NORMAL) before it reuses the WAL: syncing both covers all.
    STORE_CHECK(sync_path(path.string() + "-wal"));
    return sync_path(path);
}

struct Db::Cached {
    Cached(std::string_view sql, Db& db, sqlite3_stmt* s) : text(sql), stmt(db, s) {}
    std::string text;
    Stmt stmt;
};

Db::Db(sqlite3* db, std::filesystem::path path, bool fsync)
    : db_(db), path_(std::move(path)), fsync_(fsync) {}

Db::~Db() {
    cache_.clear();
    sqlite3_close_v2(db_);
}

StoreError Db::error(std::string_view what) const {
    int rc = sqlite3_extended_errcode(db_);
    StoreErrc code = StoreErrc::io;
    int primary = rc & 0xFF;
    if (primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB)
        code = StoreErrc::corrupt;
    if (primary == SQLITE_FULL)
        code = StoreErrc::store_full;
    if (primary == SQLITE_CONSTRAINT)
        code = StoreErrc::exists;
    return StoreError{
        code,
        std::string(what) + " (" + path_.filename().string() + "): " + sqlite3_errmsg(db_),
        {}};
}

StoreStatus Db::exec(std::string_view sql) {
    std::string s(sql);
    char* err = nullptr;
    if (sqlite3_exec(db_, s.c_str(), nullptr, nullptr, &err) != SQLITE_OK) {
        auto e = error(err ? err : "exec");
        sqlite3_free(err);
        return store_fail(std::move(e));
    }
    return {};
}

StoreResult<Stmt*> Db::prepare(std::string_view sql) {
    if (auto it = cache_.find(sql); it != cache_.end()) {
        it->second->stmt.reset();
        return &it->second->stmt;
    }
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT,
                           &s, nullptr) != SQLITE_OK)
        return store_fail(error("prepare"));
    auto entry = std::make_unique<Cached>(sql, *this, s);
    auto* stmt = &entry->stmt;
    std::string_view key = entry->text;
    cache_.emplace(key, std::move(entry));
    return stmt;
}

StoreStatus Db::run(std::string_view sql) {
    STORE_TRY(s, prepare(sql));
    return s->run();
}

Stmt& Stmt::bind(int i, std::int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
}
Stmt& Stmt::bind(int i, std::string_view v) {
    sqlite3_bind_text64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}
Stmt& Stmt::bind_blob(int i, std::string_view v) {
    sqlite3_bind_blob64(s_, i, v.data(), v.size(), SQLITE_TRANSIENT);
    return *this;
}
Stmt& Stmt::bind_null(int i) {
    sqlite3_bind_null(s_, i);
    return *this;
}

StoreResult<bool> Stmt::step() {
    int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    auto e = db_.error(sqlite3_sql(s_) ? std::string_view(sqlite3_sql(s_)).substr(0, 40) : "step");
    sqlite3_reset(s_);
    return store_fail(std::move(e));
}

StoreStatus Stmt::run() {
    for (;;) {
        auto r = step();
        if (!r)
            return store_fail(r.error());
        if (!*r)
            break;
    }
    return {};
}

std::string Stmt::text(int col) const {
    auto p = sqlite3_column_text(s_, col);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
}
std::string Stmt::blob(int col) const {
    auto p = sqlite3_column_blob(s_, col);
    return p ? std::string(static_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(s_, col)))
             : std::string();
}
void Stmt::reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
}

Transaction::~Transaction() {
    if (open_)
        (void)db_.run("ROLLBACK");
}
StoreStatus Transaction::begin() {
    auto s = db_.run("BEGIN IMMEDIATE");
    if (s)
        open_ = true;
    return s;
}
StoreStatus Transaction::commit() {
    auto s = db_.run("COMMIT");
    if (s)
        open_ = false;
    return s;
}

ReadPool::Lease::~Lease() {
    if (!db_ || !pool_)
        return;
    std::lock_guard lock(pool_->mu_);
    if (pool_->idle_.size() < 16)
        pool_->idle_.push_back(std::move(db_));
}

StoreResult<ReadPool::Lease> ReadPool::acquire() {
    {
        std::lock_guard lock(mu_);
        if (!idle_.empty()) {
            auto db = std::move(idle_.back());
            idle_.pop_back();
            return Lease(this, std::move(db));
        }
    }
    auto db = Db::open(path_, false, fsync_, false);
    if (!db)
        return store_fail(db.error());
    // Readers never write; query_only guards against mistakes.
    (void)(*db)->exec("PRAGMA query_only=1");
    return Lease(this, std::move(*db));
}

}  // namespace postern::store::engine
