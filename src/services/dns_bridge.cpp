// Adapts the DNS resolver's callbacks (run on the caller's thread for cache hits, on the
// resolver thread otherwise) to Asio coroutines that resume on their own executor.
#include "services/dns_bridge.h"

#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace postern::services {

namespace asio = boost::asio;
namespace dns = net::dns;

namespace {

// `start(callback)` begins the lookup. It is taken by reference: the caller's named local
// outlives the suspension, and no temporary with a destructor sits in a co_await expression
// (GCC 12, docs/development.md).
template <class T, class Start>
asio::awaitable<dns::DnsResult<T>> await_dns(Start& start) {
    auto executor = co_await asio::this_coro::executor;
    std::optional<dns::DnsResult<T>> result;
    auto initiation = [&result, &start, executor](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        // Counts as work of the executor until the resumption is posted, so an io_context
        // with nothing else to do does not return from run() while the lookup is pending.
        auto work = asio::prefer(executor, asio::execution::outstanding_work.tracked);
        start([&result, shared, work](dns::DnsResult<T> r) mutable {
            // The coroutine stays suspended until the post below runs, so writing to its
            // frame from this thread is safe: the post publishes the write.
            result.emplace(std::move(r));
            asio::post(work, [shared]() mutable { (*shared)(); });
        });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    co_return std::move(*result);
}

// A lookup racing a timer: whichever finishes first resumes the coroutine, once. The DNS
// callback may run on any thread; the timer and its cancellation stay on the executor.
struct NameRace {
    explicit NameRace(const asio::any_io_executor& executor) : timer(executor) {}

    // True for the first finisher, whose answer is kept.
    bool finish(ClientReverse found) {
        std::function<void()> wake;
        {
            std::lock_guard lock(mutex);
            if (finished)
                return false;
            finished = true;
            name = std::move(found);
            wake = std::move(resume);
        }
        wake();
        return true;
    }
    ClientReverse take() {
        std::lock_guard lock(mutex);
        return std::move(name);
    }

    asio::steady_timer timer;
    std::mutex mutex;
    bool finished = false;
    ClientReverse name;
    std::function<void()> resume;  // posts the coroutine's resumption to its executor
};

// A callback racing a timer (await_callback).
struct SignalRace {
    explicit SignalRace(const asio::any_io_executor& executor) : timer(executor) {}
    bool finish(bool in_time) {
        std::function<void()> wake;
        {
            std::lock_guard lock(mutex);
            if (finished)
                return false;
            finished = true;
            called = in_time;
            wake = std::move(resume);
        }
        wake();
        return true;
    }
    asio::steady_timer timer;
    std::mutex mutex;
    bool finished = false;
    bool called = false;
    std::function<void()> resume;
};

}  // namespace

asio::awaitable<dns::DnsResult<dns::RecordSet>> dns_lookup(dns::Resolver& resolver, std::string name,
                                                         dns::RecordType type) {
    auto start = [&resolver, &name, type](dns::Callback<dns::RecordSet> done) {
        resolver.lookup(name, type, std::move(done));
    };
    auto result = co_await await_dns<dns::RecordSet>(start);
    co_return result;
}

asio::awaitable<bool> await_callback(
    const std::function<void(std::move_only_function<void()>)>& subscribe,
    std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    auto race = std::make_shared<SignalRace>(executor);
    auto initiation = [&subscribe, race, executor, timeout](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = asio::prefer(executor, asio::execution::outstanding_work.tracked);
        race->resume = [shared, work]() mutable { asio::post(work, [shared]() mutable { (*shared)(); }); };
        race->timer.expires_after(timeout);
        race->timer.async_wait([race](const boost::system::error_code& ec) {
            if (!ec)
                race->finish(false);
        });
        subscribe([race, executor] {
            if (race->finish(true))
                asio::post(executor, [race] { race->timer.cancel(); });
        });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    std::lock_guard lock(race->mutex);
    co_return race->called;
}

asio::awaitable<dns::DnsResult<dns::AddressAnswer>> dns_lookup_a(dns::Resolver& resolver,
                                                                 std::string name) {
    auto start = [&resolver, &name](dns::Callback<dns::AddressAnswer> done) {
        resolver.lookup_a(name, std::move(done));
    };
    auto result = co_await await_dns<dns::AddressAnswer>(start);
    co_return result;
}

asio::awaitable<dns::DnsResult<dns::AddressAnswer>> dns_lookup_aaaa(dns::Resolver& resolver,
                                                                    std::string name) {
    auto start = [&resolver, &name](dns::Callback<dns::AddressAnswer> done) {
        resolver.lookup_aaaa(name, std::move(done));
    };
    auto result = co_await await_dns<dns::AddressAnswer>(start);
    co_return result;
}

asio::awaitable<dns::DnsResult<dns::MxAnswer>> dns_lookup_mx(dns::Resolver& resolver,
                                                             std::string name) {
    auto start = [&resolver, &name](dns::Callback<dns::MxAnswer> done) {
        resolver.lookup_mx(name, std::move(done));
    };
    auto result = co_await await_dns<dns::MxAnswer>(start);
    co_return result;
}

asio::awaitable<dns::DnsResult<dns::TxtAnswer>> dns_lookup_txt(dns::Resolver& resolver,
                                                               std::string name) {
    auto start = [&resolver, &name](dns::Callback<dns::TxtAnswer> done) {
        resolver.lookup_txt(name, std::move(done));
    };
    auto result = co_await await_dns<dns::TxtAnswer>(start);
    co_return result;
}

asio::awaitable<dns::DnsResult<dns::NameAnswer>> dns_lookup_ptr(dns::Resolver& resolver,
                                                                IpAddress address) {
    auto start = [&resolver, &address](dns::Callback<dns::NameAnswer> done) {
        resolver.lookup_ptr(address, std::move(done));
    };
    auto result = co_await await_dns<dns::NameAnswer>(start);
    co_return result;
}

asio::awaitable<dns::DnsResult<dns::MxHosts>> dns_resolve_mx_hosts(dns::Resolver& resolver,
                                                                   std::string domain,
                                                                   dns::MxOptions options) {
    auto start = [&resolver, &domain, &options](dns::Callback<dns::MxHosts> done) {
        dns::resolve_mx_hosts(resolver, domain, std::move(done), options);
    };
    auto result = co_await await_dns<dns::MxHosts>(start);
    co_return result;
}

asio::awaitable<dns::DnsResult<dns::ConfirmedNames>> dns_forward_confirmed_names(
    dns::Resolver& resolver, IpAddress address) {
    auto start = [&resolver, &address](dns::Callback<dns::ConfirmedNames> done) {
        dns::forward_confirmed_names(resolver, address, std::move(done));
    };
    auto result = co_await await_dns<dns::ConfirmedNames>(start);
    co_return result;
}

std::string_view ClientReverse::kind_name() const {
    switch (kind) {
        case Kind::confirmed:
            return "pass";
        case Kind::unconfirmed:
            return "fail";
        case Kind::none:
            return "none";
        case Kind::temperror:
            break;
    }
    return "temperror";
}

asio::awaitable<ClientReverse> dns_client_reverse(dns::Resolver& resolver, IpAddress address,
                                                  std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    auto race = std::make_shared<NameRace>(executor);
    auto initiation = [&resolver, &address, race, executor, timeout](auto handler) {
        auto shared = std::make_shared<decltype(handler)>(std::move(handler));
        auto work = asio::prefer(executor, asio::execution::outstanding_work.tracked);
        race->resume = [shared, work]() mutable { asio::post(work, [shared]() mutable { (*shared)(); }); };
        race->timer.expires_after(timeout);
        race->timer.async_wait([race](const boost::system::error_code& ec) {
            if (!ec)
                race->finish({});
        });
        dns::forward_confirmed_names(
            resolver, address, [race, executor](dns::DnsResult<dns::ConfirmedNames> r) {
                ClientReverse found;
                if (r && !r->names.empty()) {
                    found.kind = ClientReverse::Kind::confirmed;
                    found.name = r->names.front();
                } else if (r && !r->ptr_names.empty()) {
                    found.kind = ClientReverse::Kind::unconfirmed;
                    found.name = r->ptr_names.front();
                } else if (r || r.error().code == dns::DnsErrc::nxdomain ||
                           r.error().code == dns::DnsErrc::nodata) {
                    found.kind = ClientReverse::Kind::none;
                }
                if (race->finish(std::move(found)))
                    asio::post(executor, [race] { race->timer.cancel(); });
            });
    };
    co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(std::move(initiation),
                                                                         asio::use_awaitable);
    auto found = race->take();
    co_return found;
}

asio::awaitable<std::string> dns_confirmed_name(dns::Resolver& resolver, IpAddress address,
                                                std::chrono::milliseconds timeout) {
    auto found = co_await dns_client_reverse(resolver, address, timeout);
    if (found.kind != ClientReverse::Kind::confirmed)
        found.name.clear();
    co_return found.name;
}

}  // namespace postern::services
