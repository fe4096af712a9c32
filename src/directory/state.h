// Internal to the directory: the shared state behind Directory and the two ways of touching
// the database, a read transaction on a pooled connection or the single write transaction.
#pragma once

#include <filesystem>
#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

#include "directory/reader_pool.h"
#include "directory/sqlite.h"
#include "directory/types.h"

namespace postern::directory {

struct DirectoryState {
    DirectoryState(std::filesystem::path db_file, DirectoryOptions opts)
        : file(std::move(db_file)),
          options(std::move(opts)),
          readers(file, options.max_readers, options.busy_timeout) {}

    const std::filesystem::path file;
    const DirectoryOptions options;
    std::mutex writer_mutex;
    std::unique_ptr<sql::Connection> writer;  // null once closed
    ReaderPool readers;
};

// Runs fn(connection) inside one read transaction (one consistent snapshot) on a pooled
// connection. fn returns a Result<T> or Status, which is passed through.
template <class F>
auto with_reader(DirectoryState& state, F&& fn) -> std::invoke_result_t<F, sql::Connection&> {
    auto lease = state.readers.acquire();
    if (!lease)
        return fail(lease.error());
    sql::Connection& db = **lease;
    if (auto s = db.run("BEGIN"); !s)
        return fail(s.error());
    auto result = std::forward<F>(fn)(db);
    // Ending a read transaction cannot lose data; COMMIT just releases the snapshot.
    if (!db.run("COMMIT"))
        (void)db.run("ROLLBACK");
    return result;
}

// Runs fn(writer) inside one write transaction (BEGIN IMMEDIATE, under the writer mutex).
// Commits when fn succeeds, rolls back when it fails.
template <class F>
auto with_writer(DirectoryState& state, F&& fn) -> std::invoke_result_t<F, sql::Connection&> {
    std::lock_guard lock(state.writer_mutex);
    if (!state.writer)
        return fail(Errc::unavailable, "directory is closed");
    sql::Connection& db = *state.writer;
    if (auto s = db.run("BEGIN IMMEDIATE"); !s)
        return fail(s.error());
    auto result = std::forward<F>(fn)(db);
    if (result) {
        if (auto s = db.run("COMMIT"); !s) {
            (void)db.run("ROLLBACK");
            return fail(s.error());
        }
    } else {
        (void)db.run("ROLLBACK");
    }
    return result;
}

}  // namespace postern::directory
