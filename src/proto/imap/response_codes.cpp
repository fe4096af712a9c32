// resp-text-code values (RFC 9051 §7.1 and §9; RFC 3501 §7.1; RFC 4315 §3 UIDPLUS; RFC 7162
// CONDSTORE/QRESYNC; RFC 5464 METADATA; RFC 8474 OBJECTID; RFC 5465 NOTIFY; RFC 5267 CONTEXT).
#include "proto/imap/response_codes.h"

#include <algorithm>
#include <vector>

namespace postern::proto::imap::codes {
namespace {

ResponseCode atom(std::string_view a) {
    return ResponseCode{std::string(a)};
}

ResponseCode with_number(std::string_view a, std::uint64_t n) {
    ResponseCode c{std::string(a)};
    c.text += ' ';
    append_number(c.text, n);
    return c;
}

// Codes travel on one line: quoted, 7-bit, no controls.
void append_code_string(std::string& out, std::string_view s) {
    append_quoted_only(out, s, SessionMode{});
}

void append_atom_or_quoted(std::string& out, std::string_view s) {
    if (is_atom(s))
        out += s;
    else
        append_code_string(out, s);
}

// 1*<TEXT-CHAR except "]">, 7-bit.
void append_code_text(std::string& out, std::string_view s) {
    for (char ch : s) {
        auto c = static_cast<unsigned char>(ch);
        if (c >= 0x80)
            out += '?';
        else if (c < 0x20 || c == 0x7F || c == ']')
            out += ' ';
        else
            out += ch;
    }
}

// Both sides in the order of the source UIDs, so the n-th source UID maps to the n-th
// destination UID; each side has runs only where it ascends by one.
void append_pair_sets(std::string& out, std::vector<UidPair> pairs) {
    std::stable_sort(pairs.begin(), pairs.end(),
                     [](const UidPair& a, const UidPair& b) { return a.source < b.source; });
    // A source copied twice keeps its first mapping.
    pairs.erase(
        std::unique(pairs.begin(), pairs.end(),
                    [](const UidPair& a, const UidPair& b) { return a.source == b.source; }),
        pairs.end());
    std::vector<std::uint32_t> side;
    side.reserve(pairs.size());
    for (const auto& p : pairs)
        side.push_back(p.source);
    append_ordered_number_set(out, side);
    out += ' ';
    side.clear();
    for (const auto& p : pairs)
        side.push_back(p.dest);
    append_ordered_number_set(out, side);
}

}  // namespace

ResponseCode alert() {
    return atom("ALERT");
}
ResponseCode already_exists() {
    return atom("ALREADYEXISTS");
}
ResponseCode append_uid(std::uint32_t uidvalidity, std::span<const std::uint32_t> uids) {
    ResponseCode c = with_number("APPENDUID", uidvalidity);
    c.text += ' ';
    append_number_set(c.text, uids);
    return c;
}
ResponseCode authentication_failed() {
    return atom("AUTHENTICATIONFAILED");
}
ResponseCode authorization_failed() {
    return atom("AUTHORIZATIONFAILED");
}
ResponseCode bad_charset(std::span<const std::string> supported) {
    ResponseCode c = atom("BADCHARSET");
    if (supported.empty())
        return c;
    c.text += " (";
    for (std::size_t i = 0; i < supported.size(); ++i) {
        if (i)
            c.text += ' ';
        append_atom_or_quoted(c.text, supported[i]);
    }
    c.text += ')';
    return c;
}
ResponseCode cannot() {
    return atom("CANNOT");
}
ResponseCode capability(std::span<const std::string> capabilities) {
    ResponseCode c = atom("CAPABILITY");
    for (const auto& cap : capabilities) {
        if (!is_atom(cap))
            continue;
        c.text += ' ';
        c.text += cap;
    }
    return c;
}
ResponseCode client_bug() {
    return atom("CLIENTBUG");
}
ResponseCode closed() {
    return atom("CLOSED");
}
ResponseCode contact_admin() {
    return atom("CONTACTADMIN");
}
ResponseCode copy_uid(std::uint32_t uidvalidity, std::span<const UidPair> pairs) {
    ResponseCode c = with_number("COPYUID", uidvalidity);
    c.text += ' ';
    append_pair_sets(c.text, std::vector<UidPair>(pairs.begin(), pairs.end()));
    return c;
}
ResponseCode corruption() {
    return atom("CORRUPTION");
}
ResponseCode expired() {
    return atom("EXPIRED");
}
ResponseCode expunge_issued() {
    return atom("EXPUNGEISSUED");
}
ResponseCode has_children() {
    return atom("HASCHILDREN");
}
ResponseCode in_use() {
    return atom("INUSE");
}
ResponseCode limit() {
    return atom("LIMIT");
}
ResponseCode nonexistent() {
    return atom("NONEXISTENT");
}
ResponseCode no_perm() {
    return atom("NOPERM");
}
ResponseCode over_quota() {
    return atom("OVERQUOTA");
}
ResponseCode parse() {
    return atom("PARSE");
}
ResponseCode permanent_flags(std::span<const std::string> flags, bool new_keywords) {
    std::vector<std::string> all(flags.begin(), flags.end());
    if (new_keywords)
        all.emplace_back("\\*");
    ResponseCode c = atom("PERMANENTFLAGS ");
    append_flag_list(c.text, all, true);
    return c;
}
ResponseCode privacy_required() {
    return atom("PRIVACYREQUIRED");
}
ResponseCode read_only() {
    return atom("READ-ONLY");
}
ResponseCode read_write() {
    return atom("READ-WRITE");
}
ResponseCode server_bug() {
    return atom("SERVERBUG");
}
ResponseCode try_create() {
    return atom("TRYCREATE");
}
ResponseCode uid_next(std::uint32_t uid) {
    return with_number("UIDNEXT", uid);
}
ResponseCode uid_not_sticky() {
    return atom("UIDNOTSTICKY");
}
ResponseCode uid_validity(std::uint32_t uidvalidity) {
    return with_number("UIDVALIDITY", uidvalidity);
}
ResponseCode unavailable() {
    return atom("UNAVAILABLE");
}
ResponseCode unknown_cte() {
    return atom("UNKNOWN-CTE");
}

ResponseCode unseen(std::uint32_t seq) {
    return with_number("UNSEEN", seq);
}
ResponseCode highest_modseq(std::uint64_t modseq) {
    return with_number("HIGHESTMODSEQ", modseq);
}
ResponseCode no_modseq() {
    return atom("NOMODSEQ");
}
ResponseCode modified(std::span<const std::uint32_t> numbers) {
    ResponseCode c = atom("MODIFIED ");
    append_number_set(c.text, numbers);
    return c;
}
ResponseCode use_attr() {
    return atom("USEATTR");
}
ResponseCode compression_active() {
    return atom("COMPRESSIONACTIVE");
}
ResponseCode too_big() {
    return atom("TOOBIG");
}
ResponseCode not_saved() {
    return atom("NOTSAVED");
}
ResponseCode metadata_long_entries(std::uint64_t size) {
    return with_number("METADATA LONGENTRIES", size);
}
ResponseCode metadata_max_size(std::uint64_t size) {
    return with_number("METADATA MAXSIZE", size);
}
ResponseCode metadata_too_many() {
    return atom("METADATA TOOMANY");
}
ResponseCode metadata_no_private() {
    return atom("METADATA NOPRIVATE");
}
ResponseCode mailbox_id(std::string_view objectid) {
    ResponseCode c = atom("MAILBOXID (");
    append_code_text(c.text, objectid);
    c.text += ')';
    return c;
}
ResponseCode no_update(std::string_view tag) {
    ResponseCode c = atom("NOUPDATE ");
    append_code_string(c.text, tag);
    return c;
}
ResponseCode notification_overflow() {
    return atom("NOTIFICATIONOVERFLOW");
}
ResponseCode bad_event(std::span<const std::string> supported_events) {
    ResponseCode c = atom("BADEVENT ");
    append_atom_list(c.text, supported_events);
    return c;
}
ResponseCode bad_comparator() {
    return atom("BADCOMPARATOR");
}
ResponseCode bad_url(std::string_view url) {
    ResponseCode c = atom("BADURL ");
    append_code_text(c.text, url);
    return c;
}
ResponseCode url_mech_internal() {
    return atom("URLMECH INTERNAL");
}
ResponseCode referral(std::string_view imap_url) {
    ResponseCode c = atom("REFERRAL ");
    append_code_text(c.text, imap_url);
    return c;
}

ResponseCode other(std::string_view name, std::string_view text) {
    if (!is_atom(name))
        return ResponseCode{};
    ResponseCode c = atom(name);
    if (!text.empty()) {
        c.text += ' ';
        append_code_text(c.text, text);
    }
    return c;
}

}  // namespace postern::proto::imap::codes
