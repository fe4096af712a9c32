// Startup: rebuilding the index from the spool, garbage-collecting what was never
// acknowledged, moving damaged files to corrupt/ (never crashing on them), repairing torn
// update tails, compaction, and the single-process lock.
#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "queue/spool.h"
#include "queue/status_file.h"
#include "queue_fixture.h"

namespace postern::queue::testing {
namespace {

namespace fs = std::filesystem;

fs::path status_of(Queue& q, const QueueId& id) {
    return q.show(id)->status_path;
}
fs::path body_of(Queue& q, const QueueId& id) {
    return q.show(id)->body_path;
}

void write_raw(const fs::path& p, std::string_view bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string read_raw(const fs::path& p) {
    return *read_file(p);
}

TEST_F(QueueTest, OrphansAndUnfinishedCommitsAreCollected) {
    open();
    auto keep = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    auto bucket = body_of(*queue_, keep).parent_path();
    queue_.reset();
    // A body whose status never came (crash mid-DATA or before the status round).
    write_raw(bucket / "0SXRG3Q1B2C3DE.body", "half a mess");
    // A commit cut short before its rename: body and temporary status.
    write_raw(bucket / "0SXRG3Q1B2C3DF.body", "whole body\r\n");
    write_raw(bucket / "0SXRG3Q1B2C3DF.status.tmp", "PQST\1");
    // Something that is not ours.
    write_raw(bucket / "README", "hello");
    open();
    const auto& rep = queue_->recovery();
    EXPECT_EQ(rep.messages, 1u);
    EXPECT_EQ(rep.orphans_removed, 1u);
    EXPECT_EQ(rep.incomplete_removed, 1u);
    EXPECT_EQ(rep.quarantined, 0u);
    EXPECT_FALSE(fs::exists(bucket / "0SXRG3Q1B2C3DE.body"));
    EXPECT_FALSE(fs::exists(bucket / "0SXRG3Q1B2C3DF.body"));
    EXPECT_FALSE(fs::exists(bucket / "0SXRG3Q1B2C3DF.status.tmp"));
    EXPECT_TRUE(fs::exists(bucket / "README"));
    ASSERT_EQ(rep.problems.size(), 1u);
    EXPECT_NE(rep.problems[0].find("README"), std::string::npos);
    EXPECT_TRUE(queue_->show(keep));
}

TEST_F(QueueTest, AReplacedBodyIsDeliveredAndSurvivesARestart) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    auto original = read_raw(body_of(*queue_, id));
    auto jobs = queue_->take_processing(now(), 1);
    ASSERT_EQ(jobs.size(), 1u);
    const std::string replacement = "Subject: x\r\n\r\nreplaced\r\n";
    // A replacement written but never completed (a crash, a deferral) does not count.
    ASSERT_TRUE(queue_->write_replacement_body(id, "Subject: x\r\n\r\nabandoned\r\n"));
    auto body2 = fs::path(body_of(*queue_, id)).replace_extension(".body2");
    ASSERT_TRUE(fs::exists(body2));
    open();
    EXPECT_FALSE(fs::exists(body2));  // removed at startup: processing runs again
    EXPECT_EQ(queue_->recovery().quarantined, 0u);
    jobs = queue_->take_processing(now(), 1);
    ASSERT_EQ(jobs.size(), 1u);
    EXPECT_EQ(queue_->write_replacement_body(QueueId(), "x").error().code, Errc::not_found);
    auto written = queue_->write_replacement_body(id, replacement);
    ASSERT_TRUE(written);
    EXPECT_EQ(written->size, replacement.size());
    ProcessingResult pr;
    pr.decisions = {{0, Disposition::remote, {}, {}, {}, {}}};
    pr.body = *written;
    ASSERT_TRUE(queue_->complete_processing(id, pr));
    EXPECT_EQ(queue_->write_replacement_body(id, "late").error().code, Errc::invalid_argument);
    for (int round = 0; round < 2; ++round) {
        auto jobs2 = queue_->take_deliveries(Lane::remote, now(), 10);
        ASSERT_EQ(jobs2.size(), 1u);
        EXPECT_EQ(read_raw(jobs2[0].body_path), replacement);
        EXPECT_EQ(jobs2[0].size, replacement.size());
        EXPECT_EQ(read_raw(body_of(*queue_, id)), original);  // kept as received (DSNs)
        EXPECT_TRUE(queue_->read_body(id));                   // the original, checksum intact
        open();                                               // durable
        EXPECT_EQ(queue_->recovery().quarantined, 0u);
    }
    auto jobs3 = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs3.size(), 1u);
    ASSERT_TRUE(queue_->report_delivery(
        id, {true, {}, {{jobs3[0].recipients[0].index, Outcome::delivered, "2.0.0", "ok", {}}}}));
    queue_->sync();
    EXPECT_FALSE(fs::exists(body2));  // removed with the message
    // A status that names a replacement that is not there is damage, caught at startup.
    auto other = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 2));
    queue_->take_processing(now(), 1);
    auto w2 = queue_->write_replacement_body(other, replacement);
    ASSERT_TRUE(w2);
    ProcessingResult pr2;
    pr2.decisions = {{0, Disposition::remote, {}, {}, {}, {}}};
    pr2.body = *w2;
    ASSERT_TRUE(queue_->complete_processing(other, pr2));
    queue_->sync();
    write_raw(fs::path(body_of(*queue_, other)).replace_extension(".body2"), "short");
    open();
    EXPECT_EQ(queue_->recovery().quarantined, 1u);
    EXPECT_FALSE(queue_->show(other));
}

TEST_F(QueueTest, DamagedFilesGoToCorruptAndAreReported) {
    open();
    auto bad_status =
        enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    auto short_body =
        enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 2));
    auto no_body = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 3));
    auto cut_status =
        enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 4));
    auto fine = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 5));
    auto s1 = status_of(*queue_, bad_status), b2 = body_of(*queue_, short_body),
         b3 = body_of(*queue_, no_body), s4 = status_of(*queue_, cut_status);
    queue_.reset();
    auto bytes = read_raw(s1);
    bytes[40] ^= 0x55;
    write_raw(s1, bytes);
    write_raw(b2, "short");
    fs::remove(b3);
    bytes = read_raw(s4);
    write_raw(s4, bytes.substr(0, bytes.size() - 3));  // a committed status cannot be "incomplete"
    open();
    const auto& rep = queue_->recovery();
    EXPECT_EQ(rep.messages, 1u);
    EXPECT_EQ(rep.quarantined, 4u);
    EXPECT_EQ(rep.problems.size(), 4u);
    EXPECT_TRUE(queue_->show(fine));
    for (auto id : {bad_status, short_body, no_body, cut_status}) {
        EXPECT_FALSE(queue_->show(id));
        EXPECT_TRUE(fs::exists(dir_ / "corrupt" / (id.str() + ".status")));
        auto why = read_file(dir_ / "corrupt" / (id.str() + ".why"));
        ASSERT_TRUE(why);
        EXPECT_NE(why->find(id.str()), std::string::npos);
    }
    EXPECT_TRUE(fs::exists(dir_ / "corrupt" / (short_body.str() + ".body")));
    EXPECT_TRUE(sink_->contains(short_body.str() +
                                ": moved to corrupt/: body has 5 bytes, status says 500"));
}

TEST_F(QueueTest, GarbageStatusFilesNeverCrashTheScan) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    auto status = status_of(*queue_, id);
    auto bucket = status.parent_path();
    auto good = read_raw(status);
    queue_.reset();
    std::mt19937 rng(7);
    const char* ids[] = {"0SXRG3Q1B2C300", "0SXRG3Q1B2C301", "0SXRG3Q1B2C302", "0SXRG3Q1B2C303",
                         "0SXRG3Q1B2C304", "0SXRG3Q1B2C305", "0SXRG3Q1B2C306", "0SXRG3Q1B2C307"};
    for (const char* name : ids) {
        std::string junk = good;
        for (int k = 0; k < 5; ++k)
            junk[rng() % junk.size()] = static_cast<char>(rng());
        if (rng() % 2)
            junk.resize(rng() % junk.size());
        write_raw(bucket / (std::string(name) + ".status"), junk);
        write_raw(bucket / (std::string(name) + ".body"), make_body(500, 1));
    }
    write_raw(bucket / "0SXRG3Q1B2C308.status", "");
    write_raw(bucket / "0SXRG3Q1B2C308.body", "");
    open();
    EXPECT_EQ(queue_->recovery().messages, 1u);
    EXPECT_EQ(queue_->recovery().quarantined, 9u);
    EXPECT_TRUE(queue_->show(id));
}

TEST_F(QueueTest, TornUpdateTailIsCutAndAppendsContinue) {
    options_.delivery_retry.first_retry = std::chrono::seconds(1);
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    process(id);
    auto status = status_of(*queue_, id);
    queue_->sync();
    queue_.reset();
    // A half-written update record, as a crash in mid-append leaves it.
    auto bytes = read_raw(status);
    auto record = encode_update(decode_status(bytes).record, true, {});
    write_raw(status, bytes + record.substr(0, record.size() / 2));
    open();
    EXPECT_EQ(queue_->recovery().repaired, 1u);
    EXPECT_EQ(state(id), MessageState::processed);
    auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
    ASSERT_EQ(jobs.size(), 1u);
    ASSERT_TRUE(
        queue_->report_delivery(id, {true, {}, {{0, Outcome::temporary, "4.0.0", "later", "mx"}}}));
    queue_->sync();
    open();
    EXPECT_EQ(queue_->recovery().repaired, 0u);
    EXPECT_EQ(queue_->show(id)->record.recipients[0].attempts, 1u);
}

TEST_F(QueueTest, CompactionKeepsTheStateAndTheFileSmall) {
    options_.compact_after = 4;
    options_.delivery_retry.first_retry = std::chrono::seconds(1);
    options_.delivery_retry.max_retry_interval = std::chrono::seconds(1);
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    process(id);
    std::size_t largest = 0;
    for (int i = 0; i < 25; ++i) {
        auto jobs = queue_->take_deliveries(Lane::remote, now(), 10);
        ASSERT_EQ(jobs.size(), 1u) << i;
        ASSERT_TRUE(queue_->report_delivery(
            id, {true, {}, {{0, Outcome::temporary, "4.0.0", "try " + std::to_string(i), "mx"}}}));
        queue_->sync();
        largest = std::max<std::size_t>(largest, fs::file_size(status_of(*queue_, id)));
        advance(std::chrono::seconds(1));
    }
    EXPECT_LT(largest, 1200u);
    open();
    auto r = queue_->show(id)->record.recipients[0];
    EXPECT_EQ(r.attempts, 25u);
    EXPECT_EQ(r.diagnostic, "try 24");
    EXPECT_EQ(r.state, RecipientState::deferred);
}

TEST_F(QueueTest, FinishedMessagesAreRemovedAtStartup) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}, notify::never),
                         make_body(500, 1));
    process(id);
    auto status = status_of(*queue_, id);
    auto body = body_of(*queue_, id);
    auto saved_status = read_raw(status);
    ASSERT_EQ(queue_->take_deliveries(Lane::remote, now(), 10).size(), 1u);
    ASSERT_TRUE(
        queue_->report_delivery(id, {true, {}, {{0, Outcome::delivered, "", "250", "mx"}}}));
    queue_->sync();
    // A crash after the final update but before the unlink reached the disk.
    auto final_status = saved_status;
    MessageRecord rec = decode_status(saved_status).record;
    rec.recipients[0].state = RecipientState::delivered;
    std::vector<std::uint32_t> one = {0};
    final_status += encode_update(rec, false, one);
    queue_.reset();
    write_raw(status, final_status);
    write_raw(body, make_body(500, 1));
    open();
    EXPECT_EQ(queue_->recovery().finished_removed, 1u);
    EXPECT_FALSE(fs::exists(status));
    EXPECT_FALSE(fs::exists(body));
}

TEST_F(QueueTest, OneProcessPerSpoolAndLayoutVersionChecked) {
    open();
    auto second = Queue::open(options_, log::Logger(), {});
    ASSERT_FALSE(second);
    EXPECT_EQ(second.error().code, Errc::unavailable);
    queue_.reset();
    write_raw(dir_ / "queue.meta", "postern-queue-layout 9\n");
    auto q = Queue::open(options_, log::Logger(), {});
    ASSERT_FALSE(q);
    EXPECT_EQ(q.error().code, Errc::corrupt);
}

TEST_F(QueueTest, ACorruptedBodyIsCaughtWhenRead) {
    open();
    auto id = enqueue_ok(make_envelope("a@example.org", {"b@example.net"}), make_body(500, 1));
    auto body = body_of(*queue_, id);
    auto bytes = read_raw(body);
    bytes[100] ^= 1;
    write_raw(body, bytes);
    auto r = queue_->read_body(id);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::corrupt);
    EXPECT_EQ(state(id), MessageState::io_error);
}

TEST_F(QueueTest, FanOutChangeKeepsOldSubdirectoriesReadable) {
    options_.subdirectories = 4;
    open();
    std::vector<QueueId> ids;
    for (int i = 0; i < 20; ++i)
        ids.push_back(enqueue_ok(make_envelope("a@x.org", {"b@y.net"}), make_body(200, i)));
    options_.subdirectories = 16;
    open();
    EXPECT_EQ(queue_->recovery().messages, 20u);
    for (auto id : ids)
        EXPECT_TRUE(queue_->read_body(id));
    options_.subdirectories = 300;
    queue_.reset();
    EXPECT_FALSE(Queue::open(options_, log::Logger(), {}));
}

}  // namespace
}  // namespace postern::queue::testing
