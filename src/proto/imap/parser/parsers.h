// Internal to the IMAP parser: one function per command family, each reading the arguments
// after the command word (the reader is just past it) and returning the typed arguments.
// Shared sub-grammars (search keys, fetch attributes, STATUS items) are declared here too.
#pragma once

#include <vector>

#include "proto/imap/command.h"
#include "proto/imap/parser/reader.h"

namespace postern::proto::imap::detail {

struct CommandContext {
    CommandName name = CommandName::unknown;
    bool uid = false;
};

using CommandParser = Parsed<CommandArgs> (*)(Reader&, const CommandContext&);

// simple.cpp: no arguments, EXPUNGE, ENABLE, COMPRESS, ID.
Parsed<CommandArgs> parse_no_arguments(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_expunge(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_enable(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_compress(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_id(Reader& r, const CommandContext& ctx);
// auth.cpp
Parsed<CommandArgs> parse_authenticate(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_login(Reader& r, const CommandContext& ctx);
// mailbox.cpp: CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, STATUS, LSUB.
Parsed<CommandArgs> parse_create(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_one_mailbox(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_rename(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_status(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_lsub(Reader& r, const CommandContext& ctx);
// select.cpp
Parsed<CommandArgs> parse_select(Reader& r, const CommandContext& ctx);
// list.cpp
Parsed<CommandArgs> parse_list(Reader& r, const CommandContext& ctx);
// append.cpp
Parsed<CommandArgs> parse_append(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_replace(Reader& r, const CommandContext& ctx);
// search.cpp
Parsed<CommandArgs> parse_search(Reader& r, const CommandContext& ctx);
// sort.cpp: SORT, THREAD.
Parsed<CommandArgs> parse_sort(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_thread(Reader& r, const CommandContext& ctx);
// fetch.cpp
Parsed<CommandArgs> parse_fetch(Reader& r, const CommandContext& ctx);
// store.cpp: STORE, COPY, MOVE.
Parsed<CommandArgs> parse_store(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_copy_move(Reader& r, const CommandContext& ctx);
// quota.cpp
Parsed<CommandArgs> parse_getquota(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_getquotaroot(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_setquota(Reader& r, const CommandContext& ctx);
// acl.cpp: SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS.
Parsed<CommandArgs> parse_acl(Reader& r, const CommandContext& ctx);
// metadata.cpp
Parsed<CommandArgs> parse_getmetadata(Reader& r, const CommandContext& ctx);
Parsed<CommandArgs> parse_setmetadata(Reader& r, const CommandContext& ctx);
// notify.cpp
Parsed<CommandArgs> parse_notify(Reader& r, const CommandContext& ctx);

// Shared sub-grammars.
// status-att (RFC 9051 §9), one item.
Parsed<StatusItem> parse_status_item(Reader& r);
// "(" status-att *(SP status-att) ")".
Parsed<std::vector<StatusItem>> parse_status_items(Reader& r);
// search-key *(SP search-key) up to the end of the command (search.cpp).
Parsed<SearchProgram> parse_search_program(Reader& r);
// [SP "RETURN" SP "(" [ret-opt *(SP ret-opt)] ")"] for SEARCH and SORT (search.cpp). The
// reader is after the command word; consumes the SP before RETURN only when RETURN follows.
Parsed<SearchReturn> parse_search_return(Reader& r, bool sort);
// One fetch-att (fetch.cpp), appended to `out` (macros are not allowed here).
Step parse_fetch_att(Reader& r, std::vector<FetchItem>& out);

}  // namespace postern::proto::imap::detail
