// acl.* commands: an admin's view of mailbox access control lists (RFC 4314, docs/imap.md
// "Access control"): list, set and delete entries of any account's mailbox, or of a domain's
// public folders, with the identifiers IMAP clients see (addresses and "anyone").
#include "admin/command.h"
#include "base/strings.h"
#include "directory/directory.h"
#include "proto/imap/rights.h"
#include "store/api/store.h"

namespace postern::admin {
namespace {

constexpr std::string_view kAnyone = "anyone";
constexpr std::string_view kPublicPrefix = "public:";

// The store key of the account holding the mailbox: an account address, or "public:DOMAIN"
// for the domain's public folders (their store account, as IMAP's "Public Folders/" uses).
Result<std::string> owner_key(Context& ctx, const std::string& owner) {
    if (owner.starts_with(kPublicPrefix)) {
        auto domain = to_lower(std::string_view(owner).substr(kPublicPrefix.size()));
        auto d = ctx.directory.get_domain(domain);
        if (!d)
            return fail(d.error());
        return "public@" + domain;
    }
    auto a = ctx.directory.get_account(owner);
    if (!a)
        return fail(a.error());
    return std::to_string(a->id);
}

// An identifier as clients write it → as the store keeps it (the account id, or "anyone").
Result<std::string> identifier_key(Context& ctx, const std::string& identifier) {
    if (identifier == kAnyone)
        return std::string(kAnyone);
    auto r = ctx.directory.resolve(identifier);
    if (!r)
        return fail(r.error());
    if (r->kind == directory::AddressKind::not_local ||
        r->kind == directory::AddressKind::unknown_user ||
        r->kind == directory::AddressKind::catch_all)
        return fail(Errc::not_found, "no account " + identifier);
    if ((r->kind != directory::AddressKind::account && r->kind != directory::AddressKind::alias) ||
        r->account_id == 0)
        return fail(Errc::invalid_argument,
                    identifier + ": an identifier is an account address or \"anyone\"");
    return std::to_string(r->account_id);
}

std::string identifier_name(Context& ctx, const std::string& key) {
    if (key == kAnyone)
        return key;
    auto id = parse_uint(key);
    if (!id)
        return key;
    auto a = ctx.directory.get_account(static_cast<std::int64_t>(*id));
    return a ? a->address : key;
}

// The mailbox an acl.* command is about: its owner's store account and its name.
struct Target {
    std::shared_ptr<store::Account> account;
    std::string mailbox;
};

Result<Target> target(Context& ctx, const json& args) {
    auto st = open_store(ctx);
    if (!st)
        return fail(st.error());
    auto owner = arg_string(args, "account");
    if (!owner)
        return fail(owner.error());
    auto mailbox = arg_string(args, "mailbox");
    if (!mailbox)
        return fail(mailbox.error());
    auto key = owner_key(ctx, *owner);
    if (!key)
        return fail(key.error());
    auto acc = (*st)->account(*key);
    if (!acc)
        return fail(store::to_error(acc.error()));
    return Target{std::move(*acc), std::move(*mailbox)};
}

// Rights as RFC 4314 §2.1 letters, each at most once, in the canonical order.
Result<std::string> canonical_rights(std::string_view rights) {
    std::string out;
    for (char c : proto::imap::kAllRights)
        if (rights.find(c) != std::string_view::npos)
            out += c;
    for (char c : rights)
        if (proto::imap::kAllRights.find(c) == std::string_view::npos)
            return fail(Errc::invalid_argument, std::string("unknown right '") + c +
                                                    "': rights are letters of \"" +
                                                    std::string(proto::imap::kAllRights) + "\"");
    return out;
}

Result<json> acl_list(Context& ctx, const json& args) {
    auto t = target(ctx, args);
    if (!t)
        return fail(t.error());
    auto entries = t->account->acl(t->mailbox);
    if (!entries)
        return fail(store::to_error(entries.error()));
    json list = json::array();
    for (auto& e : *entries)
        list.push_back({{"identifier", identifier_name(ctx, e.identifier)}, {"rights", e.rights}});
    return json{{"mailbox", t->mailbox}, {"entries", std::move(list)}};
}

Result<json> acl_write(Context& ctx, const json& args, bool remove) {
    auto t = target(ctx, args);
    if (!t)
        return fail(t.error());
    auto identifier = arg_string(args, "identifier");
    if (!identifier)
        return fail(identifier.error());
    auto id = identifier_key(ctx, *identifier);
    if (!id)
        return fail(id.error());
    std::string rights;
    if (!remove) {
        auto given = arg_string(args, "rights");
        if (!given)
            return fail(given.error());
        auto r = canonical_rights(*given);
        if (!r)
            return fail(r.error());
        rights = std::move(*r);
    }
    // The owner always has every right on their own mailboxes (IMAP refuses to change them).
    if (*id == t->account->id())
        return fail(Errc::invalid_argument, "the owner's rights on their mailboxes are fixed");
    if (auto s = t->account->set_acl(t->mailbox, *id, rights); !s)
        return fail(store::to_error(s.error()));
    return json{{"mailbox", t->mailbox}, {"identifier", *identifier}, {"rights", rights}};
}

Result<json> acl_set(Context& ctx, const json& args) {
    return acl_write(ctx, args, false);
}

Result<json> acl_delete(Context& ctx, const json& args) {
    return acl_write(ctx, args, true);
}

}  // namespace

std::vector<Command> acl_commands() {
    return {
        {"acl.list", acl_list, false},
        {"acl.set", acl_set, false},
        {"acl.delete", acl_delete, false},
    };
}

}  // namespace postern::admin
