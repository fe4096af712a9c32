// A checked view of one TOML table: typed getters with defaults, range checks, and a record
// of which keys were read so that unknown keys can be reported with their line.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <toml++/toml.h>

#include "config/load.h"

namespace postern::config {

class Problems {
  public:
    explicit Problems(std::filesystem::path file) : file_(std::move(file)) {}
    void add(const toml::source_region& where, std::string key, std::string message);
    void add(unsigned line, std::string key, std::string message);
    bool empty() const { return list_.empty(); }
    std::vector<Problem> take() { return std::move(list_); }
    const std::filesystem::path& file() const { return file_; }

  private:
    std::filesystem::path file_;
    std::vector<Problem> list_;
};

class Reader {
  public:
    // `path` is the dotted key of this table ("services.smtp"), used in messages.
    Reader(const toml::table& table, std::string path, Problems& problems);

    bool has(std::string_view key) const { return table_.contains(key); }
    const std::string& path() const { return path_; }
    unsigned line() const { return table_.source().begin.line; }

    bool get_bool(std::string_view key, bool fallback);
    std::int64_t get_int(std::string_view key, std::int64_t fallback, std::int64_t min,
                         std::int64_t max);
    double get_double(std::string_view key, double fallback, double min, double max);
    std::string get_string(std::string_view key, std::string fallback);
    // One of `choices` (case-insensitive); returns the index.
    std::size_t get_choice(std::string_view key, std::size_t fallback,
                           std::initializer_list<std::string_view> choices);
    std::chrono::milliseconds get_duration(std::string_view key,
                                           std::chrono::milliseconds fallback);
    std::uint64_t get_size(std::string_view key, std::uint64_t fallback);
    std::vector<std::string> get_string_list(std::string_view key,
                                             std::vector<std::string> fallback);
    std::vector<std::int64_t> get_int_list(std::string_view key, std::vector<std::int64_t> fallback,
                                           std::int64_t min, std::int64_t max);
    // A path, resolved against `base` when relative; empty stays empty.
    std::filesystem::path get_path(std::string_view key, std::filesystem::path fallback,
                                   const std::filesystem::path& base);

    // Sub-table (nullopt when absent); array of tables (empty when absent).
    std::optional<Reader> table(std::string_view key);
    std::vector<Reader> tables(std::string_view key);

    // Reports a problem at this key (or the table when the key is absent).
    void error(std::string_view key, std::string message);

    // Reports every key of the table that no getter asked for.
    void finish();

  private:
    const toml::node* find(std::string_view key);
    std::string key_path(std::string_view key) const;

    const toml::table& table_;
    std::string path_;
    Problems& problems_;
    std::set<std::string, std::less<>> seen_;
};

}  // namespace postern::config
