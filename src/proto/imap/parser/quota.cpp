// QUOTA commands (RFC 9208 §4.1-§4.3, §7 formal syntax): GETQUOTA, GETQUOTAROOT, SETQUOTA.
#include "base/strings.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap::detail {

Parsed<CommandArgs> parse_getquota(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto root = r.astring("quota root");
    if (!root)
        return std::unexpected(root.error());
    return GetQuota{std::move(root->value)};
}

Parsed<CommandArgs> parse_getquotaroot(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto mailbox = r.mailbox();
    if (!mailbox)
        return std::unexpected(mailbox.error());
    return GetQuotaRoot{std::move(*mailbox)};
}

Parsed<CommandArgs> parse_setquota(Reader& r, const CommandContext&) {
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto root = r.astring("quota root");
    if (!root)
        return std::unexpected(root.error());
    SetQuota q;
    q.root = std::move(root->value);
    if (auto s = r.sp(); !s)
        return std::unexpected(s.error());
    auto s = r.list("quota limits", true, [&]() -> Step {
        auto resource = r.atom("quota resource");
        if (!resource)
            return std::unexpected(resource.error());
        if (auto sp = r.sp(); !sp)
            return sp;
        auto limit = r.number64("quota limit");
        if (!limit)
            return std::unexpected(limit.error());
        q.limits.push_back(QuotaLimit{to_upper(*resource), *limit});
        return {};
    });
    if (!s)
        return std::unexpected(s.error());
    return q;
}

}  // namespace postern::proto::imap::detail
