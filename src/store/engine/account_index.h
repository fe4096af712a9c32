// The per-account index (index.db, SQLite WAL, schema v2): mailboxes, messages with flags,
// keywords, MODSEQ and cached analysis, the bounded expunge log (RFC 7162 QRESYNC), quota
// counters and the FTS5 full-text index. Writes go through a group committer whose rounds wait
// for the container records they depend on (journal.h); reads use a pool.
#pragma once

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/api/analysis.h"
#include "store/api/store_error.h"
#include "store/api/types.h"
#include "store/engine/fts_term_cache.h"
#include "store/engine/journal.h"
#include "store/engine/record.h"
#include "store/engine/sqlite.h"

namespace postern::store::engine {

inline constexpr int kIndexSchemaVersion = 6;
inline constexpr std::size_t kMaxKeywords = 64;  // per mailbox: keywords are a 64-bit mask

struct MailboxRow {
    std::int64_t id = 0;
    std::string name;
    std::string guid;
    std::uint32_t uidvalidity = 0;
    Uid uidnext = 1;
    ModSeq highestmodseq = 1;
    std::uint32_t special_use = 0;
    Uid first_recent_uid = 1;
    std::uint32_t messages = 0;
    std::uint32_t unseen = 0;
    std::uint32_t deleted = 0;
    std::uint64_t size = 0;
    std::uint64_t expunge_log = 0;  // entries in the expunge log
    ModSeq vanished_floor = 0;      // expunges up to this MODSEQ were pruned from the log
};

// A new message instance's guid: 32 hex digits, the first 16 the current time in microseconds,
// the rest random. Unique like 16 random bytes, but new rows land at the right edge of the
// guid indexes (here and in the catalog) instead of dirtying a random leaf page per insert.
std::string new_message_guid();

// A message row as stored (analysis fields only when inserting or copying).
struct MessageRow {
    std::int64_t id = 0;
    std::int64_t mailbox_id = 0;
    Uid uid = 0;
    std::string guid;
    std::string store_id;
    ContentHash hash{};
    std::uint64_t size = 0;
    Timestamp internal_date = 0;
    Timestamp save_date = 0;
    std::uint32_t flags = 0;
    std::uint64_t keywords = 0;
    ModSeq modseq = 0;
    std::int64_t text_id = 0;  // FTS5 rowid; copies within the account share their text
    std::uint64_t header_size = 0;
    std::string message_id;  // Message-ID without angle brackets; "" when missing or too long
    std::string thread_id;   // RFC 8474 THREADID without the "T"; "" = NIL (index_threads.cpp)
    std::string email_id;    // RFC 8474 EMAILID of the original a copy was made from; "" = guid
};

// Validates and normalises a mailbox name ("inbox/x" -> "INBOX/x"); invalid_name on failure.
StoreResult<std::string> normalize_mailbox_name(std::string_view name);

// How a job's commit is made durable.
enum class Durability {
    synced,     // fsynced before write() returns: mailbox changes, expunges, moves
    journaled,  // its new rows are described by container records that are durable before the
                // commit; the index is synced by a later checkpoint, or replayed from them
    lazy,       // synced by the next checkpoint: flags (a power loss may undo the last
                // interval's), derived data that rebuilds itself (full-text rows, \Recent)
};

struct Job {
    std::function<StoreStatus(Db&)> run;
    std::function<void()> after_commit;
    Durability durability = Durability::synced;
    // Journaled jobs: run() adds the records their rows depend on. Every entry of a record
    // whose account is this index's must name a row run() inserted (by msg_guid).
    std::vector<std::shared_ptr<JournalRequest>>* records = nullptr;
};

// Thread-safety: write(), exclusive() and reader() may be called from any thread. A Job's
// `run` executes on whichever caller thread leads the group commit, inside a shared
// transaction (each job in its own savepoint, so one job's failure does not undo the others);
// the round then writes the records of its journaled jobs (one batch per message store) and
// commits; `after_commit` runs after the commit, in commit order, before write() returns to
// the job's caller. A job whose record cannot be written fails, and its rows are taken out
// again before the commit (its UIDs stay used).
class AccountIndex {
  public:
    static StoreResult<std::unique_ptr<AccountIndex>> open(const std::filesystem::path& path,
                                                           const std::string& account, bool create,
                                                           bool fsync);
    const std::string& account() const { return account_; }
    const std::filesystem::path& path() const { return path_; }

    // Where rounds write their records, and who hears of commits left unsynced (the
    // checkpointer syncs those files later). Set once, before the first write.
    void set_journal(Journal* journal, std::function<void(const std::filesystem::path&)> unsynced);

    StoreStatus write(Job job);
    StoreResult<ReadPool::Lease> reader() { return readers_->acquire(); }

    // Leadership of the committer with an open transaction, for an operation that must hold
    // several accounts' transactions at once (a delivery to many recipients writes one record
    // for all of them). Take several only in ascending account order. The caller runs jobs,
    // writes their records itself, then finish() settles and commits like a round.
    class Exclusive {
      public:
        ~Exclusive();
        Exclusive(const Exclusive&) = delete;
        Exclusive& operator=(const Exclusive&) = delete;
        // Runs a job in the open transaction; its result (and the round's) via result().
        StoreStatus run(Job job);
        StoreStatus result(std::size_t job) const;
        // Settles the records (written by the caller), commits, syncs as needed, runs the
        // after_commit of the jobs that succeeded.
        void finish();

      private:
        friend class AccountIndex;
        struct State;
        explicit Exclusive(AccountIndex& index);
        AccountIndex& index_;
        std::unique_ptr<State> state_;
    };
    StoreResult<std::unique_ptr<Exclusive>> exclusive();

  private:
    AccountIndex() = default;
    struct Pending {
        Job job;
        StoreStatus result;
        bool ran = false;        // run() succeeded (its rows are in the transaction)
        bool committed = false;  // its rows are committed (even if a sync then failed)
        bool done = false;
    };
    void run_round(std::vector<Pending*>& round);
    void run_job(Pending& p);
    // Compensation, commit, sync, after_commit and abandonment for a round whose jobs ran.
    void settle(std::vector<Pending*>& round, Transaction& txn);

    std::string account_;
    std::filesystem::path path_;
    std::unique_ptr<Db> db_;
    std::unique_ptr<ReadPool> readers_;
    Journal* journal_ = nullptr;
    std::function<void(const std::filesystem::path&)> unsynced_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending*> queue_;
    bool leader_ = false;
};

// ---- Mailboxes (call inside a job, or on a reader for the read-only ones) ----
StoreResult<std::vector<MailboxRow>> index_list_mailboxes(Db& db);
StoreResult<std::optional<MailboxRow>> index_find_mailbox(Db& db, const std::string& name);
StoreResult<std::optional<MailboxRow>> index_mailbox_by_id(Db& db, std::int64_t id);
StoreResult<std::optional<MailboxRow>> index_mailbox_by_guid(Db& db, const std::string& guid);
// Keeps `uid` used in the mailbox even though no row holds it (a failed append's UID).
StoreStatus index_burn_uid(Db& db, const std::string& mailbox_guid, Uid uid);
// Creates `name` and any missing parents; `exists` if `name` is there already.
StoreResult<std::vector<MailboxRow>> index_create_mailbox(Db& db, const std::string& name,
                                                          std::uint32_t special_use);
StoreStatus index_save_mailbox(Db& db, const MailboxRow& row);
StoreStatus index_delete_mailbox_row(Db& db, std::int64_t id);
// Renames `from` and its subtree; returns (old name, new row) pairs.
StoreResult<std::vector<MailboxRow>> index_rename_mailbox(Db& db, const std::string& from,
                                                          const std::string& to);
StoreResult<std::uint32_t> index_next_uidvalidity(Db& db);
// The subscription list (RFC 3501 §6.3.6): names, sorted, whether or not the mailbox exists.
StoreResult<std::vector<std::string>> index_subscriptions(Db& db);
StoreStatus index_set_subscribed(Db& db, const std::string& name, bool subscribed);

// ---- Keywords ----
StoreResult<std::vector<std::string>> index_keywords(Db& db, std::int64_t mailbox_id);
// Maps names to bits, adding new ones when `create`; limit when the 64 are used up.
StoreResult<std::uint64_t> index_keyword_mask(Db& db, std::int64_t mailbox_id,
                                              const std::vector<std::string>& names, bool create);
std::vector<std::string> keyword_names(const std::vector<std::string>& table, std::uint64_t mask);

// ---- Messages ----
// ---- Thread ids (index_threads.cpp, RFC 8474 §5.2) ----
// The Message-ID as stored: "" when longer than a header line may be.
std::string storable_message_id(std::string_view id);
// The thread of the message stored with `message_id`, else of the nearest of `references`
// (last first, at most 16 looked up) among the account's messages; "" when none is found.
StoreResult<std::string> index_find_thread(Db& db, const std::string& message_id,
                                           const std::vector<std::string>& references);
// Sets row.message_id from the analysis and, unless row.thread_id is set already (a copy
// keeps its thread), row.thread_id: the thread found, else the row's own guid (set first).
StoreStatus index_assign_thread(Db& db, MessageRow& row, const MessageAnalysis& analysis);
// Schema v4 -> v5: gives every message without a thread id one, in arrival order, from the
// Message-ID and In-Reply-To of its cached envelope.
StoreStatus index_backfill_threads(Db& db);

// The text one message contributes to the full-text index.
struct FtsDoc {
    std::string from, to, cc, subject, headers, body;
    std::size_t bytes() const {
        return from.size() + to.size() + cc.size() + subject.size() + headers.size() + body.size();
    }
};
FtsDoc fts_doc_of(const MessageAnalysis& analysis);
// Longer words (encoded blobs, long ids) stay out of the vocabulary of fts_terms: SEARCH
// finds them as whole words or by a prefix, not by a substring from their middle.
inline constexpr std::size_t kMaxFtsTermBytes = 64;

// Inserts one message with the next UID of `mb` (updated in place, caller saves it). With
// `deferred`, the full-text row is not written now: the message is marked pending and its
// text handed back for a later batched flush (index_fts_insert); else it is indexed at once.
StoreStatus index_insert_message(Db& db, MailboxRow& mb, MessageRow& row,
                                 const MessageAnalysis& analysis, FtsDoc* deferred = nullptr);
// Recovery: inserts a message with the UID and MODSEQ its container record gives (uidnext and
// highestmodseq of `mb` move past them); its full-text row is left pending.
StoreStatus index_insert_replayed(Db& db, MailboxRow& mb, MessageRow& row,
                                  const MessageAnalysis& analysis, Uid uid, ModSeq modseq);
// Takes out a row inserted in the current transaction whose record could not be written:
// counters go back, the UID stays used. Nothing happens when no row has that guid.
StoreStatus index_unwind_message(Db& db, const std::string& msg_guid);
// The message store of a row (its record went to another store than first chosen).
StoreStatus index_set_store(Db& db, const std::string& msg_guid, const std::string& store_id);
StoreResult<std::optional<MessageRow>> index_message_by_guid(Db& db, const std::string& msg_guid);
// Full-text rows written in batches (FTS5 costs a third per message that way). With
// `pending_only`, nothing is written unless the text is still marked pending (a flush racing
// an expunge, or a second flush of the same text, writes nothing).
StoreResult<std::vector<std::int64_t>> index_fts_pending(Db& db, std::size_t limit);
StoreStatus index_fts_insert(Db& db, std::int64_t text_id, const FtsDoc& doc,
                             bool pending_only = false, FtsTermCache* terms = nullptr);
// meta counter: value += delta.
StoreStatus index_add_counter(Db& db, std::string_view key, std::int64_t delta);

// Full-text upkeep: rows of present texts, rows of texts no message uses any more (they stay
// in the contentless tables until a rebuild), and the progress of a rebuild.
struct FtsCounters {
    std::uint64_t live = 0;
    std::uint64_t dead = 0;
    bool rebuilding = false;
    std::uint64_t cursor = 0;
};
StoreResult<FtsCounters> index_fts_counters(Db& db);
// A rebuild writes new tables beside the old ones, text by text in ascending order; inserts
// of texts at or below its cursor go to both (index_fts_insert), so at the end the new tables
// hold every indexed text and the switch replaces the old ones in one transaction.
struct FtsSource {
    std::int64_t text_id = 0;
    std::string store_id;
    std::string hash;  // binary SHA-256
};
StoreStatus index_fts_rebuild_begin(Db& db);
StoreResult<std::vector<FtsSource>> index_fts_rebuild_next(Db& db, std::int64_t after,
                                                           std::size_t limit);
StoreStatus index_fts_rebuild_add(Db& db, const std::vector<std::pair<std::int64_t, FtsDoc>>& docs,
                                  std::int64_t cursor);
StoreStatus index_fts_rebuild_finish(Db& db);
StoreStatus index_fts_rebuild_abandon(Db& db);
// Any message row still using `text_id` (to re-read its body when the text was not kept).
StoreResult<std::optional<MessageRow>> index_message_by_text(Db& db, std::int64_t text_id);
// Copies the cached analysis of message `src_id` into a new row in `mb`.
StoreStatus index_copy_message(Db& db, MailboxRow& mb, MessageRow& row, std::int64_t src_id);
StoreResult<std::vector<MessageRow>> index_messages(Db& db, std::int64_t mailbox_id,
                                                    const UidSet& uids);
// index_messages() with each row's cached ENVELOPE and BODYSTRUCTURE read in the same query
// (FETCH asks for them for many messages at once); expunged when a row has no cached data.
struct CachedMessage {
    MessageRow row;
    std::string envelope;
    std::string bodystructure;
};
StoreResult<std::vector<CachedMessage>> index_messages_cached(Db& db, std::int64_t mailbox_id,
                                                              const UidSet& uids);
StoreResult<std::optional<MessageRow>> index_message(Db& db, std::int64_t mailbox_id, Uid uid);
StoreStatus index_update_flags(Db& db, std::int64_t id, std::uint32_t flags, std::uint64_t keywords,
                               ModSeq modseq);
// Deletes a row; with `log_expunge`, its UID enters the expunge log of `mb` (counted in
// mb.expunge_log; the caller saves mb and prunes the log).
StoreStatus index_delete_message(Db& db, MailboxRow& mb, const MessageRow& row, ModSeq modseq,
                                 bool log_expunge);
// Keeps the expunge log of `mb` at most `limit` entries, forgetting the oldest (by MODSEQ) and
// raising mb.vanished_floor to the highest MODSEQ forgotten (RFC 7162 §3.2.5.2, §5).
StoreStatus index_prune_expunge_log(Db& db, MailboxRow& mb, std::uint64_t limit);
// Whether a message's full-text row is still needed: true while any row uses `text_id`.
StoreResult<bool> index_text_in_use(Db& db, std::int64_t text_id);
// Moves within the account: the row keeps id, guid and text; the source logs an expunge.
StoreStatus index_move_message(Db& db, const MessageRow& row, MailboxRow& src, ModSeq src_modseq,
                               MailboxRow& dest, Uid& new_uid);
StoreResult<std::string> index_envelope(Db& db, std::int64_t id, std::string* bodystructure,
                                        std::vector<MimePart>* parts);
StoreResult<std::vector<Uid>> index_vanished_since(Db& db, std::int64_t mailbox_id, ModSeq since);
// Every UID of the mailbox, ascending (the complement below UIDNEXT is what has vanished).
StoreResult<std::vector<Uid>> index_uids(Db& db, std::int64_t mailbox_id);
StoreResult<std::vector<MessageRow>> index_changed_since(Db& db, std::int64_t mailbox_id,
                                                         ModSeq since);

struct Usage {
    std::uint64_t bytes = 0;
    std::uint64_t messages = 0;
};
StoreResult<Usage> index_usage(Db& db);
StoreResult<std::string> index_meta(Db& db, const std::string& key);
StoreStatus index_set_meta(Db& db, const std::string& key, const std::string& value);

// Counter upkeep (messages, size, unseen, deleted) when a row enters or leaves a mailbox.
void mailbox_count_in(MailboxRow& mb, const MessageRow& row);
void mailbox_count_out(MailboxRow& mb, const MessageRow& row);

// Recomputes a mailbox's counters from its rows (used by repair and check).
StoreStatus index_recount(Db& db, MailboxRow& mb);

std::string encode_parts(const std::vector<MimePart>& parts);
std::vector<MimePart> decode_parts(std::string_view blob);

}  // namespace postern::store::engine
