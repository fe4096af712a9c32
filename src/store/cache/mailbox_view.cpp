// Shared mailbox views and session cursors (RFC 3501 §7.4.1 EXPUNGE ordering, RFC 7162 §3.2).
#include "store/cache/mailbox_view.h"

#include <algorithm>
#include <functional>
#include <mutex>
#include <set>

namespace postern::store {
namespace {

auto uid_less = [](const ViewEntry& e, Uid u) { return e.uid < u; };

}  // namespace

MailboxView::MailboxView(std::int64_t mailbox_id, ViewState state, std::vector<ViewEntry> entries,
                         std::vector<std::string> keywords, std::size_t log_limit)
    : mailbox_id_(mailbox_id),
      log_limit_(std::max<std::size_t>(log_limit, 16)),
      state_(state),
      entries_(std::move(entries)),
      keywords_(std::move(keywords)) {}

ViewState MailboxView::state() const {
    std::shared_lock lock(mu_);
    return state_;
}

std::size_t MailboxView::size() const {
    std::shared_lock lock(mu_);
    return entries_.size();
}

std::optional<ViewEntry> MailboxView::find(Uid uid) const {
    std::shared_lock lock(mu_);
    auto it = std::lower_bound(entries_.begin(), entries_.end(), uid, uid_less);
    if (it == entries_.end() || it->uid != uid)
        return std::nullopt;
    return *it;
}

std::vector<std::string> MailboxView::keywords() const {
    std::shared_lock lock(mu_);
    return keywords_;
}

std::vector<ViewEntry> MailboxView::entries() const {
    std::shared_lock lock(mu_);
    return entries_;
}

bool MailboxView::deleted() const {
    std::shared_lock lock(mu_);
    return deleted_;
}

bool MailboxView::any_flagged(std::uint32_t flag, const std::vector<Uid>* uids) const {
    std::shared_lock lock(mu_);
    if (!uids)
        return std::any_of(entries_.begin(), entries_.end(),
                           [&](const ViewEntry& e) { return (e.flags & flag) != 0; });
    for (auto uid : *uids) {
        auto it = std::lower_bound(entries_.begin(), entries_.end(), uid, uid_less);
        if (it != entries_.end() && it->uid == uid && (it->flags & flag) != 0)
            return true;
    }
    return false;
}

std::size_t MailboxView::memory_bytes() const {
    std::shared_lock lock(mu_);
    std::size_t n =
        sizeof(*this) + entries_.capacity() * sizeof(ViewEntry) + log_.size() * sizeof(Change);
    for (auto& k : keywords_)
        n += sizeof(k) + k.capacity();
    return n;
}

void MailboxView::log(ChangeKind kind, Uid uid) {
    log_.push_back({++version_, uid, kind});
    while (log_.size() > log_limit_) {
        log_floor_ = log_.front().version;
        log_.pop_front();
    }
}

static void merge_state(ViewState& into, const ViewState& s) {
    into.uidvalidity = s.uidvalidity ? s.uidvalidity : into.uidvalidity;
    into.uidnext = std::max(into.uidnext, s.uidnext);
    into.highestmodseq = std::max(into.highestmodseq, s.highestmodseq);
}

void MailboxView::apply_append(const std::vector<ViewEntry>& added, const ViewState& state) {
    std::unique_lock lock(mu_);
    for (auto& e : added) {
        auto it = std::lower_bound(entries_.begin(), entries_.end(), e.uid, uid_less);
        if (it != entries_.end() && it->uid == e.uid)
            continue;
        entries_.insert(it, e);
        log(ChangeKind::added, e.uid);
    }
    merge_state(state_, state);
}

void MailboxView::apply_flags(const std::vector<ViewEntry>& changed, const ViewState& state) {
    std::unique_lock lock(mu_);
    for (auto& e : changed) {
        auto it = std::lower_bound(entries_.begin(), entries_.end(), e.uid, uid_less);
        if (it == entries_.end() || it->uid != e.uid || it->modseq >= e.modseq)
            continue;
        *it = e;
        log(ChangeKind::flags, e.uid);
    }
    merge_state(state_, state);
}

void MailboxView::apply_expunge(const std::vector<Uid>& uids, const ViewState& state) {
    std::unique_lock lock(mu_);
    for (auto uid : uids) {
        auto it = std::lower_bound(entries_.begin(), entries_.end(), uid, uid_less);
        if (it == entries_.end() || it->uid != uid)
            continue;
        entries_.erase(it);
        log(ChangeKind::expunged, uid);
    }
    merge_state(state_, state);
}

void MailboxView::set_keywords(std::vector<std::string> keywords) {
    std::unique_lock lock(mu_);
    keywords_ = std::move(keywords);
}

void MailboxView::mark_deleted() {
    std::unique_lock lock(mu_);
    deleted_ = true;
}

ViewSession::ViewSession(std::shared_ptr<MailboxView> view) : view_(std::move(view)) {
    std::shared_lock lock(view_->mu_);
    uids_.reserve(view_->entries_.size());
    for (auto& e : view_->entries_)
        uids_.push_back(e.uid);
    version_ = view_->version_;
    reportable_modseq_ = view_->state_.highestmodseq;
}

ViewSession::~ViewSession() {
    if (on_close_)
        on_close_(std::move(view_));
}

std::optional<std::uint32_t> ViewSession::seq_of(Uid uid) const {
    auto it = std::lower_bound(uids_.begin(), uids_.end(), uid);
    if (it == uids_.end() || *it != uid)
        return std::nullopt;
    return static_cast<std::uint32_t>(it - uids_.begin() + 1);
}

ViewSync ViewSession::sync(ExpungeReport expunges) {
    ViewSync out;
    std::shared_lock lock(view_->mu_);
    out.state = view_->state_;
    out.mailbox_deleted = view_->deleted_;
    if (version_ == view_->version_ && (held_.empty() || expunges == ExpungeReport::hold)) {
        // Nothing new and nothing due: the common case after every command.
        out.exists = static_cast<std::uint32_t>(uids_.size());
        if (held_.empty())
            reportable_modseq_ = out.state.highestmodseq;
        return out;
    }
    const auto& entries = view_->entries_;
    std::set<Uid> expunged, changed;
    std::vector<Uid> added;
    if (version_ >= view_->log_floor_) {
        for (auto& c : view_->log_) {
            if (c.version <= version_)
                continue;
            if (c.kind == MailboxView::ChangeKind::expunged)
                expunged.insert(c.uid);
            else if (c.kind == MailboxView::ChangeKind::flags)
                changed.insert(c.uid);
            else
                added.push_back(c.uid);
        }
    } else {
        // The session fell behind the change log: diff against the whole view instead, and
        // report every message's flags (a client must cope with unsolicited FETCH FLAGS).
        std::size_t j = 0;
        for (auto uid : uids_) {
            while (j < entries.size() && entries[j].uid < uid)
                ++j;
            if (j == entries.size() || entries[j].uid != uid)
                expunged.insert(uid);
            else
                changed.insert(uid);
        }
        Uid last = uids_.empty() ? 0 : uids_.back();
        for (auto& e : entries)
            if (e.uid > last)
                added.push_back(e.uid);
    }
    version_ = view_->version_;
    // Expunges held back by earlier syncs are past this session's cursor: they are due now.
    expunged.insert(held_.begin(), held_.end());
    held_.clear();
    std::vector<Uid> kept;
    kept.reserve(uids_.size());
    if (expunges == ExpungeReport::hold) {
        // The client keeps its numbering; the expunged wait in the map.
        for (auto uid : uids_)
            if (expunged.count(uid))
                held_.push_back(uid);
        kept = uids_;
    } else {
        // Expunges of messages this session knew: sequence numbers, highest first.
        for (std::size_t i = uids_.size(); i-- > 0;) {
            if (expunged.count(uids_[i])) {
                out.expunged_seqs.push_back(static_cast<std::uint32_t>(i + 1));
                out.expunged_uids.push_back(uids_[i]);
            }
        }
        std::reverse(out.expunged_uids.begin(), out.expunged_uids.end());
        for (auto uid : uids_)
            if (!expunged.count(uid))
                kept.push_back(uid);
    }
    // New messages: still present now, and not already known.
    Uid last = kept.empty() ? 0 : kept.back();
    std::sort(added.begin(), added.end());
    for (auto uid : added) {
        if (uid <= last)
            continue;
        auto it = std::lower_bound(entries.begin(), entries.end(), uid, uid_less);
        if (it == entries.end() || it->uid != uid)
            continue;
        if (!out.new_uids.empty() && out.new_uids.back() == uid)
            continue;
        out.new_uids.push_back(uid);
    }
    for (auto uid : changed) {
        if (uid > last)
            continue;  // new messages carry their flags anyway
        auto it = std::lower_bound(entries.begin(), entries.end(), uid, uid_less);
        if (it != entries.end() && it->uid == uid)
            out.flag_changes.push_back(*it);
    }
    kept.insert(kept.end(), out.new_uids.begin(), out.new_uids.end());
    uids_ = std::move(kept);
    out.exists = static_cast<std::uint32_t>(uids_.size());
    if (held_.empty())
        reportable_modseq_ = out.state.highestmodseq;
    return out;
}

}  // namespace postern::store
