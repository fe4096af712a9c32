// ACL commands (RFC 4314 §3.1-§3.5, §7 formal syntax): SETACL with +/- rights, DELETEACL,
// GETACL, LISTRIGHTS, MYRIGHTS.
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {
namespace {

bool valid_rights(std::string_view rights) {
    // Rights are lower-case letters and digits (RFC 4314 §2.1, §2.1.1 for the obsolete ones).
    for (char c : rights) {
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return false;
    }
    return true;
}

}  // namespace

Parsed<CommandArgs> parse_acl(Reader& r, const CommandContext& ctx) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    if (ctx.name == CommandName::getacl)
        return GetAcl{std::move(*mailbox)};
    if (ctx.name == CommandName::myrights)
        return MyRights{std::move(*mailbox)};
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto identifier = r.astring("identifier");
    if (!identifier)
        return std::unexpected(identifier.error());
    if (ctx.name == CommandName::deleteacl)
        return DeleteAcl{std::move(*mailbox), std::move(identifier->value)};
    if (ctx.name == CommandName::listrights)
        return ListRights{std::move(*mailbox), std::move(identifier->value)};
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto rights = r.astring("rights");
    if (!rights)
        return std::unexpected(rights.error());
    SetAcl acl{std::move(*mailbox), std::move(identifier->value), RightsChange::replace, {}};
    std::string_view text = rights->value;
    if (!text.empty() && (text.front() == '+' || text.front() == '-')) {
        acl.change = text.front() == '+' ? RightsChange::add : RightsChange::remove;
        text.remove_prefix(1);
    }
    if (!valid_rights(text))
        return syntax_error("Invalid rights");
    acl.rights = std::string(text);
    return acl;
}

}  // namespace postern::proto::imap::detail
