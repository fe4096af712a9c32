// Running filters level by level with the failsafe rule: any filter error stops the run.
#include "filter/chain/chain.h"

#include <algorithm>

#include "base/strings.h"
#include "mime/header_filter.h"

namespace postern::filter {

std::string_view level_name(Level level) {
    switch (level) {
        case Level::server:
            return "server";
        case Level::domain:
            return "domain";
        case Level::account:
            return "account";
    }
    return "?";
}

void FilterChain::add(Level level, std::string scope, int priority,
                      std::shared_ptr<Filter> filter) {
    entries_.push_back(Entry{level, to_lower(scope), priority, std::move(filter)});
    std::stable_sort(entries_.begin(), entries_.end(), [](const Entry& a, const Entry& b) {
        if (a.level != b.level)
            return a.level < b.level;
        return a.priority < b.priority;
    });
}

namespace {

// Folds one verdict into the recipients it applies to; returns false when nothing was left
// to decide for them (all already rejected or discarded).
void apply(const Verdict& verdict, std::string_view filter, const std::vector<std::size_t>& who,
           std::vector<RecipientVerdict>& out) {
    for (auto i : who) {
        auto& r = out[i];
        if (r.action != Verdict::Action::pass)
            continue;
        r.add_headers.insert(r.add_headers.end(), verdict.add_headers.begin(),
                             verdict.add_headers.end());
        r.remove_headers.insert(r.remove_headers.end(), verdict.remove_headers.begin(),
                                verdict.remove_headers.end());
        if (verdict.mailbox)
            r.mailbox = verdict.mailbox;
        if (verdict.action != Verdict::Action::pass) {
            r.action = verdict.action;
            r.status = verdict.status;
            r.text = verdict.text;
            r.filter = std::string(filter);
        }
    }
}

bool changes_envelope(const Verdict& v) {
    return v.sender || !v.add_recipients.empty() || !v.remove_recipients.empty() || v.body;
}

// Folds a server-level filter's envelope changes into the result: a removed input recipient
// is discarded (later filters no longer see it), an added address joins `added_recipients`.
void change_envelope(const Verdict& v, const std::string& label,
                     const std::vector<ChainRecipient>& recipients, ChainResult& result) {
    if (v.sender)
        result.sender = v.sender;
    if (v.body)
        result.body = v.body;
    auto& added = result.added_recipients;
    for (auto& a : v.add_recipients) {
        bool known = std::any_of(added.begin(), added.end(),
                                 [&](const std::string& x) { return iequals(x, a); });
        for (std::size_t i = 0; i < recipients.size() && !known; ++i)
            known = iequals(recipients[i].address, a) &&
                    result.recipients[i].action == Verdict::Action::pass;
        if (!known)
            added.push_back(a);
    }
    for (auto& gone : v.remove_recipients) {
        std::erase_if(added, [&](const std::string& x) { return iequals(x, gone); });
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            auto& r = result.recipients[i];
            if (!iequals(recipients[i].address, gone) || r.action != Verdict::Action::pass)
                continue;
            r.action = Verdict::Action::discard;
            r.text = "recipient removed";
            r.filter = label;
        }
    }
}

}  // namespace

Result<ChainResult> FilterChain::run(const MessageView& message,
                                     const std::vector<ChainRecipient>& recipients) const {
    ChainResult result;
    result.recipients.resize(recipients.size());
    // Later filters see the message as it will be delivered: the fields earlier filters added
    // on top, the ones they removed gone (so Sieve's spamtest reads the scanner's level).
    std::string added;
    std::vector<std::string> removed;
    std::string current;
    bool changed = false;
    for (auto& e : entries_) {
        // Which recipients does this entry cover, among those still undecided? A "*" scope
        // at domain or account level covers every domain or account, one run for each.
        bool every = e.level != Level::server && e.scope == "*";
        std::vector<std::vector<std::size_t>> groups;
        std::vector<std::string> group_keys;
        for (std::size_t i = 0; i < recipients.size(); ++i) {
            if (result.recipients[i].action != Verdict::Action::pass)
                continue;
            const std::string& key =
                e.level == Level::domain ? recipients[i].domain : recipients[i].account;
            bool covered =
                e.level == Level::server ||
                (e.level == Level::domain && (every || iequals(key, e.scope))) ||
                (e.level == Level::account && !key.empty() && (every || iequals(key, e.scope)));
            if (!covered)
                continue;
            std::size_t g = 0;
            if (every) {
                while (g < group_keys.size() && !iequals(group_keys[g], key))
                    ++g;
                if (g == group_keys.size())
                    group_keys.push_back(key);
            }
            if (groups.size() <= g)
                groups.resize(g + 1);
            groups[g].push_back(i);
        }
        for (std::size_t g = 0; g < groups.size(); ++g) {
            const auto& who = groups[g];
            std::vector<std::string> addresses;
            for (auto i : who)
                addresses.push_back(recipients[i].address);
            MessageView view = message;
            view.recipients = addresses;
            if (result.sender)
                view.sender = *result.sender;
            if (changed)
                view.raw = current;
            auto verdict = e.filter->run(view);
            std::string scope = every ? group_keys[g] : e.scope;
            std::string label = std::string(level_name(e.level)) +
                                (scope.empty() ? "" : ":" + scope) + "/" +
                                std::string(e.filter->name());
            if (!verdict) {
                return fail(Errc::unavailable,
                            "filter " + label + " failed: " + verdict.error().message);
            }
            static constexpr const char* kActions[] = {"pass", "reject", "discard"};
            result.trace.push_back(label + ": " + kActions[static_cast<int>(verdict->action)]);
            apply(*verdict, label, who, result.recipients);
            if (changes_envelope(*verdict)) {
                if (e.level == Level::server) {
                    change_envelope(*verdict, label, recipients, result);
                    result.trace.push_back(label + ": envelope or body changed");
                } else {
                    result.trace.push_back(label +
                                           ": envelope or body change ignored (server level only)");
                }
            }
            const bool new_body = verdict->body && e.level == Level::server;
            if (!verdict->add_headers.empty() || !verdict->remove_headers.empty() || new_body) {
                for (auto& [name, value] : verdict->add_headers)
                    added += name + ": " + value + "\r\n";
                removed.insert(removed.end(), verdict->remove_headers.begin(),
                               verdict->remove_headers.end());
                current = added + mime::strip_header_fields(
                                      result.body ? mime::with_body(message.raw, *result.body)
                                                  : std::string(message.raw),
                                      removed);
                changed = true;
            }
        }
    }
    return result;
}

}  // namespace postern::filter
