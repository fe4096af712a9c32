#include "base/fs.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "base/random.h"

namespace postern {
namespace {

TEST(Fs, AtomicWriteReplacesContent) {
    auto dir = std::filesystem::temp_directory_path() / ("postern-fs-" + random_token(8));
    std::filesystem::create_directories(dir);
    auto file = dir / "a.txt";
    ASSERT_TRUE(write_file_atomic(file, "one"));
    ASSERT_TRUE(write_file_atomic(file, "two"));
    EXPECT_EQ(read_file(file).value(), "two");
    // No temporary files are left behind.
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);
    EXPECT_FALSE(read_file(dir / "missing"));
    std::filesystem::remove_all(dir);
}

TEST(Random, TokenAlphabet) {
    auto t = random_token(64);
    EXPECT_EQ(t.size(), 64u);
    for (char c : t)
        EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c)));
    EXPECT_NE(random_token(16), random_token(16));
}

}  // namespace
}  // namespace postern
