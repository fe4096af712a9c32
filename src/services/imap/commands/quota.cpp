// QUOTA (RFC 9208): one quota root "" per account with the STORAGE resource in KiB. Limits come
// from the directory (the account's quota); SETQUOTA is the administrator's job.
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

std::vector<wire::QuotaResource> resources_of(const store::QuotaInfo& q) {
    std::vector<wire::QuotaResource> out;
    if (q.bytes_limit)
        out.push_back({"STORAGE", (q.bytes_used + 1023) / 1024, q.bytes_limit / 1024});
    if (q.messages_limit)
        out.push_back({"MESSAGE", q.messages_used, q.messages_limit});
    return out;
}

}  // namespace

asio::awaitable<Session::Flow> Session::on_getquota(const wire::Command& c,
                                                    const wire::GetQuota& a) {
    auto& account = *user()->account;
    std::optional<store::QuotaInfo> quota;
    co_await blocking([&] {
        if (auto q = account.quota())
            quota = *q;
    });
    if (!quota) {
        no(c, "Quota unavailable", wire::codes::unavailable());
        co_return Flow::next;
    }
    auto resources = resources_of(*quota);
    if (!a.root.empty() || resources.empty()) {
        no(c, "No such quota root", wire::codes::nonexistent());
        co_return Flow::next;
    }
    wire::append_quota(out_, "", resources, mode_);
    co_await report_updates(true);
    ok(c, "GETQUOTA completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_getquotaroot(const wire::Command& c,
                                                        const wire::GetQuotaRoot& a) {
    auto name = mailbox_name(a.mailbox);
    if (!name)
        co_return invalid_name(c);
    auto acl = access();
    std::optional<store::QuotaInfo> quota;
    bool exists = false;
    co_await blocking([&] {
        auto ref = acl.require(*name, wire::Right::read);
        exists = ref.has_value();
        // Only the user's own mailboxes are under the user's quota root "".
        if (exists && ref->personal())
            if (auto q = ref->owner->quota())
                quota = *q;
    });
    if (!exists) {
        no(c, "No such mailbox", wire::codes::nonexistent());
        co_return Flow::next;
    }
    auto resources = quota ? resources_of(*quota) : std::vector<wire::QuotaResource>{};
    std::vector<std::string> roots;
    if (!resources.empty())
        roots.emplace_back("");
    wire::append_quota_root(out_, *name, roots, mode_);
    if (!resources.empty())
        wire::append_quota(out_, "", resources, mode_);
    co_await report_updates(true);
    ok(c, "GETQUOTAROOT completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
