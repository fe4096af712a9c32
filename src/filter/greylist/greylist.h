// Greylisting: the first delivery attempt of an unknown (client network, envelope sender,
// recipient) triplet is deferred with 451 4.7.1; a retry after `delay` and within
// `retry_window` passes, and the triplet stays known until it is idle for `expiry`. A client
// network that passed `auto_whitelist` times is no longer greylisted. State is a SQLite
// database (WAL) so that restarts do not greylist everyone again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"
#include "config/protection.h"

struct sqlite3;

namespace postern::filter::greylist {

// The client's network as the triplet holds it: IPv4 /24, IPv6 /64 ("192.0.2.0/24",
// "2001:db8:1:2::/64"), since big senders retry from another host of the same network.
std::string client_network(const IpAddress& client);

struct Triplet {
    std::string network;    // client_network()
    std::string sender;     // envelope sender, lower case; "" for the null sender
    std::string recipient;  // lower case
};

Triplet make_triplet(const IpAddress& client, std::string_view sender, std::string_view recipient);

struct Decision {
    enum class Kind : std::uint8_t { defer, pass, whitelisted };
    Kind kind = Kind::defer;
    std::int64_t retry_after = 0;   // defer: seconds until a retry can pass
    std::string_view name() const;  // "defer", "pass", "whitelisted"
};

// Thread-safe (one connection behind a mutex); every call does disk work: call it off the
// event loop. Times are Unix seconds, passed in so tests need no sleeping.
class GreylistStore {
  public:
    static Result<std::unique_ptr<GreylistStore>> open(const std::filesystem::path& file);
    ~GreylistStore();
    GreylistStore(const GreylistStore&) = delete;
    GreylistStore& operator=(const GreylistStore&) = delete;

    Result<Decision> check(const Triplet& triplet, std::int64_t now,
                           const config::GreylistConfig& cfg);
    // Drops expired triplets and networks, then the least recently seen past max_entries.
    // Returns the number of rows removed. check() calls it now and then by itself.
    Result<std::uint64_t> cleanup(std::int64_t now, const config::GreylistConfig& cfg);
    Result<std::uint64_t> size();  // triplets held

    // --- administration (posternctl greylist, docs/smtp-protection.md) ---
    struct Entry {
        Triplet triplet;
        std::int64_t first_seen = 0;  // Unix seconds
        std::int64_t last_seen = 0;
        bool passed = false;
    };
    struct NetworkEntry {
        std::string network;
        std::int64_t passes = 0;
        std::int64_t last_seen = 0;
    };
    // Triplets whose network, sender or recipient contains `match` (all when empty), most
    // recently seen first, at most `limit`.
    Result<std::vector<Entry>> entries(std::string_view match, std::size_t limit);
    Result<std::vector<NetworkEntry>> networks(std::string_view match, std::size_t limit);
    // Forgets the network's triplets (of that sender and recipient when given, "" = any) and,
    // when neither is given, the network's pass count. Returns the number of rows removed.
    Result<std::uint64_t> remove(std::string_view network, std::optional<std::string_view> sender,
                                 std::optional<std::string_view> recipient);
    // Records the triplet as passed, so that it is accepted at once until idle for `expiry`.
    Status whitelist(const Triplet& triplet, std::int64_t now);

  private:
    explicit GreylistStore(sqlite3* db) : db_(db) {}
    Status exec(const char* sql);
    Result<Decision> check_locked(const Triplet& triplet, std::int64_t now,
                                  const config::GreylistConfig& cfg);
    Result<std::uint64_t> cleanup_locked(std::int64_t now, const config::GreylistConfig& cfg);

    std::mutex mutex_;
    sqlite3* db_;
    std::uint64_t checks_ = 0;
    std::int64_t last_cleanup_ = 0;
};

}  // namespace postern::filter::greylist
