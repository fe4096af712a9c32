// The selected mailbox: sequence sets to UIDs (RFC 9051 §9 seq-number, "*"; RFC 5182 "$") and
// flag names (RFC 9051 §2.3.2).
#include "services/imap/selected.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::services::imap {

namespace wire = proto::imap;

SelectedMailbox::SelectedMailbox(std::shared_ptr<store::Mailbox> mailbox,
                                 std::unique_ptr<store::ViewSession> view, store::MailboxInfo info,
                                 bool read_only)
    : mailbox_(std::move(mailbox)),
      view_(std::move(view)),
      info_(std::move(info)),
      read_only_(read_only) {}

std::vector<store::Uid> SelectedMailbox::resolve(const wire::SequenceSet& set, bool uid) const {
    const auto& uids = view_->uids();  // ascending; index = seq - 1
    std::vector<store::Uid> out;
    if (set.saved) {
        // Only those still present (RFC 5182 §2.1: expunged ones drop out of "$").
        for (auto u : saved_)
            if (std::binary_search(uids.begin(), uids.end(), u))
                out.push_back(u);
        return out;
    }
    if (uids.empty())
        return out;
    const std::uint32_t exists = static_cast<std::uint32_t>(uids.size());
    const store::Uid last_uid = uids.back();
    // Ranges may overlap; collect index intervals, then merge, so that a hostile set of many
    // ranges costs O(ranges log ranges + result), never more than the mailbox size.
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // [first, last) indexes
    for (auto r : set.ranges) {
        std::uint32_t a = r.first == wire::kStar ? (uid ? last_uid : exists) : r.first;
        std::uint32_t b = r.last == wire::kStar ? (uid ? last_uid : exists) : r.last;
        if (a > b)
            std::swap(a, b);
        std::size_t lo, hi;
        if (uid) {
            lo = static_cast<std::size_t>(std::lower_bound(uids.begin(), uids.end(), a) -
                                          uids.begin());
            hi = static_cast<std::size_t>(std::upper_bound(uids.begin(), uids.end(), b) -
                                          uids.begin());
        } else {
            if (a > exists)
                continue;
            lo = a - 1;
            hi = std::min<std::size_t>(b, exists);
        }
        if (lo < hi)
            spans.emplace_back(lo, hi);
    }
    std::sort(spans.begin(), spans.end());
    std::size_t done = 0;
    for (auto [lo, hi] : spans) {
        lo = std::max(lo, done);
        for (std::size_t i = lo; i < hi; ++i)
            out.push_back(uids[i]);
        done = std::max(done, hi);
    }
    return out;
}

store::UidSet SelectedMailbox::to_set(const std::vector<store::Uid>& uids) {
    store::UidSet set;
    std::size_t i = 0;
    while (i < uids.size()) {
        std::size_t j = i;
        while (j + 1 < uids.size() && uids[j + 1] == uids[j] + 1)
            ++j;
        set.add_range(uids[i], uids[j]);
        i = j + 1;
    }
    return set;
}

std::uint32_t SelectedMailbox::seq_of(store::Uid uid) const {
    auto s = view_->seq_of(uid);
    return s ? *s : 0;
}

void SelectedMailbox::add_recent(const store::UidSet& uids) {
    for (auto u : uids.to_vector(1'000'000))
        recent_.insert(u);
}

std::uint32_t SelectedMailbox::recent_count() {
    std::erase_if(recent_, [&](store::Uid u) { return !view_->seq_of(u); });
    return static_cast<std::uint32_t>(recent_.size());
}

bool SelectedMailbox::already_reported(store::Uid uid, store::ModSeq modseq) {
    auto it = reported_.find(uid);
    if (it == reported_.end())
        return false;
    bool same = it->second >= modseq;
    reported_.erase(it);
    return same;
}

std::vector<std::string> SelectedMailbox::keyword_names(std::uint64_t bits) const {
    std::vector<std::string> out;
    auto table = view_->view()->keywords();
    for (std::size_t i = 0; i < table.size() && i < 64; ++i)
        if (bits & (std::uint64_t{1} << i))
            out.push_back(table[i]);
    return out;
}

std::vector<std::string> flag_names(std::uint32_t system, const std::vector<std::string>& keywords,
                                    bool recent) {
    std::vector<std::string> out;
    if (system & store::kSeen)
        out.emplace_back("\\Seen");
    if (system & store::kAnswered)
        out.emplace_back("\\Answered");
    if (system & store::kFlagged)
        out.emplace_back("\\Flagged");
    if (system & store::kDeleted)
        out.emplace_back("\\Deleted");
    if (system & store::kDraft)
        out.emplace_back("\\Draft");
    if (recent)
        out.emplace_back("\\Recent");
    out.insert(out.end(), keywords.begin(), keywords.end());
    return out;
}

store::StoreResult<std::vector<store::Uid>> expunge_uids(store::Mailbox& mailbox,
                                                         const store::UidSet& uids) {
    store::Flags deleted;
    deleted.system = store::kDeleted;
    if (auto r = mailbox.store_flags(uids, store::FlagOp::add, deleted); !r)
        return std::unexpected(r.error());
    return mailbox.expunge(uids);
}

bool parse_flags(const std::vector<std::string>& names, store::Flags& out) {
    for (const auto& name : names) {
        if (!name.starts_with('\\')) {
            // Keywords compare case-insensitively; keep the first spelling.
            bool dup = std::any_of(out.keywords.begin(), out.keywords.end(),
                                   [&](const std::string& k) { return iequals(k, name); });
            if (!dup)
                out.keywords.push_back(name);
            continue;
        }
        if (iequals(name, "\\Seen"))
            out.system |= store::kSeen;
        else if (iequals(name, "\\Answered"))
            out.system |= store::kAnswered;
        else if (iequals(name, "\\Flagged"))
            out.system |= store::kFlagged;
        else if (iequals(name, "\\Deleted"))
            out.system |= store::kDeleted;
        else if (iequals(name, "\\Draft"))
            out.system |= store::kDraft;
        else
            return false;  // \Recent cannot be stored (RFC 3501 §2.3.2); others are unknown
    }
    return true;
}

}  // namespace postern::services::imap
