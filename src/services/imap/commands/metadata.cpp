// GETMETADATA and SETMETADATA (RFC 5464 §4.2-§4.3): server ("" mailbox) and mailbox
// annotations under /private and /shared, kept in the account's index. Without shared
// mailboxes, /shared entries are as personal as /private ones.
#include "base/strings.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

// RFC 5464 §3.2: "/private/..." or "/shared/...", no wildcards, no empty component, no
// trailing slash, printable ASCII.
bool valid_entry(std::string_view name) {
    std::string lower = to_lower(name);
    if (!lower.starts_with("/private/") && !lower.starts_with("/shared/"))
        return false;
    if (name.ends_with('/') || name.find("//") != std::string_view::npos || name.size() > 1024)
        return false;
    for (char ch : name)
        if (ch < 0x21 || ch > 0x7e || ch == '*' || ch == '%')
            return false;
    return true;
}

store::MetadataDepth depth_of(wire::MetadataDepth d) {
    switch (d) {
        case wire::MetadataDepth::one:
            return store::MetadataDepth::one;
        case wire::MetadataDepth::infinity:
            return store::MetadataDepth::infinity;
        case wire::MetadataDepth::zero:
            break;
    }
    return store::MetadataDepth::zero;
}

// Where a mailbox's annotations live: the user's own account for "" (the server entries) and
// personal mailboxes, the owner's for a shared one, which needs `needed`. Blocking.
struct AnnotationTarget {
    store::Account* account = nullptr;
    std::string name;
};

store::StoreResult<AnnotationTarget> annotation_target(Access& acl, const std::string& mailbox,
                                                       wire::Right needed) {
    if (mailbox.empty())
        return AnnotationTarget{&acl.user_account(), mailbox};
    auto ref = acl.require(mailbox, needed);
    if (!ref)
        return store::store_fail(ref.error());
    return AnnotationTarget{ref->owner.get(), ref->name};
}

}  // namespace

asio::awaitable<Session::Flow> Session::on_getmetadata(const wire::Command& c,
                                                       const wire::GetMetadata& a) {
    std::string mailbox;
    if (!a.mailbox.raw.empty()) {
        auto name = mailbox_name(a.mailbox);
        if (!name)
            co_return invalid_name(c);
        mailbox = std::move(*name);
    }
    for (const auto& e : a.entries)
        if (!valid_entry(e))
            co_return bad(c.tag, "Invalid entry name " + e);
    auto acl = access();
    std::vector<store::MetadataEntry> found;
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        // Another user's mailbox: its annotations are the owner's, read with "r" (RFC 5464
        // §3.4 with RFC 4314).
        auto where = annotation_target(acl, mailbox, wire::Right::read);
        if (!where) {
            error = where.error();
            return;
        }
        auto r = where->account->get_metadata(where->name, a.entries, depth_of(a.depth));
        if (!r)
            error = r.error();
        else
            found = std::move(*r);
    });
    if (error) {
        store_failed(c, *error);
        co_return Flow::next;
    }
    std::vector<wire::MetadataValue> values;
    std::uint64_t longest_skipped = 0;
    for (auto& e : found) {
        if (a.max_size && e.value.size() > *a.max_size) {
            longest_skipped = std::max<std::uint64_t>(longest_skipped, e.value.size());
            continue;
        }
        values.push_back({e.name, std::move(e.value)});
    }
    // Entries asked for by name that do not exist come back as NIL (depth 0 only).
    if (a.depth == wire::MetadataDepth::zero) {
        for (const auto& wanted : a.entries) {
            auto lower = to_lower(wanted);
            bool have = std::any_of(found.begin(), found.end(),
                                    [&](const store::MetadataEntry& e) { return e.name == lower; });
            if (!have)
                values.push_back({lower, std::nullopt});
        }
    }
    if (!values.empty())
        wire::append_metadata(out_, mailbox, values, mode_);
    co_await report_updates(true);
    if (longest_skipped)
        ok(c, "GETMETADATA completed", wire::codes::metadata_long_entries(longest_skipped));
    else
        ok(c, "GETMETADATA completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_setmetadata(const wire::Command& c,
                                                       const wire::SetMetadata& a) {
    std::string mailbox;
    if (!a.mailbox.raw.empty()) {
        auto name = mailbox_name(a.mailbox);
        if (!name)
            co_return invalid_name(c);
        mailbox = std::move(*name);
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> entries;
    for (const auto& e : a.entries) {
        if (!valid_entry(e.name))
            co_return bad(c.tag, "Invalid entry name " + e.name);
        if (e.value && e.value->size() > store::kMaxMetadataValue) {
            no(c, "Value too large", wire::codes::metadata_max_size(store::kMaxMetadataValue));
            co_return Flow::next;
        }
        entries.emplace_back(e.name, e.value);
    }
    auto acl = access();
    std::optional<store::StoreError> error;
    co_await blocking([&] {
        // On another user's mailbox every annotation is shared with its owner: "w" writes them.
        auto where = annotation_target(acl, mailbox, wire::Right::write);
        if (!where) {
            error = where.error();
            return;
        }
        if (auto r = where->account->set_metadata(where->name, entries); !r)
            error = r.error();
    });
    if (error) {
        if (error->code == store::StoreErrc::limit)
            no(c, "Too many annotations", wire::codes::metadata_too_many());
        else if (error->code == store::StoreErrc::too_large)
            no(c, "Value too large", wire::codes::metadata_max_size(store::kMaxMetadataValue));
        else
            store_failed(c, *error);
        co_return Flow::next;
    }
    co_await report_updates(true);
    ok(c, "SETMETADATA completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
