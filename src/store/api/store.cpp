// Store: the data root, the set of message stores (expandable at run time), account handles,
// the background indexer thread and the analyzer (docs/storage.md "Layout"). Delivery is in
// append.cpp, recovery in recovery.cpp, checkpoints in checkpoint.cpp.
#include "store/api/store.h"

#include <chrono>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/encoding.h"
#include "base/fs.h"
#include "base/random.h"
#include "base/strings.h"
#include "store/analysis/mime_analyzer.h"
#include "store/api/store_journal.h"
#include "store/engine/account_index.h"
#include "store/engine/message_store.h"
#include "store/engine/record.h"
#include "store/engine/share_index.h"

namespace postern::store {
namespace {

// How long the indexer lets full-text work of new messages gather before a flush.
constexpr auto kIndexerDelay = std::chrono::milliseconds(250);

std::string escape_account(std::string_view id) {
    std::string out;
    for (unsigned char c : id) {
        if (std::isalnum(c) || c == '.' || c == '@' || c == '-' || c == '_' || c == '+') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    // "." and ".." are not directory names we want.
    if (out == "." || out == "..")
        out = "%2E" + out.substr(1);
    return out;
}

}  // namespace

Store::Store(StoreOptions options, log::Logger logger)
    : options_(std::move(options)), log_(std::move(logger)), bodies_(options_.body_cache_bytes) {
    analyzer_ = options_.analyzer ? options_.analyzer
                                  : std::make_shared<MimeAnalyzer>(options_.max_indexed_text);
    journal_ = std::make_unique<StoreJournal>(*this);
}

StoreResult<std::unique_ptr<Store>> Store::open(StoreOptions options, log::Logger logger) {
    if (options.data_root.empty())
        return store_fail(StoreErrc::invalid_argument, "data root is not set");
    if (options.message_stores.empty()) {
        MessageStoreOptions def;
        def.path = options.data_root / "stores" / "default";
        options.message_stores.push_back(def);
    }
    std::unique_ptr<Store> s(new Store(std::move(options), std::move(logger)));
    STORE_CHECK(s->start());
    return s;
}

void Store::schedule_fts(const std::shared_ptr<Account>& account) {
    {
        std::lock_guard lock(indexer_mu_);
        indexer_queue_.push_back(account);
    }
    indexer_cv_.notify_one();
}

void Store::indexer_loop() {
    std::unique_lock lock(indexer_mu_);
    for (;;) {
        indexer_cv_.wait(lock, [&] { return indexer_stop_ || !indexer_queue_.empty(); });
        if (indexer_queue_.empty() && indexer_stop_)
            return;
        // Let a burst of deliveries accumulate: FTS5 costs a message ~40 % less in batches of
        // ~100 than in batches of ~8 (BM_FtsFlush). SEARCH flushes first, so it never misses.
        if (!indexer_stop_)
            indexer_cv_.wait_for(lock, kIndexerDelay, [&] { return indexer_stop_; });
        auto batch = std::move(indexer_queue_);
        indexer_queue_.clear();
        lock.unlock();
        for (auto& weak : batch) {
            if (auto acc = weak.lock()) {
                if (auto s = acc->flush_fts(); !s)
                    log_.warn("full-text indexing of {} failed, retried on next search: {}",
                              acc->id(), s.error().to_string());
                else if (acc->fts_rebuild_due())
                    if (auto r = acc->rebuild_fts(); !r)
                        log_.warn("full-text rebuild of {} failed: {}", acc->id(),
                                  r.error().to_string());
            }
        }
        lock.lock();
    }
}

StoreStatus Store::start() {
    std::error_code ec;
    std::filesystem::create_directories(options_.data_root / "accounts", ec);
    if (ec)
        return store_fail(StoreErrc::io,
                          "create " + options_.data_root.string() + ": " + ec.message());
    auto lock_path = options_.data_root / "store.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lock_fd_ < 0)
        return store_fail(StoreErrc::io, "open " + lock_path.string() + ": " + errno_text(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
        return store_fail(StoreErrc::busy, "data root " + options_.data_root.string() +
                                               " is in use by another process");
    STORE_TRY(shares, engine::ShareIndex::open(options_.data_root / "shares.db", options_.fsync));
    shares_ = std::move(shares);
    for (auto& ms : options_.message_stores) {
        STORE_TRY(opened, engine::MessageStore::open(ms, options_, log_));
        for (auto& other : stores_)
            if (other->id() == opened->id())
                return store_fail(
                    StoreErrc::invalid_argument,
                    "message store " + ms.path.string() + " is configured twice (same store id)");
        stores_.push_back(std::move(opened));
    }
    // Nothing is served before the journal of an unclean stop is replayed.
    STORE_CHECK(recover());
    for (auto& ms : stores_)
        ms->on_checkpoint_wanted([this] { want_checkpoint(); });
    indexer_ = std::thread([this] { indexer_loop(); });
    housekeeper_ = std::thread([this] { checkpoint_loop(); });
    return {};
}

Store::~Store() {
    {
        std::lock_guard lock(indexer_mu_);
        indexer_stop_ = true;
    }
    indexer_cv_.notify_all();
    if (indexer_.joinable())
        indexer_.join();
    {
        std::lock_guard lock(housekeeping_mu_);
        housekeeping_stop_ = true;
    }
    housekeeping_cv_.notify_all();
    if (housekeeper_.joinable())
        housekeeper_.join();
    bus_.drain();
    // A clean stop leaves nothing to replay.
    if (!stores_.empty())
        if (auto s = checkpoint_all(true); !s)
            log_.warn("final checkpoint failed, the next start replays the journal: {}",
                      s.error().to_string());
    {
        std::lock_guard lock(accounts_mu_);
        accounts_.clear();
    }
    stores_.clear();
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
}

void Store::set_analyzer(std::shared_ptr<MessageAnalyzer> analyzer) {
    std::lock_guard lock(analyzer_mu_);
    analyzer_ = std::move(analyzer);
}

MessageAnalysis Store::analyze(std::string_view raw) const {
    std::shared_ptr<MessageAnalyzer> a;
    {
        std::lock_guard lock(analyzer_mu_);
        a = analyzer_;
    }
    return a->analyze(raw);
}

StoreStatus Store::add_message_store(const MessageStoreOptions& options) {
    STORE_TRY(opened, engine::MessageStore::open(options, options_, log_));
    std::unique_lock lock(stores_mu_);
    for (auto& other : stores_)
        if (other->id() == opened->id() || other->path() == opened->path())
            return store_fail(StoreErrc::exists,
                              "message store " + options.path.string() + " is already open");
    opened->on_checkpoint_wanted([this] { want_checkpoint(); });
    stores_.push_back(std::move(opened));
    log_.info("message store {} added at {}", stores_.back()->id(), options.path.string());
    return {};
}

std::vector<engine::MessageStore*> Store::message_stores() const {
    std::shared_lock lock(stores_mu_);
    std::vector<engine::MessageStore*> out;
    for (auto& s : stores_)
        out.push_back(s.get());
    return out;
}

engine::MessageStore* Store::message_store(const std::string& store_id) const {
    std::shared_lock lock(stores_mu_);
    for (auto& s : stores_)
        if (s->id() == store_id)
            return s.get();
    return nullptr;
}

StoreResult<engine::MessageStore*> Store::pick_store(std::string_view domain) const {
    std::shared_lock lock(stores_mu_);
    engine::MessageStore* best = nullptr;
    for (auto& s : stores_) {
        if (!s->serves(domain))
            continue;
        // Most free space first spreads writes over the stores as they fill.
        if (!best || s->free_bytes() > best->free_bytes())
            best = s.get();
    }
    if (!best)
        return store_fail(StoreErrc::store_full,
                          "no message store serves domain '" + std::string(domain) + "'");
    return best;
}

StoreResult<std::string> Store::read_body(const std::string& store_id,
                                          const std::string& hash_bin) const {
    auto* ms = message_store(store_id);
    if (!ms)
        return store_fail(StoreErrc::corrupt, "message store " + store_id + " is not configured");
    engine::ContentHash h{};
    if (hash_bin.size() != h.size())
        return store_fail(StoreErrc::corrupt, "bad body hash in index");
    if (auto cached = bodies_.find(hash_bin))
        return std::move(*cached);
    std::memcpy(h.data(), hash_bin.data(), h.size());
    auto body = ms->read(h);
    if (body)
        bodies_.insert(hash_bin, *body);
    return body;
}

std::filesystem::path Store::index_path(const std::string& account_id) const {
    auto digest = engine::content_hash(account_id);
    auto prefix = hex_encode(std::string_view(reinterpret_cast<const char*>(digest.data()), 1));
    return options_.data_root / "accounts" / prefix / escape_account(account_id) / "index.db";
}

std::vector<std::string> Store::account_ids() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (auto& bucket : std::filesystem::directory_iterator(options_.data_root / "accounts", ec)) {
        if (!bucket.is_directory())
            continue;
        for (auto& dir : std::filesystem::directory_iterator(bucket.path(), ec)) {
            if (!std::filesystem::exists(dir.path() / "index.db"))
                continue;
            // The index knows its owner; the directory name is only an escaped copy.
            auto db = engine::Db::open(dir.path() / "index.db", false, false, true);
            std::string id;
            if (db) {
                auto v = engine::index_meta(**db, "account");
                if (v)
                    id = *v;
            }
            if (id.empty()) {
                // Unreadable index: recover the id from the escaped directory name.
                std::string name = dir.path().filename().string();
                for (std::size_t i = 0; i < name.size(); ++i) {
                    if (name[i] == '%' && i + 2 < name.size()) {
                        auto b = hex_decode(name.substr(i + 1, 2));
                        if (b) {
                            id += *b;
                            i += 2;
                            continue;
                        }
                    }
                    id += name[i];
                }
            }
            out.push_back(id);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

StoreResult<std::shared_ptr<Account>> Store::account(const std::string& account_id) {
    if (account_id.empty() || account_id.size() > 320)
        return store_fail(StoreErrc::invalid_argument, "account id must be 1..320 bytes");
    std::lock_guard lock(accounts_mu_);
    if (auto it = accounts_.find(account_id); it != accounts_.end())
        return it->second;
    // Keep the number of open indexes bounded: close idle ones nobody holds.
    if (accounts_.size() >= options_.max_open_accounts) {
        for (auto it = accounts_.begin(); it != accounts_.end();) {
            if (it->second.use_count() == 1)
                it = accounts_.erase(it);
            else
                ++it;
        }
    }
    std::error_code ec;
    const bool is_new = !std::filesystem::exists(index_path(account_id), ec);
    STORE_TRY(index,
              engine::AccountIndex::open(index_path(account_id), account_id, true, options_.fsync));
    index->set_journal(journal_.get(),
                       [this](const std::filesystem::path& p) { note_unsynced(p); });
    if (is_new) {
        // Repair places messages by these hints when the index itself is lost.
        STORE_TRY(lease, index->reader());
        STORE_TRY(inbox, engine::index_find_mailbox(*lease, "INBOX"));
        std::shared_lock stores_lock(stores_mu_);
        if (inbox)
            for (auto& ms : stores_)
                (void)ms->set_hint(account_id, inbox->guid, inbox->name);
    }
    bool fts_backlog = false;
    if (!is_new) {
        // Text left unindexed by a restart gets indexed in the background.
        STORE_TRY(lease, index->reader());
        STORE_TRY(pending, engine::index_fts_pending(*lease, 1));
        fts_backlog = !pending.empty();
    }
    std::shared_ptr<Account> acc(new Account(*this, account_id, std::move(index)));
    accounts_[account_id] = acc;
    if (fts_backlog)
        schedule_fts(acc);
    return acc;
}

bool Store::evict_account(const std::string& account_id) {
    std::lock_guard lock(accounts_mu_);
    auto it = accounts_.find(account_id);
    if (it == accounts_.end())
        return true;
    if (it->second.use_count() > 1)
        return false;
    accounts_.erase(it);
    return true;
}

StoreStatus Store::delete_account(const std::string& account_id) {
    std::vector<std::pair<std::string, std::string>> refs;  // (store id, guid)
    {
        STORE_TRY(acc, account(account_id));
        STORE_TRY(lease, acc->index_->reader());
        STORE_TRY(s, lease->prepare("SELECT store_id, guid FROM messages"));
        for (;;) {
            STORE_TRY(row, s->step());
            if (!row)
                break;
            refs.emplace_back(s->text(0), s->text(1));
        }
    }
    if (!evict_account(account_id))
        return store_fail(StoreErrc::busy, "account " + account_id + " is in use");
    // Nobody is granted anything by a deleted account, nor holds grants any longer.
    STORE_CHECK(shares_->forget(account_id));
    auto dir = index_path(account_id).parent_path();
    std::error_code ec;
    // Index first, references second: a crash between leaves refs that check reclaims.
    std::filesystem::remove_all(dir, ec);
    if (ec)
        return store_fail(StoreErrc::io, "remove " + dir.string() + ": " + ec.message());
    std::map<std::string, std::vector<std::string>> by_store;
    for (auto& [sid, guid] : refs)
        by_store[sid].push_back(guid);
    for (auto& [sid, guids] : by_store)
        if (auto* ms = message_store(sid))
            STORE_CHECK(ms->drop_refs(account_id, std::move(guids)));
    return {};
}

}  // namespace postern::store
