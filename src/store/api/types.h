// Value types of the store API: UIDs and UID sets, flags and keywords, mailbox and message
// metadata, search and sort requests (RFC 3501 §2.3, RFC 7162 CONDSTORE/QRESYNC, RFC 6154).
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace postern::store {

using Uid = std::uint32_t;
using ModSeq = std::uint64_t;
using Timestamp = std::int64_t;  // seconds since the Unix epoch, UTC

// Stands for IMAP's "*": the highest UID in the mailbox, resolved when an operation runs.
inline constexpr Uid kUidStar = 0xFFFFFFFFu;

// A set of UIDs kept as sorted, merged, inclusive ranges ("1:5,9,12:*" without the parsing).
class UidSet {
  public:
    UidSet() = default;
    static UidSet all() { return range(1, kUidStar); }
    static UidSet range(Uid lo, Uid hi);
    static UidSet of(std::initializer_list<Uid> uids);

    // Adds [lo, hi]; the ends may come in either order (IMAP "5:1" == "1:5"). 0 is ignored.
    UidSet& add(Uid uid) { return add_range(uid, uid); }
    UidSet& add_range(Uid lo, Uid hi);

    bool empty() const { return ranges_.empty(); }
    bool contains(Uid uid) const;
    // Replaces kUidStar by `max_uid` (IMAP: "*" is the largest UID in use; on an empty
    // mailbox it still matches nothing); a range whose both ends exceed max_uid stays.
    UidSet resolved(Uid max_uid) const;
    // Number of UIDs, saturating; useful to bound work.
    std::uint64_t count() const;
    const std::vector<std::pair<Uid, Uid>>& ranges() const { return ranges_; }
    std::vector<Uid> to_vector(std::uint64_t limit = 10'000'000) const;
    std::string to_string() const;  // "1:5,9", for logs and tests
    bool operator==(const UidSet&) const = default;

  private:
    std::vector<std::pair<Uid, Uid>> ranges_;
};

// System flags as bits (RFC 3501 §2.3.2). \Recent is per session and lives in the view.
enum Flag : std::uint32_t {
    kSeen = 1u << 0,
    kAnswered = 1u << 1,
    kFlagged = 1u << 2,
    kDeleted = 1u << 3,
    kDraft = 1u << 4,
};
inline constexpr std::uint32_t kAllSystemFlags = kSeen | kAnswered | kFlagged | kDeleted | kDraft;

// Flags of one message: system bits plus keywords by name (case-insensitive, as IMAP).
struct Flags {
    std::uint32_t system = 0;
    std::vector<std::string> keywords;
    bool operator==(const Flags&) const = default;
};

// Special-use attributes (RFC 6154), a bit set so a mailbox may carry several.
enum SpecialUse : std::uint32_t {
    kNoSpecialUse = 0,
    kAll = 1u << 0,
    kArchive = 1u << 1,
    kDrafts = 1u << 2,
    kFlaggedUse = 1u << 3,
    kJunk = 1u << 4,
    kSent = 1u << 5,
    kTrash = 1u << 6,
};

struct MailboxInfo {
    std::int64_t id = 0;  // stable within the account index, not across repair
    std::string name;     // UTF-8, '/' separated, "INBOX" for the inbox
    std::string guid;     // stable mailbox id for sync (survives rename)
    std::uint32_t uidvalidity = 0;
    std::uint32_t special_use = 0;
    bool subscribed = false;
    bool has_children = false;
};

// One access control entry of a mailbox (RFC 4314 §2): who (an account id of this store, or
// "anyone") and which rights (lower-case letters, in any order; the store does not read them).
struct AclEntry {
    std::string identifier;
    std::string rights;
    bool operator==(const AclEntry&) const = default;
};
// An entry together with the mailbox it belongs to (MailboxInfo::id).
struct MailboxGrant {
    std::int64_t mailbox_id = 0;
    AclEntry entry;
};

struct MailboxStatus {
    std::uint32_t messages = 0;
    std::uint32_t recent = 0;
    std::uint32_t unseen = 0;
    Uid uidnext = 1;
    std::uint32_t uidvalidity = 0;
    std::uint64_t size = 0;  // sum of raw message sizes (RFC 8438 STATUS SIZE)
    ModSeq highestmodseq = 0;
    std::uint32_t deleted = 0;  // messages with \Deleted (STATUS DELETED, RFC 9051)
};

// One part of a message in IMAP section numbering (RFC 3501 §6.4.5), as the analyzer found
// it; offsets into the raw message. [header_start, body_start) is the part's MIME header
// (BODY[s.MIME]; for "" the message header), [body_start, body_end) its body (BODY[s]).
// For "" and for message/rfc822 parts, text_start is where the enclosed message's text
// begins: BODY[s.HEADER] is [body_start, text_start) and BODY[s.TEXT] [text_start, body_end)
// (for "" the header is [0, body_start)). 0 for other parts.
struct MimePart {
    std::string section;  // "" for the whole message, "1", "1.2", ...
    std::uint64_t header_start = 0;
    std::uint64_t body_start = 0;
    std::uint64_t body_end = 0;
    std::uint64_t text_start = 0;
    bool operator==(const MimePart&) const = default;
};

// Metadata of one message as kept in the index (no body).
struct MessageMeta {
    Uid uid = 0;
    std::string guid;  // stable message id for sync; survives move within the account
    std::uint64_t size = 0;
    Timestamp internal_date = 0;
    Timestamp save_date = 0;
    Flags flags;
    ModSeq modseq = 0;
    std::string envelope;       // opaque analyzer output
    std::string bodystructure;  // opaque analyzer output
    std::uint64_t header_size = 0;
    // RFC 8474 THREADID without the "T" ("" for messages indexed before schema v5 whose
    // envelope gave no id: THREADID NIL).
    std::string thread_id;
    // Where the body is, for Mailbox::fetch_body(const MessageMeta&): the message store id and
    // the binary content hash (set by Mailbox::messages).
    std::string store_id;
    std::string body_hash;
    std::string email_id;  // RFC 8474 EMAILID: a copy keeps its original's (guid otherwise)
};

struct AppendResult {
    Uid uid = 0;
    std::uint32_t uidvalidity = 0;
    ModSeq modseq = 0;
    std::string guid;
};

struct CopiedUid {
    Uid source = 0;
    Uid dest = 0;
};
// COPYUID/MOVE data (RFC 4315 §3, RFC 6851).
struct CopyResult {
    std::uint32_t dest_uidvalidity = 0;
    std::vector<CopiedUid> uids;
};

enum class FlagOp { set, add, remove };

struct StoreFlagsResult {
    std::vector<std::pair<Uid, ModSeq>> changed;  // UIDs whose flags changed, with new MODSEQ
    std::vector<Uid> modified;  // UNCHANGEDSINCE failures (RFC 7162 §3.1.3 MODIFIED)
};

struct FlagChange {
    Uid uid = 0;
    Flags flags;
    ModSeq modseq = 0;
};
// What QRESYNC/CONDSTORE and sync clients need since a known MODSEQ.
struct ChangesSince {
    ModSeq highestmodseq = 0;
    std::vector<FlagChange> changed;  // messages (still present) with modseq > since
    // True when the expunge log still reaches back to `since`: `vanished` is then exactly
    // what was expunged after it. False when older entries were pruned (`since` <
    // vanished_floor): `vanished` is empty and `absent` must be used instead.
    bool vanished_exact = true;
    std::vector<Uid> vanished;  // expunged with modseq > since, ascending
    ModSeq vanished_floor = 0;  // expunges up to this MODSEQ are no longer remembered
    UidSet absent;              // when !vanished_exact: 1:UIDNEXT-1 minus the present UIDs
};

// One annotation (RFC 5464): a lower-case entry name ("/private/comment") and its value.
struct MetadataEntry {
    std::string name;
    std::string value;
    bool operator==(const MetadataEntry&) const = default;
};
enum class MetadataDepth { zero, one, infinity };            // GETMETADATA DEPTH
inline constexpr std::size_t kMaxMetadataValue = 16 * 1024;  // bytes of one value
inline constexpr std::size_t kMaxMetadataEntries = 256;      // entries per mailbox (or server)

struct QuotaInfo {
    std::uint64_t bytes_used = 0;
    std::uint64_t bytes_limit = 0;  // 0 = unlimited
    std::uint64_t messages_used = 0;
    std::uint64_t messages_limit = 0;  // 0 = unlimited
};

// Search program: a tree of keys, evaluated per mailbox (RFC 3501 §6.4.4, RFC 7162 MODSEQ).
// Text keys are diacritics- and case-insensitive; see docs/storage.md for substring rules.
struct SearchKey {
    enum class Kind {
        all,
        uids,          // uid_set
        flags_set,     // all of `flags.system` and `flags.keywords` present
        flags_unset,   // none of them present
        before,        // internal date < date (day granularity is the caller's job)
        since,         // internal date >= date
        sent_before,   // Date: header < date
        sent_since,    // Date: header >= date
        larger,        // size > number
        smaller,       // size < number
        modseq_since,  // modseq >= number
        from,          // text in decoded From
        to,            // text in decoded To
        cc,            // text in decoded Cc
        subject,       // text in decoded Subject
        header,        // raw header `field` contains text (empty text: field present)
        body,          // text in body (full-text index)
        text,          // text in headers or body (full-text index)
        and_,          // all children
        or_,           // any child
        not_,          // children[0] does not match
    };
    Kind kind = Kind::all;
    UidSet uid_set;
    Flags flags;
    Timestamp date = 0;
    std::uint64_t number = 0;
    std::string field;
    std::string text;
    std::vector<SearchKey> children;

    static SearchKey all_of(std::vector<SearchKey> keys) {
        SearchKey k;
        k.kind = Kind::and_;
        k.children = std::move(keys);
        return k;
    }
};

// RFC 5256 sort criteria (+ RFC 5957 DISPLAYFROM/DISPLAYTO).
enum class SortKey { arrival, cc, date, from, size, subject, to, display_from, display_to };
struct SortCriterion {
    SortKey key = SortKey::arrival;
    bool reverse = false;
};

}  // namespace postern::store
