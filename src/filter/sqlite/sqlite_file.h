// The SQLite files of the filters (greylisting, address lists, identity confirmation): one
// connection opened in WAL mode with its schema, prepared statements finalized at scope exit,
// and SQLite errors as Errc.
#pragma once

#include <cstdint>
#include <filesystem>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include <sqlite3.h>

#include "base/result.h"

namespace postern::filter::sqlite {

struct Close {
    void operator()(sqlite3* db) const { sqlite3_close(db); }
};
using Handle = std::unique_ptr<sqlite3, Close>;

// Opens `file` read-write (creating it and its folder), in WAL mode with a 5 s busy timeout,
// with a meta(key, value) table whose 'version' row is set to `version` when the file is new;
// then runs `schema` in order (CREATE ... IF NOT EXISTS statements, pragmas). `name` starts
// every error message ("greylist database"). The connection is opened without SQLite's own
// mutex: the owner serialises its use.
Result<Handle> open_wal(const std::filesystem::path& file, std::string_view name, int version,
                        std::initializer_list<const char*> schema);

// The version stored by open_wal (0 when missing or unreadable).
int stored_version(sqlite3* db);

// "<name>: <what>: <SQLite's message>", as unavailable (busy, locked), corrupt (not a database,
// corrupt) or io_error.
Error db_error(sqlite3* db, std::string_view name, std::string_view what);

// Runs one statement without results; errors as db_error.
Status exec(sqlite3* db, std::string_view name, const char* sql);

// One prepared statement, finalized at scope exit.
class Stmt {
  public:
    Stmt(sqlite3* db, const char* sql) {
        ok_ = sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) == SQLITE_OK;
    }
    ~Stmt() { sqlite3_finalize(stmt_); }
    Stmt(const Stmt&) = delete;
    Stmt& operator=(const Stmt&) = delete;

    bool ok() const { return ok_; }
    void bind(int i, std::string_view s) {
        sqlite3_bind_text(stmt_, i, s.data(), static_cast<int>(s.size()), SQLITE_TRANSIENT);
    }
    void bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); }
    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return sqlite3_step(stmt_); }
    std::string text(int i) const {
        auto* p = sqlite3_column_text(stmt_, i);
        return p ? std::string(reinterpret_cast<const char*>(p)) : std::string();
    }
    std::int64_t integer(int i) const { return sqlite3_column_int64(stmt_, i); }

  private:
    sqlite3_stmt* stmt_ = nullptr;
    bool ok_ = false;
};

}  // namespace postern::filter::sqlite
