// SEARCH and SORT over one mailbox of an account index (RFC 3501 §6.4.4, RFC 5256, RFC 7162
// MODSEQ), with full-text keys answered by the FTS5 table.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "store/api/types.h"
#include "store/engine/account_index.h"

namespace postern::store::engine {

// Loads the raw header of a message, for HEADER keys the index cannot answer.
using HeaderLoader = std::function<StoreResult<std::string>(const MessageRow&)>;

// Returns matching UIDs in ascending order.
StoreResult<std::vector<Uid>> index_search(Db& db, const MailboxRow& mb, const SearchKey& key,
                                           const HeaderLoader& load_header);

// Orders `uids` (all of them must be in the mailbox; others are dropped) by `criteria`, ties
// broken by UID (RFC 5256 §3: by sequence number, which follows UID order).
StoreResult<std::vector<Uid>> index_sort(Db& db, std::int64_t mailbox_id,
                                         const std::vector<SortCriterion>& criteria,
                                         const std::vector<Uid>& uids);

// The FTS5 MATCH expression for IMAP text `text` in `column` (empty: every column);
// empty result when the text has no word characters (then every message matches).
std::string fts_query(std::string_view column, std::string_view text);

// The MATCH expression SEARCH TEXT/BODY use: like fts_query, but the first word also matches
// inside longer words (found through the vocabulary fts_terms), so IMAP's substring rule holds
// for a single word. A substring found in more than 500 distinct words matches as a prefix
// only.
StoreResult<std::string> fts_substring_query(Db& db, std::string_view text);

}  // namespace postern::store::engine
