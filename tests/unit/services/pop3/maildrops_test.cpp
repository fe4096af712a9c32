// POP3 maildrop locks (IN-USE), LOGIN-DELAY accounting and "user+Folder" logins.
#include "services/pop3/maildrops.h"

#include <gtest/gtest.h>

#include "services/pop3/session.h"

namespace postern::services::pop3 {
namespace {

TEST(Pop3Maildrops, LockIsExclusiveUntilReleased) {
    auto drops = std::make_shared<Maildrops>();
    auto a = drops->try_lock({1, 10});
    ASSERT_TRUE(a);
    EXPECT_FALSE(drops->try_lock({1, 10}));
    EXPECT_TRUE(drops->try_lock({1, 11}));  // another folder of the same account
    EXPECT_TRUE(drops->try_lock({2, 10}));
    {
        auto moved = std::move(a);
        EXPECT_TRUE(drops->locked({1, 10}));
    }
    EXPECT_FALSE(drops->locked({1, 10}));
    auto again = drops->try_lock({1, 10});
    EXPECT_TRUE(again);
    again.release();
    EXPECT_FALSE(drops->locked({1, 10}));
}

TEST(Pop3Maildrops, LoginDelay) {
    Maildrops drops;
    auto t0 = Maildrops::Clock::now();
    using std::chrono::seconds;
    EXPECT_TRUE(drops.admit_login(1, seconds(0), t0));
    EXPECT_TRUE(drops.admit_login(1, seconds(0), t0));
    EXPECT_TRUE(drops.admit_login(1, seconds(60), t0));
    EXPECT_FALSE(drops.admit_login(1, seconds(60), t0 + seconds(59)));
    EXPECT_TRUE(drops.admit_login(2, seconds(60), t0 + seconds(59)));
    EXPECT_TRUE(drops.admit_login(1, seconds(60), t0 + seconds(60)));
}

TEST(Pop3FolderLogin, Splits) {
    auto s = split_folder_login("alice@example.test", "+");
    EXPECT_EQ(s.login, "alice@example.test");
    EXPECT_EQ(s.folder, "");
    s = split_folder_login("alice+Work@example.test", "+");
    EXPECT_EQ(s.login, "alice@example.test");
    EXPECT_EQ(s.folder, "Work");
    s = split_folder_login("alice@example.test+Work/Sub", "+");
    EXPECT_EQ(s.login, "alice@example.test");
    EXPECT_EQ(s.folder, "Work/Sub");
    s = split_folder_login("alice+Lists/pop", "+");
    EXPECT_EQ(s.login, "alice");
    EXPECT_EQ(s.folder, "Lists/pop");
    s = split_folder_login("alice#Work@example.test", "#");
    EXPECT_EQ(s.login, "alice@example.test");
    EXPECT_EQ(s.folder, "Work");
    s = split_folder_login("alice+Work@example.test", "");
    EXPECT_EQ(s.login, "alice+Work@example.test");
    EXPECT_EQ(s.folder, "");
}

}  // namespace
}  // namespace postern::services::pop3
