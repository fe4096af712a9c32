// Shared in-memory views of open mailboxes (UID -> flags, keywords, MODSEQ) and the per-session
// cursor that gives IMAP its snapshot semantics: a session sees expunges, new messages and
// flag changes only when it synchronises (RFC 3501 §7.4.1, RFC 7162 §3.2.10 VANISHED).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <vector>

#include "store/api/types.h"

namespace postern::store {

struct ViewEntry {
    Uid uid = 0;
    std::uint32_t flags = 0;
    std::uint64_t keywords = 0;  // bits into the mailbox keyword table
    ModSeq modseq = 0;
};

struct ViewState {
    std::uint32_t uidvalidity = 0;
    Uid uidnext = 1;
    ModSeq highestmodseq = 0;
};

// Thread-safety: every member is thread-safe. The apply_* members are called by the store
// after each index commit, in commit order; they are idempotent (a change already reflected
// is ignored), which makes loading a view concurrently with commits safe.
class MailboxView {
  public:
    MailboxView(std::int64_t mailbox_id, ViewState state, std::vector<ViewEntry> entries,
                std::vector<std::string> keywords, std::size_t log_limit);

    std::int64_t mailbox_id() const { return mailbox_id_; }
    ViewState state() const;
    std::size_t size() const;
    std::optional<ViewEntry> find(Uid uid) const;
    std::vector<std::string> keywords() const;
    std::vector<ViewEntry> entries() const;  // a copy; for tools/tests
    bool deleted() const;
    // Whether a message carries `flag` (a system flag bit), among `uids` (ascending) when
    // given. Lets EXPUNGE skip its synced index write when nothing is \Deleted.
    bool any_flagged(std::uint32_t flag, const std::vector<Uid>* uids = nullptr) const;
    // Approximate heap bytes held (entries, change log, keyword table).
    std::size_t memory_bytes() const;

    void apply_append(const std::vector<ViewEntry>& added, const ViewState& state);
    void apply_flags(const std::vector<ViewEntry>& changed, const ViewState& state);
    void apply_expunge(const std::vector<Uid>& uids, const ViewState& state);
    void set_keywords(std::vector<std::string> keywords);
    void mark_deleted();

  private:
    friend class ViewSession;
    enum class ChangeKind : std::uint8_t { added, flags, expunged };
    struct Change {
        std::uint64_t version;
        Uid uid;
        ChangeKind kind;
    };
    void log(ChangeKind kind, Uid uid);

    const std::int64_t mailbox_id_;
    const std::size_t log_limit_;
    mutable std::shared_mutex mu_;
    ViewState state_;
    std::vector<ViewEntry> entries_;  // ascending UID, expunged removed
    std::vector<std::string> keywords_;
    std::deque<Change> log_;
    std::uint64_t version_ = 0;
    std::uint64_t log_floor_ = 0;  // changes up to this version have been trimmed
    bool deleted_ = false;
};

// Whether a sync may report expunges. RFC 9051 §7.5.2 forbids EXPUNGE while answering FETCH,
// STORE or SEARCH by sequence number (RFC 2180 §4.1.2): those sync with `hold`, which reports
// flag changes and new messages but keeps expunged messages in the sequence map until a sync
// with `send`.
enum class ExpungeReport : bool { hold, send };

// What a session must tell its client at a sync point.
struct ViewSync {
    std::vector<std::uint32_t> expunged_seqs;  // descending: each valid when sent in order
    std::vector<Uid> expunged_uids;            // ascending, for VANISHED
    std::vector<Uid> new_uids;                 // appended since the last sync
    std::vector<ViewEntry> flag_changes;       // present messages whose flags changed
    std::uint32_t exists = 0;  // counts held-back expunged messages: the numbers the client knows
    ViewState state;
    bool mailbox_deleted = false;
};

// One session's cursor over a shared view: its own sequence-number map and last sync point.
// Not thread-safe: owned by one session. Holds the view alive.
class ViewSession {
  public:
    explicit ViewSession(std::shared_ptr<MailboxView> view);
    ~ViewSession();
    ViewSession(const ViewSession&) = delete;
    ViewSession& operator=(const ViewSession&) = delete;

    const std::shared_ptr<MailboxView>& view() const { return view_; }
    std::uint32_t exists() const { return static_cast<std::uint32_t>(uids_.size()); }
    const std::vector<Uid>& uids() const { return uids_; }  // index = seq - 1
    Uid uid_at(std::uint32_t seq) const {
        return seq >= 1 && seq <= uids_.size() ? uids_[seq - 1] : 0;
    }
    std::optional<std::uint32_t> seq_of(Uid uid) const;
    // Brings this session up to date with the shared view and says what changed. With `hold`,
    // expunged messages keep their sequence numbers (uids(), exists()) and are reported by the
    // next sync with `send`.
    ViewSync sync(ExpungeReport expunges = ExpungeReport::send);
    // Expunged messages still in the sequence map (ascending UIDs), waiting for a `send` sync.
    const std::vector<Uid>& held_expunges() const { return held_; }
    // The HIGHESTMODSEQ this session may announce (RFC 7162 §3.1.2.1): the mailbox's as of the
    // last sync that held no expunge back, so a client resynchronising from it still learns
    // of the expunges it has not been told about.
    ModSeq reportable_highestmodseq() const { return reportable_modseq_; }

    // Called with the view when the session ends (the owner keeps it for the grace period).
    void on_close(std::function<void(std::shared_ptr<MailboxView>)> fn) {
        on_close_ = std::move(fn);
    }

  private:
    std::shared_ptr<MailboxView> view_;
    std::vector<Uid> uids_;
    std::vector<Uid> held_;  // in uids_ but expunged from the view; ascending
    std::uint64_t version_ = 0;
    ModSeq reportable_modseq_ = 0;
    std::function<void(std::shared_ptr<MailboxView>)> on_close_;
};

}  // namespace postern::store
