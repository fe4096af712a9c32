// UDP receive loops feeding the log Collector, one per listen address.
#include "services/log_service/log_service.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <unistd.h>

#include "net/access_control.h"
#include "net/stream_impl.h"

namespace postern::services {

namespace asio = boost::asio;
using asio::ip::udp;

struct LogService::Socket {
    Socket(asio::io_context& io, int fd, HostPort a) : socket(io), address(std::move(a)) {
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
        boost::system::error_code ec;
        socket.assign(ss.ss_family == AF_INET ? udp::v4() : udp::v6(), fd, ec);
    }
    udp::socket socket;
    HostPort address;
};

asio::awaitable<void> LogService::receive_loop(udp::socket* socket) {
    std::vector<char> buffer(65536);
    udp::endpoint from;
    while (socket->is_open()) {
        auto [ec, n] = co_await socket->async_receive_from(asio::buffer(buffer), from,
                                                           asio::as_tuple(asio::use_awaitable));
        if (ec == asio::error::operation_aborted || !socket->is_open())
            break;
        if (ec)
            continue;
        auto ip = net::to_endpoint(asio::ip::tcp::endpoint(from.address(), from.port())).ip;
        std::shared_ptr<const std::vector<config::AccessRule>> rules;
        {
            std::lock_guard l(mutex_);
            rules = rules_;
        }
        if (auto* rule = net::choose_rule(*rules, ip);
            rule && rule->action == config::RuleAction::deny) {
            collector_.count_denied();
            continue;
        }
        (void)collector_.receive(std::string_view(buffer.data(), n), ip);
    }
}

LogService::LogService(net::ListenSockets& sockets, std::shared_ptr<log::Sink> internal,
                       log::Logger logger)
    : sockets_(sockets), collector_(std::move(internal)), logger_(std::move(logger)) {}

LogService::~LogService() {
    stop(std::chrono::milliseconds(0));
}

Status LogService::start(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    if (runtime_)
        return ok();
    auto& cfg = config->log_service;
    rules_ = std::make_shared<const std::vector<config::AccessRule>>(cfg.rules);
    collector_.set_max_datagram(cfg.max_datagram);
    runtime_ = std::make_unique<Runtime>("log", 1, 1);
    error_.clear();
    for (auto& address : cfg.listen) {
        auto fd = sockets_.acquire(net::SocketKind::udp, address);
        if (!fd) {
            error_ = "listen " + address.to_string() + ": " + fd.error().message;
            logger_.crit("{}", error_);
            for (auto& s : sockets_open_)
                sockets_.release(net::SocketKind::udp, s->address);
            sockets_open_.clear();
            runtime_.reset();
            return fail(fd.error().code, error_);
        }
        sockets_open_.push_back(std::make_unique<Socket>(runtime_->io(), *fd, address));
    }
    for (auto& s : sockets_open_) {
        auto* socket = &s->socket;
        asio::co_spawn(runtime_->io(), receive_loop(socket), asio::detached);
        logger_.info("log service listening on udp {}", s->address.to_string());
    }
    runtime_->start();
    return ok();
}

void LogService::stop(std::chrono::milliseconds) {
    std::lock_guard lock(mutex_);
    if (!runtime_)
        return;
    for (auto& s : sockets_open_) {
        asio::post(runtime_->io(), [socket = &s->socket] {
            boost::system::error_code ec;
            socket->close(ec);
        });
        sockets_.release(net::SocketKind::udp, s->address);
    }
    runtime_->stop();
    sockets_open_.clear();
    runtime_.reset();
}

Status LogService::reload(const config::ConfigPtr& config) {
    {
        std::lock_guard lock(mutex_);
        std::vector<std::string> now, wanted;
        for (auto& s : sockets_open_)
            now.push_back(s->address.to_string());
        for (auto& a : config->log_service.listen)
            wanted.push_back(a.to_string());
        if (runtime_ && now == wanted) {
            rules_ =
                std::make_shared<const std::vector<config::AccessRule>>(config->log_service.rules);
            collector_.set_max_datagram(config->log_service.max_datagram);
            return ok();
        }
    }
    stop(std::chrono::milliseconds(0));
    return start(config);
}

ServiceStatus LogService::status() const {
    std::lock_guard lock(mutex_);
    ServiceStatus s;
    s.name = name_;
    s.running = runtime_ != nullptr;
    s.enabled = s.running || !error_.empty();
    s.threads = runtime_ ? runtime_->threads() : 0;
    for (auto& sock : sockets_open_)
        s.listeners.push_back("udp " + sock->address.to_string());
    auto st = collector_.stats();
    s.sessions_total = st.accepted;
    s.error = error_;
    return s;
}

}  // namespace postern::services
