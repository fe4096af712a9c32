// ScriptStore: named scripts, the active link, atomic replacement, rename of the active
// script, refusals, and adoption of a hand-placed active.sieve.
#include "filter/sieve/script_store.h"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

namespace postern::sieve {
namespace {

namespace fs = std::filesystem;

class ScriptStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("postern-script-store-" + std::to_string(::getpid()) + "-" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    // What delivery reads: the active link followed.
    std::string delivered() const {
        std::ifstream in(dir_ / "active.sieve");
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    fs::path dir_;
};

TEST_F(ScriptStoreTest, PutListGetActivate) {
    ScriptStore s(dir_);
    EXPECT_TRUE(s.list()->empty());
    EXPECT_FALSE(s.active());
    ASSERT_TRUE(s.put("b", "discard;\n"));
    ASSERT_TRUE(s.put("a", "keep;\n"));
    auto listed = s.list();
    ASSERT_TRUE(listed);
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].name, "a");
    EXPECT_EQ((*listed)[0].size, 6u);
    EXPECT_FALSE((*listed)[0].active);
    EXPECT_EQ(*s.get("b"), "discard;\n");
    EXPECT_EQ(s.get("c").error().code, Errc::not_found);

    EXPECT_EQ(s.set_active("c").error().code, Errc::not_found);
    ASSERT_TRUE(s.set_active("a"));
    EXPECT_EQ(*s.active(), "a");
    EXPECT_EQ(fs::read_symlink(dir_ / "active.sieve"), "scripts/a.sieve");
    EXPECT_EQ(delivered(), "keep;\n");
    // Replacing the active script: delivery sees the new text through the same link.
    ASSERT_TRUE(s.put("a", "stop;\n"));
    EXPECT_EQ(delivered(), "stop;\n");
    ASSERT_TRUE(s.set_active("b"));
    EXPECT_EQ(delivered(), "discard;\n");
    ASSERT_TRUE(s.set_active(""));
    EXPECT_FALSE(fs::exists(fs::symlink_status(dir_ / "active.sieve")));
    EXPECT_FALSE(s.active());
    ASSERT_TRUE(s.set_active(""));  // nothing active: still fine
    // No temporary files are left behind.
    for (auto& e : fs::directory_iterator(dir_ / "scripts"))
        EXPECT_TRUE(e.path().extension() == ".sieve") << e.path();
    for (auto& e : fs::directory_iterator(dir_))
        EXPECT_FALSE(e.path().filename().string().starts_with(".active")) << e.path();
}

TEST_F(ScriptStoreTest, RemoveAndRename) {
    ScriptStore s(dir_);
    ASSERT_TRUE(s.put("a", "keep;\n"));
    ASSERT_TRUE(s.put("b", "discard;\n"));
    ASSERT_TRUE(s.set_active("a"));
    EXPECT_EQ(s.remove("a").error().code, Errc::permission_denied);
    EXPECT_EQ(s.remove("zz").error().code, Errc::not_found);
    EXPECT_EQ(s.rename("a", "b").error().code, Errc::already_exists);
    EXPECT_EQ(s.rename("zz", "y").error().code, Errc::not_found);
    ASSERT_TRUE(s.rename("a", "c"));
    EXPECT_EQ(*s.active(), "c");
    EXPECT_EQ(delivered(), "keep;\n");
    EXPECT_FALSE(s.exists("a"));
    ASSERT_TRUE(s.rename("b", "d"));  // not active: stays inactive
    EXPECT_EQ(*s.active(), "c");
    ASSERT_TRUE(s.remove("d"));
    EXPECT_EQ(s.list()->size(), 1u);
}

TEST_F(ScriptStoreTest, AdoptsAPlainActiveScript) {
    {
        std::ofstream out(dir_ / "active.sieve");
        out << "keep;\n";
    }
    ScriptStore s(dir_);
    ASSERT_TRUE(s.put("main", "stop;\n"));  // the name is taken: the next free one is used
    auto adopted = s.adopt_plain_active("main");
    ASSERT_TRUE(adopted);
    ASSERT_TRUE(*adopted);
    EXPECT_EQ(**adopted, "main-2");
    EXPECT_EQ(*s.active(), "main-2");
    EXPECT_EQ(delivered(), "keep;\n");
    auto again = s.adopt_plain_active("main");
    ASSERT_TRUE(again);
    EXPECT_FALSE(*again);
}

TEST_F(ScriptStoreTest, ForeignLinkTargetsAreNotActive) {
    ScriptStore s(dir_);
    ASSERT_TRUE(s.put("a", "keep;\n"));
    fs::create_symlink("/etc/passwd", dir_ / "active.sieve");
    EXPECT_FALSE(s.active());
    EXPECT_FALSE((*s.list())[0].active);
}

}  // namespace
}  // namespace postern::sieve
