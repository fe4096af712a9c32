// Admin socket sessions: peer credential check, newline-delimited JSON, bounded request size.
#include "daemon/admin_server.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "services/runtime.h"

namespace postern::daemon {

namespace asio = boost::asio;
using asio::local::stream_protocol;
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kMaxRequest = 64u << 20;  // a CSV import of ~1M accounts

struct AdminServer::Impl : std::enable_shared_from_this<AdminServer::Impl> {
    Impl(asio::io_context& io_, admin::Admin& a, log::Logger l)
        : io(io_), acceptor(io_), admin(a), logger(std::move(l)), pool("admin", 2) {}

    asio::io_context& io;
    stream_protocol::acceptor acceptor;
    admin::Admin& admin;
    log::Logger logger;
    ThreadPool pool;
    std::filesystem::path path;

    asio::awaitable<void> accept_loop();
    asio::awaitable<void> session(stream_protocol::socket socket);
};

asio::awaitable<void> AdminServer::Impl::accept_loop() {
    auto self = shared_from_this();
    while (acceptor.is_open()) {
        auto [ec, socket] = co_await acceptor.async_accept(kUseTuple);
        if (ec) {
            if (!acceptor.is_open() || ec == asio::error::operation_aborted)
                break;
            continue;
        }
        asio::co_spawn(io, session(std::move(socket)), asio::detached);
    }
}

asio::awaitable<void> AdminServer::Impl::session(stream_protocol::socket socket) {
    auto self = shared_from_this();
    ucred peer{};
    socklen_t len = sizeof peer;
    if (::getsockopt(socket.native_handle(), SOL_SOCKET, SO_PEERCRED, &peer, &len) != 0 ||
        (peer.uid != 0 && peer.uid != ::getuid())) {
        logger.warn("admin socket: refused uid {}", peer.uid);
        co_return;
    }
    asio::streambuf buffer(kMaxRequest);
    while (true) {
        auto [ec, n] = co_await asio::async_read_until(socket, buffer, '\n', kUseTuple);
        if (ec) {
            if (ec == asio::error::not_found) {
                std::string too_big =
                    R"({"ok":false,"error":{"code":"limit_exceeded","message":"request too large"}})"
                    "\n";
                co_await asio::async_write(socket, asio::buffer(too_big), kUseTuple);
            }
            co_return;
        }
        std::string line(asio::buffers_begin(buffer.data()),
                         asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n));
        buffer.consume(n);
        auto request = nlohmann::json::parse(line, nullptr, false);
        nlohmann::json response;
        if (request.is_discarded()) {
            response = {
                {"ok", false},
                {"error", {{"code", "invalid_argument"}, {"message", "request is not JSON"}}}};
        } else {
            auto command = request.value("command", std::string("?"));
            logger.info("admin: {} (uid {})", command, peer.uid);
            // Directory calls block on disk: run them off the loop.
            std::function<void()> job = [&] { response = admin.execute(request); };
            co_await services::run_blocking(pool, std::move(job));
        }
        auto text = response.dump() + "\n";
        auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(text), kUseTuple);
        if (wec)
            co_return;
    }
}

AdminServer::AdminServer(asio::io_context& io, admin::Admin& admin, log::Logger logger)
    : impl_(std::make_shared<Impl>(io, admin, std::move(logger))) {}

AdminServer::~AdminServer() {
    stop();
}

Status AdminServer::start(const std::filesystem::path& path) {
    std::error_code fec;
    std::filesystem::remove(path, fec);  // a stale socket from a killed worker
    boost::system::error_code ec;
    impl_->acceptor.open(stream_protocol(), ec);
    if (!ec)
        impl_->acceptor.bind(stream_protocol::endpoint(path.string()), ec);
    if (!ec)
        ::chmod(path.c_str(), 0600);
    if (!ec)
        impl_->acceptor.listen(64, ec);
    if (ec)
        return fail(Errc::unavailable, "admin socket " + path.string() + ": " + ec.message());
    impl_->path = path;
    asio::co_spawn(impl_->io, impl_->accept_loop(), asio::detached);
    return ok();
}

void AdminServer::stop() {
    boost::system::error_code ec;
    impl_->acceptor.close(ec);
    if (!impl_->path.empty()) {
        std::error_code fec;
        std::filesystem::remove(impl_->path, fec);
        impl_->path.clear();
    }
}

}  // namespace postern::daemon
