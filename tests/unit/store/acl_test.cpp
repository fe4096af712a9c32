// Mailbox ACLs (RFC 4314 §2) through the public API: entries by mailbox id across renames,
// removal with the mailbox, validation and limits, the share index across restarts and
// account deletion.
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

TEST_F(StoreTest, AclEntriesFollowTheMailbox) {
    open();
    auto a = account("1");
    ASSERT_TRUE(a->create_mailbox("Team"));
    ASSERT_TRUE(a->set_acl("Team", "2", "lrs"));
    ASSERT_TRUE(a->set_acl("Team", "anyone", "l"));
    EXPECT_EQ(a->acl("Team").value(), (std::vector<AclEntry>{{"2", "lrs"}, {"anyone", "l"}}));
    // Replace, then remove with empty rights.
    ASSERT_TRUE(a->set_acl("Team", "2", "lrswi"));
    EXPECT_EQ(a->acl("team").error().code, StoreErrc::not_found);  // names are case-sensitive
    EXPECT_EQ(a->acl("Team")->front(), (AclEntry{"2", "lrswi"}));
    ASSERT_TRUE(a->rename_mailbox("Team", "Crew"));
    EXPECT_EQ(a->acl("Crew")->size(), 2u);
    auto grants = a->grants_to({"2", "3"}).value();
    ASSERT_EQ(grants.size(), 1u);
    EXPECT_EQ(grants[0].mailbox_id, a->mailbox_info("Crew")->id);
    EXPECT_EQ(grants[0].entry, (AclEntry{"2", "lrswi"}));
    ASSERT_TRUE(a->set_acl("Crew", "anyone", ""));
    EXPECT_EQ(a->acl("Crew")->size(), 1u);
    // Deleting the mailbox drops its entries; a new one of that name starts empty.
    ASSERT_TRUE(a->delete_mailbox("Crew"));
    ASSERT_TRUE(a->create_mailbox("Crew"));
    EXPECT_TRUE(a->acl("Crew")->empty());
    EXPECT_TRUE(a->grants_to({"2"})->empty());
    EXPECT_EQ(a->set_acl("Nope", "2", "l").error().code, StoreErrc::not_found);
}

TEST_F(StoreTest, AclRejectsBadEntriesAndTooMany) {
    open();
    auto a = account("1");
    EXPECT_EQ(a->set_acl("INBOX", "", "l").error().code, StoreErrc::invalid_argument);
    EXPECT_EQ(
        a->set_acl("INBOX", std::string(Account::kMaxAclIdentifier + 1, 'x'), "l").error().code,
        StoreErrc::invalid_argument);
    EXPECT_EQ(a->set_acl("INBOX", "bad\nid", "l").error().code, StoreErrc::invalid_argument);
    EXPECT_EQ(a->set_acl("INBOX", "2", "LR").error().code, StoreErrc::invalid_argument);
    EXPECT_EQ(a->set_acl("INBOX", "2", "+l").error().code, StoreErrc::invalid_argument);
    for (std::size_t i = 0; i < Account::kMaxAclEntries; ++i)
        ASSERT_TRUE(a->set_acl("INBOX", "u" + std::to_string(i), "l"));
    EXPECT_EQ(a->set_acl("INBOX", "one-more", "l").error().code, StoreErrc::limit);
    EXPECT_EQ(a->acl("INBOX")->size(), Account::kMaxAclEntries);
}

TEST_F(StoreTest, ShareIndexFindsOwnersAcrossRestartsAndForgetsDeletedAccounts) {
    open();
    {
        auto a = account("1");
        auto b = account("2");
        ASSERT_TRUE(a->create_mailbox("Team"));
        ASSERT_TRUE(a->set_acl("Team", "3", "lr"));
        ASSERT_TRUE(a->set_acl("INBOX", "3", "lr"));
        ASSERT_TRUE(b->set_acl("INBOX", "anyone", "lr"));
        EXPECT_EQ(store_->accounts_sharing_with({"3"}).value(), (std::vector<std::string>{"1"}));
        EXPECT_EQ(store_->accounts_sharing_with({"3", "anyone"}).value(),
                  (std::vector<std::string>{"1", "2"}));
        // The owner stays in the index while one mailbox still grants something.
        ASSERT_TRUE(a->set_acl("Team", "3", ""));
        EXPECT_EQ(store_->accounts_sharing_with({"3"})->size(), 1u);
        ASSERT_TRUE(a->set_acl("INBOX", "3", ""));
        EXPECT_TRUE(store_->accounts_sharing_with({"3"})->empty());
        ASSERT_TRUE(a->set_acl("INBOX", "3", "l"));
    }
    open();
    EXPECT_EQ(store_->accounts_sharing_with({"3", "anyone"}).value(),
              (std::vector<std::string>{"1", "2"}));
    ASSERT_TRUE(store_->delete_account("2"));
    EXPECT_EQ(store_->accounts_sharing_with({"anyone"})->size(), 0u);
    ASSERT_TRUE(store_->delete_account("3"));
    EXPECT_TRUE(store_->accounts_sharing_with({"3"})->empty());
}

}  // namespace
}  // namespace postern::store::testing
