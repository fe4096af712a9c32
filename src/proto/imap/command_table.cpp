// The IMAP command table (RFC 9051 §6.1-§6.4 and the extension RFCs named per row): keyword,
// valid states and UID prefix for each command.
#include "proto/imap/command_table.h"

#include <array>

#include "base/strings.h"

namespace postern::proto::imap {
namespace {

using namespace state;
constexpr std::uint8_t kAuth = authenticated | selected;

constexpr std::array<CommandRule, kCommandNameCount> kTable = {{
    {CommandName::capability, "CAPABILITY", any, false, "RFC 9051 §6.1.1"},
    {CommandName::noop, "NOOP", any, false, "RFC 9051 §6.1.2"},
    {CommandName::logout, "LOGOUT", any, false, "RFC 9051 §6.1.3"},
    {CommandName::starttls, "STARTTLS", not_authenticated, false, "RFC 9051 §6.2.1"},
    {CommandName::authenticate, "AUTHENTICATE", not_authenticated, false, "RFC 9051 §6.2.2"},
    {CommandName::login, "LOGIN", not_authenticated, false, "RFC 9051 §6.2.3"},
    {CommandName::enable, "ENABLE", kAuth, false, "RFC 9051 §6.3.1, RFC 5161"},
    {CommandName::select, "SELECT", kAuth, false, "RFC 9051 §6.3.2"},
    {CommandName::examine, "EXAMINE", kAuth, false, "RFC 9051 §6.3.3"},
    {CommandName::create, "CREATE", kAuth, false, "RFC 9051 §6.3.4"},
    {CommandName::delete_, "DELETE", kAuth, false, "RFC 9051 §6.3.5"},
    {CommandName::rename, "RENAME", kAuth, false, "RFC 9051 §6.3.6"},
    {CommandName::subscribe, "SUBSCRIBE", kAuth, false, "RFC 9051 §6.3.7"},
    {CommandName::unsubscribe, "UNSUBSCRIBE", kAuth, false, "RFC 9051 §6.3.8"},
    {CommandName::list, "LIST", kAuth, false, "RFC 9051 §6.3.9, RFC 5258"},
    {CommandName::lsub, "LSUB", kAuth, false, "RFC 3501 §6.3.9"},
    {CommandName::namespace_, "NAMESPACE", kAuth, false, "RFC 9051 §6.3.10"},
    {CommandName::status, "STATUS", kAuth, false, "RFC 9051 §6.3.11"},
    {CommandName::append, "APPEND", kAuth, false, "RFC 9051 §6.3.12, RFC 3502"},
    {CommandName::idle, "IDLE", kAuth, false, "RFC 9051 §6.3.13"},
    {CommandName::check, "CHECK", selected, false, "RFC 3501 §6.4.1"},
    {CommandName::close, "CLOSE", selected, false, "RFC 9051 §6.4.1"},
    {CommandName::unselect, "UNSELECT", selected, false, "RFC 9051 §6.4.2"},
    {CommandName::expunge, "EXPUNGE", selected, true, "RFC 9051 §6.4.3, RFC 4315"},
    {CommandName::search, "SEARCH", selected, true, "RFC 9051 §6.4.4"},
    {CommandName::fetch, "FETCH", selected, true, "RFC 9051 §6.4.5"},
    {CommandName::store, "STORE", selected, true, "RFC 9051 §6.4.6"},
    {CommandName::copy, "COPY", selected, true, "RFC 9051 §6.4.7"},
    {CommandName::move, "MOVE", selected, true, "RFC 9051 §6.4.8, RFC 6851"},
    {CommandName::sort, "SORT", selected, true, "RFC 5256 §3"},
    {CommandName::thread, "THREAD", selected, true, "RFC 5256 §3"},
    {CommandName::getquota, "GETQUOTA", kAuth, false, "RFC 9208 §4.2"},
    {CommandName::getquotaroot, "GETQUOTAROOT", kAuth, false, "RFC 9208 §4.3"},
    {CommandName::setquota, "SETQUOTA", kAuth, false, "RFC 9208 §4.1"},
    {CommandName::setacl, "SETACL", kAuth, false, "RFC 4314 §3.1"},
    {CommandName::deleteacl, "DELETEACL", kAuth, false, "RFC 4314 §3.2"},
    {CommandName::getacl, "GETACL", kAuth, false, "RFC 4314 §3.3"},
    {CommandName::listrights, "LISTRIGHTS", kAuth, false, "RFC 4314 §3.4"},
    {CommandName::myrights, "MYRIGHTS", kAuth, false, "RFC 4314 §3.5"},
    {CommandName::getmetadata, "GETMETADATA", kAuth, false, "RFC 5464 §4.2"},
    {CommandName::setmetadata, "SETMETADATA", kAuth, false, "RFC 5464 §4.3"},
    {CommandName::notify, "NOTIFY", kAuth, false, "RFC 5465 §3"},
    {CommandName::compress, "COMPRESS", any, false, "RFC 4978 §3"},
    {CommandName::id, "ID", any, false, "RFC 2971 §3.1"},
    {CommandName::replace, "REPLACE", selected, true, "RFC 8508 §3"},
    {CommandName::unauthenticate, "UNAUTHENTICATE", kAuth, false, "RFC 8437 §3"},
    {CommandName::unknown, "", 0, false, ""},
}};

constexpr bool table_is_indexed() {
    for (std::size_t i = 0; i < kTable.size(); ++i) {
        if (static_cast<std::size_t>(kTable[i].name) != i)
            return false;
    }
    return true;
}
static_assert(table_is_indexed(), "kTable rows must follow the CommandName order");

}  // namespace

std::span<const CommandRule> command_table() {
    return kTable;
}

const CommandRule& rule_for(CommandName name) {
    return kTable[static_cast<std::size_t>(name)];
}

std::string_view command_keyword(CommandName name) {
    return rule_for(name).keyword;
}

CommandName find_command(std::string_view keyword) {
    if (keyword.empty())
        return CommandName::unknown;
    for (const auto& row : kTable) {
        if (!row.keyword.empty() && iequals(row.keyword, keyword))
            return row.name;
    }
    return CommandName::unknown;
}

}  // namespace postern::proto::imap
