// Queue ids, record framing and the status file format: round trips, and hostile input
// (every truncation, every flipped byte, impossible lengths) that must never crash and must
// tell a torn tail from damage.
#include <set>

#include <gtest/gtest.h>

#include "queue/queue_id.h"
#include "queue/record_codec.h"
#include "queue/status_file.h"

namespace postern::queue {
namespace {

TEST(QueueId, IsFourteenSortableFileSafeCharacters) {
    QueueIdGenerator gen;
    std::set<std::string> seen;
    std::string previous;
    for (int i = 0; i < 5000; ++i) {
        // The clock stands still, then steps back: ids keep increasing and never repeat.
        std::uint64_t t = i < 2000 ? 1'800'000'000'000'000ull : 1'700'000'000'000'000ull;
        auto id = gen.next(t);
        auto s = id.str();
        ASSERT_EQ(s.size(), kQueueIdLength);
        for (char c : s)
            ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')) << s;
        ASSERT_GT(s, previous);
        ASSERT_TRUE(seen.insert(s).second);
        previous = s;
        auto parsed = QueueId::parse(s);
        ASSERT_TRUE(parsed);
        ASSERT_EQ(*parsed, id);
        ASSERT_LT(id.spread(), 32768u);
    }
    auto first = gen.next(1'800'000'000'000'000ull + 10'000'000'000ull);
    EXPECT_EQ(first.micros(), 1'800'000'000'000'000ull + 10'000'000'000ull);
}

TEST(QueueId, ParseRejectsWrongLengthAndLetters) {
    EXPECT_FALSE(QueueId::parse(""));
    EXPECT_FALSE(QueueId::parse("0123456789ABC"));
    EXPECT_FALSE(QueueId::parse("0123456789ABCDE"));
    EXPECT_FALSE(QueueId::parse("0123456789ABCI"));  // I, L, O, U are not in the alphabet
    EXPECT_FALSE(QueueId::parse("0123456789abcd"));
    EXPECT_FALSE(QueueId::parse("0123456789AB/."));
    EXPECT_TRUE(QueueId::parse("0123456789ABCD"));
    EXPECT_TRUE(QueueId().empty());
}

TEST(RecordCodec, VarintRoundTripAndLimits) {
    for (std::uint64_t v : {0ull, 1ull, 127ull, 128ull, 300ull, 1ull << 35, ~0ull}) {
        std::string s;
        append_varint(s, v);
        std::size_t pos = 0;
        auto back = read_varint(s, pos);
        ASSERT_TRUE(back);
        EXPECT_EQ(*back, v);
        EXPECT_EQ(pos, s.size());
        if (!s.empty()) {
            std::size_t p2 = 0;
            EXPECT_FALSE(read_varint(std::string_view(s).substr(0, s.size() - 1), p2));
        }
    }
    std::string too_long(11, '\xff');
    std::size_t pos = 0;
    EXPECT_FALSE(read_varint(too_long, pos));
}

TEST(RecordCodec, ScanTellsTornTailFromDamage) {
    std::string file = encode_file_header(1);
    append_record(file, 'A', "first");
    append_record(file, 'B', "second");
    append_record(file, 'C', "third");
    auto clean = scan_records(file, kFileHeaderSize);
    ASSERT_EQ(clean.end, ScanEnd::clean);
    ASSERT_EQ(clean.records.size(), 3u);
    EXPECT_EQ(clean.records[1].payload, "second");
    EXPECT_EQ(clean.good_end, file.size());

    // Every cut inside the last record is torn and keeps the two before it.
    auto last = clean.records[2].offset;
    for (std::size_t cut = last + 1; cut < file.size(); ++cut) {
        auto s = scan_records(std::string_view(file).substr(0, cut), kFileHeaderSize);
        ASSERT_EQ(s.end, ScanEnd::torn) << cut;
        ASSERT_EQ(s.records.size(), 2u);
        ASSERT_EQ(s.good_end, last);
    }
    // A flipped byte in the middle record is damage; in the last one it reads as torn.
    auto mid = file;
    mid[clean.records[1].offset + 6] ^= 0x20;
    EXPECT_EQ(scan_records(mid, kFileHeaderSize).end, ScanEnd::corrupt);
    auto tail = file;
    tail[file.size() - 2] ^= 0x01;
    EXPECT_EQ(scan_records(tail, kFileHeaderSize).end, ScanEnd::torn);
    // An impossible length is damage, not a reason to allocate.
    auto huge = file;
    huge[clean.records[0].offset + 3] = '\x7f';
    EXPECT_EQ(scan_records(huge, kFileHeaderSize).end, ScanEnd::corrupt);
}

TEST(RecordCodec, FileHeaderChecksAndVersion) {
    auto h = encode_file_header(7);
    ASSERT_EQ(h.size(), kFileHeaderSize);
    EXPECT_EQ(decode_file_header(h), 7);
    for (std::size_t i = 0; i < h.size(); ++i) {
        auto bad = h;
        bad[i] ^= 0x10;
        EXPECT_FALSE(decode_file_header(bad)) << i;
    }
}

MessageRecord sample_record() {
    MessageRecord m;
    m.id = *QueueId::parse("0SXRG3Q1B2C3DE");
    m.sender = "alice@example.org";
    m.envid = "QQ314159";
    m.ret = Ret::headers;
    m.body_type = BodyType::eight_bit_mime;
    m.smtputf8 = true;
    m.client = ClientInfo{"192.0.2.7", "client.example.org",
                          "alice",     "TLSv1.3 TLS_AES_256_GCM_SHA384",
                          "ESMTPSA",   "0000001A"};
    m.size = 10240;
    m.body_crc = 0xdeadbeef;
    m.received_at = 1'800'000'000'123;
    m.hold_until = 1'800'000'600'000;
    m.hold_reason = "rule undo";
    for (int i = 0; i < 3; ++i) {
        RecipientRecord r;
        r.address = "user" + std::to_string(i) + "@example.net";
        r.orcpt = i == 1 ? "rfc822;orig@example.net" : "";
        r.notify = i == 2 ? notify::never : notify::success | notify::failure;
        m.recipients.push_back(r);
    }
    return m;
}

TEST(StatusFile, InitialGroupRoundTrip) {
    auto m = sample_record();
    auto bytes = encode_status(m);
    auto load = decode_status(bytes);
    ASSERT_EQ(load.outcome, StatusOutcome::ok) << load.error;
    EXPECT_EQ(load.record, m);
    EXPECT_EQ(load.updates, 0u);
    EXPECT_FALSE(load.torn_tail);
}

TEST(StatusFile, UpdatesReplayInOrderAndAddRecipients) {
    auto m = sample_record();
    std::string file = encode_status(m);
    m.stage = Stage::processed;
    m.hold_until = 0;
    m.hold_reason.clear();
    m.header_prefix = "X-Spam: no\r\n";
    m.remove_headers = {"X-Postern-Spam-Level", "Subject"};
    m.recipients[0].state = RecipientState::queued;
    m.recipients[0].lane = Lane::remote;
    m.recipients[0].destination = "example.net";
    RecipientRecord child;
    child.address = "expanded@example.com";
    child.parent = 1;
    child.state = RecipientState::queued;
    child.lane = Lane::local;
    child.mailbox = "Junk";
    m.recipients[1].state = RecipientState::expanded;
    m.recipients.push_back(child);
    std::vector<std::uint32_t> changed = {0, 1, 3};
    file += encode_update(m, true, changed);
    // A delivery in flight is stored as what it goes back to.
    m.recipients[0].state = RecipientState::sending;
    m.recipients[0].attempts = 2;
    m.recipients[0].next_attempt = 1'800'000'900'000;
    m.recipients[0].status = "4.4.1";
    m.recipients[0].diagnostic = "smtp; 451 try later";
    m.recipients[0].remote_mta = "mx1.example.net";
    std::vector<std::uint32_t> one = {0};
    file += encode_update(m, false, one);

    auto load = decode_status(file);
    ASSERT_EQ(load.outcome, StatusOutcome::ok) << load.error;
    EXPECT_EQ(load.updates, 2u);
    m.recipients[0].state = RecipientState::deferred;
    EXPECT_EQ(load.record, m);
}

TEST(StatusFile, EveryTruncationIsIncompleteOrATornUpdate) {
    auto m = sample_record();
    auto initial = encode_status(m);
    m.recipients[2].state = RecipientState::delivered;
    std::vector<std::uint32_t> changed = {2};
    auto file = initial + encode_update(m, false, changed);
    for (std::size_t cut = 0; cut < file.size(); ++cut) {
        auto load = decode_status(std::string_view(file).substr(0, cut));
        if (cut < initial.size()) {
            // The commit record is the last thing of the initial group: without it the commit
            // was never acknowledged, so the message may go.
            ASSERT_EQ(load.outcome,
                      cut < kFileHeaderSize ? StatusOutcome::incomplete : load.outcome)
                << cut;
            ASSERT_NE(load.outcome, StatusOutcome::ok) << cut;
        } else if (cut == initial.size()) {
            ASSERT_EQ(load.outcome, StatusOutcome::ok);
            ASSERT_FALSE(load.torn_tail);
        } else {
            ASSERT_EQ(load.outcome, StatusOutcome::ok) << cut;
            ASSERT_TRUE(load.torn_tail) << cut;
            ASSERT_EQ(load.good_length, initial.size());
            ASSERT_EQ(load.record.recipients[2].state, RecipientState::pending);
        }
    }
}

TEST(StatusFile, FlippedBytesNeverCrashAndNeverPassSilently) {
    auto m = sample_record();
    std::vector<std::uint32_t> changed = {0};
    m.recipients[0].state = RecipientState::failed;
    auto file = encode_status(sample_record()) + encode_update(m, false, changed);
    for (std::size_t i = 0; i < file.size(); ++i) {
        for (unsigned char mask : {0x01, 0x80, 0xff}) {
            auto bad = file;
            bad[i] = static_cast<char>(bad[i] ^ mask);
            auto load = decode_status(bad);
            if (load.outcome == StatusOutcome::ok) {
                // Only the last record may be dropped as a torn tail: never a silent change.
                ASSERT_TRUE(load.torn_tail) << i;
                ASSERT_EQ(load.record.recipients[0].state, RecipientState::pending) << i;
            }
        }
    }
}

TEST(StatusFile, RejectsUnknownVersionAndStructuralNonsense) {
    auto m = sample_record();
    auto file = encode_status(m);
    auto v2 = encode_file_header(2) + file.substr(kFileHeaderSize);
    EXPECT_EQ(decode_status(v2).outcome, StatusOutcome::corrupt);

    // A recipient update for an index that does not exist.
    std::string bad_update;
    {
        std::string part, payload;
        FieldWriter pw(part);
        pw.put_uint(1, 17);
        pw.put(2, "x@y");
        FieldWriter(payload).put('R', part);
        append_record(bad_update, 'U', payload);
    }
    EXPECT_EQ(decode_status(file + bad_update + encode_update(m, true, {})).outcome,
              StatusOutcome::corrupt);

    // An enum value out of range.
    std::string weird = encode_file_header(kStatusVersion);
    {
        std::string env;
        FieldWriter w(env);
        w.put(1, m.id.view());
        w.put_uint(4, 9);  // RET 9
        append_record(weird, 'E', env);
        std::string r;
        FieldWriter(r).put_uint(1, 0);
        append_record(weird, 'R', r);
    }
    EXPECT_EQ(decode_status(weird).outcome, StatusOutcome::corrupt);

    // Records in the wrong order, a commit that miscounts, no recipients.
    std::string out_of_order = encode_file_header(kStatusVersion);
    append_record(out_of_order, 'C', "");
    EXPECT_EQ(decode_status(out_of_order).outcome, StatusOutcome::corrupt);
    EXPECT_EQ(decode_status(std::string_view(file).substr(0, kFileHeaderSize)).outcome,
              StatusOutcome::incomplete);
    EXPECT_EQ(decode_status("").outcome, StatusOutcome::incomplete);
    EXPECT_EQ(decode_status("garbage that is long enough").outcome, StatusOutcome::corrupt);
}

}  // namespace
}  // namespace postern::queue
