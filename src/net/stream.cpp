// Stream over an Asio TCP socket with optional OpenSSL layer; the watchdog closes the socket
// when the idle or total deadline passes.
#include "net/stream.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <openssl/ssl.h>

#include "net/stream_impl.h"
#include "net/tls_impl.h"

namespace postern::net {

namespace asio = boost::asio;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

std::string Endpoint::to_string() const {
    if (ip.is_v4())
        return ip.to_string() + ":" + std::to_string(port);
    return "[" + ip.to_string() + "]:" + std::to_string(port);
}

Endpoint to_endpoint(const tcp::endpoint& e) {
    auto addr = e.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
        addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    Endpoint out;
    if (addr.is_v4()) {
        out.ip = IpAddress::from_v4(addr.to_v4().to_uint());
    } else {
        auto bytes = addr.to_v6().to_bytes();
        std::array<std::uint8_t, 16> raw{};
        std::copy(bytes.begin(), bytes.end(), raw.begin());
        out.ip = IpAddress::from_bytes(raw);
    }
    out.port = e.port();
    return out;
}

Stream::Impl::Impl(tcp::socket s) : socket(std::move(s)), watchdog(socket.get_executor()) {
    boost::system::error_code ec;
    auto l = socket.local_endpoint(ec);
    if (!ec)
        local_endpoint = to_endpoint(l);
    auto r = socket.remote_endpoint(ec);
    if (!ec)
        remote_endpoint = to_endpoint(r);
}

void Stream::Impl::touch() {
    if (idle_timeout.count() > 0)
        idle_deadline = Clock::now() + idle_timeout;
}

void Stream::Impl::arm() {
    auto next = std::min(idle_deadline, deadline);
    if (closed || next == Clock::time_point::max())
        return;
    if (watchdog_armed) {
        // The pending wait re-checks the deadlines when it fires; only an earlier deadline
        // than the armed one needs a re-arm.
        if (watchdog.expiry() <= next)
            return;
    }
    watchdog_armed = true;
    watchdog.expires_at(next);
    watchdog.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
        auto self = weak.lock();
        if (!self)
            return;
        self->watchdog_armed = false;
        if (ec || self->closed)
            return;
        auto now = Clock::now();
        if (now >= self->idle_deadline || now >= self->deadline) {
            if (self->timed_out) {  // the goodbye grace period is over too
                self->close_socket();
                return;
            }
            // First expiry: fail the pending operation but leave the socket open for a
            // few seconds so the session can send its goodbye ("421 timeout").
            self->timed_out = true;
            boost::system::error_code ignored;
            self->socket.cancel(ignored);
            self->idle_deadline = Clock::time_point::max();
            self->deadline = now + std::chrono::seconds(5);
        }
        self->arm();
    });
}

void Stream::Impl::close_socket() {
    if (closed)
        return;
    closed = true;
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    socket.close(ec);
    watchdog.cancel();
}

void Stream::Impl::request_stop() {
    stop_requested = true;
    if (interruptible) {
        boost::system::error_code ignored;
        socket.cancel(ignored);
    }
}

Stream::Stream(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
Stream::~Stream() {
    if (impl_)
        impl_->close_socket();
}

namespace {

Status map_error(const Stream::Impl& impl, const boost::system::error_code& ec,
                 std::string_view what) {
    if (impl.timed_out)
        return fail(Errc::timeout, std::string(what) + ": timed out");
    if (impl.stop_requested && ec == asio::error::operation_aborted) {
        return fail(Errc::cancelled, "server shutting down");
    }
    if (ec == asio::error::operation_aborted || impl.closed)
        return fail(Errc::cancelled, std::string(what) + ": closed");
    return fail(Errc::io_error, std::string(what) + ": " + ec.message());
}

bool is_eof(const boost::system::error_code& ec) {
    return ec == asio::error::eof || ec == asio::ssl::error::stream_truncated ||
           ec == asio::error::connection_reset;
}

}  // namespace

asio::awaitable<Result<std::size_t>> Stream::read_some(std::span<char> buffer) {
    auto& s = *impl_;
    if (s.closed || s.timed_out)
        co_return fail(s.timed_out ? Errc::timeout : Errc::cancelled, "read: closed");
    if (s.interruptible && s.stop_requested)
        co_return fail(Errc::cancelled, "server shutting down");
    s.touch();
    s.arm();
    // if/else, not ?: — GCC 12 miscompiles co_await inside conditional expressions.
    std::tuple<boost::system::error_code, std::size_t> result;
    if (s.tls) {
        result =
            co_await s.tls->async_read_some(asio::buffer(buffer.data(), buffer.size()), kUseTuple);
    } else {
        result = co_await s.socket.async_read_some(asio::buffer(buffer.data(), buffer.size()),
                                                   kUseTuple);
    }
    auto [ec, n] = result;
    if (ec) {
        if (is_eof(ec) && !s.timed_out && !s.closed)
            co_return std::size_t{0};
        co_return std::unexpected(map_error(s, ec, "read").error());
    }
    s.touch();
    co_return n;
}

asio::awaitable<Status> Stream::write(std::string_view data) {
    auto& s = *impl_;
    if (s.closed)
        co_return fail(s.timed_out ? Errc::timeout : Errc::cancelled, "write: closed");
    s.touch();
    s.arm();
    std::tuple<boost::system::error_code, std::size_t> result;
    if (s.tls) {
        result =
            co_await asio::async_write(*s.tls, asio::buffer(data.data(), data.size()), kUseTuple);
    } else {
        result =
            co_await asio::async_write(s.socket, asio::buffer(data.data(), data.size()), kUseTuple);
    }
    auto ec = std::get<0>(result);
    if (ec)
        co_return map_error(s, ec, "write");
    s.touch();
    co_return ok();
}

asio::awaitable<Status> Stream::start_tls_server(std::shared_ptr<TlsContext> context) {
    auto& s = *impl_;
    if (s.tls)
        co_return fail(Errc::invalid_argument, "TLS already active");
    s.tls_context = std::move(context);
    s.tls.emplace(s.socket, s.tls_context->impl().ctx);
    s.touch();
    s.arm();
    auto [ec] = co_await s.tls->async_handshake(asio::ssl::stream_base::server, kUseTuple);
    if (ec)
        co_return map_error(s, ec, "TLS handshake");
    co_return ok();
}

asio::awaitable<Status> Stream::start_tls_client(std::shared_ptr<TlsContext> context,
                                                 std::string server_name) {
    auto& s = *impl_;
    if (s.tls)
        co_return fail(Errc::invalid_argument, "TLS already active");
    s.tls_context = std::move(context);
    s.tls.emplace(s.socket, s.tls_context->impl().ctx);
    if (!server_name.empty()) {
        // SSL_set_tlsext_host_name is a macro with a C cast; call what it expands to.
        SSL_ctrl(s.tls->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 server_name.data());
        SSL_set1_host(s.tls->native_handle(), server_name.c_str());
    }
    s.touch();
    s.arm();
    auto [ec] = co_await s.tls->async_handshake(asio::ssl::stream_base::client, kUseTuple);
    if (ec)
        co_return map_error(s, ec, "TLS handshake");
    co_return ok();
}

bool Stream::tls_active() const {
    return impl_->tls.has_value();
}

std::string Stream::tls_summary() const {
    if (!impl_->tls)
        return "";
    SSL* ssl = const_cast<Impl&>(*impl_).tls->native_handle();
    std::string out = SSL_get_version(ssl);
    if (const char* cipher = SSL_get_cipher_name(ssl)) {
        out += " ";
        out += cipher;
    }
    return out;
}

std::string Stream::peer_certificate_subject() const {
    if (!impl_->tls)
        return "";
    SSL* ssl = const_cast<Impl&>(*impl_).tls->native_handle();
    X509* cert = SSL_get1_peer_certificate(ssl);
    if (!cert)
        return "";
    char buf[512] = {};
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof buf - 1);
    X509_free(cert);
    return buf;
}

void Stream::set_idle_timeout(std::chrono::milliseconds timeout) {
    impl_->idle_timeout = timeout;
    impl_->idle_deadline = timeout.count() > 0 ? Clock::now() + timeout : Clock::time_point::max();
    impl_->arm();
}

void Stream::set_deadline(Clock::time_point deadline) {
    impl_->deadline = deadline;
    impl_->arm();
}

bool Stream::timed_out() const {
    return impl_->timed_out;
}
void Stream::set_interruptible(bool interruptible) {
    impl_->interruptible = interruptible;
}
void Stream::close() {
    impl_->close_socket();
}
const Endpoint& Stream::local() const {
    return impl_->local_endpoint;
}
const Endpoint& Stream::remote() const {
    return impl_->remote_endpoint;
}

asio::awaitable<Result<std::unique_ptr<Stream>>> connect(const std::string& host,
                                                         std::uint16_t port,
                                                         std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    tcp::resolver resolver(executor);
    auto service = std::to_string(port);  // named: no temporaries in co_await (GCC 12)
    auto [rec, results] = co_await resolver.async_resolve(host, service, kUseTuple);
    if (rec)
        co_return fail(Errc::unavailable, "resolve " + host + ": " + rec.message());
    auto impl = std::make_shared<Stream::Impl>(tcp::socket(executor));
    impl->deadline = Clock::now() + timeout;
    impl->arm();
    auto [ec, endpoint] = co_await asio::async_connect(impl->socket, results, kUseTuple);
    if (ec) {
        if (impl->timed_out)
            co_return fail(Errc::timeout, "connect " + host + ": timed out");
        co_return fail(Errc::unavailable, "connect " + host + ": " + ec.message());
    }
    impl->deadline = Clock::time_point::max();
    boost::system::error_code ignored;
    impl->local_endpoint = to_endpoint(impl->socket.local_endpoint(ignored));
    impl->remote_endpoint = to_endpoint(endpoint);
    impl->socket.set_option(tcp::no_delay(true), ignored);
    co_return std::make_unique<Stream>(std::move(impl));
}

namespace {

asio::ip::address to_asio(const IpAddress& ip) {
    if (ip.is_v4()) {
        auto& b = ip.bytes();
        return asio::ip::make_address_v4(
            asio::ip::address_v4::bytes_type{b[12], b[13], b[14], b[15]});
    }
    asio::ip::address_v6::bytes_type bytes{};
    std::copy(ip.bytes().begin(), ip.bytes().end(), bytes.begin());
    return asio::ip::make_address_v6(bytes);
}

}  // namespace

asio::awaitable<Result<std::unique_ptr<Stream>>> connect_to(const IpAddress& address,
                                                            std::uint16_t port,
                                                            const std::optional<IpAddress>& source,
                                                            std::chrono::milliseconds timeout) {
    auto executor = co_await asio::this_coro::executor;
    auto remote = tcp::endpoint(to_asio(address), port);
    auto impl = std::make_shared<Stream::Impl>(tcp::socket(executor));
    boost::system::error_code ec;
    impl->socket.open(remote.protocol(), ec);
    if (ec)
        co_return fail(Errc::io_error, "socket: " + ec.message());
    if (source) {
        impl->socket.bind(tcp::endpoint(to_asio(*source), 0), ec);
        if (ec)
            co_return fail(Errc::unavailable,
                           "bind to " + source->to_string() + ": " + ec.message());
    }
    impl->deadline = Clock::now() + timeout;
    impl->arm();
    auto [cec] = co_await impl->socket.async_connect(remote, kUseTuple);
    if (cec) {
        if (impl->timed_out)
            co_return fail(Errc::timeout, "connect " + address.to_string() + ": timed out");
        co_return fail(Errc::unavailable, "connect " + address.to_string() + ": " + cec.message());
    }
    impl->deadline = Clock::time_point::max();
    boost::system::error_code ignored;
    impl->local_endpoint = to_endpoint(impl->socket.local_endpoint(ignored));
    impl->remote_endpoint = to_endpoint(remote);
    impl->socket.set_option(tcp::no_delay(true), ignored);
    co_return std::make_unique<Stream>(std::move(impl));
}

}  // namespace postern::net
