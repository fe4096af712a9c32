// The per-account index (index.db, SQLite WAL, schema v1): mailboxes, messages with flags,
// keywords, MODSEQ and cached analysis, the expunge log (RFC 7162 QRESYNC), quota counters
// and the FTS5 full-text index. Writes go through a group committer; reads use a pool.
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
#include "store/engine/record.h"
#include "store/engine/sqlite.h"

namespace postern::store::engine {

inline constexpr int kIndexSchemaVersion = 1;
inline constexpr std::size_t kMaxKeywords = 64;  // per mailbox: keywords are a 64-bit mask

struct MailboxRow {
    std::int64_t id = 0;
    std::string name;
    std::string guid;
    std::uint32_t uidvalidity = 0;
    Uid uidnext = 1;
    ModSeq highestmodseq = 1;
    std::uint32_t special_use = 0;
    bool subscribed = false;
    Uid first_recent_uid = 1;
    std::uint32_t messages = 0;
    std::uint32_t unseen = 0;
    std::uint32_t deleted = 0;
    std::uint64_t size = 0;
};

// A message row as stored (analysis fields only when inserting or copying).
struct MessageRow {
    std::int64_t id = 0;
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
};

// Validates and normalises a mailbox name ("inbox/x" -> "INBOX/x"); invalid_name on failure.
StoreResult<std::string> normalize_mailbox_name(std::string_view name);

// Thread-safety: write() and reader() may be called from any thread. A Job's `run` executes
// on whichever caller thread leads the group commit, inside a shared transaction (each job
// in its own savepoint, so one job's failure does not undo the others); `after_commit` runs
// after the commit, in commit order, before write() returns to the job's caller.
class AccountIndex {
  public:
    static StoreResult<std::unique_ptr<AccountIndex>> open(const std::filesystem::path& path,
                                                           const std::string& account, bool create,
                                                           bool fsync);
    const std::string& account() const { return account_; }
    const std::filesystem::path& path() const { return path_; }

    struct Job {
        std::function<StoreStatus(Db&)> run;
        std::function<void()> after_commit;
    };
    StoreStatus write(Job job);
    StoreResult<ReadPool::Lease> reader() { return readers_->acquire(); }

  private:
    AccountIndex() = default;
    struct Pending {
        Job job;
        StoreStatus result;
        bool done = false;
    };
    std::string account_;
    std::filesystem::path path_;
    std::unique_ptr<Db> db_;
    std::unique_ptr<ReadPool> readers_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Pending*> queue_;
    bool leader_ = false;
};

// ---- Mailboxes (call inside a job, or on a reader for the read-only ones) ----
StoreResult<std::vector<MailboxRow>> index_list_mailboxes(Db& db);
StoreResult<std::optional<MailboxRow>> index_find_mailbox(Db& db, const std::string& name);
StoreResult<std::optional<MailboxRow>> index_mailbox_by_id(Db& db, std::int64_t id);
// Creates `name` and any missing parents; `exists` if `name` is there already.
StoreResult<std::vector<MailboxRow>> index_create_mailbox(Db& db, const std::string& name,
                                                          std::uint32_t special_use);
StoreStatus index_save_mailbox(Db& db, const MailboxRow& row);
StoreStatus index_delete_mailbox_row(Db& db, std::int64_t id);
// Renames `from` and its subtree; returns (old name, new row) pairs.
StoreResult<std::vector<MailboxRow>> index_rename_mailbox(Db& db, const std::string& from,
                                                          const std::string& to);
StoreResult<std::uint32_t> index_next_uidvalidity(Db& db);

// ---- Keywords ----
StoreResult<std::vector<std::string>> index_keywords(Db& db, std::int64_t mailbox_id);
// Maps names to bits, adding new ones when `create`; limit when the 64 are used up.
StoreResult<std::uint64_t> index_keyword_mask(Db& db, std::int64_t mailbox_id,
                                              const std::vector<std::string>& names, bool create);
std::vector<std::string> keyword_names(const std::vector<std::string>& table, std::uint64_t mask);

// ---- Messages ----
// The text one message contributes to the full-text index.
struct FtsDoc {
    std::string from, to, cc, subject, headers, body;
    std::size_t bytes() const {
        return from.size() + to.size() + cc.size() + subject.size() + headers.size() + body.size();
    }
};
FtsDoc fts_doc_of(const MessageAnalysis& analysis);

// Inserts one message with the next UID of `mb` (updated in place, caller saves it). With
// `deferred`, the full-text row is not written now: the message is marked pending and its
// text handed back for a later batched flush (index_fts_insert); else it is indexed at once.
StoreStatus index_insert_message(Db& db, MailboxRow& mb, MessageRow& row,
                                 const MessageAnalysis& analysis, FtsDoc* deferred = nullptr);
// Full-text rows written in batches (FTS5 costs a third per message that way).
StoreResult<std::vector<std::int64_t>> index_fts_pending(Db& db, std::size_t limit);
StoreStatus index_fts_insert(Db& db, std::int64_t text_id, const FtsDoc& doc);
// Any message row still using `text_id` (to re-read its body when the text was not kept).
StoreResult<std::optional<MessageRow>> index_message_by_text(Db& db, std::int64_t text_id);
// Copies the cached analysis of message `src_id` into a new row in `mb`.
StoreStatus index_copy_message(Db& db, MailboxRow& mb, MessageRow& row, std::int64_t src_id);
StoreResult<std::vector<MessageRow>> index_messages(Db& db, std::int64_t mailbox_id,
                                                    const UidSet& uids);
StoreResult<std::optional<MessageRow>> index_message(Db& db, std::int64_t mailbox_id, Uid uid);
StoreStatus index_update_flags(Db& db, std::int64_t id, std::uint32_t flags, std::uint64_t keywords,
                               ModSeq modseq);
StoreStatus index_delete_message(Db& db, std::int64_t mailbox_id, const MessageRow& row,
                                 ModSeq modseq, bool log_expunge);
// Moves within the account: the row keeps id, guid and text; the source logs an expunge.
StoreStatus index_move_message(Db& db, const MessageRow& row, std::int64_t src_mailbox,
                               ModSeq src_modseq, MailboxRow& dest, Uid& new_uid);
StoreResult<std::string> index_envelope(Db& db, std::int64_t id, std::string* bodystructure,
                                        std::vector<MimePart>* parts);
StoreResult<std::vector<Uid>> index_vanished_since(Db& db, std::int64_t mailbox_id, ModSeq since);
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
