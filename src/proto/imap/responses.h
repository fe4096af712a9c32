// The responses an IMAP server sends (RFC 9051 §7, RFC 3501 §7 and the extensions named per
// function): status responses (tagged and untagged OK/NO/BAD, PREAUTH, BYE), continuation
// requests, and untagged data. Each append_* writes one complete response line, CRLF included,
// into a caller-owned buffer. Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proto/imap/response_codes.h"
#include "proto/imap/response_writer.h"

namespace postern::proto::imap {

// --- status responses (RFC 9051 §7.1) ---------------------------------------------------------

enum class ResponseCondition : std::uint8_t { ok, no, bad, preauth, bye };

struct StatusResponse {
    std::string tag;  // empty: untagged "*"; otherwise the command's tag as the parser read it
    ResponseCondition condition = ResponseCondition::ok;
    std::optional<ResponseCode> code;
    std::string text;  // made safe by append_text(); empty gives a fixed word (IMAP4rev1 needs one)
};

void append_status_response(std::string& out, const StatusResponse& r, const SessionMode& mode);
// "tag OK [code] text". PREAUTH and BYE are never tagged: those conditions here write "OK".
void append_tagged(std::string& out, std::string_view tag, ResponseCondition condition,
                   const std::optional<ResponseCode>& code, std::string_view text,
                   const SessionMode& mode);
// "* OK [code] text", "* NO ...", "* BYE ...", "* PREAUTH ...".
void append_untagged(std::string& out, ResponseCondition condition,
                     const std::optional<ResponseCode>& code, std::string_view text,
                     const SessionMode& mode);
// The greeting (RFC 9051 §7.1.1, §7.1.4): "* OK [CAPABILITY ...] text" or "* PREAUTH ...".
void append_greeting(std::string& out, bool preauth, const std::optional<ResponseCode>& code,
                     std::string_view text, const SessionMode& mode);
// "* BYE text" (RFC 9051 §7.1.5).
void append_bye(std::string& out, std::string_view text, const SessionMode& mode,
                const std::optional<ResponseCode>& code = std::nullopt);

// Continuation requests (RFC 9051 §7.6): "+ text" ("+ Ready" for an empty text) and "+ base64"
// (AUTHENTICATE challenges; an empty challenge is "+ ").
void append_continuation(std::string& out, std::string_view text, const SessionMode& mode);
void append_continuation_base64(std::string& out, std::string_view challenge);

// --- server and mailbox status (RFC 9051 §7.2-§7.4) -------------------------------------------

void append_capability(std::string& out, std::span<const std::string> capabilities);
void append_enabled(std::string& out, std::span<const std::string> capabilities);  // RFC 5161
void append_flags(std::string& out, std::span<const std::string> flags);
void append_exists(std::string& out, std::uint32_t count);
void append_recent(std::string& out, std::uint32_t count);  // RFC 3501 only
void append_expunge(std::string& out, std::uint32_t seq);
// "* VANISHED [(EARLIER)] uid-set" (RFC 7162 §3.2.10); nothing for an empty set.
void append_vanished(std::string& out, std::span<const NumberRange> uids, bool earlier);
void append_vanished(std::string& out, std::span<const std::uint32_t> uids, bool earlier);

// One mailbox of a LIST or LSUB reply (RFC 9051 §7.3.1, RFC 5258 §3.4-§3.5, RFC 6154). With
// LIST-STATUS (RFC 5819 §2) the STATUS of a mailbox is not a LIST item: write the LIST line,
// then append_mailbox_status() for the same mailbox.
struct ListResponse {
    std::vector<std::string> attributes;  // "\HasNoChildren", "\Subscribed", "\Sent", ...
    std::optional<char> delimiter;        // NIL for a flat name space
    std::string name;                     // UTF-8, encoded per session (append_mailbox)
    std::vector<std::string> child_info;  // CHILDINFO ("SUBSCRIBED") (RFC 5258 §4)
    // OLDNAME (RFC 5465 §5.4, RFC 9051 §7.3.1): the previous name after a rename. Encoded per
    // session like `name`.
    std::optional<std::string> old_name;
};
void append_list(std::string& out, const ListResponse& entry, const SessionMode& mode);
void append_lsub(std::string& out, const ListResponse& entry, const SessionMode& mode);

// STATUS items (RFC 9051 §7.3.2; RECENT RFC 3501; HIGHESTMODSEQ RFC 7162; APPENDLIMIT RFC 7889;
// MAILBOXID RFC 8474; SIZE RFC 8438 and RFC 9051; DELETED-STORAGE RFC 9208). Set fields are
// written in this order.
struct MailboxStatus {
    std::optional<std::uint32_t> messages;
    std::optional<std::uint32_t> recent;
    std::optional<std::uint32_t> uid_next;
    std::optional<std::uint32_t> uid_validity;
    std::optional<std::uint32_t> unseen;
    std::optional<std::uint32_t> deleted;
    std::optional<std::uint64_t> size;
    std::optional<std::uint64_t> highest_modseq;
    bool has_append_limit = false;              // APPENDLIMIT requested
    std::optional<std::uint64_t> append_limit;  // NIL when there is none
    std::optional<std::string> mailbox_id;
    std::optional<std::uint64_t> deleted_storage;
};
void append_mailbox_status(std::string& out, std::string_view mailbox, const MailboxStatus& status,
                           const SessionMode& mode);

// --- search results (RFC 9051 §7.3.4, RFC 3501 §7.2.5, RFC 4731, RFC 5256, RFC 5267) ----------

// "* SEARCH 2 3 6 (MODSEQ 917162500)" (RFC 3501 §7.2.5, RFC 7162 §3.1.5). The numbers are
// written in the order given; MODSEQ is left out when nothing matched.
void append_search(std::string& out, std::span<const std::uint32_t> numbers,
                   std::optional<std::uint64_t> modseq = std::nullopt);
// "* SORT ..." (RFC 5256 §4), same shape, in sort order.
void append_sort(std::string& out, std::span<const std::uint32_t> numbers,
                 std::optional<std::uint64_t> modseq = std::nullopt);

// ESEARCH (RFC 4731 §3.1, RFC 9051 §7.3.4), ESORT (RFC 5267 §3), PARTIAL (RFC 9394 §3),
// CONTEXT=SEARCH updates (RFC 5267 §4.3).
struct EsearchResponse {
    std::optional<std::string> tag;  // (TAG "A282")
    bool uid = false;
    std::optional<std::uint32_t> min;
    std::optional<std::uint32_t> max;
    std::vector<std::uint32_t> all;  // ALL, left out when empty
    // ESORT: ALL keeps the order of `all` (runs only where numbers ascend by one).
    bool all_in_given_order = false;
    std::optional<std::uint32_t> count;
    std::optional<std::uint64_t> modseq;
    struct PartialResult {
        std::int64_t first = 1;  // negative: counted from the end ("-1:-100")
        std::int64_t last = 1;
        std::vector<std::uint32_t> numbers;  // NIL when empty
    };
    std::optional<PartialResult> partial;
    struct ContextUpdate {
        bool add = true;  // ADDTO, else REMOVETO
        std::uint32_t position = 0;
        std::vector<std::uint32_t> numbers;
    };
    std::vector<ContextUpdate> updates;
};
void append_esearch(std::string& out, const EsearchResponse& r, const SessionMode& mode);

// THREAD (RFC 5256 §4): each root with its replies. `message` 0 is a dummy parent (a message
// that is referenced but not in the mailbox).
struct ThreadNode {
    std::uint32_t message = 0;
    std::vector<ThreadNode> children;
};
// "* THREAD (2)(3 6 (4 23)(44 7 96))". Chains are written without recursion, so deep threads
// cannot exhaust the stack; dummies with one child are skipped over.
void append_thread(std::string& out, std::span<const ThreadNode> roots);

// --- namespaces, quota, ACL, metadata, ID -----------------------------------------------------

// One namespace (RFC 2342 §5, RFC 9051 §7.3.5): a prefix (UTF-8, encoded like mailbox names),
// its delimiter and extension data ("TRANSLATION" ("..."), RFC 5255 §3.4).
struct NamespaceEntry {
    std::string prefix;
    std::optional<char> delimiter;
    std::vector<std::pair<std::string, std::vector<std::string>>> extensions;
};
// "* NAMESPACE (("" "/")) NIL NIL"; an empty class is NIL.
void append_namespace(std::string& out, std::span<const NamespaceEntry> personal,
                      std::span<const NamespaceEntry> other_users,
                      std::span<const NamespaceEntry> shared, const SessionMode& mode);

// QUOTA and QUOTAROOT (RFC 9208 §5.1-§5.2).
struct QuotaResource {
    std::string name;  // STORAGE (KiB), MESSAGE, MAILBOX, ANNOTATION-STORAGE
    std::uint64_t usage = 0;
    std::uint64_t limit = 0;
};
void append_quota(std::string& out, std::string_view root, std::span<const QuotaResource> resources,
                  const SessionMode& mode);
void append_quota_root(std::string& out, std::string_view mailbox,
                       std::span<const std::string> roots, const SessionMode& mode);

// ACL, LISTRIGHTS, MYRIGHTS (RFC 4314 §3.6-§3.8).
struct AclEntry {
    std::string identifier;
    std::string rights;
};
void append_acl(std::string& out, std::string_view mailbox, std::span<const AclEntry> entries,
                const SessionMode& mode);
void append_list_rights(std::string& out, std::string_view mailbox, std::string_view identifier,
                        std::string_view required, std::span<const std::string> optional_groups,
                        const SessionMode& mode);
void append_my_rights(std::string& out, std::string_view mailbox, std::string_view rights,
                      const SessionMode& mode);

// METADATA (RFC 5464 §4.4): values of a GETMETADATA, and the unsolicited list of changed entries
// (§4.4.2). The mailbox "" is the server. A value with NUL is sent as literal8.
struct MetadataValue {
    std::string entry;                 // "/private/comment"
    std::optional<std::string> value;  // NIL when absent
};
void append_metadata(std::string& out, std::string_view mailbox,
                     std::span<const MetadataValue> values, const SessionMode& mode);
void append_metadata_changed(std::string& out, std::string_view mailbox,
                             std::span<const std::string> entries, const SessionMode& mode);

// ID (RFC 2971 §3.2): "* ID NIL" for no fields.
struct IdField {
    std::string key;
    std::optional<std::string> value;
};
void append_id(std::string& out, std::span<const IdField> fields, const SessionMode& mode);

}  // namespace postern::proto::imap
