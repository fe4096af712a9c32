// Mailbox hierarchy through the public API: create/rename/delete/subscribe/special-use,
// INBOX rules, UIDVALIDITY, errors.
#include <set>

#include "store_fixture.h"

namespace postern::store::testing {
namespace {

std::set<std::string> names(Account& a) {
    std::set<std::string> out;
    auto list = a.list_mailboxes().value();
    for (auto& m : list)
        out.insert(m.name);
    return out;
}

TEST_F(StoreTest, NewAccountHasOnlyInbox) {
    open();
    auto a = account("bob@example.com");
    EXPECT_EQ(names(*a), (std::set<std::string>{"INBOX"}));
    auto st = a->status("inbox");
    ASSERT_TRUE(st);
    EXPECT_EQ(st->messages, 0u);
    EXPECT_EQ(st->uidnext, 1u);
    EXPECT_NE(st->uidvalidity, 0u);
}

TEST_F(StoreTest, CreateMakesParentsAndRejectsDuplicatesAndBadNames) {
    open();
    auto a = account("bob@example.com");
    auto made = a->create_mailbox("Archive/2024/Q1", kArchive);
    ASSERT_TRUE(made) << made.error().to_string();
    EXPECT_EQ(made->special_use, static_cast<std::uint32_t>(kArchive));
    EXPECT_EQ(names(*a),
              (std::set<std::string>{"INBOX", "Archive", "Archive/2024", "Archive/2024/Q1"}));
    EXPECT_TRUE(a->mailbox_info("Archive").value().has_children);
    EXPECT_FALSE(a->mailbox_info("Archive/2024/Q1").value().has_children);
    EXPECT_EQ(a->create_mailbox("Archive/2024").error().code, StoreErrc::exists);
    EXPECT_EQ(a->create_mailbox("INBOX").error().code, StoreErrc::exists);
    EXPECT_EQ(a->create_mailbox("a//b").error().code, StoreErrc::invalid_name);
    EXPECT_EQ(a->create_mailbox(std::string("x\0y", 3)).error().code, StoreErrc::invalid_name);
    // Distinct mailboxes get distinct UIDVALIDITY and guids.
    auto i1 = a->mailbox_info("Archive").value(), i2 = a->mailbox_info("Archive/2024").value();
    EXPECT_NE(i1.uidvalidity, i2.uidvalidity);
    EXPECT_NE(i1.guid, i2.guid);
}

TEST_F(StoreTest, RenameMovesSubtreeAndKeepsIdentity) {
    open();
    auto a = account("bob@example.com");
    ASSERT_TRUE(a->create_mailbox("Work/Projects/X"));
    auto before = a->mailbox_info("Work/Projects").value();
    auto box = a->open_mailbox("Work/Projects/X").value();
    ASSERT_TRUE(box->append(make_message(500, 1)));
    ASSERT_TRUE(a->rename_mailbox("Work", "Old/Work"));
    EXPECT_EQ(names(*a), (std::set<std::string>{"INBOX", "Old", "Old/Work", "Old/Work/Projects",
                                                "Old/Work/Projects/X"}));
    auto after = a->mailbox_info("Old/Work/Projects").value();
    EXPECT_EQ(after.uidvalidity, before.uidvalidity);
    EXPECT_EQ(after.guid, before.guid);
    // The handle follows the mailbox through the rename.
    EXPECT_EQ(box->info().value().name, "Old/Work/Projects/X");
    EXPECT_EQ(box->status().value().messages, 1u);
    EXPECT_EQ(a->rename_mailbox("Nope", "X").error().code, StoreErrc::not_found);
    EXPECT_EQ(a->rename_mailbox("Old", "INBOX").error().code, StoreErrc::exists);
    EXPECT_EQ(a->rename_mailbox("Old", "Old/Work/Inside").error().code, StoreErrc::invalid_name);
    ASSERT_TRUE(a->create_mailbox("Taken"));
    EXPECT_EQ(a->rename_mailbox("Old/Work", "Taken").error().code, StoreErrc::exists);
    EXPECT_EQ(a->rename_mailbox("INBOX", "Other").error().code, StoreErrc::invalid_name);
}

TEST_F(StoreTest, InboxRenameByMovingAllMessages) {
    open();
    auto a = account("bob@example.com");
    auto inbox = a->open_mailbox("INBOX").value();
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(inbox->append(make_message(400, i)));
    auto moved = a->move_all_messages("INBOX", "Old-Inbox");
    ASSERT_TRUE(moved) << moved.error().to_string();
    EXPECT_EQ(*moved, 3u);
    EXPECT_EQ(a->status("INBOX").value().messages, 0u);
    EXPECT_EQ(a->status("Old-Inbox").value().messages, 3u);
}

TEST_F(StoreTest, DeleteRules) {
    open();
    auto a = account("bob@example.com");
    EXPECT_EQ(a->delete_mailbox("INBOX").error().code, StoreErrc::invalid_name);
    EXPECT_EQ(a->delete_mailbox("Missing").error().code, StoreErrc::not_found);
    ASSERT_TRUE(a->create_mailbox("P/C"));
    EXPECT_EQ(a->delete_mailbox("P").error().code, StoreErrc::not_empty);
    auto c = a->open_mailbox("P/C").value();
    ASSERT_TRUE(c->append(make_message(300, 9)));
    auto uv = a->mailbox_info("P/C").value().uidvalidity;
    ASSERT_TRUE(a->delete_mailbox("P/C"));
    ASSERT_TRUE(a->delete_mailbox("P"));
    EXPECT_EQ(c->status().error().code, StoreErrc::not_found);
    EXPECT_EQ(a->quota().value().messages_used, 0u);
    // Re-created mailbox: a new UIDVALIDITY, so clients drop their caches.
    ASSERT_TRUE(a->create_mailbox("P/C"));
    EXPECT_GT(a->mailbox_info("P/C").value().uidvalidity, uv);
}

TEST_F(StoreTest, RecreatedMailboxGetsANewIdAndAFreshView) {
    open();
    auto a = account("carol@example.com");
    ASSERT_TRUE(a->create_mailbox("Last"));  // the highest id: SQLite alone would reuse it
    auto old = a->open_mailbox("Last").value();
    ASSERT_TRUE(old->append(make_message(300, 1)));
    auto old_session = old->open_session().value();
    const auto old_id = old->id();
    ASSERT_TRUE(a->delete_mailbox("Last"));
    EXPECT_TRUE(old_session->view()->deleted());
    ASSERT_TRUE(a->create_mailbox("Last"));
    auto fresh = a->open_mailbox("Last").value();
    EXPECT_GT(fresh->id(), old_id);
    // The old handle still names the deleted mailbox, not the new one.
    EXPECT_EQ(old->status().error().code, StoreErrc::not_found);
    auto fresh_session = fresh->open_session().value();
    EXPECT_FALSE(fresh_session->view()->deleted());
    EXPECT_EQ(fresh_session->exists(), 0u);
    ASSERT_TRUE(fresh->append(make_message(300, 2)));
    EXPECT_EQ(fresh_session->sync().exists, 1u);
}

TEST_F(StoreTest, MetadataOfMailboxesAndAccount) {
    open();
    auto a = account("dave@example.com");
    ASSERT_TRUE(a->create_mailbox("Work"));
    using Set = std::vector<std::pair<std::string, std::optional<std::string>>>;
    ASSERT_TRUE(a->set_metadata("Work", Set{{"/private/Comment", "mine"},
                                            {"/shared/vendor/x/a", "1"},
                                            {"/shared/vendor/x/a/b", "2"}}));
    ASSERT_TRUE(a->set_metadata("", Set{{"/private/motd", "hello"}}));
    // Names are case-insensitive; depth selects descendants.
    auto got = a->get_metadata("Work", {"/PRIVATE/comment"}, MetadataDepth::zero).value();
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0], (MetadataEntry{"/private/comment", "mine"}));
    EXPECT_EQ(a->get_metadata("Work", {"/shared/vendor/x"}, MetadataDepth::one).value().size(), 1u);
    EXPECT_EQ(a->get_metadata("Work", {"/shared/vendor/x"}, MetadataDepth::infinity).value().size(),
              2u);
    EXPECT_EQ(a->get_metadata("", {"/private/motd"}, MetadataDepth::zero).value().size(), 1u);
    EXPECT_TRUE(a->get_metadata("INBOX", {"/private/comment"}, MetadataDepth::zero)->empty());
    // NIL removes; renames keep them; deleting the mailbox drops them.
    ASSERT_TRUE(a->set_metadata("Work", Set{{"/shared/vendor/x/a/b", std::nullopt}}));
    EXPECT_EQ(a->get_metadata("Work", {"/shared/vendor/x"}, MetadataDepth::infinity).value().size(),
              1u);
    ASSERT_TRUE(a->rename_mailbox("Work", "Jobs"));
    EXPECT_EQ(a->get_metadata("Jobs", {"/private/comment"}, MetadataDepth::zero)->size(), 1u);
    ASSERT_TRUE(a->delete_mailbox("Jobs"));
    ASSERT_TRUE(a->create_mailbox("Jobs"));
    EXPECT_TRUE(a->get_metadata("Jobs", {"/private/comment"}, MetadataDepth::zero)->empty());
    EXPECT_EQ(a->get_metadata("Nope", {"/private/x"}, MetadataDepth::zero).error().code,
              StoreErrc::not_found);
    // Limits: a value too large, too many entries (all or nothing).
    EXPECT_EQ(a->set_metadata("", Set{{"/private/big", std::string(kMaxMetadataValue + 1, 'x')}})
                  .error()
                  .code,
              StoreErrc::too_large);
    Set many;
    for (std::size_t i = 0; i < kMaxMetadataEntries + 1; ++i)
        many.emplace_back("/private/e" + std::to_string(i), "v");
    EXPECT_EQ(a->set_metadata("", many).error().code, StoreErrc::limit);
    EXPECT_EQ(a->get_metadata("", {"/private"}, MetadataDepth::infinity)->size(), 1u);
}

TEST_F(StoreTest, SubscriptionsAndSpecialUse) {
    open();
    auto a = account("bob@example.com");
    ASSERT_TRUE(a->create_mailbox("Sent", kSent));
    ASSERT_TRUE(a->set_subscribed("Sent", true));
    EXPECT_TRUE(a->mailbox_info("Sent").value().subscribed);
    ASSERT_TRUE(a->set_subscribed("Sent", false));
    EXPECT_FALSE(a->mailbox_info("Sent").value().subscribed);
    ASSERT_TRUE(a->set_special_use("Sent", kSent | kArchive));
    EXPECT_EQ(a->mailbox_info("Sent").value().special_use,
              static_cast<std::uint32_t>(kSent | kArchive));
    EXPECT_EQ(a->set_subscribed("Nope", true).error().code, StoreErrc::not_found);
}

TEST_F(StoreTest, SubscriptionsOutliveDeleteAndFollowRename) {
    // RFC 3501 §6.3.6: a subscription stays when its mailbox goes (LIST shows it
    // \NonExistent, RFC 5258); unsubscribing it by name still works.
    open();
    auto a = account("bob@example.com");
    ASSERT_TRUE(a->create_mailbox("Old/Child"));
    ASSERT_TRUE(a->set_subscribed("Old/Child", true));
    ASSERT_TRUE(a->rename_mailbox("Old", "New"));
    EXPECT_EQ(a->subscriptions().value(), std::vector<std::string>{"New/Child"});
    EXPECT_TRUE(a->mailbox_info("New/Child").value().subscribed);
    ASSERT_TRUE(a->delete_mailbox("New/Child"));
    EXPECT_EQ(a->subscriptions().value(), std::vector<std::string>{"New/Child"});
    ASSERT_TRUE(a->create_mailbox("New/Child"));
    EXPECT_TRUE(a->mailbox_info("New/Child").value().subscribed);
    ASSERT_TRUE(a->delete_mailbox("New/Child"));
    ASSERT_TRUE(a->set_subscribed("New/Child", false));
    EXPECT_TRUE(a->subscriptions().value().empty());
    EXPECT_EQ(a->set_subscribed("New/Child", false).error().code, StoreErrc::not_found);
}

TEST_F(StoreTest, AccountsAreIsolatedAndPersist) {
    open();
    ASSERT_TRUE(account("a@x.org")->create_mailbox("OnlyA"));
    EXPECT_EQ(names(*account("b@x.org")), (std::set<std::string>{"INBOX"}));
    open();  // reopen the whole store
    EXPECT_EQ(names(*account("a@x.org")), (std::set<std::string>{"INBOX", "OnlyA"}));
    auto ids = store_->account_ids();
    EXPECT_EQ(ids, (std::vector<std::string>{"a@x.org", "b@x.org"}));
    EXPECT_EQ(store_->account("").error().code, StoreErrc::invalid_argument);
    // A second process (or Store) on the same root is refused, not corrupting.
    auto second = Store::open(options_);
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, StoreErrc::busy);
}

}  // namespace
}  // namespace postern::store::testing
