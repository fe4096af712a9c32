// StoreOptions: everything the store needs from configuration, as one typed struct that the
// daemon fills from postern.toml (keys listed in docs/storage.md).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

namespace postern::store {

class MessageAnalyzer;

struct MessageStoreOptions {
    std::filesystem::path path;                  // the store directory (a disk of its own, ideally)
    std::vector<std::string> domains;            // domains that write here; empty = every domain
    std::uint64_t max_file_size = 256ull << 20;  // bytes per container file
    std::uint32_t max_files = 128;               // containers per store
};

struct StoreOptions {
    std::filesystem::path data_root;  // accounts/ lives here; stores/default if none given
    std::vector<MessageStoreOptions> message_stores;
    bool compression = true;
    std::uint64_t compression_threshold = 1024;    // compress bodies of at least this size
    int compression_level = 1;                     // zstd level
    bool fsync = true;                             // false only in tests: no durability
    std::chrono::milliseconds view_grace{30'000};  // keep an unused mailbox view this long
    std::uint64_t compact_io_rate = 32ull << 20;   // bytes/s read+written by compaction
    std::uint64_t max_message_size = 1ull << 30;   // hard ceiling of one body
    // check() reclaims unreferenced bodies/refs only when older than this, so that it never
    // races an append in flight on a running server. Tests set 0.
    std::chrono::seconds orphan_grace{3600};
    std::uint32_t max_batch = 512;           // appends per group commit
    std::uint32_t view_change_log = 20'000;  // changes a view keeps for lagging sessions
    std::uint32_t max_open_accounts = 2000;  // idle account handles kept open
    // The checkpointer makes account indexes and catalogs durable this often (when anything
    // changed); appends are durable at once through their container records regardless.
    std::chrono::milliseconds checkpoint_interval{1000};
    std::uint64_t journal_region_bytes = 32ull << 20;  // container space reserved at a time
    std::uint32_t expunge_log_limit = 50'000;          // QRESYNC expunge entries kept per mailbox
    // Decoded bodies kept in RAM for repeated FETCHes (0: none); see store/cache/body_cache.h.
    std::uint64_t body_cache_bytes = 32ull << 20;
    std::uint64_t max_indexed_text = 1ull << 20;  // decoded text per message for full-text search
    // The message analyzer; null means the MIME analyzer (store/analysis/mime_analyzer.h).
    std::shared_ptr<MessageAnalyzer> analyzer;
};

}  // namespace postern::store
