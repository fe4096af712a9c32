// Action interaction: RFC 5228 §2.10.2-§2.10.6 and §4, RFC 3894 §3, RFC 5429 §2.1-§2.2,
// RFC 5230 §4.1, RFC 5232 §5.
#include "filter/sieve/actions.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/utf8.h"
#include "filter/sieve/runtime.h"

namespace postern::sieve {

namespace {

// Two addresses are the same recipient when local parts match exactly and domains match
// case-insensitively (RFC 5321 §2.4).
bool same_address(std::string_view a, std::string_view b) {
    auto at_a = a.rfind('@'), at_b = b.rfind('@');
    if (at_a == std::string_view::npos || at_b == std::string_view::npos)
        return iequals(a, b);
    return a.substr(0, at_a) == b.substr(0, at_b) && iequals(a.substr(at_a), b.substr(at_b));
}

bool is_store(const Action& a) {
    return a.kind == Action::Kind::keep || a.kind == Action::Kind::fileinto;
}

}  // namespace

bool valid_mailbox_name(std::string_view mailbox) {
    if (mailbox.empty() || mailbox.size() > 1000 || !is_valid_utf8(mailbox))
        return false;
    if (mailbox.front() == '/' || mailbox.back() == '/' ||
        mailbox.find("//") != std::string_view::npos)
        return false;
    return std::none_of(mailbox.begin(), mailbox.end(),
                        [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; });
}

bool mailbox_is_inbox(std::string_view mailbox) {
    return iequals(mailbox, "INBOX");
}

std::string_view Action::name() const {
    switch (kind) {
        case Kind::keep:
            return "keep";
        case Kind::fileinto:
            return "store";
        case Kind::redirect:
            return "redirect";
        case Kind::discard:
            return "discard";
        case Kind::reject:
            return "reject";
        case Kind::ereject:
            return "ereject";
        case Kind::vacation:
            return "vacation";
        case Kind::notify:
            return "notify";
    }
    return "?";
}

bool ActionList::has(Action::Kind kind) const {
    return std::any_of(actions_.begin(), actions_.end(),
                       [&](const Action& a) { return a.kind == kind; });
}

std::string ActionList::add(Action action, std::size_t max_actions, std::size_t max_redirects) {
    using K = Action::Kind;
    auto is_reject = [](const Action& a) { return a.kind == K::reject || a.kind == K::ereject; };
    // Only actions not yet carried out conflict (RFC 5429 §2.1 is about one result).
    bool rejecting = std::any_of(actions_.begin(), actions_.end(),
                                 [&](const Action& a) { return is_reject(a) && !a.executed; });
    switch (action.kind) {
        case K::keep:
        case K::fileinto: {
            if (rejecting)
                return "reject action conflicts with keep/fileinto";
            // fileinto "INBOX" and keep are the same delivery (RFC 5228 §4.1).
            for (auto& a : actions_) {
                if (is_store(a) &&
                    (iequals(a.mailbox, action.mailbox) ||
                     (mailbox_is_inbox(a.mailbox) && mailbox_is_inbox(action.mailbox)))) {
                    // The last flag list wins (RFC 5232 §3.3, duplicate delivery elimination).
                    a.flags = action.flags;
                    // An explicit keep takes over a delivered fileinto "INBOX"; it stays
                    // delivered (not stored twice).
                    if (action.kind == K::keep && a.kind != K::keep && a.executed)
                        a.kind = K::keep;
                    if (!action.copy && action.kind == K::fileinto)
                        implicit_keep_ = false;
                    if (action.kind == K::keep)
                        implicit_keep_ = false;
                    return "";
                }
            }
            if (action.kind == K::fileinto && !action.copy)
                implicit_keep_ = false;
            if (action.kind == K::keep)
                implicit_keep_ = false;  // explicit keep replaces it
            break;
        }
        case K::redirect: {
            if (rejecting && !action.copy)
                return "reject action conflicts with redirect";
            for (const auto& a : actions_) {
                if (a.kind == K::redirect && same_address(a.address, action.address)) {
                    if (!action.copy)
                        implicit_keep_ = false;
                    return "";
                }
            }
            std::size_t redirects = static_cast<std::size_t>(
                std::count_if(actions_.begin(), actions_.end(),
                              [](const Action& a) { return a.kind == K::redirect; }));
            if (redirects >= max_redirects)
                return fmt::format("number of redirect actions exceeds policy limit ({})",
                                   max_redirects);
            if (!action.copy)
                implicit_keep_ = false;
            break;
        }
        case K::discard:
            implicit_keep_ = false;
            if (has(K::discard))
                return "";
            break;
        case K::reject:
        case K::ereject: {
            if (rejecting)
                return "duplicate reject/ereject action not allowed";
            if (std::any_of(actions_.begin(), actions_.end(), is_reject))
                return "";  // an earlier script's reject was sent already: one is enough
            bool responded = false;
            for (const auto& a : actions_) {
                if (a.executed) {
                    responded = responded || a.kind == K::vacation;
                    continue;
                }
                if (is_store(a) && !a.implicit)
                    return fmt::format("reject action conflicts with earlier {} action", a.name());
                if (a.kind == K::redirect && !a.copy)
                    return "reject action conflicts with earlier redirect action";
                if (a.kind == K::vacation)
                    return "reject action conflicts with earlier vacation action";
            }
            implicit_keep_ = false;
            if (responded) {
                // The sender has had a response already: refuse the message silently.
                action.kind = K::discard;
                action.reason.clear();
            }
            break;
        }
        case K::notify:
            // The same notification twice is sent once (RFC 5435 §3.9 leaves it open).
            for (const auto& a : actions_)
                if (a.kind == K::notify && a.notify.method == action.notify.method &&
                    a.notify.message == action.notify.message)
                    return "";
            break;
        case K::vacation:
            for (const auto& a : actions_) {
                if (a.kind == K::vacation && !a.executed)
                    return "duplicate vacation action not allowed";
                if (a.kind == K::vacation)
                    return "";  // an earlier script's vacation was sent already
            }
            if (rejecting)
                return "vacation action conflicts with earlier reject action";
            break;
    }
    if (actions_.size() >= max_actions)
        return fmt::format("total number of actions exceeds policy limit ({})", max_actions);
    actions_.push_back(std::move(action));
    return "";
}

void ActionList::finish(const std::vector<std::string>& flags) {
    if (!implicit_keep_)
        return;
    for (auto& a : actions_) {
        if (is_store(a) && mailbox_is_inbox(a.mailbox))
            return;  // already stored in INBOX
    }
    Action keep;
    keep.kind = Action::Kind::keep;
    keep.mailbox = "INBOX";
    keep.flags = flags;
    keep.implicit = true;
    actions_.push_back(std::move(keep));
}

void ActionList::fail_to_implicit_keep(const std::vector<std::string>& flags) {
    actions_.clear();
    implicit_keep_ = true;
    finish(flags);
}

}  // namespace postern::sieve
