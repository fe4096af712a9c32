// Address white/blacklists at server, domain and account level (docs/smtp-protection.md
// "Address lists"), applied in PROCESSING to the envelope sender and the From header's
// addresses. Server lists come from [protection.lists] and the store; domain and account
// lists live in a SQLite store (so WebMail can manage an account's own later).
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "filter/chain/filter.h"

struct sqlite3;

namespace postern::filter::lists {

enum class ListKind : std::uint8_t { white, black };
std::string_view list_kind_name(ListKind kind);  // "whitelist", "blacklist"

inline constexpr std::size_t kMaxPattern = 320;
inline constexpr std::size_t kMaxEntriesPerScope = 10'000;

// "user@example.com" (that address), "@example.com" or "example.com" (any address there),
// or a glob with * and ? ("*@*.example.com"); case-insensitive.
bool address_matches(std::string_view pattern, std::string_view address);
// A pattern as stored: trimmed, lower case; nullopt when empty, too long or not printable.
std::optional<std::string> normalize_pattern(std::string_view pattern);

// Which list decided, at which level.
struct ListDecision {
    ListKind kind = ListKind::white;
    filter::Level level = filter::Level::server;
    std::string pattern;
};

// Thread-safe.
class AddressLists {
  public:
    static Result<std::unique_ptr<AddressLists>> open(const std::filesystem::path& file);
    ~AddressLists();
    AddressLists(const AddressLists&) = delete;
    AddressLists& operator=(const AddressLists&) = delete;

    // The lists from postern.toml (server level, besides the stored ones).
    void set_configured(std::vector<std::string> whitelist, std::vector<std::string> blacklist);

    // Scopes: "" (server), "example.com" (a domain), "alice@example.com" (an account).
    Status add(std::string_view scope, ListKind kind, std::string_view pattern);
    Result<bool> remove(std::string_view scope, ListKind kind, std::string_view pattern);
    Result<std::vector<std::string>> entries(std::string_view scope, ListKind kind);

    struct Entry {
        std::string scope;
        ListKind kind = ListKind::white;
        std::string pattern;
    };
    // The stored entries of `scope` (of every scope when nullopt), by scope, kind and pattern;
    // at most `limit`.
    Result<std::vector<Entry>> list(std::optional<std::string_view> scope, std::size_t limit);
    // The server lists from postern.toml (normalized).
    std::vector<std::string> configured(ListKind kind);

    // The decision for mail from `senders` to `account` (in `domain`): the most specific level
    // with a matching entry decides (account, then domain, then server); at one level the
    // whitelist wins. nullopt: no list mentions a sender.
    Result<std::optional<ListDecision>> decide(std::span<const std::string> senders,
                                               std::string_view domain, std::string_view account);

  private:
    explicit AddressLists(sqlite3* db) : db_(db) {}
    std::mutex mutex_;
    sqlite3* db_;
    std::vector<std::string> white_;
    std::vector<std::string> black_;
};

// The PROCESSING filter: registered at account level for every account ("*"), it runs once per
// local account and rejects blacklisted senders (5.7.1) or marks whitelisted ones
// (X-Postern-Address-List field).
class AddressListFilter final : public filter::Filter {
  public:
    // `lists` gives the store in service (null: lists are off); called once per run.
    using Provider = std::function<std::shared_ptr<AddressLists>()>;
    explicit AddressListFilter(Provider lists) : lists_(std::move(lists)) {}
    std::string_view name() const override { return "address-lists"; }
    Result<filter::Verdict> run(const filter::MessageView& message) override;

  private:
    Provider lists_;
};

// The addresses of the From fields in the header block of `raw` (at most 64 KiB looked at).
std::vector<std::string> from_addresses(std::string_view raw);

}  // namespace postern::filter::lists
