// Directory lifecycle: opening the database (WAL, foreign keys, migrations) and closing it.
#include "directory/directory.h"

#include <cerrno>
#include <system_error>

#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "config/config.h"
#include "directory/queries.h"
#include "directory/schema.h"
#include "directory/state.h"

namespace postern::directory {

DirectoryOptions DirectoryOptions::from(const config::AuthConfig& auth) {
    DirectoryOptions o;
    o.hash = auth::HashParams::from(auth);
    o.bulk_hash = auth::HashParams::bulk_import(auth);
    o.hash_threads = auth.hash_threads == 0 ? 1 : auth.hash_threads;
    return o;
}

DirectoryOptions DirectoryOptions::from(const config::Config& config) {
    auto o = from(config.auth);
    auto& d = config.directory;
    o.recipient_delimiters = d.recipient_delimiters;
    o.max_readers = d.max_readers;
    o.busy_timeout = d.busy_timeout;
    o.expand.max_depth = d.expand_max_depth;
    o.expand.max_recipients = d.expand_max_recipients;
    return o;
}

std::string_view kind_name(AddressKind kind) {
    switch (kind) {
        case AddressKind::not_local:
            return "not-local";
        case AddressKind::unknown_user:
            return "unknown-user";
        case AddressKind::account:
            return "account";
        case AddressKind::alias:
            return "alias";
        case AddressKind::group:
            return "group";
        case AddressKind::forwarder:
            return "forwarder";
        case AddressKind::catch_all:
            return "catch-all";
    }
    return "?";
}

namespace {

// The database holds password hashes: create it readable by the owner only. SQLite gives
// its -wal and -shm files the same mode as the database file.
Status create_private(const std::filesystem::path& file) {
    int fd = ::open(file.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return ok();
        return fail(Errc::io_error, "cannot create " + file.string() + ": " + errno_text(errno));
    }
    ::close(fd);
    return ok();
}

// In its own function so the statement is reset before anything else runs on `db`.
Status enable_wal(sql::Connection& db) {
    auto mode = db.prepare("PRAGMA journal_mode = WAL");
    if (!mode)
        return fail(mode.error());
    auto row = mode->step();
    if (!row)
        return fail(row.error());
    if (!*row || mode->text_view(0) != "wal")
        return fail(Errc::io_error, "journal_mode is not wal");
    return ok();
}

}  // namespace

Directory::Directory(std::unique_ptr<DirectoryState> state) : state_(std::move(state)) {}

Directory::~Directory() {
    (void)close();
}

Result<std::unique_ptr<Directory>> Directory::open(const std::filesystem::path& data_dir,
                                                   DirectoryOptions options) {
    std::error_code ec;
    if (!std::filesystem::is_directory(data_dir, ec)) {
        return fail(Errc::not_found, "data directory " + data_dir.string() + " does not exist");
    }
    auto file = data_dir / "directory.db";
    if (auto s = create_private(file); !s)
        return fail(s.error());
    auto writer =
        sql::Connection::open(file, sql::Connection::Mode::read_write, options.busy_timeout);
    if (!writer)
        return fail(writer.error());
    auto& db = **writer;

    if (auto s = enable_wal(db); !s) {
        return fail(s.error().code,
                    "cannot switch " + file.string() + " to WAL mode: " + s.error().message);
    }
    // FULL: a committed admin change (new account, new password) survives power loss too.
    for (auto pragma : {"PRAGMA synchronous = FULL", "PRAGMA foreign_keys = ON"}) {
        if (auto s = db.exec(pragma); !s)
            return fail(s.error());
    }
    if (auto s = migrate(db); !s)
        return fail(s.error());

    auto state = std::make_unique<DirectoryState>(file, std::move(options));
    state->writer = std::move(*writer);
    // Fail now, not at the first lookup, when readers cannot open the file.
    if (auto lease = state->readers.acquire(); !lease)
        return fail(lease.error());
    return std::unique_ptr<Directory>(new Directory(std::move(state)));
}

Status Directory::close() {
    if (!state_)
        return ok();
    Status result = ok();
    {
        std::lock_guard lock(state_->writer_mutex);
        if (state_->writer) {
            // TRUNCATE leaves an empty -wal file behind, so a backup of directory.db alone is
            // whole.
            result = state_->writer->exec("PRAGMA wal_checkpoint(TRUNCATE)");
            state_->writer.reset();
        }
    }
    state_->readers.close();
    return result;
}

const std::filesystem::path& Directory::database_file() const {
    return state_->file;
}

}  // namespace postern::directory
