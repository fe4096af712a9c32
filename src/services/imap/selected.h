// The selected mailbox of a session (RFC 9051 §3.3): the store mailbox, this session's cursor
// on the shared view (its own message sequence numbers), \Recent claimed at SELECT, the saved
// search result (RFC 5182), and the translation of client sequence sets into UIDs.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "proto/imap/command.h"
#include "proto/imap/rights.h"
#include "store/api/store.h"

namespace postern::services::imap {

class SelectedMailbox {
  public:
    SelectedMailbox(std::shared_ptr<store::Mailbox> mailbox,
                    std::unique_ptr<store::ViewSession> view, store::MailboxInfo info,
                    bool read_only);

    store::Mailbox& mailbox() { return *mailbox_; }
    store::ViewSession& view() { return *view_; }
    const store::MailboxInfo& info() const { return info_; }
    bool read_only() const { return read_only_; }
    void set_read_only(bool read_only) { read_only_ = read_only; }
    // Opened with EXAMINE: read-only whatever the rights.
    bool examined() const { return examined_; }
    void set_examined(bool examined) { examined_ = examined; }
    // What the user may do here (RFC 4314 §4); every right in the personal namespace.
    proto::imap::Rights rights() const { return rights_; }
    void set_rights(proto::imap::Rights rights) { rights_ = rights; }
    // Rights an ACL change may alter (another owner's mailbox, held through its ACL): the owner
    // account and the ACL generation the rights were computed at. rights_stale() once an ACL
    // of that account changed since (the session computes them again before its next command).
    void watch_acl(std::shared_ptr<store::Account> owner, std::uint64_t generation) {
        acl_owner_ = std::move(owner);
        acl_generation_ = generation;
    }
    bool rights_stale() const {
        return acl_owner_ && acl_owner_->acl_generation() != acl_generation_;
    }
    const std::shared_ptr<store::Account>& acl_owner() const { return acl_owner_; }
    std::uint32_t exists() const { return view_->exists(); }

    // The UIDs a client set names, limited to messages this session knows (ascending).
    // `uid` says whether the numbers are UIDs or sequence numbers; "*" is the last one; "$"
    // is the saved search result.
    std::vector<store::Uid> resolve(const proto::imap::SequenceSet& set, bool uid) const;
    static store::UidSet to_set(const std::vector<store::Uid>& uids);
    std::uint32_t seq_of(store::Uid uid) const;  // 0 when unknown to the session

    // \Recent for this session (RFC 3501 §2.3.2), claimed when selected and on new mail.
    bool is_recent(store::Uid uid) const { return recent_.contains(uid); }
    void add_recent(const store::UidSet& uids);
    // Only messages still in this session's view count (and the others are forgotten), so
    // RECENT never exceeds EXISTS after an expunge.
    std::uint32_t recent_count();

    // SEARCHRES (RFC 5182): the last SEARCH ... RETURN (SAVE) result.
    void save_result(std::vector<store::Uid> uids) { saved_ = std::move(uids); }

    // Flag changes this session made itself and already reported (STORE), so the next sync
    // does not repeat them: uid -> modseq.
    void note_reported(store::Uid uid, store::ModSeq modseq) { reported_[uid] = modseq; }
    bool already_reported(store::Uid uid, store::ModSeq modseq);

    // How many of the mailbox's keywords the client has been told about in FLAGS.
    std::size_t announced_keywords() const { return announced_keywords_; }
    void set_announced_keywords(std::size_t n) { announced_keywords_ = n; }

    // Keyword names for the view's keyword bits.
    std::vector<std::string> keyword_names(std::uint64_t bits) const;

  private:
    std::shared_ptr<store::Mailbox> mailbox_;
    std::unique_ptr<store::ViewSession> view_;
    store::MailboxInfo info_;
    bool read_only_;
    bool examined_ = false;
    proto::imap::Rights rights_ = proto::imap::Rights::all();
    std::shared_ptr<store::Account> acl_owner_;
    std::uint64_t acl_generation_ = 0;
    std::set<store::Uid> recent_;
    std::vector<store::Uid> saved_;
    std::map<store::Uid, store::ModSeq> reported_;
    std::size_t announced_keywords_ = 0;
};

// Keywords in use in a view's keyword table (a fixed table of bit slots; unused ones are "").
inline std::size_t keyword_count(const std::vector<std::string>& table) {
    std::size_t n = 0;
    for (const auto& k : table)
        n += k.empty() ? 0 : 1;
    return n;
}

// "\Seen", "\Answered", ... for system flag bits, then the keywords; `recent` adds \Recent.
std::vector<std::string> flag_names(std::uint32_t system, const std::vector<std::string>& keywords,
                                    bool recent);
// Marks exactly `uids` \Deleted and expunges them (MULTIAPPEND rollback, REPLACE, MOVE into
// the same mailbox). Blocking: call it on the blocking pool.
store::StoreResult<std::vector<store::Uid>> expunge_uids(store::Mailbox& mailbox,
                                                         const store::UidSet& uids);
// Client flags into store flags; false when one is not a valid flag to store (\Recent, an
// unknown \Extension).
bool parse_flags(const std::vector<std::string>& names, store::Flags& out);

}  // namespace postern::services::imap
