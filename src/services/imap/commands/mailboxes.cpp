// CREATE with USE (RFC 9051 §6.3.4, RFC 6154 §3), DELETE (§6.3.5), RENAME with the INBOX
// rule (§6.3.6), SUBSCRIBE/UNSUBSCRIBE (§6.3.7-8), STATUS (§6.3.11, RFC 8438 SIZE, RFC 7162
// HIGHESTMODSEQ, RFC 7889 APPENDLIMIT, RFC 8474 MAILBOXID) and NAMESPACE (§6.3.10).
#include "base/strings.h"
#include "services/imap/names.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

// CREATE "Foo/" means "Foo" (RFC 9051 §6.3.4: the trailing delimiter only says that the
// client means to create children).
std::string without_trailing_delimiter(std::string name) {
    while (name.size() > 1 && name.back() == kDelimiter)
        name.pop_back();
    return name;
}

}  // namespace

wire::MailboxStatus status_data(const std::vector<wire::StatusItem>& items,
                                const store::MailboxStatus& st, const store::MailboxInfo& info,
                                std::uint64_t append_limit) {
    wire::MailboxStatus out;
    for (auto item : items) {
        switch (item) {
            case wire::StatusItem::messages:
                out.messages = st.messages;
                break;
            case wire::StatusItem::uidnext:
                out.uid_next = st.uidnext;
                break;
            case wire::StatusItem::uidvalidity:
                out.uid_validity = st.uidvalidity;
                break;
            case wire::StatusItem::unseen:
                out.unseen = st.unseen;
                break;
            case wire::StatusItem::deleted:
                out.deleted = st.deleted;
                break;
            case wire::StatusItem::size:
                out.size = st.size;
                break;
            case wire::StatusItem::recent:
                out.recent = st.recent;
                break;
            case wire::StatusItem::highestmodseq:
                out.highest_modseq = st.highestmodseq;
                break;
            case wire::StatusItem::appendlimit:
                out.has_append_limit = true;
                out.append_limit = append_limit;
                break;
            case wire::StatusItem::mailboxid:
                out.mailbox_id = info.guid;
                break;
        }
    }
    return out;
}

asio::awaitable<Session::Flow> Session::on_create(const wire::Command& c, const wire::Create& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    std::string target = without_trailing_delimiter(std::move(*name));
    std::uint32_t use = 0;
    for (const auto& attr : a.special_use) {
        auto bit = special_use_bit(attr);
        if (!bit) {
            no(c, "Unknown special-use attribute " + attr, wire::codes::use_attr());
            co_return Flow::next;
        }
        use |= *bit;
    }
    if (target == "INBOX") {
        no(c, "INBOX always exists", wire::codes::already_exists());
        co_return Flow::next;
    }
    auto acl = access();
    std::optional<store::StoreError> error;
    std::string guid;
    co_await blocking([&] {
        auto ref = acl.resolve(target);
        if (!ref) {
            error = ref.error();
            return;
        }
        const bool visible = ref->exists && ref->rights.has(wire::Right::lookup);
        if (!visible && !ref->rights.has(wire::Right::create_mailbox)) {
            // "k" on the parent (RFC 4314 §4); an invisible namesake stays a secret.
            error = store::StoreError{store::StoreErrc::denied, "no right to create " + target, {}};
            return;
        }
        auto r = ref->owner->create_mailbox(ref->name, use);
        if (!r) {
            error = r.error();
            return;
        }
        guid = r->guid;
        // Whoever creates a mailbox in someone else's tree may use it fully (docs/imap.md);
        // the owner and, in the public folders, the postmaster hold every right anyway.
        const bool implicit = ref->owner->id() == acl.user_id() ||
                              (ref->owner_address.empty() && acl.is_postmaster());
        if (!implicit)
            (void)ref->owner->set_acl(r->name, acl.user_id(),
                                      wire::format_rights(wire::Rights::all()));
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "CREATE completed", wire::codes::mailbox_id(guid));  // RFC 8474 §4.1
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_delete(const wire::Command& c, const wire::Delete& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    if (*name == "INBOX") {
        no(c, "INBOX cannot be deleted", wire::codes::cannot());
        co_return Flow::next;
    }
    auto acl = access();
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::delete_mailbox);
        if (!ref) {
            error = ref.error();
            return;
        }
        auto r = ref->owner->delete_mailbox(ref->name);
        if (!r)
            error = r.error();
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "DELETE completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_rename(const wire::Command& c, const wire::Rename& a) {
    auto from = mailbox_name(a.from);
    auto to = mailbox_name(a.to);
    if (!from || !to)
        co_return invalid_name(c);
    std::string target = without_trailing_delimiter(std::move(*to));
    if (target == "INBOX") {
        no(c, "INBOX already exists", wire::codes::already_exists());
        co_return Flow::next;
    }
    auto acl = access();
    std::optional<store::StoreError> error;
    const bool inbox = *from == "INBOX";
    co_await blocking([&] {
        auto src = acl.require(*from, wire::Right::delete_mailbox);
        if (!src) {
            error = src.error();
            return;
        }
        auto dst = acl.resolve(target);
        if (!dst) {
            error = dst.error();
            return;
        }
        if (dst->owner != src->owner) {
            error = store::StoreError{store::StoreErrc::invalid_argument,
                                      "mailboxes move only within one owner's tree",
                                      {}};
            return;
        }
        if (!dst->personal() && !dst->rights.has(wire::Right::create_mailbox)) {
            error = store::StoreError{store::StoreErrc::denied, "no right to create " + target, {}};
            return;
        }
        auto& account = *src->owner;
        if (inbox) {
            // RFC 9051 §6.3.6: renaming INBOX moves its messages to the new mailbox and leaves
            // INBOX empty; its children stay where they are.
            if (account.mailbox_info(dst->name)) {
                error = store::StoreError{store::StoreErrc::exists, target};
                return;
            }
            auto r = account.move_all_messages("INBOX", dst->name);
            if (!r)
                error = r.error();
            return;
        }
        auto r = account.rename_mailbox(src->name, dst->name);
        if (!r)
            error = r.error();
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "RENAME completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_subscribe(const wire::Command& c,
                                                     const wire::MailboxName& m, bool subscribe) {
    auto name = mailbox_name(m);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        auto ref = acl.resolve(*name);
        if (ref && !ref->personal()) {
            // Another user's mailbox: the user's own subscription list keeps its IMAP name.
            // Subscribing needs "l"; unsubscribing works whatever the rights are now.
            if (subscribe) {
                if (auto visible = acl.check(*ref, wire::Right::lookup); !visible) {
                    error = visible.error();
                    return;
                }
            }
            auto r = acl.user_account().set_subscribed_name(*name, subscribe);
            if (!r)
                error = r.error();
            return;
        }
        auto r = acl.user_account().set_subscribed(*name, subscribe);
        if (!r)
            error = r.error();
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, subscribe ? "SUBSCRIBE completed" : "UNSUBSCRIBE completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_status(const wire::Command& c, const wire::Status& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    std::optional<store::StoreError> error;
    store::MailboxStatus st;
    store::MailboxInfo info;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::read);
        if (!ref) {
            error = ref.error();
            return;
        }
        auto& account = *ref->owner;
        auto i = account.mailbox_info(ref->name);
        if (!i) {
            error = i.error();
            return;
        }
        info = std::move(*i);
        auto r = account.status(ref->name);
        if (!r)
            error = r.error();
        else
            st = *r;
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    auto out = status_data(a.items, st, info, cfg_.append_limit);
    wire::append_mailbox_status(out_, *name, out, mode_);
    co_await report_updates(true);
    ok(c, "STATUS completed");
    co_return Flow::next;
}

Session::Flow Session::on_namespace(const wire::Command& c) {
    // RFC 2342 §5: personal, other users' (shared through ACLs), shared (public folders).
    std::vector<wire::NamespaceEntry> personal{{"", kDelimiter, {}}};
    std::vector<wire::NamespaceEntry> others{
        {std::string(kOtherUsers) + kDelimiter, kDelimiter, {}}};
    std::vector<wire::NamespaceEntry> shared{
        {std::string(kPublicFolders) + kDelimiter, kDelimiter, {}}};
    wire::append_namespace(out_, personal, others, shared, mode_);
    ok(c, "NAMESPACE completed");
    return Flow::next;
}

}  // namespace postern::services::imap
