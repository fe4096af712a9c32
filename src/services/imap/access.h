// Namespaces (RFC 2342) and access control (RFC 4314 §4, §6): maps an IMAP mailbox name to the
// store account that holds it and the rights the user has there, and lists every mailbox the
// user may see. Three namespaces: personal (""), other users' mailboxes shared through ACLs
// ("Other Users/<address>/<name>") and the domain's public folders ("Public Folders/<name>",
// kept in the store account "public@<domain>"; the domain's postmaster has every right there).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/imap/rights.h"
#include "store/api/store_error.h"
#include "store/api/types.h"

namespace postern::directory {
class Directory;
}
namespace postern::store {
class Account;
class Store;
}  // namespace postern::store

namespace postern::services::imap {

struct User;

inline constexpr std::string_view kOtherUsers = "Other Users";
inline constexpr std::string_view kPublicFolders = "Public Folders";
// ACL identifier every user matches (RFC 4314 §2).
inline constexpr std::string_view kAnyone = "anyone";

// The store account of a domain's public folders.
std::string public_account_id(std::string_view domain);

// A mailbox name resolved (the mailbox need not exist).
struct MailboxRef {
    std::shared_ptr<store::Account> owner;
    std::string name;           // in the owner's account
    std::string prefix;         // "" (personal), "Other Users/<address>/", "Public Folders/"
    std::string owner_address;  // the owning user; "" for public folders
    bool exists = false;
    // On the mailbox when it exists; else the rights held on its nearest existing parent (a
    // CREATE there needs "k" of them), none without one (except the owner and postmaster).
    proto::imap::Rights rights;
    // The rights come from owning the mailbox (or being the postmaster on public folders):
    // no ACL change can alter them.
    bool owner_rights = false;
    // owner->acl_generation() read before the rights were: a later value means they may be
    // stale (Access::rights_on computes them again).
    std::uint64_t acl_generation = 0;
    bool personal() const { return prefix.empty(); }
    std::string imap_name(std::string_view store_name) const {
        return prefix + std::string(store_name);
    }
};

// A listed mailbox under its IMAP name; id 0 marks a container that only holds others
// (a namespace root, another user's node, a parent the user may not see): \Noselect.
using ListedMailbox = store::MailboxInfo;
inline bool is_container(const ListedMailbox& m) {
    return m.id == 0;
}

// Leaves out of `flags` those the user may not set (RFC 4314 §4: \Seen needs "s", \Deleted
// "t", the others "w"), for APPEND.
void keep_permitted(store::Flags& flags, proto::imap::Rights rights);

// Every call blocks (store and directory): run it on the blocking pool. One per command.
class Access {
  public:
    Access(store::Store& store, directory::Directory* directory, const User& user);

    // not_found for a name in no mailbox's place (a namespace root, an unknown user).
    store::StoreResult<MailboxRef> resolve(std::string_view imap_name);
    // resolve() and require `needed` on an existing mailbox. Without it: not_found when the
    // user may not even look the mailbox up (RFC 4314 §6: never reveal that it exists), else
    // denied.
    store::StoreResult<MailboxRef> require(std::string_view imap_name, proto::imap::Right needed);
    static store::StoreStatus check(const MailboxRef& ref, proto::imap::Right needed);
    // The rights the user holds now on mailbox `mailbox_id` of `owner` through its ACL (the
    // user's entry and "anyone"), for a session that has it selected (RFC 4314 changes take
    // effect at the session's next command).
    store::StoreResult<proto::imap::Rights> rights_on(store::Account& owner,
                                                      std::int64_t mailbox_id);

    // The personal mailboxes, then the shared ones with "l", then public ones with "l", with
    // the containers above them; has_children as the user sees it.
    store::StoreResult<std::vector<ListedMailbox>> list();

    // ACL identifiers (RFC 4314 §2) are addresses or "anyone"; the store keeps account ids.
    // nullopt for an address that is no account.
    std::optional<std::string> identifier_to_id(std::string_view identifier);
    std::string id_to_identifier(const std::string& id);
    bool is_postmaster();
    const std::string& user_id() const { return user_id_; }
    store::Account& user_account() { return *personal_; }
    const std::string& user_address() const { return user_address_; }

  private:
    store::StoreResult<MailboxRef> resolve_in(MailboxRef ref, const std::vector<std::string>& ids,
                                              bool all_rights);
    store::StoreResult<std::shared_ptr<store::Account>> public_account(bool create);

    store::Store& store_;
    directory::Directory* directory_;
    std::shared_ptr<store::Account> personal_;
    std::string user_id_;
    std::string user_address_;
    std::string domain_;
    std::optional<bool> postmaster_;
};

}  // namespace postern::services::imap
