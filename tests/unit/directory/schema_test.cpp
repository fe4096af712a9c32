#include "directory/schema.h"

#include <fstream>

#include <gtest/gtest.h>

#include "directory/sqlite.h"
#include "fixture.h"

namespace postern::directory::testing {
namespace {

int user_version(const std::filesystem::path& file) {
    auto db = sql::Connection::open(file, sql::Connection::Mode::read_write,
                                    std::chrono::milliseconds(1000));
    EXPECT_TRUE(db);
    auto st = (*db)->prepare("PRAGMA user_version");
    EXPECT_TRUE(st && st->step().value_or(false));
    return static_cast<int>(st->int64(0));
}

TEST(Schema, MigrationsAreOrderedAndDescribed) {
    ASSERT_EQ(static_cast<std::size_t>(schema_version()), migrations().size());
    ASSERT_GE(schema_version(), 1);
    for (const auto& m : migrations()) {
        EXPECT_FALSE(m.description.empty());
        EXPECT_FALSE(m.sql.empty());
    }
}

TEST(Schema, MigratesAnEmptyFileAndReopens) {
    TempDir tmp;
    auto file = tmp.path() / "directory.db";
    std::ofstream(file).close();  // an empty file is a valid empty SQLite database
    {
        auto dir = Directory::open(tmp.path(), cheap_options());
        ASSERT_OK(dir);
        EXPECT_EQ((*dir)->database_file(), file);
        ASSERT_OK((*dir)->add_domain("example.com"));
        ASSERT_OK((*dir)->add_account(
            {.address = "u@example.com", .password = PlainPassword{"Correct-Horse-1"}}));
        ASSERT_OK((*dir)->set_setting(SettingTarget::server(), "quota", "1G"));
    }
    EXPECT_EQ(user_version(file), schema_version());
    // Reopening runs no migration again and finds everything.
    auto dir = Directory::open(tmp.path(), cheap_options());
    ASSERT_OK(dir);
    auto account = (*dir)->get_account("u@example.com");
    ASSERT_OK(account);
    EXPECT_EQ(account->password_scheme, "ARGON2ID");
    EXPECT_EQ((*dir)->explicit_settings(SettingTarget::server())->size(), 1u);
    EXPECT_EQ(user_version(file), schema_version());
}

TEST(Schema, DatabaseIsInWalModeWithForeignKeys) {
    TempDir tmp;
    auto dir = Directory::open(tmp.path(), cheap_options());
    ASSERT_OK(dir);
    ASSERT_OK((*dir)->add_domain("example.com"));
    auto db = sql::Connection::open(tmp.path() / "directory.db", sql::Connection::Mode::read_write,
                                    std::chrono::milliseconds(1000));
    ASSERT_OK(db);
    auto mode = (*db)->prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode && *mode->step());
    EXPECT_EQ(mode->text(0), "wal");
    // The schema's constraints hold even against a raw writer that enables foreign keys.
    ASSERT_OK((*db)->exec("PRAGMA foreign_keys = ON"));
    auto orphan = (*db)->exec("INSERT INTO accounts (domain_id, created) VALUES (424242, 0)");
    EXPECT_FALSE(orphan);
    auto bad_kind =
        (*db)->exec("INSERT INTO addresses (domain_id, local_part, kind) VALUES (1, 'x', 9)");
    EXPECT_FALSE(bad_kind);
    auto alias_without_account =
        (*db)->exec("INSERT INTO addresses (domain_id, local_part, kind) VALUES (1, 'x', 2)");
    EXPECT_FALSE(alias_without_account);
}

TEST(Schema, NewDatabaseIsPrivateToItsOwner) {
    TempDir tmp;
    auto dir = Directory::open(tmp.path(), cheap_options());
    ASSERT_OK(dir);
    ASSERT_OK((*dir)->add_domain("example.com"));  // makes SQLite create the -wal file too
    for (auto name : {"directory.db", "directory.db-wal"}) {
        auto perms = std::filesystem::status(tmp.path() / name).permissions();
        EXPECT_EQ(perms & (std::filesystem::perms::group_all | std::filesystem::perms::others_all),
                  std::filesystem::perms::none)
            << name;
    }
}

TEST(Schema, RefusesANewerDatabase) {
    TempDir tmp;
    {
        auto db =
            sql::Connection::open(tmp.path() / "directory.db", sql::Connection::Mode::read_write,
                                  std::chrono::milliseconds(1000));
        ASSERT_OK(db);
        ASSERT_OK((*db)->exec("PRAGMA user_version = " + std::to_string(schema_version() + 1)));
    }
    auto dir = Directory::open(tmp.path(), cheap_options());
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().code, Errc::corrupt);
    EXPECT_NE(dir.error().message.find("newer"), std::string::npos);
}

TEST(Schema, RefusesGarbageAndMissingDirectories) {
    TempDir tmp;
    {
        std::ofstream out(tmp.path() / "directory.db", std::ios::binary);
        out << std::string(4096, 'G');
    }
    auto dir = Directory::open(tmp.path(), cheap_options());
    ASSERT_FALSE(dir);
    EXPECT_EQ(dir.error().code, Errc::corrupt) << dir.error().to_string();

    auto missing = Directory::open(tmp.path() / "nope", cheap_options());
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Errc::not_found);
}

TEST(Schema, CallsAfterCloseFail) {
    TempDir tmp;
    auto dir = Directory::open(tmp.path(), cheap_options());
    ASSERT_OK(dir);
    ASSERT_OK((*dir)->add_domain("example.com"));
    ASSERT_OK((*dir)->close());
    EXPECT_ERRC((*dir)->add_domain("other.com"), Errc::unavailable);
    EXPECT_ERRC((*dir)->resolve("a@example.com"), Errc::unavailable);
    ASSERT_OK((*dir)->close());  // twice is harmless
    // The WAL was checkpointed into the main file.
    std::error_code ec;
    auto wal_size = std::filesystem::file_size(tmp.path() / "directory.db-wal", ec);
    EXPECT_TRUE(ec || wal_size == 0);
}

}  // namespace
}  // namespace postern::directory::testing
