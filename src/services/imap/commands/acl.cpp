// ACL commands (RFC 4314 §3): SETACL, DELETEACL, GETACL, LISTRIGHTS, MYRIGHTS, on mailboxes of
// every namespace (access.h). Identifiers are addresses or "anyone"; the owner of a personal
// mailbox always holds every right and cannot lose them.
#include <algorithm>
#include <functional>

#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

// Whether the account id `id` owns the mailbox (public folders have no owner).
bool is_owner(const MailboxRef& ref, const std::string& id) {
    return ref.owner->id() == id;
}

// What SETACL and DELETEACL share: the mailbox must grant `a`, the identifier must name an
// account other than the owner; then `next` turns the grantee's current rights (read only when
// `read_current`) into the entry to store ("" removes it). Runs on the blocking pool.
struct AclWrite {
    std::optional<store::StoreError> error;
    std::string refusal;
};

AclWrite write_acl(Access& acl, const std::string& name, std::string_view identifier,
                   std::string_view owner_refusal, bool read_current,
                   const std::function<std::string(const wire::Rights&)>& next) {
    AclWrite out;
    auto ref = acl.require(name, wire::Right::admin);
    if (!ref) {
        out.error = ref.error();
        return out;
    }
    auto id = acl.identifier_to_id(identifier);
    if (!id) {
        out.refusal = "No such user";
        return out;
    }
    if (is_owner(*ref, *id)) {
        out.refusal = std::string(owner_refusal);
        return out;
    }
    wire::Rights current;
    if (read_current) {
        auto entries = ref->owner->acl(ref->name);
        if (!entries) {
            out.error = entries.error();
            return out;
        }
        for (const auto& e : *entries)
            if (e.identifier == *id)
                if (auto r = wire::parse_rights(e.rights))
                    current = *r;
    }
    if (auto r = ref->owner->set_acl(ref->name, *id, next(current)); !r)
        out.error = r.error();
    return out;
}

}  // namespace

asio::awaitable<bool> Session::recheck_rights() {
    auto* box = selected();
    auto owner = box->acl_owner();
    const auto mailbox_id = box->mailbox().id();
    auto acl = access();
    std::optional<wire::Rights> now;
    std::uint64_t generation = 0;
    co_await blocking([&] {
        generation = owner->acl_generation();  // before the read: a later change is seen next time
        if (auto r = acl.rights_on(*owner, mailbox_id))
            now = *r;
    });
    box = selected();
    if (!box || !now)  // the store failed: the old rights stay, the next command tries again
        co_return false;
    box->set_rights(*now);
    box->watch_acl(std::move(owner), generation);
    if (!now->has(wire::Right::read)) {
        // Without "r" the mailbox cannot stay open (RFC 4314 §4: SELECT needs it); treated
        // like a mailbox deleted under the session.
        wire::append_untagged(out_, wire::ResponseCondition::ok, wire::codes::closed(),
                              "Access to the mailbox was revoked", mode_);
        leave_mailbox();
        co_return true;
    }
    // RFC 9051 §7.1: READ-ONLY / READ-WRITE also say that access changed while selected.
    const bool read_only = box->examined() || !now->any_of(wire::Rights()
                                                               .add(wire::Right::seen)
                                                               .add(wire::Right::write)
                                                               .add(wire::Right::delete_messages)
                                                               .add(wire::Right::expunge));
    if (read_only != box->read_only()) {
        box->set_read_only(read_only);
        wire::append_untagged(
            out_, wire::ResponseCondition::ok,
            read_only ? wire::codes::read_only() : wire::codes::read_write(),
            read_only ? "Access changed to read-only" : "Access changed to read-write", mode_);
        announce_flags(*box);  // PERMANENTFLAGS follow the access
    }
    co_return false;
}

asio::awaitable<Session::Flow> Session::on_setacl(const wire::Command& c, const wire::SetAcl& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto change = wire::parse_rights(a.rights);
    if (!change)
        co_return bad(c.tag, "Unknown right in \"" + a.rights + "\" (RFC 4314 §2.1)");
    if (a.identifier.starts_with('-')) {
        no(c, "Negative rights are not supported", wire::codes::cannot());
        co_return Flow::next;
    }
    auto acl = access();
    AclWrite w;
    co_await blocking([&] {
        w = write_acl(acl, *name, a.identifier, "The owner's rights cannot be changed",
                      a.change != wire::RightsChange::replace, [&](wire::Rights rights) {
                          if (a.change == wire::RightsChange::remove)
                              rights.remove(*change);
                          else
                              rights.add(*change);
                          return wire::format_rights(rights);
                      });
    });
    if (w.error) {
        store_failed(c, *w.error);
        co_return Flow::next;
    }
    if (!w.refusal.empty()) {
        no(c, w.refusal, wire::codes::cannot());
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "SETACL completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_deleteacl(const wire::Command& c,
                                                     const wire::DeleteAcl& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    AclWrite w;
    co_await blocking([&] {
        w = write_acl(acl, *name, a.identifier, "The owner's rights cannot be removed", false,
                      [](const wire::Rights&) { return std::string(); });
    });
    if (w.error) {
        store_failed(c, *w.error);
        co_return Flow::next;
    }
    if (!w.refusal.empty()) {
        no(c, w.refusal, wire::codes::cannot());
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "DELETEACL completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_getacl(const wire::Command& c, const wire::GetAcl& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    std::optional<store::StoreError> error;
    std::vector<wire::AclEntry> entries;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::admin);
        if (!ref) {
            error = ref.error();
            return;
        }
        auto stored = ref->owner->acl(ref->name);
        if (!stored) {
            error = stored.error();
            return;
        }
        // The owner's implicit rights first (RFC 4314 §2: may be shown), then the entries.
        if (!ref->owner_address.empty())
            entries.push_back({ref->owner_address, std::string(wire::kAllRights)});
        const auto first = entries.size();
        for (const auto& e : *stored) {
            auto rights = wire::parse_rights(e.rights);
            entries.push_back({acl.id_to_identifier(e.identifier),
                               rights ? wire::format_rights(*rights) : e.rights});
        }
        std::sort(entries.begin() + static_cast<std::ptrdiff_t>(first), entries.end(),
                  [](const auto& x, const auto& y) { return x.identifier < y.identifier; });
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    wire::append_acl(out_, *name, entries, mode_);
    co_await report_updates(true);
    ok(c, "GETACL completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_listrights(const wire::Command& c,
                                                      const wire::ListRights& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    std::optional<store::StoreError> error;
    bool owner = false;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::admin);
        if (!ref) {
            error = ref.error();
            return;
        }
        auto id = acl.identifier_to_id(a.identifier);
        owner = id && is_owner(*ref, *id);
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    // RFC 4314 §3.4: the owner holds everything for good; anyone else may be given each right
    // on its own (no rights are tied together here).
    std::vector<std::string> optional;
    if (!owner)
        for (char r : wire::kAllRights)
            optional.emplace_back(1, r);
    wire::append_list_rights(out_, *name, a.identifier,
                             owner ? std::string(wire::kAllRights) : std::string(), optional,
                             mode_);
    co_await report_updates(true);
    ok(c, "LISTRIGHTS completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_myrights(const wire::Command& c,
                                                    const wire::MyRights& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    std::optional<store::StoreError> error;
    wire::Rights rights;
    co_await blocking([&] {
        auto ref = acl.resolve(*name);
        if (!ref) {
            error = ref.error();
            return;
        }
        rights = ref->rights;
        // RFC 4314 §3.5: any of "l", "r", "i", "k", "x" or "a" lets the user ask.
        auto asking = wire::Rights()
                          .add(wire::Right::lookup)
                          .add(wire::Right::read)
                          .add(wire::Right::insert)
                          .add(wire::Right::create_mailbox)
                          .add(wire::Right::delete_mailbox)
                          .add(wire::Right::admin);
        if (!ref->exists || !rights.any_of(asking))
            error = store::StoreError{
                store::StoreErrc::not_found, "mailbox " + *name + " does not exist", {}};
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    wire::append_my_rights(out_, *name, wire::format_rights(rights), mode_);
    co_await report_updates(true);
    ok(c, "MYRIGHTS completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
