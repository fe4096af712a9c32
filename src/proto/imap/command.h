// Typed IMAP client commands (RFC 9051 §6, RFC 3501 §6 and the extensions named per struct): what
// parse_command() (parser.h) turns a framed command into. Pure data, no behaviour beyond a few
// helpers; strings hold the bytes the client sent (no charset decoding).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace postern::proto::imap {

// ---- Shared values -------------------------------------------------------------------------

// How a string argument was written (RFC 9051 §4.1-§4.3). Mailbox names keep it so the service
// can decide between modified UTF-7 and UTF-8 (RFC 9051 §5.1, RFC 6855 §3).
enum class StringForm : std::uint8_t { atom, quoted, literal, literal8 };

// A mailbox argument: the raw octets (quotes and escapes removed) and how they were written.
struct MailboxName {
    std::string raw;
    StringForm form = StringForm::atom;
    // "INBOX" in any case (RFC 9051 §5.1): the service must treat it as the inbox.
    bool is_inbox() const;
    bool operator==(const MailboxName&) const = default;
};

// "*" in a sequence set: the largest number in use. nz-number is never 0, so 0 is free for it.
inline constexpr std::uint32_t kStar = 0;

// One element of a sequence set as written: "7" is {7, 7}, "1:*" is {1, kStar}, "5:2" stays
// {5, 2} (RFC 9051 §9: the order of the two ends does not matter). Never expanded.
struct SeqRange {
    std::uint32_t first = 1;
    std::uint32_t last = 1;
    bool operator==(const SeqRange&) const = default;
};

// sequence-set (RFC 9051 §9) or "$", the saved search result (RFC 5182 §2.1). When `saved` is
// true `ranges` is empty. The parser bounds the number of ranges (ParserLimits).
struct SequenceSet {
    std::vector<SeqRange> ranges;
    bool saved = false;
    bool operator==(const SequenceSet&) const = default;
};

// date (RFC 9051 §9 "date"): d-MMM-yyyy, as used by SEARCH. Checked: month 1-12, day valid for
// the month and year.
struct Date {
    std::uint16_t year = 1970;
    std::uint8_t month = 1;  // 1-12
    std::uint8_t day = 1;    // 1-31
    bool operator==(const Date&) const = default;
};

// date-time (RFC 9051 §9): "dd-MMM-yyyy hh:mm:ss +zzzz", as used by APPEND.
struct DateTime {
    Date date;
    std::uint8_t hour = 0;
    std::uint8_t minute = 0;
    std::uint8_t second = 0;        // 0-60 (a leap second is accepted)
    std::int16_t zone_minutes = 0;  // offset east of UTC: "+0130" is 90, "-0800" is -480
    bool operator==(const DateTime&) const = default;
};

// Seconds since 1970-01-01T00:00:00Z of the instant (zone applied) / of midnight UTC.
std::int64_t to_unix_time(const DateTime& value);
std::int64_t to_unix_day(const Date& value);

// ---- Simple commands (RFC 9051 §6.1, §6.3, §6.4) ---------------------------------------------

struct Capability {
    bool operator==(const Capability&) const = default;
};
struct Noop {
    bool operator==(const Noop&) const = default;
};
struct Logout {
    bool operator==(const Logout&) const = default;
};
struct StartTls {
    bool operator==(const StartTls&) const = default;
};
struct Namespace {  // RFC 2342, RFC 9051 §6.3.10
    bool operator==(const Namespace&) const = default;
};
struct Idle {  // RFC 2177; the line that ends it is parsed by parse_idle_done()
    bool operator==(const Idle&) const = default;
};
struct Check {
    bool operator==(const Check&) const = default;
};
struct Close {
    bool operator==(const Close&) const = default;
};
struct Unselect {  // RFC 3691
    bool operator==(const Unselect&) const = default;
};
struct Unauthenticate {  // RFC 8437
    bool operator==(const Unauthenticate&) const = default;
};

// EXPUNGE, or UID EXPUNGE uid-set (RFC 4315 §2.1, RFC 9051 §6.4.9).
struct Expunge {
    std::optional<SequenceSet> uids;  // set only for UID EXPUNGE
    bool operator==(const Expunge&) const = default;
};

// AUTHENTICATE mechanism [initial-response] (RFC 9051 §6.2.2, SASL-IR RFC 4959). Later
// client lines of the exchange are parsed by parse_sasl_line().
struct Authenticate {
    std::string mechanism;                        // upper-cased
    std::optional<std::string> initial_response;  // base64 as sent; "=" means empty
    bool operator==(const Authenticate&) const = default;
};

// LOGIN userid password (RFC 9051 §6.2.3): astrings, raw octets.
struct Login {
    std::string user;
    std::string password;
    bool operator==(const Login&) const = default;
};

// ENABLE capability... (RFC 5161, RFC 9051 §6.3.1).
struct Enable {
    std::vector<std::string> capabilities;  // upper-cased, in order
    bool operator==(const Enable&) const = default;
};

// COMPRESS mechanism (RFC 4978).
struct Compress {
    std::string mechanism;  // upper-cased ("DEFLATE")
    bool operator==(const Compress&) const = default;
};

// ID ( key value ... ) / ID NIL (RFC 2971). Keys are as sent (the RFC says compare them
// case-insensitively); a NIL value is nullopt.
struct Id {
    std::optional<std::vector<std::pair<std::string, std::optional<std::string>>>> fields;
    bool operator==(const Id&) const = default;
};

// ---- Mailbox commands (RFC 9051 §6.3) ---------------------------------------------------------

// QRESYNC parameter (RFC 7162 §3.2.5): (uidvalidity modseq [known-uids [(seqs uids)]]).
struct QresyncParams {
    std::uint32_t uidvalidity = 0;
    std::uint64_t modseq = 0;
    std::optional<SequenceSet> known_uids;
    // seq-match-data: message numbers and the UIDs they map to, each list in its order.
    std::optional<std::pair<SequenceSet, SequenceSet>> seq_match;
    bool operator==(const QresyncParams&) const = default;
};

// SELECT / EXAMINE mailbox [(CONDSTORE | QRESYNC (...))] (RFC 9051 §6.3.2-3, RFC 7162).
struct Select {
    MailboxName mailbox;
    bool read_only = false;  // EXAMINE
    bool condstore = false;  // (CONDSTORE) given
    std::optional<QresyncParams> qresync;
    bool operator==(const Select&) const = default;
};

// CREATE mailbox [(USE (\Special ...))] (RFC 9051 §6.3.4, RFC 6154 §3).
struct Create {
    MailboxName mailbox;
    std::vector<std::string> special_use;  // "\Sent", "\Drafts" as sent
    bool operator==(const Create&) const = default;
};

struct Delete {
    MailboxName mailbox;
    bool operator==(const Delete&) const = default;
};
struct Rename {
    MailboxName from;
    MailboxName to;
    bool operator==(const Rename&) const = default;
};
struct Subscribe {
    MailboxName mailbox;
    bool operator==(const Subscribe&) const = default;
};
struct Unsubscribe {
    MailboxName mailbox;
    bool operator==(const Unsubscribe&) const = default;
};

// STATUS items (RFC 9051 §6.3.11; DELETED, SIZE RFC 9051; RECENT RFC 3501; HIGHESTMODSEQ
// RFC 7162; APPENDLIMIT RFC 7889; MAILBOXID RFC 8474).
enum class StatusItem : std::uint8_t {
    messages,
    uidnext,
    uidvalidity,
    unseen,
    deleted,
    size,
    recent,
    highestmodseq,
    appendlimit,
    mailboxid,
};
std::string_view status_item_name(StatusItem item);  // "UIDNEXT"

// LIST selection options (RFC 5258 §3.1, RFC 6154 §5.1), bits of List::selection.
namespace list_select {
inline constexpr std::uint8_t subscribed = 1 << 0;
inline constexpr std::uint8_t remote = 1 << 1;
inline constexpr std::uint8_t recursive_match = 1 << 2;
inline constexpr std::uint8_t special_use = 1 << 3;
}  // namespace list_select

// LIST return options (RFC 5258 §3.2, RFC 5819, RFC 6154 §5.2), bits of List::returns.
namespace list_return {
inline constexpr std::uint8_t subscribed = 1 << 0;
inline constexpr std::uint8_t children = 1 << 1;
inline constexpr std::uint8_t special_use = 1 << 2;
inline constexpr std::uint8_t status = 1 << 3;    // List::status_items says which
inline constexpr std::uint8_t myrights = 1 << 4;  // RFC 8440
}  // namespace list_return

// LIST [(selection)] reference (pattern | (pattern ...)) [RETURN (...)] (RFC 9051 §6.3.9,
// RFC 5258). Patterns are list-mailbox octets with "%" and "*" left for the service to match.
struct List {
    std::uint8_t selection = 0;  // list_select bits
    MailboxName reference;
    std::vector<MailboxName> patterns;     // at least one
    std::uint8_t returns = 0;              // list_return bits
    std::vector<StatusItem> status_items;  // RETURN (STATUS (...)), in order
    bool extended = false;  // selection options, several patterns or RETURN were used
    bool operator==(const List&) const = default;
};

// LSUB reference pattern (RFC 3501 §6.3.9).
struct Lsub {
    MailboxName reference;
    MailboxName pattern;
    bool operator==(const Lsub&) const = default;
};

// STATUS mailbox (item ...) (RFC 9051 §6.3.11).
struct Status {
    MailboxName mailbox;
    std::vector<StatusItem> items;  // at least one, in order
    bool operator==(const Status&) const = default;
};

// One message of APPEND (RFC 9051 §6.3.12, MULTIAPPEND RFC 3502, BINARY RFC 3516 §4.4,
// UTF8 RFC 6855 §4).
struct AppendMessage {
    std::vector<std::string> flags;  // flag-list as sent (system flags canonical case)
    std::optional<DateTime> internal_date;
    std::string data;        // the message octets (empty when streamed)
    std::uint64_t size = 0;  // octets announced by the literal
    bool binary = false;     // sent as literal8 "~{n}": may hold NUL and 8-bit without a CTE
    bool utf8 = false;       // "UTF8 (~{n})" (RFC 6855 §4)
    // Set when the receiver streamed this literal (ReceiverOptions::stream_message_literals):
    // its index among the command's literals; the service kept the bytes it was handed.
    std::optional<std::size_t> streamed_literal;
    bool operator==(const AppendMessage&) const = default;
};

struct Append {
    MailboxName mailbox;
    std::vector<AppendMessage> messages;  // at least one
    bool operator==(const Append&) const = default;
};

// REPLACE / UID REPLACE number mailbox message (RFC 8508 §3).
struct Replace {
    std::uint32_t number = 0;  // message sequence number, or UID with the UID prefix
    MailboxName mailbox;
    AppendMessage message;
    bool operator==(const Replace&) const = default;
};

// ---- SEARCH (RFC 9051 §6.4.4) -------------------------------------------------------------------

enum class SearchKeyKind : std::uint8_t {
    // Structure: `children` holds node indices.
    and_,  // all children match ("(" ... ")" and the top-level list)
    or_,   // exactly two children
    not_,  // exactly one child
    // No argument.
    all,
    answered,
    deleted,
    draft,
    flagged,
    new_,  // RFC 3501: RECENT UNSEEN
    old,   // RFC 3501: NOT RECENT
    recent,
    seen,
    unanswered,
    undeleted,
    undraft,
    unflagged,
    unseen,
    savedatesupported,  // RFC 8514
    // `value` is the string (astring octets; charset per Search::charset).
    bcc,
    body,
    cc,
    from,
    subject,
    text,
    to,
    header,     // `field` is the header name, `value` the string
    keyword,    // `field` is the flag keyword
    unkeyword,  // `field` is the flag keyword
    emailid,    // RFC 8474: `value` is the objectid
    threadid,   // RFC 8474: `value` is the objectid
    // `date`.
    before,
    on,
    since,
    sentbefore,
    senton,
    sentsince,
    savedbefore,  // SAVEDBEFORE (RFC 8514)
    savedon,
    savedsince,
    // `number`.
    larger,
    smaller,
    older,    // RFC 5032: seconds
    younger,  // RFC 5032: seconds
    modseq,   // RFC 7162 §3.1.5: `number` is the mod-sequence; `field`/`entry_type` optional
    // `set`.
    sequence_set,  // a bare sequence set (may be "$")
    uid,
};

// MODSEQ entry type (RFC 7162 §3.1.5).
enum class ModseqEntryType : std::uint8_t { none, priv, shared, all };

struct SearchKey {
    SearchKeyKind kind = SearchKeyKind::all;
    std::vector<std::uint32_t> children;  // and_/or_/not_: indices into SearchProgram::keys
    std::string field;
    std::string value;
    std::uint64_t number = 0;
    Date date;
    SequenceSet set;
    ModseqEntryType entry_type = ModseqEntryType::none;  // MODSEQ with an entry name
    bool operator==(const SearchKey&) const = default;
};

// The search criteria as a flat tree: keys[0] is the root (an and_ over the top-level keys);
// children always have higher indices than their parent. Flat so that copying and destroying
// never recurse; the parser bounds depth and size (ParserLimits).
struct SearchProgram {
    std::vector<SearchKey> keys;
    const SearchKey& root() const { return keys.front(); }
    bool operator==(const SearchProgram&) const = default;
};

// RETURN options of ESEARCH (RFC 4731 §3.1), SEARCHRES (RFC 5182) and ESORT (RFC 5267).
namespace search_return {
inline constexpr std::uint8_t min = 1 << 0;
inline constexpr std::uint8_t max = 1 << 1;
inline constexpr std::uint8_t all = 1 << 2;
inline constexpr std::uint8_t count = 1 << 3;
inline constexpr std::uint8_t save = 1 << 4;
}  // namespace search_return

struct SearchReturn {
    bool given = false;        // a RETURN clause was present: answer with ESEARCH (RFC 4731 §3.1)
    std::uint8_t options = 0;  // search_return bits; "RETURN ()" means ALL (RFC 4731 §3.1)
    bool operator==(const SearchReturn&) const = default;
};

// [UID] SEARCH [RETURN (...)] [CHARSET c] keys (RFC 9051 §6.4.4).
struct Search {
    SearchReturn ret;
    std::optional<std::string> charset;  // upper-cased as sent
    SearchProgram program;
    bool operator==(const Search&) const = default;
};

// ---- SORT and THREAD (RFC 5256, RFC 5267, RFC 5957) --------------------------------------------

enum class SortKey : std::uint8_t {
    arrival,
    cc,
    date,
    from,
    size,
    subject,
    to,
    display_from,  // RFC 5957
    display_to,    // RFC 5957
};

struct SortCriterion {
    SortKey key = SortKey::arrival;
    bool reverse = false;
    bool operator==(const SortCriterion&) const = default;
};

// [UID] SORT [RETURN (...)] (criteria) charset keys.
struct Sort {
    SearchReturn ret;  // ESORT (RFC 5267 §3): MIN MAX ALL COUNT (SAVE with SEARCHRES)
    std::vector<SortCriterion> criteria;  // at least one
    std::string charset;                  // upper-cased
    SearchProgram program;
    bool operator==(const Sort&) const = default;
};

// [UID] THREAD algorithm charset keys (RFC 5256 §3).
struct Thread {
    std::string algorithm;  // upper-cased: "ORDEREDSUBJECT", "REFERENCES", ...
    std::string charset;    // upper-cased
    SearchProgram program;
    bool operator==(const Thread&) const = default;
};

// ---- FETCH (RFC 9051 §6.4.5) --------------------------------------------------------------------

enum class FetchAttr : std::uint8_t {
    envelope,
    flags,
    internaldate,
    rfc822,         // RFC 3501 only: like BODY[]
    rfc822_header,  // like BODY.PEEK[HEADER]
    rfc822_size,
    rfc822_text,  // like BODY[TEXT]
    body,         // BODY without section: the non-extensible BODYSTRUCTURE
    bodystructure,
    uid,
    body_section,  // BODY[section]<partial> and BODY.PEEK[...]
    binary,        // BINARY[part]<partial> and BINARY.PEEK[...] (RFC 3516)
    binary_size,   // BINARY.SIZE[part]
    modseq,        // RFC 7162
    emailid,       // RFC 8474
    threadid,      // RFC 8474
    savedate,      // RFC 8514
    preview,       // RFC 8970
};

enum class SectionText : std::uint8_t {
    none,               // BODY[] or BODY[1.2]
    header,             // HEADER
    header_fields,      // HEADER.FIELDS (...)
    header_fields_not,  // HEADER.FIELDS.NOT (...)
    text,               // TEXT
    mime,               // MIME (only after a part number)
};

// section-spec (RFC 9051 §9): part numbers, then the text part.
struct Section {
    std::vector<std::uint32_t> part;  // "1.2.3" is {1, 2, 3}; empty for the whole message
    SectionText text = SectionText::none;
    std::vector<std::string> fields;  // HEADER.FIELDS[.NOT] names, upper-cased
    bool operator==(const Section&) const = default;
};

// "<offset.length>" (RFC 9051 §6.4.5).
struct Partial {
    std::uint32_t offset = 0;
    std::uint32_t length = 0;  // never 0
    bool operator==(const Partial&) const = default;
};

struct FetchItem {
    FetchAttr attr = FetchAttr::flags;
    bool peek = false;  // BODY.PEEK / BINARY.PEEK (and RFC822.HEADER, RFC822.SIZE...): no \Seen
    Section section;    // body_section, binary, binary_size
    std::optional<Partial> partial;  // body_section, binary
    bool lazy = false;               // PREVIEW (LAZY) (RFC 8970 §3.2)
    bool operator==(const FetchItem&) const = default;
};

enum class FetchMacro : std::uint8_t { none, all, fast, full };

// [UID] FETCH set (items) [(CHANGEDSINCE n [VANISHED])] (RFC 9051 §6.4.5, RFC 7162 §3.1.4,
// §3.2.6). A macro is expanded into `items`; `macro` says which one was used.
struct Fetch {
    SequenceSet set;
    std::vector<FetchItem> items;  // at least one; no duplicates removed
    FetchMacro macro = FetchMacro::none;
    std::optional<std::uint64_t> changed_since;
    bool vanished = false;  // only valid for UID FETCH with CHANGEDSINCE (checked by the parser)
    bool operator==(const Fetch&) const = default;
};

// ---- STORE, COPY, MOVE (RFC 9051 §6.4.6-8, RFC 6851, RFC 7162 §3.1.3) -------------------------

enum class StoreMode : std::uint8_t { replace, add, remove };  // FLAGS, +FLAGS, -FLAGS

struct Store {
    SequenceSet set;
    StoreMode mode = StoreMode::replace;
    bool silent = false;                           // .SILENT
    std::vector<std::string> flags;                // system flags canonical case, keywords as sent
    std::optional<std::uint64_t> unchanged_since;  // (UNCHANGEDSINCE n)
    bool operator==(const Store&) const = default;
};

struct Copy {
    SequenceSet set;
    MailboxName mailbox;
    bool operator==(const Copy&) const = default;
};
struct Move {
    SequenceSet set;
    MailboxName mailbox;
    bool operator==(const Move&) const = default;
};

// ---- QUOTA (RFC 9208) -------------------------------------------------------------------------

struct GetQuota {
    std::string root;  // astring octets
    bool operator==(const GetQuota&) const = default;
};
struct GetQuotaRoot {
    MailboxName mailbox;
    bool operator==(const GetQuotaRoot&) const = default;
};
struct QuotaLimit {
    std::string resource;  // upper-cased: "STORAGE", "MESSAGE", ...
    std::uint64_t limit = 0;
    bool operator==(const QuotaLimit&) const = default;
};
struct SetQuota {
    std::string root;
    std::vector<QuotaLimit> limits;  // may be empty (removes all limits)
    bool operator==(const SetQuota&) const = default;
};

// ---- ACL (RFC 4314 §3) -------------------------------------------------------------------------

enum class RightsChange : std::uint8_t { replace, add, remove };  // "rights", "+rights", "-rights"

struct SetAcl {
    MailboxName mailbox;
    std::string identifier;  // astring octets
    RightsChange change = RightsChange::replace;
    std::string rights;  // without the leading +/-
    bool operator==(const SetAcl&) const = default;
};
struct DeleteAcl {
    MailboxName mailbox;
    std::string identifier;
    bool operator==(const DeleteAcl&) const = default;
};
struct GetAcl {
    MailboxName mailbox;
    bool operator==(const GetAcl&) const = default;
};
struct ListRights {
    MailboxName mailbox;
    std::string identifier;
    bool operator==(const ListRights&) const = default;
};
struct MyRights {
    MailboxName mailbox;
    bool operator==(const MyRights&) const = default;
};

// ---- METADATA (RFC 5464 §4) --------------------------------------------------------------------

enum class MetadataDepth : std::uint8_t { zero, one, infinity };

// GETMETADATA [(MAXSIZE n DEPTH d)] mailbox (entry ...) | entry. An empty mailbox name means
// the server annotations.
struct GetMetadata {
    MailboxName mailbox;
    std::optional<std::uint32_t> max_size;
    MetadataDepth depth = MetadataDepth::zero;
    std::vector<std::string> entries;  // as sent ("/private/comment")
    bool operator==(const GetMetadata&) const = default;
};

struct MetadataEntry {
    std::string name;
    std::optional<std::string> value;  // nullopt: NIL (remove the entry)
    bool operator==(const MetadataEntry&) const = default;
};

struct SetMetadata {
    MailboxName mailbox;
    std::vector<MetadataEntry> entries;  // at least one
    bool operator==(const SetMetadata&) const = default;
};

// ---- NOTIFY (RFC 5465 §8)
// ------------------------------------------------------------------------

enum class NotifyFilter : std::uint8_t {
    selected,
    selected_delayed,
    inboxes,
    personal,
    subscribed,
    subtree,    // `mailboxes` holds the roots
    mailboxes,  // `mailboxes` holds the names
};

enum class NotifyEventKind : std::uint8_t {
    message_new,
    message_expunge,
    flag_change,
    annotation_change,
    mailbox_name,
    subscription_change,
    mailbox_metadata_change,
    server_metadata_change,
};

struct NotifyEvent {
    NotifyEventKind kind = NotifyEventKind::message_new;
    std::vector<FetchItem> fetch;  // MessageNew (fetch-att ...)
    bool operator==(const NotifyEvent&) const = default;
};

struct NotifyGroup {
    NotifyFilter filter = NotifyFilter::selected;
    std::vector<MailboxName> mailboxes;  // subtree / mailboxes
    std::vector<NotifyEvent> events;     // empty for NONE
    bool operator==(const NotifyGroup&) const = default;
};

// NOTIFY NONE | NOTIFY SET [STATUS] (group) ...
struct Notify {
    bool none = false;    // NOTIFY NONE
    bool status = false;  // SET STATUS
    std::vector<NotifyGroup> groups;
    bool operator==(const Notify&) const = default;
};

// ---- The command
// ---------------------------------------------------------------------------------

// Command names, one per keyword (EXAMINE is Select with read_only, UID is a prefix flag).
enum class CommandName : std::uint8_t {
    capability,
    noop,
    logout,
    starttls,
    authenticate,
    login,
    enable,
    select,
    examine,
    create,
    delete_,
    rename,
    subscribe,
    unsubscribe,
    list,
    lsub,
    namespace_,
    status,
    append,
    idle,
    check,
    close,
    unselect,
    expunge,
    search,
    fetch,
    store,
    copy,
    move,
    sort,
    thread,
    getquota,
    getquotaroot,
    setquota,
    setacl,
    deleteacl,
    getacl,
    listrights,
    myrights,
    getmetadata,
    setmetadata,
    notify,
    compress,
    id,
    replace,
    unauthenticate,
    unknown,
};
inline constexpr std::size_t kCommandNameCount = static_cast<std::size_t>(CommandName::unknown) + 1;

std::string_view command_keyword(CommandName name);  // "UID" is not included; "" for unknown

using CommandArgs =
    std::variant<Capability, Noop, Logout, StartTls, Authenticate, Login, Enable, Select, Create,
                 Delete, Rename, Subscribe, Unsubscribe, List, Lsub, Namespace, Status, Append,
                 Idle, Check, Close, Unselect, Expunge, Search, Fetch, Store, Copy, Move, Sort,
                 Thread, GetQuota, GetQuotaRoot, SetQuota, SetAcl, DeleteAcl, GetAcl, ListRights,
                 MyRights, GetMetadata, SetMetadata, Notify, Compress, Id, Replace, Unauthenticate>;

struct Command {
    std::string tag;  // as sent (never empty)
    CommandName name = CommandName::unknown;
    bool uid = false;  // "UID" prefix: numbers in sets are UIDs (FETCH, STORE, ...)
    CommandArgs args;
    bool operator==(const Command&) const = default;
};

// ---- Parse errors -------------------------------------------------------------------------------

enum class ParseErrorKind : std::uint8_t {
    syntax,           // reply "<tag> BAD <reason>"
    unknown_command,  // reply "<tag> BAD <reason>"; `keyword` says what was sent
    no_tag,           // the line has no valid tag: reply "* BAD <reason>"
    limit,            // a parser limit was hit (sequence set, nesting, list size): BAD too
};

struct ParseError {
    ParseErrorKind kind = ParseErrorKind::syntax;
    std::string tag;                          // empty when kind == no_tag; reply with "*" then
    CommandName name = CommandName::unknown;  // the command, when it was recognised
    std::string keyword;                      // the command word as sent (upper-cased)
    std::string reason;                       // human-readable text for the BAD reply
    bool operator==(const ParseError&) const = default;
};

}  // namespace postern::proto::imap
