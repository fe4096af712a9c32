// LIST with LIST-EXTENDED selection and return options (RFC 9051 §6.3.9, RFC 5258), CHILDREN
// (RFC 3348), SPECIAL-USE (RFC 6154), LIST-STATUS (RFC 5819) and LSUB (RFC 3501 §6.3.9).
#include <map>
#include <set>

#include "services/imap/names.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

asio::awaitable<Session::Flow> Session::on_list(const wire::Command& c, const wire::List& a) {
    auto reference = mailbox_name(a.reference);
    if (!reference) {
        // A reference or pattern that is no valid name matches nothing (as Dovecot answers).
        ok(c, "LIST completed");
        co_return Flow::next;
    }
    std::vector<std::string> patterns;
    for (const auto& p : a.patterns) {
        auto decoded = mailbox_name(p);
        if (!decoded)
            continue;  // matches nothing
        patterns.push_back(join_reference(a.reference.raw.empty() ? "" : *reference, *decoded));
    }
    // LIST "" "": the delimiter and the root (RFC 9051 §6.3.9).
    if (!a.extended && patterns.size() == 1 && a.patterns.front().raw.empty()) {
        wire::ListResponse root{{"\\Noselect"}, kDelimiter, "", {}, std::nullopt};
        wire::append_list(out_, root, mode_);
        ok(c, "LIST completed");
        co_return Flow::next;
    }
    // Every namespace the user may see (access.h): names here are IMAP names.
    auto acl = access();
    std::vector<ListedMailbox> all;
    std::vector<std::string> subscriptions;  // personal names, also of deleted mailboxes
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        auto r = acl.list();
        auto s = acl.user_account().subscriptions();
        if (!r)
            error = r.error();
        else if (!s)
            error = s.error();
        else {
            all = std::move(*r);
            subscriptions = std::move(*s);
        }
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    const bool sel_subscribed = a.selection & wire::list_select::subscribed;
    const bool sel_special = a.selection & wire::list_select::special_use;
    const bool recursive = a.selection & wire::list_select::recursive_match;
    const bool ret_subscribed = sel_subscribed || (a.returns & wire::list_return::subscribed);
    const bool ret_status = a.returns & wire::list_return::status;
    // Children attributes come with every plain LIST (RFC 9051 §7.3.1 lets a server send
    // them); a SUBSCRIBED listing has them only when RETURN (CHILDREN) asks, as in Dovecot.
    const bool ret_children = !sel_subscribed || (a.returns & wire::list_return::children);
    auto matches = [&](const std::string& name) {
        for (const auto& p : patterns)
            if (list_match(p, name))
                return true;
        return false;
    };
    const std::set<std::string> subscribed(subscriptions.begin(), subscriptions.end());
    // RECURSIVEMATCH (RFC 5258 §3.5): a parent is listed with CHILDINFO when a descendant
    // meets the selection but is not listed itself (no pattern matches it).
    auto has_unlisted_subscribed_child = [&](const std::string& parent) {
        std::string prefix = parent + kDelimiter;
        for (const auto& name : subscriptions)
            if (name.starts_with(prefix) && !matches(name))
                return true;
        return false;
    };
    // Candidates in name order: the mailboxes and, with SUBSCRIBED, the subscriptions whose
    // mailbox is gone (and with RECURSIVEMATCH their parents): \NonExistent (RFC 5258 §3).
    std::map<std::string, const store::MailboxInfo*> candidates;
    for (const auto& m : all)
        candidates.emplace(m.name, &m);
    if (sel_subscribed) {
        for (const auto& name : subscriptions) {
            candidates.emplace(name, nullptr);
            for (auto pos = name.find(kDelimiter); recursive && pos != std::string::npos;
                 pos = name.find(kDelimiter, pos + 1))
                candidates.emplace(name.substr(0, pos), nullptr);
        }
    }
    std::vector<const store::MailboxInfo*> listed;  // for LIST-STATUS
    for (const auto& [name, mp] : candidates) {
        if (!matches(name))
            continue;
        const bool is_subscribed = subscribed.contains(name) || (mp && mp->subscribed);
        std::vector<std::string> child_info;
        if (sel_subscribed && !is_subscribed) {
            if (recursive && has_unlisted_subscribed_child(name))
                child_info.emplace_back("SUBSCRIBED");
            else
                continue;
        }
        if (!mp) {
            wire::ListResponse gone{{"\\NonExistent"}, kDelimiter, name, {}, std::nullopt};
            if (is_subscribed)
                gone.attributes.emplace_back("\\Subscribed");
            gone.child_info = std::move(child_info);
            if (!sel_special)
                wire::append_list(out_, gone, mode_);
            continue;
        }
        const auto& m = *mp;
        if (sel_special && m.special_use == 0)
            continue;
        wire::ListResponse e;
        if (ret_children)
            e.attributes.emplace_back(m.has_children ? "\\HasChildren" : "\\HasNoChildren");
        if (is_container(m))
            e.attributes.emplace_back("\\Noselect");
        if (ret_subscribed && is_subscribed)
            e.attributes.emplace_back("\\Subscribed");
        for (auto& attr : special_use_attributes(m.special_use))
            e.attributes.push_back(std::move(attr));
        e.delimiter = kDelimiter;
        e.name = name;
        e.child_info = std::move(child_info);
        wire::append_list(out_, e, mode_);
        if (ret_status && !is_container(m))
            listed.push_back(&m);
    }
    // LIST-STATUS: a STATUS line after each listed mailbox would need the status before the
    // LIST line; RFC 5819 §2 allows them in any order after their LIST, so they follow here.
    // One trip to the blocking pool for every status; the infos came with the listing.
    std::vector<std::optional<store::MailboxStatus>> statuses(listed.size());
    if (!listed.empty()) {
        co_await blocking([&] {
            for (std::size_t i = 0; i < listed.size(); ++i)
                if (auto ref = acl.require(listed[i]->name, wire::Right::read))
                    if (auto r = ref->owner->status(ref->name))
                        statuses[i] = *r;
        });
    }
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (!statuses[i])
            continue;  // deleted meanwhile
        auto out = status_data(a.status_items, *statuses[i], *listed[i], cfg_.append_limit);
        wire::append_mailbox_status(out_, listed[i]->name, out, mode_);
    }
    co_await report_updates(true);
    ok(c, "LIST completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_lsub(const wire::Command& c, const wire::Lsub& a) {
    auto reference = mailbox_name(a.reference);
    auto pattern = mailbox_name(a.pattern);
    if (!reference || !pattern) {
        ok(c, "LSUB completed");
        co_return Flow::next;
    }
    std::string full = join_reference(a.reference.raw.empty() ? "" : *reference, *pattern);
    auto& account = *user()->account;
    // The subscription list, also names whose mailbox was deleted (RFC 3501 §6.3.6).
    std::vector<std::string> subscriptions;
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        auto r = account.subscriptions();
        if (!r)
            error = r.error();
        else
            subscriptions = std::move(*r);
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    // RFC 3501 §6.3.9: with "%", an unsubscribed parent of a subscribed mailbox the pattern
    // does not reach is listed instead, flagged \Noselect.
    const bool percent = full.find('%') != std::string::npos;
    std::set<std::string> parents;
    for (const auto& name : subscriptions) {
        if (list_match(full, name)) {
            wire::ListResponse e;
            e.delimiter = kDelimiter;
            e.name = name;
            wire::append_lsub(out_, e, mode_);
            continue;
        }
        if (!percent)
            continue;
        for (auto pos = name.find(kDelimiter); pos != std::string::npos;
             pos = name.find(kDelimiter, pos + 1)) {
            std::string parent = name.substr(0, pos);
            if (list_match(full, parent))
                parents.insert(std::move(parent));
        }
    }
    for (const auto& name : subscriptions)
        parents.erase(name);
    for (const auto& name : parents) {
        wire::ListResponse e{{"\\Noselect"}, kDelimiter, name, {}, std::nullopt};
        wire::append_lsub(out_, e, mode_);
    }
    co_await report_updates(true);
    ok(c, "LSUB completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
