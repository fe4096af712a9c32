// Namespaces (RFC 2342 §5) and ACL rights (RFC 4314 §4 command rights, §6 no disclosure of
// mailboxes the user may not look up); docs/imap.md "Shared mailboxes and ACLs".
#include "services/imap/access.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>
#include <set>

#include "base/strings.h"
#include "directory/directory.h"
#include "services/imap/names.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace wire = proto::imap;
using store::store_fail;
using store::StoreErrc;

namespace {

// The part of `name` below the namespace root `root` ("" for the root itself), or nullopt
// when `name` is not in that namespace.
std::optional<std::string_view> below(std::string_view name, std::string_view root) {
    if (name == root)
        return std::string_view{};
    if (name.size() > root.size() + 1 && name.starts_with(root) && name[root.size()] == kDelimiter)
        return name.substr(root.size() + 1);
    return std::nullopt;
}

std::unexpected<store::StoreError> no_such_mailbox(std::string_view name) {
    return store_fail(StoreErrc::not_found, "mailbox " + std::string(name) + " does not exist");
}

// Every mailbox id of `grants` with the rights granted there, merged.
std::map<std::int64_t, wire::Rights> merge(const std::vector<store::MailboxGrant>& grants) {
    std::map<std::int64_t, wire::Rights> out;
    for (const auto& g : grants)
        if (auto r = wire::parse_rights(g.entry.rights))
            out[g.mailbox_id].add(*r);
    return out;
}

}  // namespace

void keep_permitted(store::Flags& flags, wire::Rights rights) {
    std::uint32_t allowed = 0;
    if (rights.has(wire::Right::seen))
        allowed |= store::kSeen;
    if (rights.has(wire::Right::delete_messages))
        allowed |= store::kDeleted;
    if (rights.has(wire::Right::write))
        allowed |= ~(store::kSeen | store::kDeleted);
    else
        flags.keywords.clear();
    flags.system &= allowed;
}

std::string public_account_id(std::string_view domain) {
    return "public@" + to_lower(domain);
}

Access::Access(store::Store& store, directory::Directory* directory, const User& user)
    : store_(store),
      directory_(directory),
      personal_(user.account),
      user_id_(user.account->id()),
      user_address_(user.address) {
    auto at = user.address.rfind('@');
    domain_ = at == std::string::npos ? std::string() : to_lower(user.address.substr(at + 1));
}

std::optional<std::string> Access::identifier_to_id(std::string_view identifier) {
    if (identifier == kAnyone)
        return std::string(kAnyone);
    if (!directory_ || identifier.find('@') == std::string_view::npos)
        return std::nullopt;
    auto r = directory_->resolve(identifier);
    if (!r ||
        (r->kind != directory::AddressKind::account && r->kind != directory::AddressKind::alias) ||
        r->account_id == 0)
        return std::nullopt;
    return std::to_string(r->account_id);
}

std::string Access::id_to_identifier(const std::string& id) {
    if (id == kAnyone || !directory_)
        return id;
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
    if (ec != std::errc{} || end != id.data() + id.size())
        return id;
    auto a = directory_->get_account(n);
    return a ? a->address : id;
}

bool Access::is_postmaster() {
    if (!postmaster_) {
        postmaster_ = false;
        if (directory_ && !domain_.empty())
            if (auto r = directory_->resolve("postmaster@" + domain_))
                postmaster_ = r->account_id != 0 && std::to_string(r->account_id) == user_id_;
    }
    return *postmaster_;
}

store::StoreResult<std::shared_ptr<store::Account>> Access::public_account(bool create) {
    if (domain_.empty())
        return store_fail(StoreErrc::not_found, "no domain");
    const auto id = public_account_id(domain_);
    std::error_code ec;
    if (!create && !std::filesystem::exists(store_.index_path(id), ec))
        return store_fail(StoreErrc::not_found, "no public folders");
    return store_.account(id);
}

store::StoreResult<MailboxRef> Access::resolve_in(MailboxRef ref,
                                                  const std::vector<std::string>& ids,
                                                  bool all_rights) {
    // open_mailbox is one indexed lookup (mailbox_info would list the whole tree): this runs
    // before every APPEND, SELECT and STATUS.
    ref.acl_generation = ref.owner->acl_generation();
    auto box = ref.owner->open_mailbox(ref.name);
    if (!box && box.error().code != StoreErrc::not_found)
        return store_fail(box.error());
    ref.exists = box.has_value();
    if (all_rights) {
        ref.rights = wire::Rights::all();
        ref.owner_rights = true;
        return ref;
    }
    auto grants = ref.owner->grants_to(ids);
    if (!grants)
        return store_fail(grants.error());
    const auto rights = merge(*grants);
    auto of = [&](std::int64_t mailbox_id) {
        auto it = rights.find(mailbox_id);
        return it == rights.end() ? wire::Rights() : it->second;
    };
    if (box) {
        ref.rights = of((*box)->id());
        return ref;
    }
    // What the user holds on the nearest parent decides whether CREATE may make it.
    std::string parent = ref.name;
    for (auto pos = parent.rfind(kDelimiter); pos != std::string::npos;
         pos = parent.rfind(kDelimiter)) {
        parent.resize(pos);
        if (auto p = ref.owner->open_mailbox(parent)) {
            ref.rights = of((*p)->id());
            break;
        }
    }
    return ref;
}

store::StoreResult<MailboxRef> Access::resolve(std::string_view imap_name) {
    const std::vector<std::string> ids{user_id_, std::string(kAnyone)};
    MailboxRef ref;
    if (auto rest = below(imap_name, kOtherUsers)) {
        auto slash = rest->find(kDelimiter);
        if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest->size())
            return no_such_mailbox(imap_name);
        auto owner_id = identifier_to_id(rest->substr(0, slash));
        if (!owner_id || *owner_id == kAnyone)
            return no_such_mailbox(imap_name);
        auto owner = store_.account(*owner_id);
        if (!owner)
            return store_fail(owner.error());
        ref.owner = std::move(*owner);
        ref.owner_address = id_to_identifier(*owner_id);
        ref.prefix = std::string(kOtherUsers) + kDelimiter + ref.owner_address + kDelimiter;
        ref.name = std::string(rest->substr(slash + 1));
        return resolve_in(std::move(ref), ids, *owner_id == user_id_);
    }
    if (auto rest = below(imap_name, kPublicFolders)) {
        if (rest->empty())
            return no_such_mailbox(imap_name);
        const bool postmaster = is_postmaster();
        auto owner = public_account(postmaster);
        if (!owner)
            return store_fail(owner.error());
        ref.owner = std::move(*owner);
        ref.prefix = std::string(kPublicFolders) + kDelimiter;
        ref.name = std::string(*rest);
        // The public account's INBOX is an artefact of account creation: never shown.
        if (iequals(ref.name, "INBOX"))
            return no_such_mailbox(imap_name);
        return resolve_in(std::move(ref), ids, postmaster);
    }
    ref.owner = personal_;
    ref.owner_address = user_address_;
    ref.name = std::string(imap_name);
    return resolve_in(std::move(ref), ids, true);
}

store::StoreResult<wire::Rights> Access::rights_on(store::Account& owner, std::int64_t mailbox_id) {
    auto grants = owner.grants_to({user_id_, std::string(kAnyone)});
    if (!grants)
        return store_fail(grants.error());
    const auto rights = merge(*grants);
    auto it = rights.find(mailbox_id);
    return it == rights.end() ? wire::Rights() : it->second;
}

store::StoreStatus Access::check(const MailboxRef& ref, wire::Right needed) {
    if (!ref.exists)
        return no_such_mailbox(ref.imap_name(ref.name));
    if (ref.rights.has(needed))
        return {};
    if (!ref.rights.has(wire::Right::lookup))
        return no_such_mailbox(ref.imap_name(ref.name));
    return store_fail(StoreErrc::denied, "no right '" +
                                             wire::format_rights(wire::Rights().add(needed)) +
                                             "' on " + ref.imap_name(ref.name));
}

store::StoreResult<MailboxRef> Access::require(std::string_view imap_name, wire::Right needed) {
    auto ref = resolve(imap_name);
    if (!ref)
        return ref;
    if (auto allowed = check(*ref, needed); !allowed)
        return store_fail(allowed.error());
    return ref;
}

store::StoreResult<std::vector<ListedMailbox>> Access::list() {
    auto listed = personal_->list_mailboxes();
    if (!listed)
        return listed;
    auto& out = *listed;
    const std::vector<std::string> ids{user_id_, std::string(kAnyone)};
    std::vector<ListedMailbox> shared;
    // The mailboxes of `owner` the user may look up, under `prefix`.
    auto add_visible = [&](store::Account& owner, const std::string& prefix,
                           bool everything) -> store::StoreStatus {
        std::map<std::int64_t, wire::Rights> rights;
        if (!everything) {
            auto grants = owner.grants_to(ids);
            if (!grants)
                return store_fail(grants.error());
            rights = merge(*grants);
        }
        auto all = owner.list_mailboxes();
        if (!all)
            return store_fail(all.error());
        for (auto& m : *all) {
            auto it = rights.find(m.id);
            if (!everything && (it == rights.end() || !it->second.has(wire::Right::lookup)))
                continue;
            m.name = prefix + m.name;
            m.subscribed = false;  // subscriptions are the owner's
            shared.push_back(std::move(m));
        }
        return {};
    };
    auto owners = store_.accounts_sharing_with(ids);
    if (!owners)
        return store_fail(owners.error());
    for (const auto& owner_id : *owners) {
        if (owner_id == user_id_ || owner_id.starts_with("public@"))
            continue;
        auto owner = store_.account(owner_id);
        if (!owner)
            continue;  // an owner gone meanwhile shares nothing
        const auto address = id_to_identifier(owner_id);
        auto added = add_visible(
            **owner, std::string(kOtherUsers) + kDelimiter + address + kDelimiter, false);
        if (!added)
            return store_fail(added.error());
    }
    if (auto pub = public_account(false)) {
        const auto before = shared.size();
        auto added = add_visible(**pub, std::string(kPublicFolders) + kDelimiter, is_postmaster());
        if (!added)
            return store_fail(added.error());
        const std::string inbox = std::string(kPublicFolders) + kDelimiter + "INBOX";
        auto hidden =
            std::remove_if(shared.begin() + static_cast<std::ptrdiff_t>(before), shared.end(),
                           [&](const ListedMailbox& m) { return m.name == inbox; });
        shared.erase(hidden, shared.end());
    }
    if (shared.empty())
        return listed;
    // Containers for every parent the user cannot see, then has_children as the user sees it.
    std::set<std::string> names;
    for (const auto& m : shared)
        names.insert(m.name);
    std::vector<std::string> parents;
    for (const auto& m : shared)
        for (auto pos = m.name.find(kDelimiter); pos != std::string::npos;
             pos = m.name.find(kDelimiter, pos + 1))
            if (auto parent = m.name.substr(0, pos); names.insert(parent).second)
                parents.push_back(std::move(parent));
    for (auto& p : parents) {
        ListedMailbox c;
        c.name = std::move(p);
        shared.push_back(std::move(c));
    }
    std::sort(shared.begin(), shared.end(),
              [](const ListedMailbox& a, const ListedMailbox& b) { return a.name < b.name; });
    for (auto& m : shared) {
        const std::string prefix = m.name + kDelimiter;
        auto it = names.lower_bound(prefix);
        m.has_children = it != names.end() && it->starts_with(prefix);
    }
    for (auto& m : shared)
        out.push_back(std::move(m));
    return listed;
}

}  // namespace postern::services::imap
