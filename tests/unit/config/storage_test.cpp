// [storage] and [[storage.message_store]]: defaults, every key, and file:line errors.
#include <gtest/gtest.h>

#include "config/load.h"

namespace postern::config {
namespace {

std::expected<ConfigPtr, LoadError> load(std::string_view text) {
    return load_string(text, "/etc/postern/postern.toml");
}

const Problem* problem_for(const LoadError& e, std::string_view key) {
    for (auto& p : e.problems) {
        if (p.key == key)
            return &p;
    }
    return nullptr;
}

TEST(ConfigLoadStorage, DefaultsWithoutSection) {
    auto cfg = load("");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& st = (*cfg)->storage;
    EXPECT_TRUE(st.data_root.empty());  // <data_dir>/store, filled by daemon::store_options
    EXPECT_TRUE(st.message_stores.empty());
    EXPECT_TRUE(st.compression);
    EXPECT_EQ(st.compression_threshold, 1024u);
    EXPECT_EQ(st.compression_level, 1);
    EXPECT_TRUE(st.fsync);
    EXPECT_EQ(st.max_file_size, 256ull << 20);
    EXPECT_EQ(st.max_files, 128u);
    EXPECT_EQ(st.view_grace, std::chrono::seconds(30));
    EXPECT_EQ(st.compact_io_rate, 32ull << 20);
    EXPECT_EQ(st.max_message_size, 1ull << 30);
    EXPECT_EQ(st.orphan_grace, std::chrono::hours(1));
    EXPECT_EQ(st.max_batch, 512u);
    EXPECT_EQ(st.checkpoint_interval, std::chrono::seconds(1));
}

TEST(ConfigLoadStorage, EveryKey) {
    auto cfg = load(R"(
[storage]
data_root = "mail"
compression = false
compression_threshold = "4K"
compression_level = 9
fsync = false
max_file_size = "64M"
max_files = 16
view_grace = "2m"
compact_io_rate = "8M"
max_message_size = "100M"
orphan_grace = "10m"
max_batch = 128
view_change_log = 5000
max_open_accounts = 300
body_cache = "8M"
checkpoint_interval = "250ms"

[[storage.message_store]]
path = "/disk1/postern"

[[storage.message_store]]
path = "/disk2/postern"
domains = ["Big.Example", "other.example"]
max_file_size = "1G"
max_files = 4
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& st = (*cfg)->storage;
    EXPECT_EQ(st.data_root, "/etc/postern/mail");  // relative to the configuration file
    EXPECT_FALSE(st.compression);
    EXPECT_EQ(st.compression_threshold, 4096u);
    EXPECT_EQ(st.compression_level, 9);
    EXPECT_FALSE(st.fsync);
    EXPECT_EQ(st.max_file_size, 64ull << 20);
    EXPECT_EQ(st.max_files, 16u);
    EXPECT_EQ(st.view_grace, std::chrono::minutes(2));
    EXPECT_EQ(st.compact_io_rate, 8ull << 20);
    EXPECT_EQ(st.max_message_size, 100ull << 20);
    EXPECT_EQ(st.orphan_grace, std::chrono::minutes(10));
    EXPECT_EQ(st.max_batch, 128u);
    EXPECT_EQ(st.view_change_log, 5000u);
    EXPECT_EQ(st.max_open_accounts, 300u);
    EXPECT_EQ(st.body_cache, 8ull << 20);
    EXPECT_EQ(st.checkpoint_interval, std::chrono::milliseconds(250));
    ASSERT_EQ(st.message_stores.size(), 2u);
    // A store without its own sizes takes the section's.
    EXPECT_EQ(st.message_stores[0].path, "/disk1/postern");
    EXPECT_TRUE(st.message_stores[0].domains.empty());
    EXPECT_EQ(st.message_stores[0].max_file_size, 64ull << 20);
    EXPECT_EQ(st.message_stores[0].max_files, 16u);
    EXPECT_EQ(st.message_stores[1].path, "/disk2/postern");
    EXPECT_EQ(st.message_stores[1].domains,
              (std::vector<std::string>{"big.example", "other.example"}));
    EXPECT_EQ(st.message_stores[1].max_file_size, 1ull << 30);
    EXPECT_EQ(st.message_stores[1].max_files, 4u);
}

TEST(ConfigLoadStorage, ErrorsNameFileLineAndKey) {
    auto cfg = load("[storage]\ncompression_level = 40\n");
    ASSERT_FALSE(cfg);
    auto* p = problem_for(cfg.error(), "storage.compression_level");
    ASSERT_NE(p, nullptr) << cfg.error().to_string();
    EXPECT_EQ(p->line, 2u);
    EXPECT_EQ(p->file, "/etc/postern/postern.toml");

    cfg = load("[storage]\n\n[[storage.message_store]]\ndomains = [\"a.example\"]\n");
    ASSERT_FALSE(cfg);
    EXPECT_NE(cfg.error().to_string().find("needs a path"), std::string::npos)
        << cfg.error().to_string();

    cfg = load(
        "[[storage.message_store]]\npath = \"/d\"\n[[storage.message_store]]\npath = \"/d/\"\n");
    ASSERT_FALSE(cfg);
    EXPECT_NE(cfg.error().to_string().find("listed twice"), std::string::npos)
        << cfg.error().to_string();
}

TEST(ConfigLoadStorage, BadValues) {
    EXPECT_FALSE(load("[storage]\nmax_file_size = \"100K\"\n"));  // below 1M
    EXPECT_FALSE(load("[storage]\nmax_files = 0\n"));
    EXPECT_FALSE(load("[storage]\ncompression = \"yes\"\n"));
    EXPECT_FALSE(load("[storage]\ncompact_io_rate = \"1K\"\n"));
    EXPECT_FALSE(load("[storage]\nmax_message_size = \"big\"\n"));
    EXPECT_FALSE(load("[storage]\ncheckpoint_interval = \"1ms\"\n"));
    EXPECT_FALSE(load("[storage]\nmax_batch = 0\n"));
    EXPECT_FALSE(load("[storage]\nno_such_key = 1\n"));  // unknown keys are errors
    EXPECT_FALSE(load("[[storage.message_store]]\npath = \"/d\"\ndomains = [\"a b\"]\n"));
    EXPECT_FALSE(load("[[storage.message_store]]\npath = \"/d\"\nmax_files = -1\n"));
    // Every store reserved for some domains: mail of other domains would have nowhere to go.
    EXPECT_FALSE(load("[[storage.message_store]]\npath = \"/d\"\ndomains = [\"a.example\"]\n"));
}

}  // namespace
}  // namespace postern::config
