// The decoded-body cache: LRU by bytes, size limits, and what the store serves from it (bodies
// of live messages only; expunged messages stay expunged); FETCH's body reads from the rows it
// already read.
#include "store/cache/body_cache.h"

#include <fstream>

#include "store/engine/catalog.h"
#include "store/engine/message_store.h"
#include "store/engine/record.h"
#include "store_fixture.h"

namespace postern::store::testing {
namespace {

std::string key(char c) {
    return std::string(32, c);
}

TEST(BodyCacheTest, KeepsTheMostRecentlyUsedWithinItsBytes) {
    BodyCache cache(8000);  // entries up to 1000 bytes
    cache.insert(key('a'), std::string(900, 'A'));
    cache.insert(key('b'), std::string(900, 'B'));
    EXPECT_EQ(cache.find(key('a')).value(), std::string(900, 'A'));
    EXPECT_EQ(cache.bytes(), 1800u);
    for (char c = 'c'; c < 'c' + 7; ++c)  // 7 more: 8,100 bytes in all, over the capacity
        cache.insert(key(c), std::string(900, c));
    // 'b' was the least recently used ('a' was found after it went in).
    EXPECT_FALSE(cache.find(key('b')));
    EXPECT_TRUE(cache.find(key('a')));
    EXPECT_LE(cache.bytes(), 8000u);
    EXPECT_EQ(cache.entries(), 8u);
    // Inserting a held hash again changes nothing.
    cache.insert(key('a'), std::string(10, 'x'));
    EXPECT_EQ(cache.find(key('a')).value(), std::string(900, 'A'));
}

TEST(BodyCacheTest, BigBodiesAndZeroCapacityAreNotHeld) {
    BodyCache cache(8000);
    cache.insert(key('a'), std::string(1001, 'A'));  // over capacity / 8
    EXPECT_FALSE(cache.find(key('a')));
    EXPECT_EQ(cache.bytes(), 0u);
    BodyCache off(0);
    off.insert(key('a'), "x");
    EXPECT_FALSE(off.find(key('a')));
}

TEST_F(StoreTest, FetchServesCachedBodiesButNotExpungedMessages) {
    options_.compression = false;
    open();
    auto box = mailbox("c@x.org");
    for (unsigned i = 0; i < 3; ++i)
        ASSERT_TRUE(box->append(make_message(3000, i)));
    const auto body = box->fetch_body(2).value();
    // Damage the container under UID 2's body: the cached copy is still what was stored.
    auto* ms = store_->message_stores()[0];
    std::vector<engine::BodyRow> rows;
    {
        auto lease = ms->reader();
        rows = *engine::catalog_bodies(**lease);
    }
    const auto target = engine::content_hash(body);
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
    EXPECT_EQ(box->fetch_body(2).value(), body);
    // An expunged message is gone whatever the cache holds: the index is asked first.
    ASSERT_TRUE(box->store_flags(UidSet::of({2}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    EXPECT_EQ(box->fetch_body(2).error().code, StoreErrc::expunged);
    // A reopened store (cold cache) reads the other bodies from their containers.
    box.reset();
    open();
    auto again = mailbox("c@x.org");
    EXPECT_TRUE(again->fetch_body(1));
}

TEST_F(StoreTest, FetchBodyOfReadMetadataNeedsNoRowLookup) {
    options_.body_cache_bytes = 0;  // every body comes from its container
    open();
    auto box = mailbox("d@x.org");
    for (unsigned i = 0; i < 5; ++i)
        ASSERT_TRUE(box->append(make_message(2000 + 100 * i, i, "subject " + std::to_string(i))));
    // The cached ENVELOPE and BODYSTRUCTURE come with the rows (one query per range), only
    // when asked for, each with its own message.
    auto metas = box->messages(UidSet::of({1, 3, 4, 5}), true).value();
    ASSERT_EQ(metas.size(), 4u);
    for (const auto& m : metas) {
        EXPECT_EQ(m.envelope, "(envelope subject " + std::to_string(m.uid - 1) + ")");
        EXPECT_EQ(m.bodystructure, "(\"text\" \"plain\")");
        EXPECT_EQ(box->fetch_body(m).value(), box->fetch_body(m.uid).value());
    }
    const auto plain = box->messages(UidSet::all(), false).value();
    for (const auto& m : plain) {
        EXPECT_TRUE(m.envelope.empty());
        EXPECT_FALSE(m.body_hash.empty());
    }
    // Expunged since its metadata was read, its body freed: the row decides (expunged).
    ASSERT_TRUE(box->store_flags(UidSet::of({3}), FlagOp::add, {kDeleted, {}}));
    ASSERT_TRUE(box->expunge());
    EXPECT_EQ(box->fetch_body(metas[1]).error().code, StoreErrc::expunged);
    EXPECT_TRUE(box->fetch_body(metas[2]));
    // Metadata whose body location does not match (a damaged or foreign row): the row again.
    auto wrong = metas[2];
    wrong.body_hash = metas[0].body_hash;
    EXPECT_EQ(box->fetch_body(wrong).value(), box->fetch_body(4).value());
}

}  // namespace
}  // namespace postern::store::testing
