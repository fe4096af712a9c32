// IDLE (RFC 2177, RFC 9051 §6.3.13): the client waits; changes to the selected mailbox reach it
// as untagged responses the moment the store's change bus publishes them (no polling), until
// it sends DONE. A second coroutine on the session's strand writes the updates while the
// session's own coroutine waits for the DONE line.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "services/imap/session.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

struct Session::IdleState {
    explicit IdleState(const asio::any_io_executor& ex)
        : wake(ex, asio::steady_timer::time_point::max()),
          finished(ex, asio::steady_timer::time_point::max()) {}
    asio::steady_timer wake;      // cancelled when something happened (or to stop)
    asio::steady_timer finished;  // cancelled when the notifier has returned
    bool pending = false;         // a change arrived and is not reported yet
    bool stop = false;
    bool done = false;
};

asio::awaitable<void> Session::idle_notifier(std::shared_ptr<IdleState> st) {
    constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
    while (!st->stop) {
        if (!st->pending) {
            st->wake.expires_at(asio::steady_timer::time_point::max());
            co_await st->wake.async_wait(kUseTuple);
            continue;  // re-check stop and pending
        }
        st->pending = false;
        // No update of a mailbox whose "r" right was revoked meanwhile (RFC 4314).
        if (auto* box = selected(); box && box->rights_stale())
            co_await recheck_rights();
        co_await report_updates(true);
        if (!co_await flush())
            break;
    }
    st->done = true;
    st->finished.cancel();
}

asio::awaitable<Session::Flow> Session::on_idle(const wire::Command& c) {
    constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
    wire::append_continuation(out_, "idling", mode_);
    co_await report_updates(true);
    if (!co_await flush())
        co_return Flow::close;

    if (notify_active()) {
        // NOTIFY is on (RFC 5465): its notifier, which already hears the bus, writes the
        // selected mailbox's changes too while the session waits for DONE.
        notify_idle(true);
        receiver_.expect_plain_line();
        auto frame = co_await next_frame();
        notify_idle(false);
        if (!frame)
            co_return Flow::close;
        if (frame->error || !wire::is_idle_done(frame->command->text))
            co_return bad(c.tag, "Expected DONE");
        co_await report_updates(true);
        ok(c, "IDLE terminated");
        co_return Flow::next;
    }
    auto executor = co_await asio::this_coro::executor;
    auto st = std::make_shared<IdleState>(executor);
    store::ChangeBus::Subscription subscription;
    if (auto* box = selected()) {
        // The mailbox's own account: another user's when it is shared (RFC 4314).
        auto& account = box->mailbox().account();
        // The bus calls back on its own thread: hop onto the session's strand.
        subscription = deps_.store->changes().subscribe_mailbox(
            account.id(), box->mailbox().id(), [st, executor](const store::ChangeEvent&) {
                asio::post(executor, [st] {
                    st->pending = true;
                    st->wake.cancel();
                });
            });
    }
    asio::co_spawn(executor, idle_notifier(st), asio::detached);

    receiver_.expect_plain_line();
    auto frame = co_await next_frame();
    subscription.reset();
    st->stop = true;
    st->wake.cancel();
    while (!st->done)
        co_await st->finished.async_wait(kUseTuple);
    if (!frame)
        co_return Flow::close;
    if (frame->error || !wire::is_idle_done(frame->command->text))
        co_return bad(c.tag, "Expected DONE");
    co_await report_updates(true);
    ok(c, "IDLE terminated");
    co_return Flow::next;
}

}  // namespace postern::services::imap
