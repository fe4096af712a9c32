// Response codes, the bracketed part of resp-text (RFC 9051 §7.1, RFC 3501 §7.1) and those of
// the extensions named per function. Each is rendered once into its wire text, so the one
// function that maps store errors to IMAP (ARCHITECTURE.md "Errors") returns plain values.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "proto/imap/response_writer.h"

namespace postern::proto::imap {

struct ResponseCode {
    std::string text;  // between "[" and "]", e.g. "UIDNEXT 4392"
    bool operator==(const ResponseCode&) const = default;
};

// One source UID and the UID its copy got (COPYUID, RFC 4315 §3).
struct UidPair {
    std::uint32_t source = 0;
    std::uint32_t dest = 0;
    bool operator==(const UidPair&) const = default;
};

namespace codes {

// --- RFC 9051 §7.1 ----------------------------------------------------------------------------
ResponseCode alert();
ResponseCode already_exists();
// APPENDUID uidvalidity uid (RFC 4315 §3); several UIDs (MULTIAPPEND) are a uid-set.
ResponseCode append_uid(std::uint32_t uidvalidity, std::span<const std::uint32_t> uids);
ResponseCode authentication_failed();
ResponseCode authorization_failed();
ResponseCode bad_charset(std::span<const std::string> supported = {});  // BADCHARSET [(...)]
ResponseCode cannot();
ResponseCode capability(std::span<const std::string> capabilities);
ResponseCode client_bug();
ResponseCode closed();  // also RFC 7162 (QRESYNC)
ResponseCode contact_admin();
// COPYUID uidvalidity source-set dest-set (RFC 4315 §3). Both sets follow the pairs ordered by
// source UID, each with runs "a:b" only where it ascends by one, so the n-th source UID maps to
// the n-th destination UID whatever order the store assigned ("304,319:320 3956:3958").
ResponseCode copy_uid(std::uint32_t uidvalidity, std::span<const UidPair> pairs);
ResponseCode corruption();
ResponseCode expired();
ResponseCode expunge_issued();
ResponseCode has_children();
ResponseCode in_use();
ResponseCode limit();
ResponseCode nonexistent();
ResponseCode no_perm();
ResponseCode over_quota();
ResponseCode parse();
// PERMANENTFLAGS (flags [\*]); `new_keywords` adds "\*" (clients may create keywords).
ResponseCode permanent_flags(std::span<const std::string> flags, bool new_keywords);
ResponseCode privacy_required();
ResponseCode read_only();
ResponseCode read_write();
ResponseCode server_bug();
ResponseCode try_create();
ResponseCode uid_next(std::uint32_t uid);
ResponseCode uid_not_sticky();
ResponseCode uid_validity(std::uint32_t uidvalidity);
ResponseCode unavailable();
ResponseCode unknown_cte();  // RFC 3516 (BINARY)

// --- IMAP4rev1 and extensions -----------------------------------------------------------------
ResponseCode unseen(std::uint32_t seq);                         // RFC 3501 (not in IMAP4rev2)
ResponseCode highest_modseq(std::uint64_t modseq);              // RFC 7162
ResponseCode no_modseq();                                       // RFC 7162
ResponseCode modified(std::span<const std::uint32_t> numbers);  // RFC 7162 (a set)
ResponseCode use_attr();                                        // RFC 6154
ResponseCode compression_active();                              // RFC 4978
ResponseCode too_big();                                         // RFC 4469, RFC 7889
ResponseCode not_saved();                                       // RFC 5182
ResponseCode metadata_long_entries(std::uint64_t size);         // RFC 5464
ResponseCode metadata_max_size(std::uint64_t size);             // RFC 5464
ResponseCode metadata_too_many();                               // RFC 5464
ResponseCode metadata_no_private();                             // RFC 5464
ResponseCode mailbox_id(std::string_view objectid);             // RFC 8474
ResponseCode no_update(std::string_view tag);                   // RFC 5267 (CONTEXT)
ResponseCode notification_overflow();                           // RFC 5465
ResponseCode bad_event(std::span<const std::string> supported_events);  // RFC 5465
ResponseCode bad_comparator();                                          // RFC 5255
ResponseCode bad_url(std::string_view url);                             // RFC 4469 (CATENATE)
ResponseCode url_mech_internal();                  // RFC 4467 "URLMECH INTERNAL"
ResponseCode referral(std::string_view imap_url);  // RFC 2221

// Any other code: an atom, then text (a "]", controls and 8-bit bytes in it become spaces or
// '?'). An invalid atom gives an empty code, which writes as no code at all.
ResponseCode other(std::string_view atom, std::string_view text = {});

}  // namespace codes
}  // namespace postern::proto::imap
