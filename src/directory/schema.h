// The directory database schema as an ordered list of migrations, applied by PRAGMA user_version.
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "directory/sqlite.h"

namespace postern::directory {

// One step of the schema. Migration i (0-based) moves user_version from i to i + 1. Steps are
// only ever appended: a released step is never edited, later issues add new ones.
struct Migration {
    std::string_view description;
    std::string_view sql;
};

std::span<const Migration> migrations();

// The user_version a fully migrated database has.
int schema_version();

// Brings the database on `db` (the writer) up to schema_version(), one transaction per step.
// Refuses (Errc::corrupt) a database whose version is newer than this program knows.
Status migrate(sql::Connection& db);

}  // namespace postern::directory
