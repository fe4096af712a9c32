// Starting, stopping and reloading a TCP service; listener diffs on reload.
#include "services/tcp_service.h"

#include <thread>

#include <unistd.h>

#include "net/tcp_listener.h"

namespace postern::services {

struct TcpService::ListenerEntry {
    config::ListenerConfig config;
    std::unique_ptr<net::TcpListener> listener;
};

namespace {
std::string describe(const config::ListenerConfig& l) {
    static constexpr const char* kModes[] = {"plain", "starttls", "implicit TLS"};
    return l.address.to_string() + " (" + kModes[static_cast<int>(l.tls)] + ")";
}
}  // namespace

TcpService::TcpService(TcpServiceSpec spec, net::ListenSockets& sockets, ChannelFactory channels)
    : spec_(std::move(spec)), sockets_(sockets), channels_(std::move(channels)) {}

TcpService::~TcpService() {
    stop(std::chrono::milliseconds(0));
}

bool TcpService::enabled_in(const config::Config& config) const {
    return spec_.select(config).enabled;
}

Result<std::shared_ptr<net::TlsContext>> TcpService::tls_for(const config::TlsSettings& settings) {
    for (auto& [s, ctx] : tls_cache_) {
        if (s == settings)
            return ctx;
    }
    auto ctx = net::TlsContext::create_server(settings);
    if (!ctx)
        return ctx;
    tls_cache_.emplace_back(settings, *ctx);
    return ctx;
}

Status TcpService::open_listener(const config::ListenerConfig& lc) {
    std::shared_ptr<net::TlsContext> tls;
    if (lc.tls_settings.has_certificate()) {
        auto ctx = tls_for(lc.tls_settings);
        if (!ctx) {
            if (lc.tls != config::TlsMode::none)
                return fail(ctx.error());
            // A plain listener without a usable certificate just cannot offer STARTTLS.
            channel_->write(log::kWarning, "",
                            "listener " + lc.address.to_string() + ": " + ctx.error().message);
        } else {
            tls = *ctx;
        }
    }
    auto fd = sockets_.acquire(net::SocketKind::tcp, lc.address);
    if (!fd)
        return fail(fd.error());
    net::ListenerOptions options;
    options.config = std::make_shared<const config::ListenerConfig>(lc);
    options.tls = tls;
    options.access = access_;
    options.refusal = spec_.refusal;
    options.logger = log::Logger(channel_, "");
    options.session_counter = session_counter_;
    options.stopping = stopping_;
    options.sessions = sessions_;
    options.handler = [this](net::Connection c) { return run_session(std::move(c)); };
    auto entry = std::make_unique<ListenerEntry>();
    entry->config = lc;
    entry->listener = std::make_unique<net::TcpListener>(runtime_->io(), *fd, std::move(options));
    entry->listener->start();
    channel_->write(log::kInfo, "", "listening on " + describe(lc));
    listeners_[lc.address.to_string()] = std::move(entry);
    return ok();
}

boost::asio::awaitable<void> TcpService::run_session(net::Connection connection) {
    auto config = config_.load();
    SessionContext ctx{config, &spec_.select(*config), log::Logger(channel_, connection.session_id),
                       &runtime_->blocking(), spec_.abuse};
    auto& stream = *connection.stream;
    if (spec_.abuse && spec_.abuse->blocked(connection.client.ip)) {
        ctx.logger.info("connection from [{}] refused: banned for protocol errors",
                        connection.client.ip.to_string());
        stream.set_idle_timeout(std::chrono::seconds(5));
        std::string refusal = spec_.refusal;
        if (!refusal.empty())
            co_await stream.write(refusal);
        stream.close();
        co_return;
    }
    stream.set_idle_timeout(ctx.service->idle_timeout);
    if (ctx.service->session_timeout.count() > 0) {
        stream.set_deadline(std::chrono::steady_clock::now() + ctx.service->session_timeout);
    }
    co_await spec_.session(std::move(connection), std::move(ctx));
}

Status TcpService::start(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    if (running_)
        return ok();
    auto& svc = spec_.select(*config);
    config_.store(config);
    error_.clear();
    stopping_->store(false);
    channel_ = channels_(spec_.module, svc.log);
    runtime_ = std::make_unique<Runtime>(spec_.name, svc.threads_min, svc.threads_max);
    access_ = net::AccessController::create(svc.rules, svc.limits);
    tls_cache_.clear();
    runtime_->start();
    for (auto& lc : svc.listeners) {
        if (!lc.enabled)
            continue;
        if (auto st = open_listener(lc); !st) {
            error_ = "listener " + lc.address.to_string() + ": " + st.error().message;
            channel_->write(log::kCritical, "", error_);
            for (auto& [key, entry] : listeners_) {
                entry->listener->stop();
                sockets_.release(net::SocketKind::tcp, entry->config.address);
            }
            listeners_.clear();
            runtime_->stop();
            runtime_.reset();
            return fail(st.error().code, error_);
        }
    }
    running_ = true;
    channel_->write(log::kInfo, "",
                    "service started with " + std::to_string(svc.threads_min) + " threads");
    return ok();
}

void TcpService::stop(std::chrono::milliseconds grace) {
    std::lock_guard lock(mutex_);
    if (!running_)
        return;
    stopping_->store(true);
    for (auto& [key, entry] : listeners_) {
        entry->listener->stop();
        sockets_.release(net::SocketKind::tcp, entry->config.address);
    }
    sessions_->request_stop();
    auto deadline = std::chrono::steady_clock::now() + grace;
    while (sessions_->active() > 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (auto left = sessions_->active()) {
        channel_->write(log::kInfo, "",
                        "closing " + std::to_string(left) + " sessions at shutdown");
        sessions_->close_all();
        auto hard = std::chrono::steady_clock::now() + std::chrono::seconds(2);
        while (sessions_->active() > 0 && std::chrono::steady_clock::now() < hard) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    listeners_.clear();
    runtime_->stop();
    runtime_.reset();
    running_ = false;
    channel_->write(log::kInfo, "", "service stopped");
}

Status TcpService::reload(const config::ConfigPtr& config) {
    auto& svc = spec_.select(*config);
    if (!svc.enabled) {
        stop(config->server.shutdown_grace);
        return ok();
    }
    {
        std::lock_guard lock(mutex_);
        if (running_) {
            config_.store(config);
            channel_ = channels_(spec_.module, svc.log);
            access_->update(svc.rules, svc.limits);
            tls_cache_.clear();
            std::map<std::string, const config::ListenerConfig*> wanted;
            for (auto& lc : svc.listeners) {
                if (lc.enabled)
                    wanted[lc.address.to_string()] = &lc;
            }
            for (auto it = listeners_.begin(); it != listeners_.end();) {
                auto w = wanted.find(it->first);
                bool same_shape = w != wanted.end() && w->second->tls == it->second->config.tls &&
                                  w->second->proxy_protocol == it->second->config.proxy_protocol;
                if (same_shape) {
                    std::shared_ptr<net::TlsContext> tls;
                    if (w->second->tls_settings.has_certificate()) {
                        if (auto ctx = tls_for(w->second->tls_settings))
                            tls = *ctx;
                    }
                    it->second->listener->update(
                        std::make_shared<const config::ListenerConfig>(*w->second), tls);
                    it->second->config = *w->second;
                    wanted.erase(w);
                    ++it;
                    continue;
                }
                it->second->listener->stop();
                sockets_.release(net::SocketKind::tcp, it->second->config.address);
                channel_->write(log::kInfo, "",
                                "stopped listening on " + describe(it->second->config));
                it = listeners_.erase(it);
            }
            std::string errors;
            for (auto& [key, lc] : wanted) {
                if (auto st = open_listener(*lc); !st)
                    errors += (errors.empty() ? "" : "; ") + st.error().message;
            }
            if (!errors.empty())
                return fail(Errc::unavailable, errors);
            return ok();
        }
    }
    return start(config);
}

ServiceStatus TcpService::status() const {
    std::lock_guard lock(mutex_);
    ServiceStatus s;
    s.name = spec_.name;
    auto config = config_.load();
    s.enabled = config && spec_.select(*config).enabled;
    s.running = running_;
    s.threads = runtime_ ? runtime_->threads() : 0;
    s.connections = access_ ? access_->open_connections() : 0;
    s.sessions_total = session_counter_->load();
    for (auto& [key, entry] : listeners_)
        s.listeners.push_back(describe(entry->config));
    s.error = error_;
    return s;
}

}  // namespace postern::services
