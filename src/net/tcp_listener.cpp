// Accept loop and per-connection admission. Every connection gets its own strand, so a
// session coroutine and its watchdog never run concurrently.
#include "net/tcp_listener.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "net/proxy_protocol.h"
#include "net/stream_impl.h"

namespace postern::net {

namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kHandshakeTimeout = std::chrono::seconds(30);
constexpr auto kProxyHeaderTimeout = std::chrono::seconds(10);

void SessionRegistry::add(const std::weak_ptr<Stream::Impl>& stream) {
    std::lock_guard lock(mutex_);
    std::erase_if(streams_, [](auto& w) { return w.expired(); });
    streams_.push_back(stream);
}

void SessionRegistry::request_stop() {
    std::lock_guard lock(mutex_);
    for (auto& weak : streams_) {
        if (auto s = weak.lock())
            asio::post(s->socket.get_executor(), [s] { s->request_stop(); });
    }
}

void SessionRegistry::close_all() {
    std::vector<std::weak_ptr<Stream::Impl>> all;
    {
        std::lock_guard lock(mutex_);
        all.swap(streams_);
    }
    for (auto& weak : all) {
        if (auto s = weak.lock()) {
            // Close on the connection's own strand: Stream state is not thread-safe.
            asio::post(s->socket.get_executor(), [s] { s->close_socket(); });
        }
    }
}

std::size_t SessionRegistry::active() {
    std::lock_guard lock(mutex_);
    std::erase_if(streams_, [](auto& w) { return w.expired(); });
    return streams_.size();
}

struct TcpListener::Impl : std::enable_shared_from_this<TcpListener::Impl> {
    Impl(asio::io_context& io_, int fd, ListenerOptions o)
        : io(io_), acceptor(io_), options(std::move(o)) {
        boost::system::error_code ec;
        sockaddr_storage ss{};
        socklen_t len = sizeof ss;
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
        acceptor.assign(ss.ss_family == AF_INET ? tcp::v4() : tcp::v6(), fd, ec);
        scope = options.access->listener_scope(options.config->limits);
    }

    asio::io_context& io;
    tcp::acceptor acceptor;
    std::mutex mutex;  // guards options.config/tls against update() from the reload thread
    ListenerOptions options;
    std::shared_ptr<FlowScope> scope;

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> handle(tcp::socket socket);
    asio::awaitable<Result<ProxyHeader>> read_proxy_header(Stream::Impl& s);
};

asio::awaitable<void> TcpListener::Impl::accept_loop() {
    auto self = shared_from_this();
    while (acceptor.is_open()) {
        auto strand = asio::make_strand(io);  // named: no temporaries in co_await (GCC 12)
        auto [ec, socket] = co_await acceptor.async_accept(strand, kUseTuple);
        if (ec) {
            if (ec == asio::error::operation_aborted || !acceptor.is_open())
                break;
            // EMFILE and friends: back off briefly instead of spinning.
            options.logger.error("accept on {}: {}", options.config->address.to_string(),
                                 ec.message());
            asio::steady_timer t(io, std::chrono::milliseconds(100));
            co_await t.async_wait(kUseTuple);
            continue;
        }
        auto executor = socket.get_executor();
        asio::co_spawn(executor, self->handle(std::move(socket)), asio::detached);
    }
}

// Reads exactly the PROXY header (never past it) so the client's first bytes stay unread.
asio::awaitable<Result<ProxyHeader>> TcpListener::Impl::read_proxy_header(Stream::Impl& s) {
    std::string data(8, '\0');
    auto [ec, n] = co_await asio::async_read(s.socket, asio::buffer(data), kUseTuple);
    if (ec)
        co_return fail(Errc::io_error, "reading PROXY header: " + ec.message());
    while (true) {
        auto parsed = parse_proxy_header(data);
        if (parsed.kind == ProxyParse::Kind::done) {
            if (parsed.consumed != data.size())
                co_return fail(Errc::invalid_argument, "PROXY header length mismatch");
            co_return parsed.header;
        }
        if (parsed.kind == ProxyParse::Kind::invalid)
            co_return fail(Errc::invalid_argument, parsed.error);
        // v2: signature + 4 bytes give the payload length; v1: one byte at a time to CR LF.
        std::size_t want = 1;
        if (data.size() >= 16 && data[0] == '\r') {
            want = 16 +
                   ((static_cast<unsigned char>(data[14]) << 8) |
                    static_cast<unsigned char>(data[15])) -
                   data.size();
        } else if (data[0] == '\r') {
            want = 16 - data.size();
        }
        auto old = data.size();
        data.resize(old + want);
        auto [ec2, n2] =
            co_await asio::async_read(s.socket, asio::buffer(data.data() + old, want), kUseTuple);
        if (ec2)
            co_return fail(Errc::io_error, "reading PROXY header: " + ec2.message());
    }
}

asio::awaitable<void> TcpListener::Impl::handle(tcp::socket socket) {
    auto self = shared_from_this();
    boost::system::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    auto impl = std::make_shared<Stream::Impl>(std::move(socket));

    std::shared_ptr<const config::ListenerConfig> config;
    std::shared_ptr<TlsContext> tls;
    {
        std::lock_guard lock(mutex);
        config = options.config;
        tls = options.tls;
    }
    auto id = options.session_counter->fetch_add(1) + 1;
    auto logger = options.logger.with_session(log::session_id(id));
    Endpoint client = impl->remote_endpoint;

    if (config->proxy_protocol) {
        bool trusted = false;
        for (auto& range : config->proxy_trusted)
            trusted = trusted || range.contains(client.ip);
        if (trusted) {
            impl->deadline = std::chrono::steady_clock::now() + kProxyHeaderTimeout;
            impl->arm();
            auto header = co_await read_proxy_header(*impl);
            if (!header) {
                logger.warn("[{}] bad PROXY header from {}: {}", config->address.to_string(),
                            client.to_string(), header.error().message);
                impl->close_socket();
                co_return;
            }
            impl->deadline = std::chrono::steady_clock::time_point::max();
            if (!header->local) {
                client = Endpoint{header->source, header->source_port};
                logger.info("[{}] PROXY: {} connects through {}", config->address.to_string(),
                            client.to_string(), impl->remote_endpoint.to_string());
            }
        }
    }

    auto admitted = options.access->admit(client.ip, scope);
    if (!admitted.accepted) {
        logger.info("[{}] connection refused from [{}]: {}", config->address.to_string(),
                    client.to_string(), admitted.reason);
        impl->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        impl->arm();
        if (!options.refusal.empty() && config->tls != config::TlsMode::implicit) {
            co_await asio::async_write(impl->socket, asio::buffer(options.refusal), kUseTuple);
        }
        impl->close_socket();
        co_return;
    }
    logger.info("[{}] connection accepted from [{}]", config->address.to_string(),
                client.to_string());
    options.sessions->add(impl);
    auto stream = std::make_unique<Stream>(impl);

    if (config->tls == config::TlsMode::implicit) {
        stream->set_deadline(std::chrono::steady_clock::now() + kHandshakeTimeout);
        auto handshake = co_await stream->start_tls_server(tls);
        if (!handshake) {
            logger.info("TLS handshake with [{}] failed: {}", client.to_string(),
                        handshake.error().message);
            co_return;
        }
        stream->set_deadline(std::chrono::steady_clock::time_point::max());
        logger.info("TLS established: {}", stream->tls_summary());
    }

    Connection connection{std::move(stream),
                          client,
                          impl->local_endpoint,
                          log::session_id(id),
                          config,
                          tls,
                          std::move(admitted.admission),
                          options.stopping};
    co_await options.handler(std::move(connection));
}

TcpListener::TcpListener(asio::io_context& io, int fd, ListenerOptions options)
    : impl_(std::make_shared<Impl>(io, fd, std::move(options))) {}

TcpListener::~TcpListener() {
    stop();
}

void TcpListener::start() {
    asio::co_spawn(impl_->acceptor.get_executor(), impl_->accept_loop(), asio::detached);
}

void TcpListener::stop() {
    // Close on the io thread; the accept loop sees operation_aborted and ends.
    asio::post(impl_->acceptor.get_executor(), [impl = impl_] {
        boost::system::error_code ec;
        impl->acceptor.close(ec);
    });
}

void TcpListener::update(std::shared_ptr<const config::ListenerConfig> config,
                         std::shared_ptr<TlsContext> tls) {
    std::lock_guard lock(impl_->mutex);
    impl_->options.access->update_listener(impl_->scope, config->limits);
    impl_->options.config = std::move(config);
    impl_->options.tls = std::move(tls);
}

const config::ListenerConfig& TcpListener::config() const {
    std::lock_guard lock(impl_->mutex);
    return *impl_->options.config;
}

}  // namespace postern::net
