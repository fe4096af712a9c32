// IMAP ENVELOPE data (RFC 3501 §7.4.2, RFC 9051 §7.5.2) built from a message header, and
// the sort/thread keys of RFC 5256 (§2.1 base subject, §2.2 sent date, SORT FROM/TO/CC) and
// RFC 5957 (DISPLAYFROM/DISPLAYTO). Pure data and functions; no IMAP syntax here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mime/message.h"

namespace postern::mime {

// One address structure: (name adl mailbox host). Group syntax is written the RFC 3501 way:
// a start (NIL NIL "group" NIL) before the members and an end (NIL NIL NIL NIL) after them.
struct EnvelopeAddress {
    std::optional<std::string> name;  // raw display name (RFC 2047 words left encoded)
    std::optional<std::string> adl;   // obsolete source route
    std::optional<std::string> mailbox;
    std::optional<std::string> host;

    bool is_group_start() const { return !host && mailbox; }
    bool is_group_end() const { return !host && !mailbox; }
    bool operator==(const EnvelopeAddress&) const = default;
};

// Field values are raw: unfolded and trimmed, not decoded, as IMAP clients expect. Absent
// fields are nullopt (NIL). Address fields concatenate every occurrence of the field; the
// string fields use the first occurrence.
struct Envelope {
    std::optional<std::string> date;
    std::optional<std::string> subject;
    std::vector<EnvelopeAddress> from;
    std::vector<EnvelopeAddress> sender;    // From when absent or empty (RFC 3501 §7.4.2)
    std::vector<EnvelopeAddress> reply_to;  // From when absent or empty (RFC 3501 §7.4.2)
    std::vector<EnvelopeAddress> to;
    std::vector<EnvelopeAddress> cc;
    std::vector<EnvelopeAddress> bcc;
    std::optional<std::string> in_reply_to;
    std::optional<std::string> message_id;
    bool operator==(const Envelope&) const = default;
};

// `part` is a message root: 0, or the child of a message/rfc822 part. Mailboxes without a
// local part or domain get "MISSING_MAILBOX" / "MISSING_DOMAIN" (a NIL host would read as
// group syntax); comment-only entries inside groups are dropped.
Envelope build_envelope(const ParsedMessage& msg, std::uint32_t part = 0);

// Keys the store computes once at append time.
struct SortKeys {
    std::string base_subject;  // RFC 5256 §2.1, UTF-8; collation is the caller's
    bool subject_is_reply_or_forward = false;
    std::string from_mailbox;  // RFC 5256: addr-mailbox (local part) of the first From
    std::string to_mailbox;
    std::string cc_mailbox;
    std::string display_from;  // RFC 5957: decoded display name, else the addr-spec
    std::string display_to;
    // Date header in seconds since the epoch (UTC); nullopt when absent or unparseable, in
    // which case RFC 5256 §2.2 says to use the internal date.
    std::optional<std::int64_t> sent_date;
    // THREAD=REFERENCES input (RFC 5256 §2.2): ids without angle brackets.
    std::string message_id;
    std::vector<std::string> references;  // References, else In-Reply-To's first id
};

SortKeys build_sort_keys(const ParsedMessage& msg, std::uint32_t part = 0);

}  // namespace postern::mime
