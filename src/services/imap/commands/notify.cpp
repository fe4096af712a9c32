// NOTIFY (RFC 5465): NOTIFY SET [STATUS] with event groups and NOTIFY NONE. Events come from the
// store's change bus (no polling): the bus thread posts them onto the session's executor, and a
// notifier coroutine writes them while the session waits for its next command (RFC 5465 §3:
// between commands the server may send them at once, without IDLE). During a command they
// wait; the selected mailbox's changes then go out at the command's end as always.
// - selected mailbox: MessageNew (EXISTS, then FETCH with the group's fetch attributes, never
//   setting \Seen), MessageExpunge (EXPUNGE/VANISHED; held until a command that may send them
//   with SELECTED-DELAYED, §6.2), FlagChange (FETCH FLAGS);
// - other mailboxes: STATUS for MessageNew/MessageExpunge/FlagChange (§5.2-§5.3), LIST for
//   MailboxName (\NonExistent after a delete, OLDNAME after a rename, §5.4) and LIST with or
//   without \Subscribed for SubscriptionChange (§5.5);
// - NOTIFICATIONOVERFLOW (§5.8) when events pile up faster than the client reads them; BADEVENT
//   for events not offered (§3.1).
#include <algorithm>
#include <map>
#include <set>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "services/imap/fetch/render.h"
#include "services/imap/names.h"
#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;
using EventKind = wire::NotifyEventKind;

namespace {

// Events waiting while a long command runs; more means the client cannot keep up (§5.8).
constexpr std::size_t kMaxPendingEvents = 4096;
// Mailbox names in one NOTIFY SET, and accounts (own and sharing ones) watched on the bus.
constexpr std::size_t kMaxNames = 1000;
constexpr std::size_t kMaxWatchedAccounts = 100;
// New messages of the selected mailbox answered with FETCH at once; beyond, EXISTS only.
constexpr std::size_t kMaxNewFetches = 1000;

unsigned bit(EventKind k) {
    return 1u << static_cast<unsigned>(k);
}

constexpr std::pair<EventKind, std::string_view> kEventNames[] = {
    {EventKind::message_new, "MessageNew"},
    {EventKind::message_expunge, "MessageExpunge"},
    {EventKind::flag_change, "FlagChange"},
    {EventKind::annotation_change, "AnnotationChange"},
    {EventKind::mailbox_name, "MailboxName"},
    {EventKind::subscription_change, "SubscriptionChange"},
    {EventKind::mailbox_metadata_change, "MailboxMetadataChange"},
    {EventKind::server_metadata_change, "ServerMetadataChange"},
};

// Per-message annotations do not exist, and METADATA changes are not on the change bus.
const unsigned kSupported = bit(EventKind::message_new) | bit(EventKind::message_expunge) |
                            bit(EventKind::flag_change) | bit(EventKind::mailbox_name) |
                            bit(EventKind::subscription_change);

bool under(std::string_view name, std::string_view root) {
    return name == root ||
           (name.size() > root.size() && name.starts_with(root) && name[root.size()] == kDelimiter);
}

bool in_other_namespace(std::string_view name) {
    return under(name, kOtherUsers) || under(name, kPublicFolders);
}

}  // namespace

struct NotifyState {
    struct Watch {
        wire::NotifyFilter filter = wire::NotifyFilter::personal;
        std::vector<std::string> names;  // SUBTREE roots / MAILBOXES names, UTF-8 IMAP names
        unsigned events = 0;
    };
    // What the bus posts to; shared with its callbacks, which may outlive a NOTIFY SET.
    struct Inbox {
        explicit Inbox(const asio::any_io_executor& ex)
            : wake(ex, asio::steady_timer::time_point::max()),
              quiet(ex, asio::steady_timer::time_point::max()),
              finished(ex, asio::steady_timer::time_point::max()) {}
        asio::steady_timer wake;      // cancelled: events arrived, a window opened, or stop
        asio::steady_timer quiet;     // cancelled when the notifier leaves a write
        asio::steady_timer finished;  // cancelled when the notifier has returned
        std::vector<store::ChangeEvent> events;
        bool overflow = false;
    };

    explicit NotifyState(const asio::any_io_executor& ex)
        : executor(ex), inbox(std::make_shared<Inbox>(ex)) {}

    bool wants(std::string_view name, EventKind kind, bool personal) const {
        for (const auto& w : watches) {
            if (!(w.events & bit(kind)))
                continue;
            switch (w.filter) {
                case wire::NotifyFilter::personal:
                case wire::NotifyFilter::inboxes:  // any personal mailbox may receive mail
                    if (personal)
                        return true;
                    break;
                case wire::NotifyFilter::subscribed:
                    if (subscribed.contains(std::string(name)))
                        return true;
                    break;
                case wire::NotifyFilter::subtree:
                    for (const auto& root : w.names)
                        if (under(name, root))
                            return true;
                    break;
                case wire::NotifyFilter::mailboxes:
                    for (const auto& n : w.names)
                        if (n == name)
                            return true;
                    break;
                case wire::NotifyFilter::selected:
                case wire::NotifyFilter::selected_delayed:
                    break;
            }
        }
        return false;
    }

    asio::any_io_executor executor;
    std::shared_ptr<Inbox> inbox;
    unsigned selected_events = 0;
    bool selected_delayed = false;
    std::vector<wire::FetchItem> new_fetch;  // MessageNew's fetch attributes (selected)
    std::vector<Watch> watches;              // the other groups
    bool wants_subscribed = false;
    std::set<std::string> subscribed;             // the user's subscriptions (SUBSCRIBED)
    std::map<std::string, std::string> prefixes;  // watched account id -> its IMAP prefix
    std::map<std::string, store::ChangeBus::Subscription> subscriptions;
    bool window = false;   // the session waits for a command: notifications may go out
    bool idle = false;     // ... inside IDLE: the selected mailbox's changes go out too
    bool busy = false;     // the notifier is writing (out_ is its)
    bool running = false;  // the notifier coroutine has not returned
    bool stop = false;
    bool dead = false;  // overflowed: as NOTIFY NONE until the next NOTIFY SET
};

namespace {

constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Subscribes to `account`'s events once (own account, a sharing user's, the public folders').
void watch_account(NotifyState& st, const std::string& account, const std::string& prefix,
                   store::ChangeBus& bus) {
    st.prefixes.emplace(account, prefix);
    if (st.subscriptions.contains(account) || st.subscriptions.size() >= kMaxWatchedAccounts)
        return;
    auto inbox = st.inbox;
    auto executor = st.executor;
    st.subscriptions[account] =
        bus.subscribe_account(account, [inbox, executor](const store::ChangeEvent& ev) {
            // The bus thread: hop onto the session's executor.
            asio::post(executor, [inbox, ev] {
                if (inbox->events.size() >= kMaxPendingEvents) {
                    inbox->overflow = true;
                    inbox->events.clear();
                } else if (!inbox->overflow) {
                    inbox->events.push_back(ev);
                }
                inbox->wake.cancel();
            });
        });
}

}  // namespace

// ---- the window between commands (session.cpp's next_frame) ----------------------------------

void Session::notify_open_window() {
    if (!notify_)
        return;
    notify_->window = true;
    notify_->inbox->wake.cancel();
}

asio::awaitable<void> Session::notify_close_window() {
    if (!notify_)
        co_return;
    auto st = notify_;
    st->window = false;
    while (st->busy) {
        st->inbox->quiet.expires_at(asio::steady_timer::time_point::max());
        co_await st->inbox->quiet.async_wait(kUseTuple);
    }
}

asio::awaitable<void> Session::stop_notify() {
    if (!notify_)
        co_return;
    auto st = std::move(notify_);
    notify_.reset();
    st->subscriptions.clear();  // no callback runs once this returns
    st->stop = true;
    st->inbox->wake.cancel();
    while (st->running) {
        st->inbox->finished.expires_at(asio::steady_timer::time_point::max());
        co_await st->inbox->finished.async_wait(kUseTuple);
    }
}

void Session::notify_watch_selected() {
    auto* box = selected();
    if (!notify_ || !box)
        return;
    auto& account = box->mailbox().account();
    // Only the ids matter for the selected mailbox: its prefix is never used for it.
    const bool own = account.id() == user()->account->id();
    watch_account(*notify_, account.id(), own ? std::string() : std::string("\x01"),
                  deps_.store->changes());
}

bool Session::notify_active() const {
    return notify_ && !notify_->dead;
}

void Session::notify_idle(bool on) {
    if (!notify_)
        return;
    notify_->idle = on;
    notify_watch_selected();
    // Changes that came in before IDLE are reported by IDLE itself.
}

// ---- the notifier -----------------------------------------------------------------------------

asio::awaitable<void> Session::notify_loop(std::shared_ptr<NotifyState> st) {
    auto& in = *st->inbox;
    while (!st->stop) {
        const bool work = !in.events.empty() || in.overflow;
        if (!st->window || !work) {
            in.wake.expires_at(asio::steady_timer::time_point::max());
            co_await in.wake.async_wait(kUseTuple);
            continue;
        }
        st->busy = true;
        co_await notify_send(*st);
        // Written from a buffer of its own: the session's coroutine may append to out_ (a BYE)
        // while this write is in flight.
        std::string text = std::move(out_);
        out_.clear();
        bool ok = true;
        if (!text.empty()) {
            if (deflate_) {
                std::string packed;
                ok = deflate_->compress(text, packed).has_value();
                text.swap(packed);
            }
            if (ok) {
                auto w = co_await conn_.stream->write(text);
                ok = w.has_value();
            }
        }
        st->busy = false;
        in.quiet.cancel();
        if (!ok)
            break;  // the session's read fails too and ends it
    }
    st->running = false;
    in.finished.cancel();
}

asio::awaitable<void> Session::notify_send(NotifyState& st) {
    auto events = std::move(st.inbox->events);
    st.inbox->events.clear();
    if (st.inbox->overflow || st.dead) {
        if (!st.dead) {
            // RFC 5465 §5.8: say so, then behave as after NOTIFY NONE.
            wire::append_untagged(out_, wire::ResponseCondition::ok,
                                  wire::codes::notification_overflow(),
                                  "Too many notifications, NOTIFY is off", mode_);
            st.dead = true;
            st.watches.clear();
            st.selected_events = 0;
            st.new_fetch.clear();
            st.subscriptions.clear();
        }
        st.inbox->overflow = false;
        co_return;
    }
    auto* box = selected();
    std::string selected_account;
    std::int64_t selected_id = 0;
    if (box) {
        selected_account = box->mailbox().account().id();
        selected_id = box->mailbox().id();
    }
    const std::string& me = user()->account->id();
    unsigned selected_kinds = 0;
    struct StatusWant {
        std::string account;
        std::int64_t mailbox_id = 0;
        std::string imap_name;
        bool messages = false;  // MessageNew/MessageExpunge
        bool flags = false;     // FlagChange
    };
    std::vector<StatusWant> statuses;
    std::vector<wire::ListResponse> lists;
    std::vector<std::string> subscription_names;
    bool refresh_subscriptions = false;
    for (const auto& ev : events) {
        auto p = st.prefixes.find(ev.account);
        const bool is_selected = box && ev.account == selected_account &&
                                 ev.mailbox_id == selected_id && ev.mailbox_id != 0;
        using K = store::ChangeEvent::Kind;
        switch (ev.kind) {
            case K::appended:
            case K::expunged:
            case K::flags_changed: {
                const EventKind kind = ev.kind == K::appended   ? EventKind::message_new
                                       : ev.kind == K::expunged ? EventKind::message_expunge
                                                                : EventKind::flag_change;
                if (is_selected) {
                    selected_kinds |= bit(kind);
                    break;
                }
                if (p == st.prefixes.end() || p->second == "\x01")
                    break;
                const std::string name = p->second + ev.mailbox;
                if (!st.wants(name, kind, ev.account == me))
                    break;
                auto it = std::find_if(statuses.begin(), statuses.end(), [&](const auto& s) {
                    return s.account == ev.account && s.mailbox_id == ev.mailbox_id;
                });
                if (it == statuses.end())
                    it = statuses.insert(statuses.end(),
                                         StatusWant{ev.account, ev.mailbox_id, name, false, false});
                it->imap_name = name;
                (kind == EventKind::flag_change ? it->flags : it->messages) = true;
                break;
            }
            case K::mailbox_created:
            case K::mailbox_deleted:
            case K::mailbox_renamed: {
                if (p == st.prefixes.end() || p->second == "\x01")
                    break;
                const bool personal = ev.account == me;
                const std::string name = p->second + ev.mailbox;
                const std::string old =
                    ev.old_name.empty() ? std::string() : p->second + ev.old_name;
                if (!st.wants(name, EventKind::mailbox_name, personal) &&
                    (old.empty() || !st.wants(old, EventKind::mailbox_name, personal)))
                    break;
                wire::ListResponse e;
                e.delimiter = kDelimiter;
                e.name = name;
                if (ev.kind == K::mailbox_deleted)
                    e.attributes.emplace_back("\\NonExistent");
                if (ev.kind == K::mailbox_renamed && !old.empty())
                    e.old_name = old;
                lists.push_back(std::move(e));
                break;
            }
            case K::subscription_changed:
                // The user's own list; the name is the IMAP name (other users' mailboxes are
                // kept under theirs).
                if (ev.account != me)
                    break;
                refresh_subscriptions = refresh_subscriptions || st.wants_subscribed;
                if (st.wants(ev.mailbox, EventKind::subscription_change,
                             !in_other_namespace(ev.mailbox)))
                    subscription_names.push_back(ev.mailbox);
                break;
        }
    }

    // The selected mailbox (RFC 5465 §5.1-§5.3): only for the events the client asked for, or
    // everything inside IDLE (RFC 2177).
    if (box && (st.idle || (selected_kinds & st.selected_events))) {
        std::vector<store::Uid> new_uids;
        const bool send_expunges = st.idle || !st.selected_delayed;
        co_await report_updates(send_expunges, &new_uids);
        box = selected();  // gone if the mailbox was deleted
        if (box && !new_uids.empty() && !st.new_fetch.empty() &&
            (st.selected_events & bit(EventKind::message_new)))
            co_await notify_fetch_new(st, new_uids);
    }

    // Other mailboxes: STATUS, LIST.
    std::vector<std::pair<std::string, wire::MailboxStatus>> status_lines;
    if (!statuses.empty() || refresh_subscriptions || !subscription_names.empty()) {
        auto acl = access();
        const bool condstore = condstore_;
        const std::uint64_t append_limit = cfg_.append_limit;
        std::set<std::string> subs;
        bool subs_read = false;
        co_await blocking([&] {
            for (const auto& want : statuses) {
                store::MailboxStatus s;
                store::MailboxInfo info;
                if (want.account == me) {
                    auto& account = acl.user_account();
                    auto r = account.status(want.imap_name);
                    auto i = account.mailbox_info(want.imap_name);
                    if (!r || !i)
                        continue;  // gone meanwhile: its LIST (MailboxName) tells
                    s = *r;
                    info = std::move(*i);
                } else {
                    // Another user's mailbox: STATUS needs "r" now (RFC 4314 §4); without it
                    // nothing is said, as if it did not exist (§6).
                    auto ref = acl.require(want.imap_name, wire::Right::read);
                    if (!ref)
                        continue;
                    auto r = ref->owner->status(ref->name);
                    auto i = ref->owner->mailbox_info(ref->name);
                    if (!r || !i)
                        continue;
                    s = *r;
                    info = std::move(*i);
                }
                std::vector<wire::StatusItem> items;
                if (want.messages)
                    items = {wire::StatusItem::messages, wire::StatusItem::uidnext,
                             wire::StatusItem::unseen};
                else
                    items = {wire::StatusItem::unseen};
                if (condstore)
                    items.push_back(wire::StatusItem::highestmodseq);
                status_lines.emplace_back(want.imap_name,
                                          status_data(items, s, info, append_limit));
            }
            if (refresh_subscriptions || !subscription_names.empty()) {
                if (auto r = acl.user_account().subscriptions()) {
                    subs = std::set<std::string>(r->begin(), r->end());
                    subs_read = true;
                }
            }
        });
        if (subs_read && st.wants_subscribed)
            st.subscribed = subs;
        for (const auto& name : subscription_names) {
            wire::ListResponse e;
            e.delimiter = kDelimiter;
            e.name = name;
            if (subs_read && subs.contains(name))
                e.attributes.emplace_back("\\Subscribed");
            lists.push_back(std::move(e));
        }
    }
    for (const auto& e : lists)
        wire::append_list(out_, e, mode_);
    for (const auto& [name, status] : status_lines)
        wire::append_mailbox_status(out_, name, status, mode_);
}

// MessageNew's fetch attributes for messages new in the selected mailbox (RFC 5465 §5.2), as
// FETCH responses right after EXISTS. Like BODY.PEEK: nothing here sets \Seen.
asio::awaitable<void> Session::notify_fetch_new(NotifyState& st,
                                                const std::vector<store::Uid>& uids) {
    auto* box = selected();
    if (!box)
        co_return;
    wire::Fetch request;
    request.items = st.new_fetch;
    const auto plan = fetch::make_plan(request, false);
    std::vector<store::Uid> wanted(
        uids.begin(),
        uids.begin() + static_cast<std::ptrdiff_t>(std::min(uids.size(), kMaxNewFetches)));
    auto& mailbox = box->mailbox();
    const wire::SessionMode mode = mode_;
    std::vector<store::MessageMeta> metas;
    fetch::FetchOutput output;
    std::vector<std::unique_ptr<std::string>> raws;
    std::vector<fetch::MessageInput> inputs;
    {
        std::optional<store::StoreError> error;
        co_await blocking([&] {
            auto m = mailbox.messages(SelectedMailbox::to_set(wanted), plan.need_cached);
            if (m)
                metas = std::move(*m);
            else
                error = m.error();
        });
        if (error)
            co_return;  // the client still has EXISTS and can FETCH itself
    }
    for (auto& mm : metas) {
        fetch::MessageInput in;
        in.meta = &mm;
        in.seq = box->seq_of(mm.uid);
        in.recent = box->is_recent(mm.uid);
        in.condstore = condstore_;
        if (in.seq != 0)
            inputs.push_back(in);
    }
    co_await blocking([&] {
        for (const auto& in : inputs) {
            const auto uid = in.meta->uid;
            fetch::RawLoader loader = [&](bool& gone) -> const std::string* {
                auto body = mailbox.fetch_body(uid);
                if (!body) {
                    gone = body.error().code == store::StoreErrc::expunged;
                    return nullptr;
                }
                raws.push_back(std::make_unique<std::string>(std::move(*body)));
                return raws.back().get();
            };
            (void)fetch::render_message(plan, in, mode, loader, output);
        }
    });
    for (auto& piece : output.pieces) {
        if (piece.ref.empty())
            out_ += piece.text;
        else
            out_ += piece.ref;
    }
}

// ---- the command ------------------------------------------------------------------------------

asio::awaitable<Session::Flow> Session::on_notify(const wire::Command& c, const wire::Notify& a) {
    if (a.none) {
        co_await stop_notify();
        co_await report_updates(true);
        ok(c, "NOTIFY completed");
        co_return Flow::next;
    }
    auto executor = co_await asio::this_coro::executor;
    auto st = std::make_shared<NotifyState>(executor);
    unsigned used = 0;
    bool selected_seen = false;
    std::size_t names = 0;
    for (const auto& g : a.groups) {
        unsigned events = 0;
        for (const auto& e : g.events)
            events |= bit(e.kind);
        used |= events;
        // RFC 5465 §5: MessageNew and MessageExpunge go together; FlagChange and
        // AnnotationChange need both.
        const unsigned pair = bit(EventKind::message_new) | bit(EventKind::message_expunge);
        if ((events & pair) != 0 && (events & pair) != pair)
            co_return bad(c.tag, "MessageNew and MessageExpunge must be given together");
        if ((events & (bit(EventKind::flag_change) | bit(EventKind::annotation_change))) != 0 &&
            (events & pair) != pair)
            co_return bad(c.tag, "FlagChange needs MessageNew and MessageExpunge");
        if (g.filter == wire::NotifyFilter::selected ||
            g.filter == wire::NotifyFilter::selected_delayed) {
            if (selected_seen)
                co_return bad(c.tag, "SELECTED given twice");
            selected_seen = true;
            st->selected_events = events;
            st->selected_delayed = g.filter == wire::NotifyFilter::selected_delayed;
            for (const auto& e : g.events)
                if (e.kind == EventKind::message_new)
                    st->new_fetch = e.fetch;
            continue;
        }
        NotifyState::Watch w;
        w.filter = g.filter;
        w.events = events;
        for (const auto& m : g.mailboxes) {
            auto name = mailbox_name(m);
            if (!name)
                co_return invalid_name(c);
            w.names.push_back(std::move(*name));
        }
        names += w.names.size();
        if (g.filter == wire::NotifyFilter::subscribed)
            st->wants_subscribed = true;
        if (events)
            st->watches.push_back(std::move(w));
    }
    if (used & ~kSupported) {
        // RFC 5465 §3.1: NO [BADEVENT (supported events)], settings unchanged.
        std::vector<std::string> supported;
        for (const auto& [kind, name] : kEventNames)
            if (kSupported & bit(kind))
                supported.emplace_back(name);
        no(c, "Unsupported NOTIFY event", wire::codes::bad_event(supported));
        co_return Flow::next;
    }
    if (names > kMaxNames) {
        no(c, "Too many mailboxes", wire::codes::notification_overflow());
        co_return Flow::next;
    }

    // Which accounts to watch: the user's own, and those of other users' (and public)
    // mailboxes the groups name or the user subscribed to, as far as the user may see them.
    co_await stop_notify();
    auto acl = access();
    std::vector<std::pair<std::string, std::string>> accounts;  // id, prefix
    std::set<std::string> subscribed;
    std::vector<ListedMailbox> listed;
    const bool want_status = a.status;
    co_await blocking([&] {
        std::vector<std::string> foreign;
        for (const auto& w : st->watches)
            for (const auto& n : w.names)
                if (in_other_namespace(n))
                    foreign.push_back(n);
        if (st->wants_subscribed) {
            if (auto r = acl.user_account().subscriptions()) {
                subscribed = std::set<std::string>(r->begin(), r->end());
                for (const auto& n : subscribed)
                    if (in_other_namespace(n))
                        foreign.push_back(n);
            }
        }
        for (const auto& n : foreign) {
            auto ref = acl.resolve(n);
            if (!ref)
                ref = acl.resolve(n + kDelimiter + "INBOX");  // a SUBTREE over a user's node
            if (ref && ref->owner)
                accounts.emplace_back(ref->owner->id(), ref->prefix);
        }
        if (want_status) {
            if (auto r = acl.list())
                listed = std::move(*r);
        }
    });
    st->subscribed = std::move(subscribed);
    auto& bus = deps_.store->changes();
    watch_account(*st, user()->account->id(), std::string(), bus);
    for (const auto& [id, prefix] : accounts)
        watch_account(*st, id, prefix, bus);
    notify_ = st;
    notify_watch_selected();

    if (want_status) {
        // RFC 5465 §3.1 STATUS: the mailboxes with message events, except the selected one.
        auto* box = selected();
        std::string selected_name;
        if (box)
            selected_name = box->info().name;
        std::vector<std::pair<std::string, wire::MailboxStatus>> lines;
        const bool flags = (used & bit(EventKind::flag_change)) != 0;
        const std::uint64_t append_limit = cfg_.append_limit;
        co_await blocking([&] {
            for (const auto& m : listed) {
                if (is_container(m))
                    continue;
                const bool personal = !in_other_namespace(m.name);
                bool match = false;
                for (auto kind :
                     {EventKind::message_new, EventKind::message_expunge, EventKind::flag_change})
                    match = match || st->wants(m.name, kind, personal);
                if (!match)
                    continue;
                auto ref = acl.require(m.name, wire::Right::read);
                if (!ref)
                    continue;
                if (box && ref->owner->id() == box->mailbox().account().id() &&
                    ref->name == selected_name)
                    continue;
                auto s = ref->owner->status(ref->name);
                auto i = ref->owner->mailbox_info(ref->name);
                if (!s || !i)
                    continue;
                std::vector<wire::StatusItem> items{
                    wire::StatusItem::messages, wire::StatusItem::uidnext,
                    wire::StatusItem::uidvalidity, wire::StatusItem::unseen};
                if (flags)
                    items.push_back(wire::StatusItem::highestmodseq);
                lines.emplace_back(m.name, status_data(items, *s, *i, append_limit));
            }
        });
        for (const auto& [name, status] : lines)
            wire::append_mailbox_status(out_, name, status, mode_);
    }
    st->running = true;
    asio::co_spawn(executor, notify_loop(st), asio::detached);
    co_await report_updates(true);
    ok(c, "NOTIFY completed");
    co_return Flow::next;
}

}  // namespace postern::services::imap
