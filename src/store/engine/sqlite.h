// Thin RAII wrapper over SQLite: connections, prepared statements with typed bind/column, and
// errors as StoreError. Used by the per-store catalog and the per-account index.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <sqlite3.h>

#include "store/api/store_error.h"

// Early return of errors inside functions returning StoreResult/StoreStatus.
#define STORE_TRY(name, expr)                                       \
    auto name##_result = (expr);                                    \
    if (!name##_result)                                             \
        return ::postern::store::store_fail(name##_result.error()); \
    auto& name = *name##_result
#define STORE_CONCAT_INNER(a, b) a##b
#define STORE_CONCAT(a, b) STORE_CONCAT_INNER(a, b)
#define STORE_CHECK_IMPL(expr, name)                           \
    do {                                                       \
        if (auto name = (expr); !name)                         \
            return ::postern::store::store_fail(name.error()); \
    } while (0)
#define STORE_CHECK(expr) STORE_CHECK_IMPL(expr, STORE_CONCAT(store_check_, __COUNTER__))

namespace postern::store::engine {

// One connection; not thread-safe: one thread at a time (the owner serialises).
class Db {
  public:
    // Opens (creating if asked) with WAL and a busy timeout. Commits never wait for a sync
    // (synchronous=NORMAL: a crash may lose the last commits, never consistency); the owner
    // calls sync() when a commit must be durable. fsync=false (tests) makes sync() a no-op.
    static StoreResult<std::unique_ptr<Db>> open(const std::filesystem::path& path, bool create,
                                                 bool fsync, bool read_only = false);
    ~Db();
    Db(const Db&) = delete;
    Db& operator=(const Db&) = delete;

    sqlite3* handle() const { return db_; }
    // Runs SQL text once (schema, several statements); compiles it every time.
    StoreStatus exec(std::string_view sql);
    // Runs one statement through the statement cache: for the hot, fixed ones (BEGIN,
    // SAVEPOINT, COMMIT…) that exec() would compile on every call.
    StoreStatus run(std::string_view sql);
    StoreError error(std::string_view what) const;
    std::int64_t last_rowid() const { return sqlite3_last_insert_rowid(db_); }
    int changes() const { return sqlite3_changes(db_); }
    const std::filesystem::path& path() const { return path_; }
    // Makes every transaction committed so far on this database durable (fdatasync of its
    // WAL and database files).
    StoreStatus sync() const;
    // The same for a database by path, from any thread (the checkpointer).
    static StoreStatus sync_files(const std::filesystem::path& path);

    // Statements are cached per SQL text: preparing the hot ones once matters at 5k/s.
    // Fails (not crashes) when the schema is damaged.
    StoreResult<class Stmt*> prepare(std::string_view sql);

  private:
    Db(sqlite3* db, std::filesystem::path path, bool fsync);
    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
    bool fsync_ = true;
    struct Cached;
    // Keyed by views of the texts the entries own.
    std::unordered_map<std::string_view, std::unique_ptr<Cached>> cache_;
};

// A cached prepared statement; prepare() resets it, so each use starts clean.
class Stmt {
  public:
    Stmt(Db& db, sqlite3_stmt* s) : db_(db), s_(s) {}
    ~Stmt() { sqlite3_finalize(s_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    Stmt& bind(int i, std::int64_t v);
    Stmt& bind(int i, std::string_view v);  // TEXT
    Stmt& bind_blob(int i, std::string_view v);
    Stmt& bind_null(int i);
    // true: a row is ready; false: done. Errors come back as StoreError.
    StoreResult<bool> step();
    StoreStatus run();  // step to completion, expecting no rows

    std::int64_t i64(int col) const { return sqlite3_column_int64(s_, col); }
    std::string text(int col) const;
    std::string blob(int col) const;
    bool is_null(int col) const { return sqlite3_column_type(s_, col) == SQLITE_NULL; }
    void reset();

  private:
    Db& db_;
    sqlite3_stmt* s_;
};

// BEGIN IMMEDIATE ... COMMIT, rolled back on destruction unless committed.
class Transaction {
  public:
    explicit Transaction(Db& db) : db_(db) {}
    ~Transaction();
    StoreStatus begin();
    StoreStatus commit();

  private:
    Db& db_;
    bool open_ = false;
};

// A small pool of read-only connections for concurrent readers (WAL lets them run beside the
// writer). Thread-safe.
class ReadPool {
  public:
    ReadPool(std::filesystem::path path, bool fsync) : path_(std::move(path)), fsync_(fsync) {}
    class Lease {
      public:
        Lease(ReadPool* pool, std::unique_ptr<Db> db) : pool_(pool), db_(std::move(db)) {}
        Lease(Lease&&) = default;
        ~Lease();
        Db& operator*() { return *db_; }
        Db* operator->() { return db_.get(); }

      private:
        ReadPool* pool_;
        std::unique_ptr<Db> db_;
    };
    StoreResult<Lease> acquire();

  private:
    friend class Lease;
    std::filesystem::path path_;
    bool fsync_;
    std::mutex mu_;
    std::vector<std::unique_ptr<Db>> idle_;
};

}  // namespace postern::store::engine
