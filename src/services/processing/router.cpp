// Expansion through the directory: aliases and domain aliases resolve to accounts, groups and
// forwarders expand recursively (cycle-safe, bounded), unknown local users fail with 5.1.1.
#include "services/processing/router.h"

#include <set>

#include "base/strings.h"
#include "directory/directory.h"

namespace postern::services::processing {

namespace {

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

}  // namespace

namespace {

// One delivery per account and per remote address, however many aliases, groups and
// forwarders lead there (a message to an alias and a group containing the same person is
// stored once).
class Deduplicator {
  public:
    bool first(const Routed& r) {
        if (r.disposition == queue::Disposition::local)
            return accounts_.insert(r.account_id).second;
        if (r.disposition == queue::Disposition::remote)
            return remote_.insert(to_lower(r.address)).second;
        return true;
    }

  private:
    std::set<std::int64_t> accounts_;
    std::set<std::string> remote_;
};

}  // namespace

Result<std::vector<Routed>> route(directory::Directory& directory,
                                  const queue::ProcessingJob& job) {
    auto routed = route_all(directory, job);
    if (!routed)
        return routed;
    Deduplicator seen;
    std::vector<Routed> out;
    std::set<std::uint32_t> decided;
    for (auto& r : *routed) {
        if (!seen.first(r))
            continue;
        decided.insert(r.recipient);
        out.push_back(std::move(r));
    }
    // Every recipient needs a decision: one that only duplicated others is done.
    for (auto& r : job.recipients) {
        if (!decided.contains(r.index)) {
            out.push_back({r.index, queue::Disposition::discard, r.address, 0, "",
                           "duplicate of another recipient"});
        }
    }
    return out;
}

Result<std::vector<Routed>> route_all(directory::Directory& directory,
                                      const queue::ProcessingJob& job) {
    std::vector<Routed> out;
    for (auto& r : job.recipients) {
        auto resolution = directory.resolve(r.address);
        if (!resolution) {
            if (resolution.error().code == Errc::invalid_argument) {
                out.push_back({r.index, queue::Disposition::fail, r.address, 0, "5.1.3",
                               "bad recipient address"});
                continue;
            }
            return fail(Errc::unavailable, "directory: " + resolution.error().message);
        }
        using directory::AddressKind;
        switch (resolution->kind) {
            case AddressKind::not_local:
                out.push_back({r.index, queue::Disposition::remote, r.address, 0, "", ""});
                break;
            case AddressKind::unknown_user:
                out.push_back(
                    {r.index, queue::Disposition::fail, r.address, 0, "5.1.1", "no such user"});
                break;
            case AddressKind::account:
            case AddressKind::alias:
            case AddressKind::catch_all:
                if (!resolution->account_enabled) {
                    out.push_back({r.index, queue::Disposition::fail, r.address, 0, "5.2.1",
                                   "mailbox disabled"});
                } else {
                    out.push_back({r.index, queue::Disposition::local, resolution->account_address,
                                   resolution->account_id, "", ""});
                }
                break;
            case AddressKind::group:
            case AddressKind::forwarder: {
                auto expansion = directory.expand(r.address);
                if (!expansion) {
                    if (expansion.error().code == Errc::limit_exceeded) {
                        out.push_back({r.index, queue::Disposition::fail, r.address, 0, "5.3.0",
                                       "expansion too large: " + expansion.error().message});
                        break;
                    }
                    return fail(Errc::unavailable, "directory: " + expansion.error().message);
                }
                auto before = out.size();
                for (auto& target : expansion->recipients) {
                    using Kind = directory::Recipient::Kind;
                    if (target.kind == Kind::account) {
                        if (target.enabled) {
                            out.push_back({r.index, queue::Disposition::local, target.address,
                                           target.account_id, "", ""});
                        }
                    } else if (target.kind == Kind::external) {
                        out.push_back(
                            {r.index, queue::Disposition::remote, target.address, 0, "", ""});
                    }
                    // Unknown local members of a list are skipped: the list owner's problem,
                    // not a reason to fail the sender's message.
                }
                // The queue needs a decision for every recipient, even a list with no one left.
                if (out.size() == before) {
                    out.push_back({r.index, queue::Disposition::discard, r.address, 0, "",
                                   "no deliverable members"});
                }
                break;
            }
        }
    }
    return out;
}

std::vector<filter::ChainRecipient> chain_recipients(const std::vector<Routed>& routed) {
    std::vector<filter::ChainRecipient> out;
    for (auto& r : routed) {
        out.push_back({r.address, domain_of(r.address),
                       r.disposition == queue::Disposition::local ? std::to_string(r.account_id)
                                                                  : std::string()});
    }
    return out;
}

}  // namespace postern::services::processing
