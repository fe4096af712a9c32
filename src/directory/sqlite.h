// A thin RAII layer over one SQLite connection: cached prepared statements, typed binds and
// columns, SQLite result codes mapped to postern::Errc. Internal to the directory.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace postern::directory::sql {

// Maps a SQLite result code (and the connection's message) to a postern error:
// constraint violations → already_exists, busy/locked → unavailable, corrupt/notadb → corrupt,
// full/ioerr/cantopen → io_error, everything else → internal.
Error make_error(int rc, std::string_view what, sqlite3* db);

class Connection;

// A prepared statement borrowed from a connection's cache. Resets itself and clears its
// bindings when it goes out of scope, so the cached statement is ready for the next user.
// Must not outlive its connection; used by one thread at a time (like the connection).
class Statement {
  public:
    Statement(Connection& conn, sqlite3_stmt* stmt) : conn_(&conn), stmt_(stmt) {}
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept : conn_(other.conn_), stmt_(other.stmt_) {
        other.stmt_ = nullptr;
    }
    Statement& operator=(Statement&&) = delete;
    ~Statement();

    // Parameters are 1-based, as in SQLite. Text is copied by SQLite.
    Statement& bind(int index, std::int64_t value);
    Statement& bind(int index, std::string_view text);
    Statement& bind_null(int index);

    // Binds all arguments to ?1, ?2, ... in order.
    template <class... Args>
    Statement& bind_all(const Args&... args) {
        int index = 0;
        (bind_one(++index, args), ...);
        return *this;
    }

    // true: a row is available; false: the statement is done.
    Result<bool> step();
    // Runs a statement that returns no rows.
    Status run();

    std::int64_t int64(int column) const;
    std::string text(int column) const;
    std::string_view text_view(int column) const;  // valid until the next step/reset
    bool is_null(int column) const;

  private:
    template <class T>
    void bind_one(int index, const T& value) {
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
            bind_null(index);
        } else if constexpr (std::is_integral_v<T>) {
            bind(index, static_cast<std::int64_t>(value));
        } else {
            bind(index, std::string_view(value));
        }
    }

    Connection* conn_;
    sqlite3_stmt* stmt_;
};

// One SQLite connection with a statement cache. Not thread-safe: one thread at a time (the
// directory hands connections out through a pool or the writer mutex).
class Connection {
  public:
    enum class Mode { read_write, read_only };

    static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& file, Mode mode,
                                                    std::chrono::milliseconds busy_timeout);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Runs one or more statements that return no rows (pragmas, DDL). Not cached.
    Status exec(std::string_view sql);
    // A cached prepared statement for `sql` (one statement).
    Result<Statement> prepare(std::string_view sql);

    // Shorthands for a statement that returns no rows / at most one integer.
    template <class... Args>
    Status run(std::string_view sql, const Args&... args) {
        auto st = prepare(sql);
        if (!st)
            return fail(st.error());
        st->bind_all(args...);
        return st->run();
    }

    std::int64_t last_insert_rowid() const;
    std::int64_t changes() const;
    sqlite3* handle() const { return db_; }

  private:
    explicit Connection(sqlite3* db) : db_(db) {}

    sqlite3* db_;
    std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace postern::directory::sql
