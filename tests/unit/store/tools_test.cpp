// Tools: check (clean store, corrupted containers, damaged index rows, orphans), repair of
// a lost or damaged account index, online compaction while appending, the storage report.
#include "store/tools/tools.h"

#include <atomic>
#include <fstream>
#include <set>
#include <thread>

#include <sqlite3.h>

#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

using tools::CheckIssue;

std::size_t count_kind(const tools::CheckReport& r, CheckIssue::Kind k) {
    std::size_t n = 0;
    for (auto& i : r.issues)
        n += i.kind == k ? 1 : 0;
    return n;
}

std::string dump(const tools::CheckReport& r) {
    std::string out;
    for (auto& i : r.issues)
        out += std::string(tools::issue_kind_name(i.kind)) + " " + i.account + " " + i.mailbox +
               " uid " + std::to_string(i.uid) + ": " + i.message + "\n";
    return out;
}

void exec_sql(const std::filesystem::path& db, const std::string& sql) {
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK) << (err ? err : "");
    sqlite3_free(err);
    sqlite3_close(h);
}

TEST_F(StoreTest, CheckIsCleanOnAHealthyStore) {
    open();
    auto box = mailbox("a@x.org");
    for (unsigned i = 0; i < 10; ++i)
        ASSERT_TRUE(box->append(make_message(2000 + i * 100, i)));
    ASSERT_TRUE(store_->deliver(make_message(3000, 99), {{"a@x.org"}, {"b@x.org"}}));
    ASSERT_TRUE(box->store_flags(UidSet::range(1, 3), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    ASSERT_TRUE(box->copy(UidSet::all(), *mailbox("b@x.org", "Copies")));
    auto rep = tools::check(*store_, {.fix = false, .deep = true, .accounts = {}});
    ASSERT_TRUE(rep) << rep.error().to_string();
    EXPECT_TRUE(rep->issues.empty()) << dump(*rep);
    EXPECT_EQ(rep->accounts, 2u);
    EXPECT_EQ(rep->messages, 8u + 9u);
    EXPECT_EQ(rep->bodies, 8u);
    EXPECT_EQ(rep->references, 17u);
}

TEST_F(StoreTest, CorruptContainerBytesAreDetectedAndReportedWithTheMessage) {
    options_.compression = false;
    options_.body_cache_bytes = 0;  // every read goes to the container: the damage must show
    open();
    auto victim = mailbox("victim@x.org");
    auto bystander = mailbox("bystander@x.org");
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_TRUE(victim->append(make_message(3000, i)));
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_TRUE(bystander->append(make_message(3000, 100 + i)));
    // Find UID 3's body and flip a byte in the middle of its payload.
    auto* ms = store_->message_stores()[0];
    std::vector<engine::BodyRow> rows;
    {
        auto lease = ms->reader();
        rows = *engine::catalog_bodies(**lease);
    }
    auto target = engine::content_hash(victim->fetch_body(3).value());
    std::uint64_t where = 0;
    for (auto& b : rows)
        if (b.hash == target)
            where = b.offset + engine::kRecordHeaderSize + 1000;
    ASSERT_NE(where, 0u);
    {
        std::fstream f(ms->path() / "containers" / "0000.pcf",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(where));
        f.put('\x01');
    }
    auto bad = victim->fetch_body(3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, StoreErrc::corrupt);
    EXPECT_NE(bad.error().message.find("victim@x.org"), std::string::npos);
    EXPECT_NE(bad.error().message.find("UID 3"), std::string::npos);
    // Everything else keeps working.
    EXPECT_TRUE(victim->fetch_body(2));
    for (Uid u = 1; u <= 5; ++u)
        EXPECT_TRUE(bystander->fetch_body(u));
    EXPECT_TRUE(bystander->append(make_message(1000, 1000)));

    auto rep = tools::check(*store_).value();
    EXPECT_FALSE(rep.clean());
    ASSERT_EQ(count_kind(rep, CheckIssue::Kind::corrupt_body), 1u) << dump(rep);
    auto& issue = rep.issues[0];
    EXPECT_EQ(issue.account, "victim@x.org");
    EXPECT_EQ(issue.mailbox, "INBOX");
    EXPECT_EQ(issue.uid, 3u);
    EXPECT_TRUE(issue.error);
}

TEST_F(StoreTest, DamagedIndexRowIsDetected) {
    open();
    auto box = mailbox("a@x.org");
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(box->append(make_message(1500, i)));
    auto idx = store_->index_path("a@x.org");
    box.reset();
    store_.reset();
    exec_sql(idx, "UPDATE messages SET body_hash = zeroblob(32) WHERE uid = 2");
    open();
    auto b = mailbox("a@x.org");
    EXPECT_EQ(b->fetch_body(2).error().code, StoreErrc::corrupt);
    EXPECT_TRUE(b->fetch_body(1));
    auto rep = tools::check(*store_).value();
    EXPECT_EQ(count_kind(rep, CheckIssue::Kind::missing_body), 1u) << dump(rep);
    EXPECT_EQ(rep.errors(), 1u);
    auto it = std::find_if(rep.issues.begin(), rep.issues.end(),
                           [](auto& i) { return i.kind == CheckIssue::Kind::missing_body; });
    ASSERT_NE(it, rep.issues.end());
    EXPECT_EQ(it->account, "a@x.org");
    EXPECT_EQ(it->uid, 2u);
    // The reference keeps the real body alive, so repair can bring the message back.
    b.reset();
    auto fixed = tools::repair(*store_, "a@x.org");
    ASSERT_TRUE(fixed) << fixed.error().to_string();
    EXPECT_EQ(mailbox("a@x.org")->fetch_body(2).value(), make_message(1500, 1));
    EXPECT_TRUE(tools::check(*store_).value().clean());
}

TEST_F(StoreTest, UnreadableIndexIsIsolatedAndRepairable) {
    open();
    auto box = mailbox("a@x.org");
    ASSERT_TRUE(account("a@x.org")->create_mailbox("Work"));
    auto work = mailbox("a@x.org", "Work");
    for (unsigned i = 0; i < 4; ++i)
        ASSERT_TRUE(box->append(make_message(1500, i), {{kSeen, {"Red"}}, 1000 + i, nullptr}));
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(work->append(make_message(1500, 10 + i)));
    ASSERT_TRUE(mailbox("b@x.org")->append(make_message(1500, 50)));
    auto idx = store_->index_path("a@x.org");
    box.reset();
    work.reset();
    store_.reset();
    {
        // Scribble over the SQLite header and a later page.
        std::fstream f(idx, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(0);
        f.write("this is not sqlite at all!", 26);
    }
    std::filesystem::remove(idx.string() + "-wal");
    open();
    EXPECT_FALSE(store_->account("a@x.org"));        // refuses a broken index, does not crash
    EXPECT_TRUE(mailbox("b@x.org")->fetch_body(1));  // other accounts unaffected
    auto rep = tools::check(*store_, {.fix = true, .deep = false, .accounts = {}}).value();
    EXPECT_EQ(count_kind(rep, CheckIssue::Kind::index_unreadable), 1u) << dump(rep);
    // check --fix must not reclaim the references of an account it cannot read.
    EXPECT_EQ(count_kind(rep, CheckIssue::Kind::orphan_ref), 0u);

    auto fixed = tools::repair(*store_, "a@x.org");
    ASSERT_TRUE(fixed) << fixed.error().to_string();
    EXPECT_EQ(fixed->messages_recovered, 7u);
    EXPECT_EQ(fixed->flags_lost, 7u);  // nothing was readable from the old index
    EXPECT_FALSE(fixed->old_index.empty());
    auto acc = account("a@x.org");
    EXPECT_EQ(acc->status("INBOX").value().messages, 4u);
    EXPECT_EQ(acc->status("Work").value().messages, 3u);  // folder known from catalog hints
    auto inbox = mailbox("a@x.org");
    auto metas = inbox->messages(UidSet::all()).value();
    ASSERT_EQ(metas.size(), 4u);
    std::set<std::string> bodies;
    for (auto& m : metas)
        bodies.insert(inbox->fetch_body(m.uid).value());
    for (unsigned i = 0; i < 4; ++i)
        EXPECT_TRUE(bodies.count(make_message(1500, i)));
    auto after = tools::check(*store_).value();
    EXPECT_TRUE(after.clean()) << dump(after);
}

TEST_F(StoreTest, RepairRebuildsADeletedIndex) {
    open();
    auto acc = account("a@x.org");
    ASSERT_TRUE(acc->create_mailbox("Work/Sub"));
    ASSERT_TRUE(acc->rename_mailbox("Work", "Projects"));  // hints follow renames
    auto sub = mailbox("a@x.org", "Projects/Sub");
    auto inbox = mailbox("a@x.org");
    for (unsigned i = 0; i < 6; ++i)
        ASSERT_TRUE(inbox->append(make_message(900, i)));
    for (unsigned i = 0; i < 4; ++i)
        ASSERT_TRUE(sub->append(make_message(900, 20 + i), {{kSeen, {}}, {}, nullptr}));
    // A message moved after delivery is found in its new folder.
    ASSERT_TRUE(inbox->move(UidSet::of({6}), *sub));
    auto idx = store_->index_path("a@x.org");
    sub.reset();
    inbox.reset();
    acc.reset();
    store_.reset();
    for (auto suffix : {"", "-wal", "-shm"})
        std::filesystem::remove(idx.string() + suffix);
    open();
    auto rep = tools::repair(*store_, "a@x.org");
    ASSERT_TRUE(rep) << rep.error().to_string();
    EXPECT_EQ(rep->messages_recovered, 10u);
    EXPECT_EQ(rep->flags_lost, 10u);  // said, not hidden: the flags lived only in the index
    EXPECT_TRUE(rep->old_index.empty());
    auto a = account("a@x.org");
    EXPECT_EQ(a->status("INBOX").value().messages, 5u);
    EXPECT_EQ(a->status("Projects/Sub").value().messages, 5u);
    EXPECT_TRUE(a->mailbox_info("Projects"));
    auto box = mailbox("a@x.org", "Projects/Sub");
    auto metas = box->messages(UidSet::all()).value();
    std::set<std::string> got;
    for (auto& m : metas)
        got.insert(box->fetch_body(m.uid).value());
    EXPECT_TRUE(got.count(make_message(900, 5)));
    EXPECT_TRUE(got.count(make_message(900, 23)));
    SearchKey k{SearchKey::Kind::body};
    k.text = "meeting";
    EXPECT_FALSE(box->search(k).value().empty());  // full-text index rebuilt too
    EXPECT_TRUE(tools::check(*store_).value().issues.empty());
}

TEST_F(StoreTest, RepairOfAReadableIndexKeepsUidsAndFlags) {
    open();
    auto acc = account("a@x.org");
    ASSERT_TRUE(acc->create_mailbox("Archive/2024"));
    auto arch = mailbox("a@x.org", "Archive/2024");
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_TRUE(arch->append(make_message(1200, i), {{kFlagged, {"Tag"}}, 5000 + i, nullptr}));
    ASSERT_TRUE(arch->store_flags(UidSet::of({2}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(arch->expunge());
    auto before = arch->messages(UidSet::all()).value();
    auto uv = arch->info().value().uidvalidity;
    arch.reset();
    acc.reset();
    auto rep = tools::repair(*store_, "a@x.org");
    ASSERT_TRUE(rep) << rep.error().to_string();
    EXPECT_EQ(rep->messages_recovered, 4u);
    EXPECT_EQ(rep->flags_lost, 0u);
    EXPECT_EQ(rep->uidvalidity_changed, 0u);
    auto again = mailbox("a@x.org", "Archive/2024");
    EXPECT_EQ(again->info().value().uidvalidity, uv);
    auto after = again->messages(UidSet::all()).value();
    ASSERT_EQ(after.size(), before.size());
    for (std::size_t i = 0; i < after.size(); ++i) {
        EXPECT_EQ(after[i].uid, before[i].uid);
        EXPECT_EQ(after[i].guid, before[i].guid);
        EXPECT_EQ(after[i].flags, before[i].flags);
        EXPECT_EQ(after[i].internal_date, before[i].internal_date);
    }
    EXPECT_EQ(again->status().value().uidnext, 6u);  // UID 2 is never reused
    // Repair refuses while the account is in use.
    EXPECT_EQ(tools::repair(*store_, "a@x.org").error().code, StoreErrc::busy);
}

TEST_F(StoreTest, OrphansFromInterruptedWritesAreReclaimed) {
    open();
    auto box = mailbox("a@x.org");
    ASSERT_TRUE(box->append(make_message(1500, 1)));
    // Simulate a crash between "reference committed" and "index committed".
    auto* ms = store_->message_stores()[0];
    auto raw = make_message(4000, 2);
    auto body = engine::prepare_body(raw, true, 1024, 3);
    engine::JournalRequest req;
    req.store = ms;
    req.body = &body;
    req.hash = body.hash;
    req.entries.push_back(
        {"a@x.org", "deadbeefdeadbeefdeadbeefdeadbeef", "", 1, 99, 1, 0, {}, 0, 0});
    ASSERT_TRUE(ms->write_record(req));
    req.pin.reset();
    // And a refcount that is too high (crash during a release).
    {
        auto lease = ms->reader();
        ASSERT_EQ(engine::catalog_bodies(**lease)->size(), 2u);
    }
    ASSERT_TRUE(ms->exclusive([](engine::MessageStore::WriterAccess& w) {
        return w.db.exec("UPDATE bodies SET refcount = refcount + 5 WHERE id = 1");
    }));
    auto rep = tools::check(*store_).value();
    EXPECT_TRUE(rep.clean()) << dump(rep);  // nothing at risk
    EXPECT_EQ(count_kind(rep, CheckIssue::Kind::orphan_ref), 1u) << dump(rep);
    EXPECT_EQ(count_kind(rep, CheckIssue::Kind::refcount_mismatch), 1u) << dump(rep);
    auto fixed = tools::check(*store_, {.fix = true, .deep = false, .accounts = {}}).value();
    for (auto& i : fixed.issues)
        EXPECT_TRUE(i.fixed) << dump(fixed);
    auto after = tools::check(*store_).value();
    EXPECT_TRUE(after.issues.empty()) << dump(after);
    auto lease = ms->reader();
    EXPECT_EQ(engine::catalog_bodies(**lease)->size(), 1u);  // the orphan body is gone
    EXPECT_TRUE(box->fetch_body(1));
}

TEST_F(StoreTest, CompactionWhileAppendingReclaimsSpace) {
    MessageStoreOptions ms;
    ms.path = root_ / "s";
    ms.max_file_size = 4u << 20;
    options_.message_stores = {ms};
    options_.compression = false;
    open();
    auto box = mailbox("a@x.org");
    for (unsigned i = 0; i < 300; ++i)
        ASSERT_TRUE(box->append(make_message(8000, i)));
    // Delete two of every three messages, spread over the container.
    UidSet del;
    for (Uid u = 1; u <= 300; ++u)
        if (u % 3 != 0)
            del.add(u);
    ASSERT_TRUE(box->store_flags(del, FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    auto size_before = std::filesystem::file_size(ms.path / "containers" / "0000.pcf");
    std::atomic<bool> stop{false};
    std::atomic<int> appended{0}, failed{0};
    std::thread writer([&] {
        auto b = mailbox("a@x.org");
        for (unsigned i = 0; !stop && i < 2000; ++i) {
            if (b->append(make_message(3000, 10'000 + i)))
                ++appended;
            else
                ++failed;
            // Readers race the moves too.
            if (!b->fetch_body(3))
                ++failed;
        }
    });
    auto rep = tools::compact(*store_, {.io_rate = 0, .max_bytes = 0});
    stop = true;
    writer.join();
    ASSERT_TRUE(rep) << rep.error().to_string();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_GT(rep->records_moved, 0u);
    EXPECT_GT(rep->bytes_released, 0u);
    EXPECT_LT(std::filesystem::file_size(ms.path / "containers" / "0000.pcf"), size_before);
    for (Uid u = 3; u <= 300; u += 3)
        EXPECT_EQ(box->fetch_body(u).value(), make_message(8000, u - 1)) << u;
    auto chk = tools::check(*store_, {.fix = false, .deep = true, .accounts = {}}).value();
    EXPECT_TRUE(chk.issues.empty()) << dump(chk);
    EXPECT_EQ(box->status().value().messages, 100u + static_cast<std::uint32_t>(appended.load()));
}

TEST_F(StoreTest, StorageReportCountsDedupAndCompression) {
    open();
    auto raw = make_message(10'000, 1);
    ASSERT_TRUE(store_->deliver(raw, {{"a@x.org"}, {"b@x.org"}, {"c@y.org"}}));
    ASSERT_TRUE(mailbox("a@x.org")->append(make_message(5000, 2)));
    auto rep = tools::report(*store_);
    ASSERT_TRUE(rep) << rep.error().to_string();
    ASSERT_EQ(rep->stores.size(), 1u);
    EXPECT_EQ(rep->stores[0].bodies, 2u);
    EXPECT_EQ(rep->stores[0].references, 4u);
    EXPECT_EQ(rep->dedup_savings, 2 * raw.size());
    EXPECT_GT(rep->compression_savings, 0u);
    EXPECT_LT(rep->stores[0].stored_bytes, rep->stores[0].raw_bytes);
    ASSERT_EQ(rep->domains.size(), 2u);
    EXPECT_EQ(rep->domains[0].domain, "x.org");
    EXPECT_EQ(rep->domains[0].accounts, 2u);
    EXPECT_EQ(rep->domains[0].messages, 3u);
    EXPECT_EQ(rep->accounts.size(), 3u);
}

TEST_F(StoreTest, DeleteAccountReleasesItsBodies) {
    open();
    ASSERT_TRUE(store_->deliver(make_message(3000, 1), {{"a@x.org"}, {"b@x.org"}}));
    ASSERT_TRUE(mailbox("a@x.org")->append(make_message(3000, 2)));
    ASSERT_TRUE(store_->delete_account("a@x.org"));
    EXPECT_EQ(store_->account_ids(), std::vector<std::string>{"b@x.org"});
    auto* ms = store_->message_stores()[0];
    auto lease = ms->reader();
    auto rows = engine::catalog_bodies(**lease).value();
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].refcount, 1);
    EXPECT_TRUE(mailbox("b@x.org")->fetch_body(1));
}

}  // namespace
}  // namespace postern::store::testing

namespace postern::store::testing {
namespace {

TEST_F(StoreTest, DamagedCatalogOrContainerHeaderFailsCleanly) {
    open();
    ASSERT_TRUE(mailbox("a@x.org")->append(make_message(2000, 1)));
    auto store_dir = store_->message_stores()[0]->path();
    store_.reset();
    {
        // A container that claims to belong to another store is refused, not used.
        std::fstream f(store_dir / "containers" / "0000.pcf",
                       std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(20);
        f.put('Z');
    }
    auto bad = Store::open(options_);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, StoreErrc::corrupt);
    {
        std::ofstream meta(store_dir / "store.meta", std::ios::trunc);
        meta << "something else\n";
    }
    bad = Store::open(options_);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, StoreErrc::corrupt);
}

}  // namespace
}  // namespace postern::store::testing
