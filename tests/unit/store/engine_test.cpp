// Low layers of the store: record format, container files, free-space allocation, UID sets,
// text folding and mailbox name validation.
#include <cstring>
#include <filesystem>
#include <random>
#include <set>

#include <gtest/gtest.h>

#include "base/random.h"
#include "store/api/types.h"
#include "store/engine/account_index.h"
#include "store/engine/container.h"
#include "store/engine/index_search.h"
#include "store/engine/record.h"
#include "store/engine/record_meta.h"
#include "store/engine/space_allocator.h"
#include "store/engine/text_fold.h"

namespace postern::store::engine {
namespace {

TEST(Record, HeaderRoundTripAndRejectsDamage) {
    RecordHeader h;
    h.flags = kRecordZstd | kRecordHasBody;
    h.stored_size = 1234;
    h.raw_size = 5678;
    h.written_at = 1700000000;
    h.hash = content_hash("hello");
    h.payload_crc = 0xDEADBEEF;
    h.meta_size = 77;
    h.meta_crc = 0x01020304;
    h.lsn = 0x0102030405060708ull;
    auto bytes = encode_record_header(h);
    ASSERT_EQ(bytes.size(), kRecordHeaderSize);
    auto back = decode_record_header(bytes);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->version, 2);
    EXPECT_EQ(back->stored_size, 1234u);
    EXPECT_EQ(back->raw_size, 5678u);
    EXPECT_EQ(back->written_at, 1700000000);
    EXPECT_EQ(back->hash, h.hash);
    EXPECT_EQ(back->flags, kRecordZstd | kRecordHasBody);
    EXPECT_EQ(back->meta_size, 77u);
    EXPECT_EQ(back->meta_crc, 0x01020304u);
    EXPECT_EQ(back->lsn, h.lsn);
    EXPECT_EQ(back->extent(), record_extent(77, 1234));
    EXPECT_EQ(back->payload_offset(), kRecordHeaderSize + 77);
    // Every single-byte flip in the checksummed part must be caught.
    for (std::size_t i = 0; i < 92; ++i) {
        auto bad = bytes;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        EXPECT_FALSE(decode_record_header(bad)) << "flip at " << i;
    }
    EXPECT_FALSE(decode_record_header(bytes.substr(0, 40)));
    EXPECT_FALSE(decode_record_header(bytes.substr(0, 90)));
    // A reference record claiming a payload is damage, not a body.
    RecordHeader ref;
    ref.stored_size = 10;
    EXPECT_FALSE(decode_record_header(encode_record_header(ref)));
}

TEST(Record, Version1HeadersStillDecode) {
    // Laid out by hand as the v1 writer did (docs/storage.md "Record v1").
    std::string v1(kRecordHeaderSizeV1, '\0');
    auto put = [&](std::size_t at, std::uint64_t v, int n) {
        for (int i = 0; i < n; ++i)
            v1[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
    };
    put(0, kRecordMagicV1, 4);
    put(4, 1, 2);
    put(6, kRecordZstd, 2);
    put(8, 300, 8);
    put(16, 900, 8);
    put(24, 1600000000, 8);
    auto hash = content_hash("old body");
    std::memcpy(v1.data() + 32, hash.data(), hash.size());
    put(64, 0xCAFEBABE, 4);
    put(72, crc32_of(std::string_view(v1).substr(0, 72)), 4);
    auto h = decode_record_header(v1);
    ASSERT_TRUE(h);
    EXPECT_EQ(h->version, 1);
    EXPECT_TRUE(h->has_body());
    EXPECT_EQ(h->header_size(), kRecordHeaderSizeV1);
    EXPECT_EQ(h->stored_size, 300u);
    EXPECT_EQ(h->payload_crc, 0xCAFEBABEu);
    EXPECT_EQ(h->lsn, 0u);
    EXPECT_EQ(h->extent(), 384u);  // 80 + 300 rounded up to 64
    v1[10] ^= 1;
    EXPECT_FALSE(decode_record_header(v1));
}

TEST(RecordMeta, RoundTripAndRejectsDamage) {
    std::vector<RefEntry> entries = {
        {"alice@x.org",
         std::string(32, 'a'),
         std::string(32, 'b'),
         1700000000,
         42,
         99,
         kSeen,
         {"$Label1", "Work"},
         -5,
         1700000001},
        {"bob@x.org",
         std::string(32, 'c'),
         std::string(32, 'd'),
         7,
         4000000000u,
         0xFFFFFFFFFFFFull,
         0,
         {},
         1800000000,
         1800000000},
    };
    auto blob = encode_record_meta(entries);
    auto back = decode_record_meta(blob);
    ASSERT_TRUE(back);
    EXPECT_EQ(*back, entries);
    EXPECT_TRUE(decode_record_meta(encode_record_meta({})));
    EXPECT_FALSE(decode_record_meta(""));
    EXPECT_FALSE(decode_record_meta(blob.substr(0, blob.size() - 1)));
    EXPECT_FALSE(decode_record_meta(blob + "x"));
    auto other_version = blob;
    other_version[3] = 9;
    EXPECT_FALSE(decode_record_meta(other_version));
    // A forged count or length never allocates or reads past the end.
    std::string forged = blob.substr(0, 4) + std::string("\xff\xff\xff\xff\x0f", 5);
    EXPECT_FALSE(decode_record_meta(forged));
}

TEST(Record, CompressionOnlyWhenItPays) {
    std::string text;
    for (int i = 0; i < 500; ++i)
        text += "the quick brown fox jumps over the lazy dog\r\n";
    auto c = prepare_body(text, true, 1024, 3);
    EXPECT_EQ(c.flags, kRecordZstd);
    EXPECT_LT(c.payload.size(), text.size() / 4);
    RecordHeader h;
    h.flags = c.flags;
    h.raw_size = c.raw_size;
    EXPECT_EQ(decode_payload(h, c.payload).value(), text);

    auto noise = random_bytes(8192);  // incompressible: stored raw
    auto n = prepare_body(noise, true, 1024, 3);
    EXPECT_EQ(n.flags, 0);
    EXPECT_EQ(n.payload, noise);

    auto small = prepare_body("tiny", true, 1024, 3);  // under the threshold
    EXPECT_EQ(small.flags, 0);
    auto off = prepare_body(text, false, 1024, 3);  // compression disabled
    EXPECT_EQ(off.flags, 0);
    EXPECT_EQ(off.hash, c.hash);  // the content address never depends on compression

    h.raw_size = text.size() + 1;  // a lying header is corruption, not a crash
    EXPECT_FALSE(decode_payload(h, c.payload));
    EXPECT_FALSE(decode_payload(h, "garbage that is not zstd"));
}

class ContainerTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("postern-cont-" + random_token(8));
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path dir_;
    std::string store_id_ = std::string(32, 'a');
};

TEST_F(ContainerTest, WriteReadScanAndDetectCorruption) {
    auto c = Container::create(dir_ / "0000.pcf", store_id_, 0, false);
    ASSERT_TRUE(c);
    std::uint64_t off = kContainerHeaderSize;
    std::vector<std::pair<std::uint64_t, PreparedBody>> written;
    std::vector<std::size_t> meta_sizes;
    for (int i = 0; i < 5; ++i) {
        auto body = prepare_body("body number " + std::to_string(i) + std::string(100 * i, 'x'),
                                 true, 64, 3);
        RecordHeader h;
        h.flags = body.flags | kRecordHasBody;
        h.raw_size = body.raw_size;
        h.hash = body.hash;
        h.lsn = static_cast<std::uint64_t>(i + 1);
        std::string meta = encode_record_meta(
            {{"a@x.org", std::to_string(i), "m", 1, static_cast<Uid>(i + 1), 1, 0, {}, 0, 0}});
        ASSERT_TRUE((*c)->write_record(off, h, meta, body.payload));
        written.emplace_back(off, body);
        meta_sizes.push_back(meta.size());
        off += record_extent(meta.size(), body.payload.size());
    }
    // A reference record (no body) between them: scanned, never read as a body.
    RecordHeader ref;
    ref.hash = written[0].second.hash;
    ref.lsn = 6;
    std::string ref_meta = encode_record_meta({});
    ASSERT_TRUE((*c)->write_record(off, ref, ref_meta, ""));
    EXPECT_EQ((*c)->read_record(off).error().code, StoreErrc::corrupt);
    off += record_extent(ref_meta.size(), 0);
    for (auto& [o, b] : written) {
        auto r = (*c)->read_record(o, &b.hash);
        ASSERT_TRUE(r) << r.error().to_string();
        EXPECT_EQ(r->payload, b.payload);
        EXPECT_TRUE(decode_record_meta(r->meta));
    }
    // Asking for the wrong content at a valid record is caught (freed and reused space).
    EXPECT_EQ((*c)->read_record(written[1].first, &written[0].second.hash).error().code,
              StoreErrc::corrupt);
    // Garbage between records does not stop the scan; ranges are honoured.
    int seen = 0;
    std::uint64_t lsns = 0;
    ASSERT_TRUE((*c)->scan(0, off, [&](const Container::ScanItem& it) {
        EXPECT_TRUE(it.intact);
        EXPECT_TRUE(decode_record_meta(it.meta));
        lsns += it.header.lsn;
        ++seen;
        return true;
    }));
    EXPECT_EQ(seen, 6);
    EXPECT_EQ(lsns, 21u);
    int tail = 0;
    ASSERT_TRUE((*c)->scan(written[3].first, off, [&](const Container::ScanItem&) {
        ++tail;
        return true;
    }));
    EXPECT_EQ(tail, 3);
    // Flip a payload byte: read fails with corrupt, scan reports the record as damaged.
    ASSERT_TRUE((*c)->write_raw(written[2].first + kRecordHeaderSize + meta_sizes[2] + 3, "\x7f"));
    auto bad = (*c)->read_record(written[2].first, &written[2].second.hash);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, StoreErrc::corrupt);
    int damaged = 0, intact = 0;
    ASSERT_TRUE((*c)->scan(0, off, [&](const Container::ScanItem& it) {
        (it.intact ? intact : damaged)++;
        return true;
    }));
    EXPECT_EQ(damaged, 1);
    EXPECT_EQ(intact, 5);
    // Reading past the end is a clean error.
    EXPECT_FALSE((*c)->read_record(off + 4096));
    // Reopen checks the header and the owning store.
    c->reset();
    EXPECT_TRUE(Container::open(dir_ / "0000.pcf", store_id_, 0));
    EXPECT_EQ(Container::open(dir_ / "0000.pcf", std::string(32, 'b'), 0).error().code,
              StoreErrc::corrupt);
    EXPECT_EQ(Container::open(dir_ / "0001.pcf", store_id_, 1).error().code, StoreErrc::not_found);
}

TEST(SpaceAllocator, JournalRegionsTakeTheBiggerPieceOfTheEmptiestContainer) {
    SpaceAllocator a(1 << 20, 2, 64);
    a.load_container(0, 900'000);
    a.load_hole({0, 1000, 50'000});
    // Container 0: tail 148,576 + hole 50,000. The tail is bigger, so the region is there.
    auto r = a.reserve(10'000, 100'000);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->extent, (Extent{0, 900'000, 100'000}));
    // Now the hole (50,000) beats the tail (48,576); a region never exceeds what is asked.
    r = a.reserve(10'000, 30'000);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->extent, (Extent{0, 1000, 30'000}));
    // Nothing of 1 MiB anywhere but in a new container.
    r = a.reserve(500'000, 2'000'000);
    ASSERT_TRUE(r);
    EXPECT_TRUE(r->new_container);
    EXPECT_EQ(r->extent, (Extent{1, 64, (1 << 20) - 64}));
    EXPECT_FALSE(a.reserve(500'000, 500'000));  // max_files reached
    auto changes = a.take_changes();
    EXPECT_FALSE(changes.empty());
}

TEST(SpaceAllocator, MostFreeContainerBestFitAndCoalescing) {
    const std::uint64_t kMax = 64 * 1024;
    SpaceAllocator a(kMax, 3, 64);
    auto p1 = a.allocate(1024);
    ASSERT_TRUE(p1);
    EXPECT_TRUE(p1->new_container);
    EXPECT_EQ(p1->extent.container, 0u);
    EXPECT_EQ(p1->extent.offset, 64u);
    auto p2 = a.allocate(2048);
    auto p3 = a.allocate(1024);
    ASSERT_TRUE(p2 && p3);
    EXPECT_EQ(p2->extent.offset, 64u + 1024);
    // Free the middle one: the hole is reused for a body that fits.
    a.release(p2->extent);
    EXPECT_EQ(a.holes(0).size(), 1u);
    auto p4 = a.allocate(1024);
    ASSERT_TRUE(p4);
    EXPECT_EQ(p4->extent.offset, p2->extent.offset);
    // Neighbouring holes merge; a hole at the tail shrinks the end instead.
    a.release(p4->extent);
    a.release(p1->extent);
    auto holes = a.holes(0);
    ASSERT_EQ(holes.size(), 1u);
    EXPECT_EQ(holes[0].offset, 64u);
    EXPECT_EQ(holes[0].length, 3072u);
    a.release(p3->extent);
    EXPECT_TRUE(a.holes(0).empty());
    EXPECT_EQ(a.end_of(0), 64u);
    auto changes = a.take_changes();
    EXPECT_FALSE(changes.empty());
    EXPECT_TRUE(a.take_changes().empty());
}

TEST(SpaceAllocator, FillsThenReportsFull) {
    const std::uint64_t kMax = 4096;
    SpaceAllocator a(kMax, 2, 64);
    std::vector<Extent> got;
    for (;;) {
        auto p = a.allocate(1000);
        if (!p)
            break;
        got.push_back(p->extent);
        ASSERT_LT(got.size(), 100u);
    }
    // (4096-64)/1000 = 4 per container, 2 containers.
    EXPECT_EQ(got.size(), 8u);
    EXPECT_FALSE(a.allocate(kMax));  // larger than a container can ever hold
    // Records never overlap.
    std::set<std::pair<std::uint32_t, std::uint64_t>> starts;
    for (auto& e : got)
        EXPECT_TRUE(starts.insert({e.container, e.offset}).second);
    // Deleting makes room again (the store is full, not broken).
    a.release(got[5]);
    EXPECT_TRUE(a.allocate(1000));
}

TEST(SpaceAllocator, NewBodiesGoToTheContainerWithMostFreeSpace) {
    SpaceAllocator a(10'000, 4, 64);
    a.load_container(0, 9000);
    a.load_container(1, 2000);
    a.load_hole({0, 100, 5000});
    // Container 0: 1000 tail + 5000 hole = 6000 free; container 1: 8000 free.
    auto p = a.allocate(500);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->extent.container, 1u);
    EXPECT_FALSE(p->new_container);
}

TEST(UidSetTest, RangesMergeAndResolveStar) {
    UidSet s;
    s.add_range(5, 1).add(9).add_range(12, kUidStar).add(6).add(10);
    EXPECT_EQ(s.to_string(), "1:6,9:10,12:*");
    EXPECT_TRUE(s.contains(3));
    EXPECT_FALSE(s.contains(7));
    EXPECT_TRUE(s.contains(4000000000u));
    EXPECT_EQ(s.resolved(20).to_string(), "1:6,9:10,12:20");
    // "12:*" with a highest UID of 8 means 8:12 (RFC 3501 §9).
    EXPECT_EQ(s.resolved(8).to_string(), "1:6,8:12");
    EXPECT_EQ(UidSet::of({0}).to_string(), "");
    EXPECT_EQ(UidSet::range(3, 3).count(), 1u);
    EXPECT_EQ(UidSet::all().resolved(0).to_string(), "1");
}

TEST(TextFold, CaseAndDiacritics) {
    EXPECT_EQ(fold_text("Café MÜLLER"), "cafe muller");
    EXPECT_EQ(fold_text("Ångström"), "angstrom");
    EXPECT_EQ(fold_text("ASCII Only"), "ascii only");
    EXPECT_EQ(fold_tokens("Hello, wörld! 42x"),
              (std::vector<std::string>{"hello", "world", "42x"}));
    // The ASCII fast path and ICU agree where they meet: ASCII punctuation splits, a word
    // with any non-ASCII character (mark, ligature, full-width form) is folded whole by ICU.
    EXPECT_EQ(fold_tokens("Re: Cafe\xcc\x81-M\xc3\x9cLLER \xef\xac\x81ne \xef\xbc\xa1\xef\xbc\xa2"
                          "c "
                          "x_y 42ABC \xe2\x80\x94 stra\xc3\x9f"
                          "e"),
              (std::vector<std::string>{"re", "cafe", "muller", "fine", "abc", "x", "y", "42abc",
                                        "strasse"}));
    EXPECT_EQ(fold_tokens(""), std::vector<std::string>{});
    // Latin-1 letters are folded by a table; a character outside it (U+4E00 for the text,
    // a zero-width space for the words) sends the same text through ICU: both must agree.
    for (int i = 0; i < 64; ++i) {
        const std::string w = std::string("A\xc3") + static_cast<char>(0x80 + i) + "b";
        EXPECT_EQ(fold_text(w + "\xe4\xb8\x80"), fold_text(w) + "\xe4\xb8\x80") << i;
        EXPECT_EQ(fold_tokens(w + "\xe2\x80\x8b"), fold_tokens(w)) << i;
    }
    EXPECT_EQ(fold_tokens("2\xc3\x97" "3 \xc3\x9f"), (std::vector<std::string>{"2", "3", "ss"}));
    EXPECT_EQ(fold_text(std::string("\xff\xfe bad", 6)).find("bad") != std::string::npos, true);
    EXPECT_EQ(fts_query("body", "Café mül"), "\"cafe\" AND \"mul\" *");
    EXPECT_EQ(fts_query("", "!!!"), "");
}

TEST(MailboxName, Validation) {
    EXPECT_EQ(normalize_mailbox_name("inbox").value(), "INBOX");
    EXPECT_EQ(normalize_mailbox_name("Inbox/Sub").value(), "INBOX/Sub");
    EXPECT_EQ(normalize_mailbox_name("Archive/2024/Q1").value(), "Archive/2024/Q1");
    EXPECT_EQ(normalize_mailbox_name("Entwürfe").value(), "Entwürfe");
    for (const std::string& bad :
         std::vector<std::string>{"", "/a", "a/", "a//b",
                                  "a\x01"
                                  "b",
                                  "a*", "a%b", std::string(1001, 'x'), std::string("\xc3\x28", 2),
                                  std::string("\xe0\x80\x80", 3), "a/../b"}) {
        auto r = normalize_mailbox_name(bad);
        ASSERT_FALSE(r) << bad;
        EXPECT_EQ(r.error().code, StoreErrc::invalid_name);
    }
}

}  // namespace
}  // namespace postern::store::engine

namespace postern::store::engine {
namespace {

TEST(UidSetTest, MatchesASetModelUnderRandomRanges) {
    std::mt19937 rng(7);
    for (int round = 0; round < 200; ++round) {
        UidSet s;
        std::set<Uid> model;
        for (int k = 0; k < 20; ++k) {
            Uid a = 1 + rng() % 200, b = 1 + rng() % 200;
            if (rng() % 4 == 0)
                b = a;
            s.add_range(a, b);
            for (Uid u = std::min(a, b); u <= std::max(a, b); ++u)
                model.insert(u);
        }
        EXPECT_EQ(s.count(), model.size());
        for (Uid u = 0; u <= 205; ++u)
            ASSERT_EQ(s.contains(u), model.count(u) == 1) << s.to_string() << " " << u;
        // Ranges stay sorted, disjoint and non-adjacent.
        for (std::size_t i = 1; i < s.ranges().size(); ++i)
            EXPECT_GT(s.ranges()[i].first, s.ranges()[i - 1].second + 1);
    }
}

// An index written by schema v3 (with the two UID/MODSEQ indexes v4 dropped) opens, upgrades
// and keeps its rows.
TEST(AccountIndexSchema, Version3IndexUpgrades) {
    auto dir = std::filesystem::temp_directory_path() / ("postern-idx-" + random_token(8));
    std::filesystem::create_directories(dir);
    auto path = dir / "a.db";
    {
        auto idx = AccountIndex::open(path, "a@example.test", true, false);
        ASSERT_TRUE(idx) << idx.error().to_string();
    }
    {
        auto db = Db::open(path, false, false);
        ASSERT_TRUE(db);
        ASSERT_TRUE(
            (*db)->exec("CREATE UNIQUE INDEX messages_uid ON messages(mailbox_id, uid);"
                        "CREATE INDEX messages_modseq ON messages(mailbox_id, modseq);"
                        "UPDATE meta SET value='3' WHERE key='schema_version';"));
    }
    {
        auto idx = AccountIndex::open(path, "a@example.test", false, false);
        ASSERT_TRUE(idx) << idx.error().to_string();
        auto lease = (*idx)->reader();
        ASSERT_TRUE(lease);
        auto s = (*lease)->prepare(
            "SELECT count(*) FROM sqlite_master WHERE name IN "
            "('messages_uid', 'messages_modseq')");
        ASSERT_TRUE(s);
        ASSERT_TRUE((*s)->step().value());
        EXPECT_EQ((*s)->i64(0), 0);
        (*s)->reset();
        EXPECT_EQ(index_meta(**lease, "schema_version").value(),
                  std::to_string(kIndexSchemaVersion));
    }
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace postern::store::engine
