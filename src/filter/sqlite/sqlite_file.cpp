// Opening a filter's SQLite file: folder, WAL, busy timeout, version row and schema.
#include "filter/sqlite/sqlite_file.h"

#include <system_error>

namespace postern::filter::sqlite {

Error db_error(sqlite3* db, std::string_view name, std::string_view what) {
    auto code = sqlite3_errcode(db);
    Errc errc = code == SQLITE_BUSY || code == SQLITE_LOCKED      ? Errc::unavailable
                : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? Errc::corrupt
                                                                  : Errc::io_error;
    return Error{errc, std::string(name) + ": " + std::string(what) + ": " + sqlite3_errmsg(db)};
}

Status exec(sqlite3* db, std::string_view name, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        return fail(db_error(db, name, sql));
    return ok();
}

int stored_version(sqlite3* db) {
    Stmt q(db, "SELECT value FROM meta WHERE key = 'version'");
    if (!q.ok() || q.step() != SQLITE_ROW)
        return 0;
    return static_cast<int>(q.integer(0));
}

Result<Handle> open_wal(const std::filesystem::path& file, std::string_view name, int version,
                        std::initializer_list<const char*> schema) {
    std::error_code ec;
    if (file.has_parent_path())
        std::filesystem::create_directories(file.parent_path(), ec);
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(file.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Handle db(raw);  // closed on every return below but the last
    if (rc != SQLITE_OK) {
        if (!db)
            return fail(Errc::io_error, std::string(name) + ": cannot open " + file.string());
        return fail(db_error(db.get(), name, "open " + file.string()));
    }
    sqlite3_busy_timeout(db.get(), 5000);
    for (const char* sql : {"PRAGMA journal_mode=WAL",
                            "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT)"}) {
        if (auto st = exec(db.get(), name, sql); !st)
            return fail(st.error());
    }
    Stmt v(db.get(), "INSERT OR IGNORE INTO meta VALUES('version', ?1)");
    v.bind(1, std::to_string(version));
    if (!v.ok() || v.step() != SQLITE_DONE)
        return fail(db_error(db.get(), name, "version"));
    for (const char* sql : schema) {
        if (auto st = exec(db.get(), name, sql); !st)
            return fail(st.error());
    }
    return db;
}

}  // namespace postern::filter::sqlite
