// The storage API that IMAP, POP3, delivery, WebMail and sync sit on: Store (one per process
// over the data root and the message stores), Account, Mailbox and per-session views.
// No protocol code: callers map StoreError to their replies (docs/storage.md "API").
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "log/log.h"
#include "store/api/analysis.h"
#include "store/api/options.h"
#include "store/api/store_error.h"
#include "store/api/types.h"
#include "store/cache/body_cache.h"
#include "store/cache/change_bus.h"
#include "store/cache/mailbox_view.h"
#include "store/engine/fts_term_cache.h"

namespace postern::store {

namespace engine {
class MessageStore;
class AccountIndex;
class ShareIndex;
class Journal;
struct PreparedBody;
struct BodyRef;
struct FtsDoc;
struct MailboxRow;
struct MessageRow;
}  // namespace engine

class Account;
class Mailbox;
struct AppendJob;

struct AppendOptions {
    Flags flags;
    std::optional<Timestamp> internal_date;     // default: now
    const MessageAnalysis* analysis = nullptr;  // precomputed; else the Store's analyzer runs
};

// One recipient of a delivery: the body is stored once for all of them.
struct DeliveryTarget {
    std::string account;
    std::string mailbox = "INBOX";
    Flags flags;
    // The recipient's domain, for message stores reserved to some domains; "" = taken from the
    // account id (only ids of the form local@domain carry one).
    std::string domain;
};

// Which bytes of a MIME part to return (the IMAP layer composes BODY[section.X] from these;
// offsets as described at MimePart): header = BODY[s.MIME] (for "" BODY[HEADER]), body =
// BODY[s], whole = both; message_header/message_text = BODY[s.HEADER]/BODY[s.TEXT] of ""
// or of a message/rfc822 part (invalid_argument for other parts).
enum class PartRegion { header, body, whole, message_header, message_text };

// Lifetime: the Store must outlive every Account, Mailbox and ViewSession obtained from it
// (the daemon destroys sessions before the Store at shutdown).
// Thread-safety of the whole API: every member of Store, Account and Mailbox may be called
// from any thread at the same time. Calls that touch disk block (they belong on the blocking
// pool): everything except Store::changes(), the view accessors and trivial getters.
class Store {
  public:
    // Opens the data root and every message store. After an unclean stop (crash, kill, power
    // loss) it first replays the container records written since the last checkpoint into the
    // catalogs and account indexes (docs/storage.md "Journal and recovery"), so what it returns
    // already holds every append that was ever reported committed.
    static StoreResult<std::unique_ptr<Store>> open(StoreOptions options, log::Logger logger = {});
    // Waits for background work, then checkpoints: the next open has nothing to replay.
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Replaces the analyzer (StoreOptions::analyzer, by default the MIME analyzer).
    void set_analyzer(std::shared_ptr<MessageAnalyzer> analyzer);

    // Makes every committed change durable in the catalogs and indexes now (the checkpointer
    // does this every checkpoint_interval). Appends need no checkpoint to be durable. With
    // `retire_regions`, the journal regions being written are closed and released too, so
    // compaction may move the records in them (new ones reserve fresh regions).
    StoreStatus checkpoint(bool retire_regions = false);

    // Adds a message store while running (no restart): new writes may go there at once.
    StoreStatus add_message_store(const MessageStoreOptions& options);

    // Opens (creating on first use) an account's index. Handles are shared: every caller
    // for one account gets the same Account, so views and group commit are shared too.
    StoreResult<std::shared_ptr<Account>> account(const std::string& account_id);
    // Removes an account's index and drops its references (its bodies are freed unless other
    // accounts share them). busy while handles are open elsewhere.
    StoreStatus delete_account(const std::string& account_id);

    // Local delivery: stores the body once and appends it to every target's mailbox. One
    // result per target; a target can fail (over_quota, not_found) while others succeed.
    // A success is durable (even across power loss) when this returns: one container record
    // describes the message for every target.
    StoreResult<std::vector<StoreResult<AppendResult>>> deliver(
        std::string_view raw, const std::vector<DeliveryTarget>& targets,
        std::optional<Timestamp> internal_date = std::nullopt,
        const MessageAnalysis* analysis = nullptr);

    ChangeBus& changes() { return bus_; }
    const StoreOptions& options() const { return options_; }
    const log::Logger& logger() const { return log_; }

    // For the tools (check/compact/repair/report) and tests.
    std::vector<engine::MessageStore*> message_stores() const;
    engine::MessageStore* message_store(const std::string& store_id) const;
    std::vector<std::string> account_ids() const;  // every account with an index on disk
    std::filesystem::path index_path(const std::string& account_id) const;
    // Closes the account's handle if nobody else holds it; false if it is in use.
    bool evict_account(const std::string& account_id);

    MessageAnalysis analyze(std::string_view raw) const;
    // The message store with the most free space that serves `domain` (new bodies go there).
    StoreResult<engine::MessageStore*> pick_store(std::string_view domain) const;
    // The decoded body with this content hash (index rows hold store id and hash), from the
    // body cache when it is there.
    StoreResult<std::string> read_body(const std::string& store_id,
                                       const std::string& hash_bin) const;
    // Puts a body just stored into the body cache: what was appended is often fetched next.
    void remember_body(std::string_view hash_bin, std::string_view raw) const {
        bodies_.insert(hash_bin, raw);
    }

    // The accounts that granted rights on one of their mailboxes to any of `grantees`
    // (account ids or "anyone"): a superset (check each with Account::grants_to).
    StoreResult<std::vector<std::string>> accounts_sharing_with(
        const std::vector<std::string>& grantees);

    // Queues an account for the background full-text indexer.
    void schedule_fts(const std::shared_ptr<Account>& account);
    engine::Journal& journal() { return *journal_; }
    // An account index committed without syncing; the checkpointer syncs it.
    void note_unsynced(const std::filesystem::path& index);

  private:
    friend class Account;  // set_acl keeps shares_ current
    Store(StoreOptions options, log::Logger logger);
    StoreStatus start();
    StoreStatus recover();
    void indexer_loop();
    void checkpoint_loop();
    void want_checkpoint();
    StoreStatus checkpoint_all(bool closing);
    void expire_views();

    StoreOptions options_;
    log::Logger log_;
    int lock_fd_ = -1;
    mutable std::shared_mutex stores_mu_;
    std::vector<std::unique_ptr<engine::MessageStore>> stores_;
    std::mutex accounts_mu_;
    std::map<std::string, std::shared_ptr<Account>> accounts_;
    std::shared_ptr<MessageAnalyzer> analyzer_;
    mutable std::mutex analyzer_mu_;
    ChangeBus bus_;
    mutable BodyCache bodies_;
    std::mutex indexer_mu_;
    std::condition_variable indexer_cv_;
    std::deque<std::weak_ptr<Account>> indexer_queue_;
    bool indexer_stop_ = false;
    std::thread indexer_;
    std::unique_ptr<engine::Journal> journal_;
    std::unique_ptr<engine::ShareIndex> shares_;
    std::mutex checkpoint_mu_;  // one checkpoint at a time
    std::mutex dirty_mu_;
    std::set<std::filesystem::path> dirty_indexes_;
    std::mutex housekeeping_mu_;
    std::condition_variable housekeeping_cv_;
    bool housekeeping_stop_ = false;
    bool checkpoint_wanted_ = false;
    std::thread housekeeper_;
};

class Account : public std::enable_shared_from_this<Account> {
  public:
    ~Account();
    const std::string& id() const { return id_; }
    std::string domain() const;

    StoreResult<std::vector<MailboxInfo>> list_mailboxes();
    StoreResult<MailboxInfo> mailbox_info(std::string_view name);
    // Creates the mailbox and missing parents. exists / invalid_name.
    StoreResult<MailboxInfo> create_mailbox(std::string_view name, std::uint32_t special_use = 0);
    // Deletes the mailbox and its messages. INBOX cannot be deleted; not_empty when it has
    // child mailboxes (the IMAP layer decides whether to delete those first).
    StoreStatus delete_mailbox(std::string_view name);
    // Renames a mailbox and its whole subtree; UIDVALIDITY is kept. Not for INBOX: use
    // move_all_messages (RFC 3501 §6.3.5 INBOX rename semantics).
    StoreStatus rename_mailbox(std::string_view from, std::string_view to);
    // Moves every message of `from` into `to` (created if missing); returns how many.
    StoreResult<std::uint32_t> move_all_messages(std::string_view from, std::string_view to);
    // Subscribing needs an existing mailbox (not_found); a subscription outlives a DELETE
    // and is unsubscribed by name. not_found also when unsubscribing a name neither
    // subscribed nor existing.
    StoreStatus set_subscribed(std::string_view name, bool subscribed);
    // The same for a name that is no mailbox of this account (another account's mailbox the
    // caller may see, under the caller's name for it): kept by name, no existence check.
    StoreStatus set_subscribed_name(std::string_view name, bool subscribed);
    // The subscription list, sorted, including names whose mailbox is gone.
    StoreResult<std::vector<std::string>> subscriptions();
    StoreStatus set_special_use(std::string_view name, std::uint32_t special_use);
    StoreResult<MailboxStatus> status(std::string_view name);
    StoreResult<std::shared_ptr<Mailbox>> open_mailbox(std::string_view name);

    // Annotations (RFC 5464) of a mailbox, or of the account ("" as the mailbox: IMAP's server
    // entries). Names are compared case-insensitively (kept lower-case). get: the named entries
    // that exist, and with depth their descendants. set: nullopt removes an entry; limit when
    // the mailbox would hold more than kMaxMetadataEntries, too_large for a value over
    // kMaxMetadataValue; all or nothing. Kept across renames; gone with the mailbox.
    StoreResult<std::vector<MetadataEntry>> get_metadata(std::string_view mailbox,
                                                         const std::vector<std::string>& names,
                                                         MetadataDepth depth);
    StoreStatus set_metadata(
        std::string_view mailbox,
        const std::vector<std::pair<std::string, std::optional<std::string>>>& entries);

    // Access control lists (RFC 4314), kept by mailbox id: they follow renames and go with the
    // mailbox. acl: the entries of one mailbox, sorted by identifier. set_acl: replaces the
    // entry of `identifier`; empty `rights` removes it. Identifiers are at most
    // kMaxAclIdentifier bytes, rights only 'a'-'z' (invalid_argument otherwise); a mailbox holds
    // at most kMaxAclEntries (limit). The Store's share index learns who was granted what.
    StoreResult<std::vector<AclEntry>> acl(std::string_view mailbox);
    StoreStatus set_acl(std::string_view mailbox, std::string_view identifier,
                        std::string_view rights);
    // Every entry of this account's mailboxes naming one of `identifiers`.
    StoreResult<std::vector<MailboxGrant>> grants_to(const std::vector<std::string>& identifiers);
    // Grows with every set_acl() (after its commit): who computed rights from the ACLs at
    // generation g and now sees another value computes them again (open IMAP sessions).
    std::uint64_t acl_generation() const { return acl_generation_.load(std::memory_order_acquire); }
    static constexpr std::size_t kMaxAclIdentifier = 255;
    static constexpr std::size_t kMaxAclEntries = 256;

    // Quota limits come from the directory (account class); 0 = unlimited. Not persisted.
    void set_quota(std::uint64_t bytes_limit, std::uint64_t messages_limit);
    StoreResult<QuotaInfo> quota();
    // over_quota if adding `bytes` in `messages` would exceed a limit.
    StoreStatus check_quota(std::uint64_t bytes, std::uint64_t messages = 1);

    // Writes the pending full-text rows now. SEARCH BODY/TEXT calls it first, so results
    // never miss a message; otherwise the Store's indexer thread does it in batches.
    StoreStatus flush_fts();
    // Rebuilds the account's full-text index from the bodies, leaving out the rows of
    // messages that are gone. The indexer runs it when such rows outnumber the live ones;
    // searches keep working meanwhile.
    StoreStatus rebuild_fts();
    // Full-text rows of messages still present / of messages gone (awaiting a rebuild).
    struct FtsCounts {
        std::uint64_t live = 0;
        std::uint64_t dead = 0;
    };
    StoreResult<FtsCounts> fts_counts();

    // For check --fix: recomputes every mailbox's counters from its message rows.
    StoreStatus recount_mailboxes();

    // Memory held by loaded views of this account.
    std::size_t view_memory_bytes();

  private:
    friend class Store;
    friend class Mailbox;
    friend struct AppendJob;
    Account(Store& store, std::string id, std::unique_ptr<engine::AccountIndex> index);
    // Drops views whose grace period is over (the Store's housekeeper calls it).
    void expire_views();
    bool fts_rebuild_due();
    std::shared_ptr<MailboxView> loaded_view(std::int64_t mailbox_id);
    StoreResult<std::shared_ptr<MailboxView>> get_view(std::int64_t mailbox_id);
    void linger(std::shared_ptr<MailboxView> view);
    void purge_lingering();
    void publish_mailbox_event(ChangeEvent::Kind kind, const engine::MailboxRow& mb,
                               std::string old_name = {});
    StoreResult<engine::MailboxRow> find_row(std::string_view name);
    void drop_refs(const std::vector<engine::MessageRow>& rows);
    // Keeps the text of a just-committed message for the next batched FTS flush.
    void queue_fts(std::int64_t text_id, engine::FtsDoc doc);

    Store& store_;
    const std::string id_;
    std::unique_ptr<engine::AccountIndex> index_;
    std::atomic<std::uint64_t> quota_bytes_{0};
    std::atomic<std::uint64_t> quota_messages_{0};
    std::atomic<std::uint64_t> acl_generation_{0};
    std::mutex views_mu_;
    std::map<std::int64_t, std::weak_ptr<MailboxView>> views_;
    std::vector<std::pair<std::chrono::steady_clock::time_point, std::shared_ptr<MailboxView>>>
        lingering_;
    std::mutex fts_mu_;
    std::map<std::int64_t, std::unique_ptr<engine::FtsDoc>> fts_docs_;
    std::size_t fts_bytes_ = 0;
    std::atomic<bool> fts_queued_{false};
    std::mutex fts_flush_mu_;         // one flush (or rebuild step) at a time per account
    engine::FtsTermCache fts_terms_;  // under fts_flush_mu_
};

// A handle on one mailbox of an account. Cheap; many may exist for one mailbox. Survives
// renames (it is bound to the mailbox id); operations on a deleted mailbox fail not_found.
class Mailbox {
  public:
    Mailbox(std::shared_ptr<Account> account, std::int64_t id)
        : account_(std::move(account)), id_(id) {}
    Account& account() { return *account_; }
    std::int64_t id() const { return id_; }
    StoreResult<MailboxInfo> info();
    StoreResult<MailboxStatus> status();

    // Opens a session cursor on the shared view (SELECT): loads the view on first use.
    StoreResult<std::unique_ptr<ViewSession>> open_session();
    // Claims \Recent for the caller: returns the UIDs that were recent and clears them for
    // everyone else (RFC 3501 §2.3.2; only one session sees a message as recent).
    StoreResult<UidSet> claim_recent();
    // The UIDs that are recent now, without claiming them (EXAMINE, RFC 3501 §6.3.2).
    StoreResult<UidSet> recent();

    StoreResult<AppendResult> append(std::string_view raw, const AppendOptions& options = {});
    // COPY/MOVE to a mailbox of the same or another account. Bodies are never copied.
    StoreResult<CopyResult> copy(const UidSet& uids, Mailbox& dest);
    StoreResult<CopyResult> move(const UidSet& uids, Mailbox& dest);
    // STORE: with `unchanged_since`, messages modified after it are left alone and listed in
    // `modified` (RFC 7162 §3.1.3).
    StoreResult<StoreFlagsResult> store_flags(const UidSet& uids, FlagOp op, const Flags& flags,
                                              std::optional<ModSeq> unchanged_since = std::nullopt);
    // Removes messages with \Deleted (only those in `uids` when given: UID EXPUNGE).
    StoreResult<std::vector<Uid>> expunge(const std::optional<UidSet>& uids = std::nullopt);

    StoreResult<MessageMeta> message(Uid uid);
    // Metadata of many messages (FETCH FLAGS/ENVELOPE/...); missing UIDs are skipped.
    StoreResult<std::vector<MessageMeta>> messages(const UidSet& uids, bool with_cached = false);
    StoreResult<std::string> fetch_body(Uid uid);
    // The body of a message messages() returned, without looking its row up again (a body
    // never changes). Expunged since the read: its body when the body cache or its container
    // still has it, else expunged, as fetch_body(meta.uid).
    StoreResult<std::string> fetch_body(const MessageMeta& meta);
    // BODY[]<offset.length>: bytes past the end are simply not returned.
    StoreResult<std::string> fetch_range(Uid uid, std::uint64_t offset, std::uint64_t length);
    StoreResult<std::string> fetch_header(Uid uid);
    StoreResult<std::vector<MimePart>> parts(Uid uid);
    StoreResult<std::string> fetch_part(Uid uid, std::string_view section, PartRegion region);

    StoreResult<std::vector<Uid>> search(const SearchKey& key);
    StoreResult<std::vector<Uid>> sort(const std::vector<SortCriterion>& criteria,
                                       const SearchKey& key);
    // CONDSTORE/QRESYNC: flag changes and expunges after `modseq`. When `modseq` is older than
    // the (bounded) expunge log reaches back, `vanished_exact` is false and `absent` lists
    // every UID below UIDNEXT the mailbox does not hold: a superset of what vanished, for
    // VANISHED (EARLIER) after RFC 7162 §3.2.5.2 narrowing by the client's known UIDs.
    StoreResult<ChangesSince> changes_since(ModSeq modseq);

  private:
    friend class Store;
    friend struct AppendJob;
    StoreResult<engine::MessageRow> row(Uid uid);
    StoreResult<std::string> read(const engine::MessageRow& row);
    StoreResult<CopyResult> copy_impl(const UidSet& uids, Mailbox& dest, bool move);
    StoreResult<std::vector<Uid>> expunge_rows(const std::optional<UidSet>& uids,
                                               bool only_deleted);

    std::shared_ptr<Account> account_;
    std::int64_t id_;
};

}  // namespace postern::store
