// queue.* admin commands over a real queue (no fsync, no maintenance thread) and directory:
// argument checks with their error codes, list filters, and each action's effect.
#include <filesystem>
#include <future>

#include <gtest/gtest.h>

#include "admin/admin.h"
#include "base/random.h"
#include "directory/directory.h"
#include "queue/message_writer.h"
#include "queue/queue.h"

namespace postern::admin {
namespace {

using json = nlohmann::json;

class QueueCommandsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() / ("postern-admin-" + random_token(10));
        std::filesystem::create_directories(dir_ / "data");
        auto d = directory::Directory::open(dir_ / "data");
        ASSERT_TRUE(d) << d.error().to_string();
        directory_ = std::move(*d);
        queue::QueueOptions o;
        o.directory = dir_ / "queue";
        o.fsync = false;
        o.background = false;
        o.sync_threads = 1;
        o.dsn.reporting_mta = "mx.example.test";
        auto q = queue::Queue::open(o, {});
        ASSERT_TRUE(q) << q.error().to_string();
        queue_ = std::move(*q);
        admin_ = std::make_unique<Admin>(*directory_, nullptr, Resources{nullptr, queue_.get()});
    }
    void TearDown() override {
        admin_.reset();
        queue_.reset();
        directory_.reset();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    json run(const std::string& command, json args = json::object()) {
        return admin_->execute({{"command", command}, {"args", std::move(args)}});
    }
    json result(const std::string& command, json args = json::object()) {
        auto r = run(command, std::move(args));
        EXPECT_TRUE(r.value("ok", false)) << r.dump();
        return r["result"];
    }
    std::string error(const std::string& command, json args = json::object()) {
        auto r = run(command, std::move(args));
        EXPECT_FALSE(r.value("ok", true)) << r.dump();
        return r["error"].value("code", "");
    }

    std::string enqueue(const std::string& sender, const std::string& rcpt, std::size_t size) {
        auto w = queue_->begin_message("00000001");
        std::string body = "Subject: t\r\n\r\n";
        while (body.size() < size)
            body += std::string(70, 'x') + "\r\n";
        EXPECT_TRUE(w->append(body));
        queue::Envelope e;
        e.sender = sender;
        e.recipients.push_back({rcpt, {}, 0});
        std::promise<Result<queue::QueueId>> done;
        w->commit(std::move(e),
                  [&done](Result<queue::QueueId> r) { done.set_value(std::move(r)); });
        auto id = done.get_future().get();
        EXPECT_TRUE(id);
        return id ? id->str() : "";
    }
    std::vector<std::string> ids(const json& rows) {
        std::vector<std::string> out;
        for (const auto& r : rows)
            out.push_back(r["id"]);
        return out;
    }

    std::filesystem::path dir_;
    std::unique_ptr<directory::Directory> directory_;
    std::unique_ptr<queue::Queue> queue_;
    std::unique_ptr<Admin> admin_;
};

TEST_F(QueueCommandsTest, EveryCommandNeedsTheQueue) {
    Admin without(*directory_, nullptr, Resources{});
    for (auto name : {"queue.list", "queue.show", "queue.retry", "queue.delete", "queue.bounce",
                      "queue.hold", "queue.release", "queue.counts", "queue.destinations"}) {
        auto r = without.execute({{"command", name}, {"args", {{"id", "0000000000000A"}}}});
        EXPECT_EQ(r["error"]["code"], "unavailable") << name;
    }
}

TEST_F(QueueCommandsTest, ListFilters) {
    auto small = enqueue("alice@example.test", "bob@remote.test", 200);
    auto big = enqueue("carol@other.test", "dan@remote.test", 5000);
    auto all = result("queue.list");
    ASSERT_EQ(ids(all), (std::vector<std::string>{small, big}));  // oldest first
    EXPECT_EQ(all[0]["state"], "received");
    EXPECT_EQ(all[0]["sender"], "alice@example.test");
    EXPECT_EQ(all[0]["recipients"], json::array({"bob@remote.test"}));
    EXPECT_EQ(all[0]["next_attempt"], "now");
    EXPECT_TRUE(all[0]["last_error"].is_null());
    EXPECT_EQ(ids(result("queue.list", {{"sender", "ALICE@*"}})), std::vector<std::string>{small});
    EXPECT_EQ(ids(result("queue.list", {{"recipient", "dan@*"}})), std::vector<std::string>{big});
    EXPECT_EQ(ids(result("queue.list", {{"min_size", "1K"}})), std::vector<std::string>{big});
    EXPECT_EQ(ids(result("queue.list", {{"max_size", 1024}})), std::vector<std::string>{small});
    EXPECT_EQ(result("queue.list", {{"status", "Received"}}).size(), 2u);
    EXPECT_EQ(result("queue.list", {{"status", "held"}}).size(), 0u);
    EXPECT_EQ(result("queue.list", {{"older_than", "1h"}}).size(), 0u);
    EXPECT_EQ(result("queue.list", {{"newer_than", 3600}}).size(), 2u);
    EXPECT_EQ(ids(result("queue.list", {{"limit", 1}, {"offset", 1}})),
              std::vector<std::string>{big});
    // Bad values are the caller's mistake, named.
    EXPECT_EQ(error("queue.list", {{"status", "stuck"}}), "invalid_argument");
    EXPECT_EQ(error("queue.list", {{"older_than", "soon"}}), "invalid_argument");
    EXPECT_EQ(error("queue.list", {{"min_size", "big"}}), "invalid_argument");
    EXPECT_EQ(error("queue.list", {{"limit", 0}}), "invalid_argument");
    EXPECT_EQ(error("queue.list", {{"limit", -3}}), "invalid_argument");
}

TEST_F(QueueCommandsTest, ShowHoldReleaseRetry) {
    auto id = enqueue("alice@example.test", "bob@remote.test", 200);
    auto shown = result("queue.show", {{"id", id}});
    EXPECT_EQ(shown["id"], id);
    EXPECT_EQ(shown["state"], "received");
    ASSERT_EQ(shown["recipients"].size(), 1u);
    EXPECT_EQ(shown["recipients"][0]["address"], "bob@remote.test");
    EXPECT_EQ(shown["recipients"][0]["state"], "pending");
    EXPECT_EQ(shown["recipients"][0]["attempts"], 0);
    // Ids are checked (lower case is accepted), then looked up.
    EXPECT_EQ(result("queue.show", {{"id", " " + queue::QueueId::parse(id)->str() + " "}})["id"],
              id);
    EXPECT_EQ(error("queue.show", {{"id", "not-an-id"}}), "invalid_argument");
    EXPECT_EQ(error("queue.show", {{"id", "00000000000000"}}), "not_found");
    EXPECT_EQ(error("queue.show"), "invalid_argument");

    auto held = result("queue.hold", {{"id", id}, {"for", "30m"}, {"reason", "checking"}});
    EXPECT_TRUE(held["until"].is_string());
    shown = result("queue.show", {{"id", id}});
    EXPECT_EQ(shown["state"], "held");
    EXPECT_EQ(shown["hold_reason"], "checking");
    EXPECT_EQ(ids(result("queue.list", {{"reason", "CHECK"}})), std::vector<std::string>{id});
    EXPECT_EQ(error("queue.hold", {{"id", id}, {"for", "a while"}}), "invalid_argument");
    EXPECT_EQ(result("queue.hold", {{"id", id}})["until"], "released by hand");
    result("queue.release", {{"id", id}});
    EXPECT_EQ(result("queue.show", {{"id", id}})["state"], "received");

    EXPECT_EQ(error("queue.retry"), "invalid_argument");
    EXPECT_EQ(result("queue.retry", {{"id", id}})["retried"], json::array({id}));
    EXPECT_EQ(result("queue.retry", {{"all", true}})["retried"], json::array({id}));
    auto flushed = result("queue.retry", {{"destination", "Remote.TEST"}});
    EXPECT_EQ(flushed["flushed"], "remote.test");
    EXPECT_EQ(flushed["retried"], json::array());
    EXPECT_EQ(error("queue.retry", {{"id", "00000000000000"}}), "not_found");
}

TEST_F(QueueCommandsTest, BounceQueuesAnNdrAndDeleteLeavesNoTrace) {
    auto bounced = enqueue("alice@example.test", "bob@remote.test", 200);
    auto deleted = enqueue("carol@example.test", "dan@remote.test", 200);
    EXPECT_EQ(result("queue.bounce", {{"id", bounced}, {"reason", "partner gone"}})["bounced"],
              bounced);
    EXPECT_EQ(result("queue.delete", {{"id", deleted}})["deleted"], deleted);
    // Both left at once; the NDR is queued from <> to the sender of the bounced one.
    EXPECT_EQ(error("queue.show", {{"id", bounced}}), "not_found");
    EXPECT_EQ(error("queue.show", {{"id", deleted}}), "not_found");
    auto left = result("queue.list");
    ASSERT_EQ(left.size(), 1u) << left.dump();
    EXPECT_EQ(left[0]["sender"], "<>");
    EXPECT_EQ(left[0]["recipients"], json::array({"alice@example.test"}));
    auto ndr = queue_->read_body(*queue::QueueId::parse(left[0]["id"].get<std::string>()));
    ASSERT_TRUE(ndr);
    EXPECT_NE(ndr->find("partner gone"), std::string::npos);
    EXPECT_NE(ndr->find("bob@remote.test"), std::string::npos);
    EXPECT_EQ(ndr->find("dan@remote.test"), std::string::npos);  // deleted: nobody is told

    auto counts = result("queue.counts");
    EXPECT_EQ(counts["messages"], 1);
    EXPECT_EQ(counts["by_state"], json({{"received", 1}}));
    EXPECT_EQ(result("queue.destinations"), json::array());
    EXPECT_EQ(error("queue.bounce", {{"id", bounced}}), "not_found");
}

}  // namespace
}  // namespace postern::admin
