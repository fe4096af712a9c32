// IMAP search criteria (RFC 9051 §6.4.4; RFC 3501 §6.4.4 NEW/OLD/RECENT; RFC 7162 §3.1.5 MODSEQ;
// RFC 5032 OLDER/YOUNGER; RFC 8514 SAVED*; RFC 8474 EMAILID/THREADID) as a store::SearchKey. Pure:
// what the translation needs of the session and the mailbox comes in a SearchContext.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "proto/imap/command.h"
#include "store/api/types.h"

namespace postern::services::imap {

// Per-message data for keys the store's index cannot evaluate (RFC 8514, RFC 8474, and the
// SENT* keys, which RFC 9051 §6.4.4 applies to the Date: header "disregarding time and timezone":
// the calendar day as written, which the index's UTC sent date no longer tells).
struct MessageFacts {
    store::Uid uid = 0;
    store::Timestamp save_date = 0;
    std::string email_id;  // store::MessageMeta::email_id
    // The Date: header's day as written, as proto::imap::to_unix_day(); when the header is
    // missing or unreadable, the internal date's day in the server's zone (server_day_of()).
    // Filled only when needs_sent_dates().
    std::int64_t sent_day = 0;
    std::string thread_id;  // FETCH THREADID's objectid ("T" + MessageMeta::thread_id), or ""
};

struct SearchContext {
    // The session's messages, ascending UIDs (index = sequence number - 1).
    std::span<const store::Uid> view_uids;
    // The UIDs a set names in the session's view (SelectedMailbox::resolve: "*", "$").
    std::function<std::vector<store::Uid>(const proto::imap::SequenceSet&, bool uid)> resolve;
    // \Recent for this session (RFC 3501 §2.3.2).
    std::function<bool(store::Uid)> is_recent;
    store::Timestamp now = 0;
    // Midnight at the start of `date` in the server's time zone (server_day_start()).
    std::function<store::Timestamp(const proto::imap::Date&)> day_start;
    // Ascending UIDs. Read only when needs_message_facts() is true.
    std::span<const MessageFacts> facts;
};

struct SearchPlan {
    store::SearchKey key;
    bool modseq = false;  // MODSEQ was used: the answer carries the highest mod-sequence
};

// Translates the flat tree iteratively (children always follow their parent in `program.keys`).
// The store evaluates the result recursively: its depth is the parser's (ParserLimits::
// max_search_depth) plus one level for ON-style and NEW keys. The error is the text of a BAD
// (a search string that is not UTF-8, a malformed tree).
std::expected<SearchPlan, std::string> translate_search(const proto::imap::SearchProgram& program,
                                                        const SearchContext& context);

// Whether the program uses keys evaluated over MessageFacts (SAVED*, EMAILID, SENT*), and
// whether those need MessageFacts::sent_day (SENTBEFORE/SENTON/SENTSINCE).
bool needs_message_facts(const proto::imap::SearchProgram& program);
bool needs_sent_dates(const proto::imap::SearchProgram& program);
// Whether it uses MODSEQ (a CONDSTORE-enabling use, RFC 7162 §3.1).
bool uses_modseq(const proto::imap::SearchProgram& program);

// HEADER and BCC keys: the store reads each candidate message's header once per such key, so
// a search with many of them (say 5,000 under ORs) would read every body thousands of times.
// More than kMaxHeaderKeys in one command is refused with NO [LIMIT].
std::size_t header_key_count(const proto::imap::SearchProgram& program);
inline constexpr std::size_t kMaxHeaderKeys = 32;

// CHARSET (RFC 9051 §6.4.4): UTF-8 and US-ASCII, in any case.
bool supported_charset(std::string_view charset);
inline constexpr std::string_view kSupportedCharsets[] = {"UTF-8", "US-ASCII"};

// Midnight starting `date` in the process's local time zone (TZ; UTC when unset), for the
// day-granular date keys.
store::Timestamp server_day_start(const proto::imap::Date& date);
// The day of `t` in the server's time zone, as proto::imap::to_unix_day() gives it.
std::int64_t server_day_of(store::Timestamp t);
// The calendar day after `date`.
proto::imap::Date next_day(const proto::imap::Date& date);

}  // namespace postern::services::imap
