// Test fixture: a fresh directory database in its own temporary data directory, with cheap
// hash parameters so tests do not spend their time in argon2id.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "base/random.h"
#include "directory/directory.h"

namespace postern::directory::testing {

inline DirectoryOptions cheap_options() {
    DirectoryOptions o;
    o.hash.argon2_memory_kib = 64;
    o.hash.argon2_iterations = 1;
    o.hash.scram_iterations = 16;
    o.bulk_hash = o.hash;
    o.bulk_hash.argon2_memory_kib = 32;
    return o;
}

class TempDir {
  public:
    TempDir()
        : path_(std::filesystem::temp_directory_path() /
                ("postern-directory-" + random_token(12))) {
        std::filesystem::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

  private:
    std::filesystem::path path_;
};

class DirectoryTest : public ::testing::Test {
  protected:
    void SetUp() override { reopen(); }

    void reopen(DirectoryOptions options = cheap_options()) {
        dir_.reset();
        auto opened = Directory::open(tmp_.path(), std::move(options));
        ASSERT_TRUE(opened) << opened.error().to_string();
        dir_ = std::move(*opened);
    }

    // An account with a plain password that meets the default policy.
    void add_account(const std::string& address, const std::string& password = "Correct-Horse-1") {
        auto added = dir_->add_account({.address = address, .password = PlainPassword{password}});
        ASSERT_TRUE(added) << address << ": " << added.error().to_string();
    }

    void add_domain(const std::string& name) {
        auto added = dir_->add_domain(name);
        ASSERT_TRUE(added) << name << ": " << added.error().to_string();
    }

    TempDir tmp_;
    std::unique_ptr<Directory> dir_;
};

#define EXPECT_ERRC(expr, errc)                                                         \
    do {                                                                                \
        auto&& result_ = (expr);                                                        \
        ASSERT_FALSE(result_.has_value()) << #expr << " succeeded, expected " << #errc; \
        EXPECT_EQ(result_.error().code, errc) << result_.error().to_string();           \
    } while (0)

#define ASSERT_OK(expr)                                                                   \
    do {                                                                                  \
        auto&& result_ = (expr);                                                          \
        ASSERT_TRUE(result_.has_value()) << #expr << ": " << result_.error().to_string(); \
    } while (0)

}  // namespace postern::directory::testing
