// Shared fixture for store tests: a fresh data root per test, fsync off (tests measure
// behaviour, not durability; the crash tests turn it on), the naive analyzer injected.
#pragma once

#include <filesystem>
#include <memory>

#include <gtest/gtest.h>

#include "base/random.h"
#include "store/api/store.h"
#include "test_analyzer.h"

namespace postern::store::testing {

class StoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        root_ = std::filesystem::temp_directory_path() / ("postern-store-" + random_token(10));
        std::filesystem::create_directories(root_);
        options_.data_root = root_;
        options_.fsync = false;
        options_.orphan_grace = std::chrono::seconds(0);
        options_.analyzer = std::make_shared<NaiveAnalyzer>();
    }
    void TearDown() override {
        store_.reset();
        std::error_code ec;
        std::filesystem::remove_all(root_, ec);
    }
    Store& open() {
        store_.reset();
        auto s = Store::open(options_);
        EXPECT_TRUE(s) << (s ? "" : s.error().to_string());
        store_ = std::move(*s);
        return *store_;
    }
    std::shared_ptr<Account> account(const std::string& id) {
        auto a = store_->account(id);
        EXPECT_TRUE(a) << (a ? "" : a.error().to_string());
        return *a;
    }
    std::shared_ptr<Mailbox> mailbox(const std::string& acc, const std::string& name = "INBOX") {
        auto a = account(acc);
        auto m = a->open_mailbox(name);
        if (!m) {
            EXPECT_TRUE(a->create_mailbox(name));
            m = a->open_mailbox(name);
        }
        EXPECT_TRUE(m) << (m ? "" : m.error().to_string());
        return *m;
    }

    std::filesystem::path root_;
    StoreOptions options_;
    std::unique_ptr<Store> store_;
};

}  // namespace postern::store::testing
