#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "directory/sqlite.h"
#include "fixture.h"

namespace postern::directory::testing {
namespace {

class Concurrency : public DirectoryTest {};

TEST_F(Concurrency, ReadersSeeCommittedStateWhileAnotherWriterHoldsTheLock) {
    add_domain("example.com");
    add_account("u@example.com");
    // Another process (posternctl against a stopped daemon, say) holds an open write
    // transaction. WAL readers must neither wait for it nor see its uncommitted rows.
    auto other = sql::Connection::open(dir_->database_file(), sql::Connection::Mode::read_write,
                                       std::chrono::milliseconds(1000));
    ASSERT_OK(other);
    ASSERT_OK((*other)->exec(
        "BEGIN IMMEDIATE; INSERT INTO domains (name, created) VALUES ('pending.com', 0);"));

    EXPECT_FALSE(*dir_->is_local_domain("pending.com"));
    EXPECT_EQ(dir_->resolve("u@example.com")->kind, AddressKind::account);
    EXPECT_TRUE(dir_->find_credentials("u@example.com")->has_value());

    ASSERT_OK((*other)->exec("COMMIT"));
    EXPECT_TRUE(*dir_->is_local_domain("pending.com"));
}

TEST_F(Concurrency, WritesWaitForAnotherProcessAndThenSucceed) {
    add_domain("example.com");
    auto other = sql::Connection::open(dir_->database_file(), sql::Connection::Mode::read_write,
                                       std::chrono::milliseconds(1000));
    ASSERT_OK(other);
    ASSERT_OK((*other)->exec("BEGIN IMMEDIATE"));
    std::atomic<bool> released{false};
    std::thread releaser([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        released = true;
        ASSERT_TRUE((*other)->exec("COMMIT"));
    });
    auto added = dir_->add_domain("second.com");  // waits on busy_timeout, then goes through
    releaser.join();
    ASSERT_OK(added);
    EXPECT_TRUE(released.load());
}

TEST_F(Concurrency, ManyReadersAndWritersAtOnce) {
    auto options = cheap_options();
    options.max_readers = 2;  // fewer connections than reader threads: some must wait their turn
    reopen(options);
    add_domain("example.com");
    add_account("watched@example.com");
    ASSERT_OK(dir_->add_group("all@example.com", {}));

    constexpr int kWriters = 3;
    constexpr int kPerWriter = 40;
    constexpr int kReaders = 6;
    std::atomic<bool> done{false};
    std::atomic<int> read_errors{0}, write_errors{0}, reads{0};
    std::atomic<int> generation_went_back{0};

    std::vector<std::thread> threads;
    for (int w = 0; w < kWriters; ++w) {
        threads.emplace_back([&, w] {
            for (int i = 0; i < kPerWriter; ++i) {
                auto address = "w" + std::to_string(w) + "-" + std::to_string(i) + "@example.com";
                if (!dir_->add_account(
                        {.address = address, .password = PlainPassword{"Correct-Horse-1"}})) {
                    ++write_errors;
                }
                if (!dir_->add_group_members("all@example.com", std::vector<std::string>{address}))
                    ++write_errors;
                if (w == 0 &&
                    !dir_->set_password("watched@example.com",
                                        PlainPassword{"Another-pass-" + std::to_string(i)})) {
                    ++write_errors;
                }
            }
        });
    }
    for (int r = 0; r < kReaders; ++r) {
        threads.emplace_back([&] {
            std::uint64_t last_generation = 0;
            while (!done) {
                auto creds = dir_->find_credentials("watched@example.com");
                if (!creds || !*creds) {
                    ++read_errors;
                    continue;
                }
                if ((*creds)->password_generation < last_generation)
                    ++generation_went_back;
                last_generation = (*creds)->password_generation;
                auto expansion = dir_->expand("all@example.com");
                if (!expansion)
                    ++read_errors;
                // Every member of the group is an account that exists: the group member is
                // added after the account, and readers see whole transactions only.
                for (const auto& rcpt :
                     expansion ? expansion->recipients : std::vector<Recipient>{}) {
                    if (rcpt.kind != Recipient::Kind::account)
                        ++read_errors;
                }
                ++reads;
            }
        });
    }
    for (int w = 0; w < kWriters; ++w)
        threads[static_cast<std::size_t>(w)].join();
    done = true;
    for (std::size_t t = kWriters; t < threads.size(); ++t)
        threads[t].join();

    EXPECT_EQ(write_errors.load(), 0);
    EXPECT_EQ(read_errors.load(), 0);
    EXPECT_EQ(generation_went_back.load(), 0);
    EXPECT_GT(reads.load(), 0);
    EXPECT_EQ(dir_->list_accounts({.domain = "example.com"})->size(), 1u + kWriters * kPerWriter);
    EXPECT_EQ(dir_->get_group("all@example.com")->targets.size(),
              static_cast<std::size_t>(kWriters * kPerWriter));
    EXPECT_EQ(dir_->find_credentials("watched@example.com")->value().password_generation,
              1u + kPerWriter);
}

}  // namespace
}  // namespace postern::directory::testing
