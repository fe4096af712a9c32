// SQLite connection and statement wrappers for the directory database.
#include "directory/sqlite.h"

#include <sqlite3.h>

namespace postern::directory::sql {

Error make_error(int rc, std::string_view what, sqlite3* db) {
    std::string message(what);
    message += ": ";
    message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    switch (rc & 0xff) {
        case SQLITE_CONSTRAINT:
            if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
                return Error{Errc::already_exists, std::move(message)};
            }
            return Error{Errc::invalid_argument, std::move(message)};
        case SQLITE_BUSY:
        case SQLITE_LOCKED:
            return Error{Errc::unavailable, std::move(message)};
        case SQLITE_CORRUPT:
        case SQLITE_NOTADB:
            return Error{Errc::corrupt, std::move(message)};
        case SQLITE_FULL:
        case SQLITE_IOERR:
        case SQLITE_CANTOPEN:
        case SQLITE_READONLY:
        case SQLITE_PERM:
            return Error{Errc::io_error, std::move(message)};
        case SQLITE_TOOBIG:
            return Error{Errc::limit_exceeded, std::move(message)};
        default:
            return Error{Errc::internal, std::move(message)};
    }
}

Statement::~Statement() {
    if (stmt_) {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }
}

Statement& Statement::bind(int index, std::int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, std::string_view text) {
    // An empty view may carry a null pointer, which SQLite would store as NULL.
    sqlite3_bind_text64(stmt_, index, text.empty() ? "" : text.data(), text.size(),
                        SQLITE_TRANSIENT, SQLITE_UTF8);
    return *this;
}

Statement& Statement::bind_null(int index) {
    sqlite3_bind_null(stmt_, index);
    return *this;
}

Result<bool> Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW)
        return true;
    if (rc == SQLITE_DONE)
        return false;
    return fail(
        make_error(sqlite3_extended_errcode(conn_->handle()), "database step", conn_->handle()));
}

Status Statement::run() {
    auto r = step();
    if (!r)
        return fail(r.error());
    return ok();
}

std::int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string_view Statement::text_view(int column) const {
    auto* p = sqlite3_column_text(stmt_, column);
    if (!p)
        return {};
    return {reinterpret_cast<const char*>(p),
            static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column))};
}

std::string Statement::text(int column) const {
    return std::string(text_view(column));
}

bool Statement::is_null(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& file, Mode mode,
                                                     std::chrono::milliseconds busy_timeout) {
    sqlite3* db = nullptr;
    // NOMUTEX: each connection is used by one thread at a time, so SQLite's own
    // per-connection mutex is pure overhead.
    int flags = SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE |
                (mode == Mode::read_write ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE
                                          : SQLITE_OPEN_READONLY);
    int rc = sqlite3_open_v2(file.c_str(), &db, flags, nullptr);
    if (rc != SQLITE_OK) {
        auto error = make_error(rc, "cannot open " + file.string(), db);
        sqlite3_close_v2(db);
        return fail(std::move(error));
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    return std::unique_ptr<Connection>(new Connection(db));
}

Connection::~Connection() {
    for (auto& [sql, stmt] : cache_)
        sqlite3_finalize(stmt);
    sqlite3_close_v2(db_);
}

Status Connection::exec(std::string_view sql) {
    std::string text(sql);
    char* message = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
    sqlite3_free(message);  // the connection keeps the same text for make_error
    if (rc != SQLITE_OK)
        return fail(make_error(sqlite3_extended_errcode(db_), "database", db_));
    return ok();
}

Result<Statement> Connection::prepare(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it != cache_.end())
        return Statement(*this, it->second);
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK)
        return fail(make_error(rc, "prepare", db_));
    cache_.emplace(std::string(sql), stmt);
    return Statement(*this, stmt);
}

std::int64_t Connection::last_insert_rowid() const {
    return sqlite3_last_insert_rowid(db_);
}

std::int64_t Connection::changes() const {
    return sqlite3_changes64(db_);
}

}  // namespace postern::directory::sql
