// Blocking sockets with poll(2) deadlines for the scanner clients.
#include "filter/scan/connection.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/ip_address.h"

namespace postern::filter::scan {

Result<ScanAddress> ScanAddress::parse(std::string_view text) {
    ScanAddress a;
    if (text.starts_with("unix:"))
        text.remove_prefix(5);
    if (text.starts_with("/")) {
        a.kind = Kind::unix_socket;
        a.path = std::string(text);
        if (a.path.size() >= sizeof(sockaddr_un{}.sun_path))
            return fail(Errc::invalid_argument, "socket path too long: " + a.path);
        return a;
    }
    auto hp = HostPort::parse(text);
    if (!hp || hp->port == 0 || hp->host.empty())
        return fail(Errc::invalid_argument,
                    "expected host:port or unix:/path, got \"" + std::string(text) + "\"");
    a.host = hp->host;
    a.port = hp->port;
    return a;
}

std::string ScanAddress::to_string() const {
    if (kind == Kind::unix_socket)
        return "unix:" + path;
    return HostPort{host, port}.to_string();
}

namespace {

int remaining_ms(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<Millis>(deadline - Clock::now()).count();
    return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

Status os_error(std::string_view what) {
    return fail(Errc::unavailable, std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Connection::Connection(Connection&& other) noexcept : fd_(other.fd_) {
    other.fd_ = -1;
}

Connection& Connection::operator=(Connection&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

Connection::~Connection() {
    if (fd_ >= 0)
        ::close(fd_);
}

Status Connection::wait(short events, Clock::time_point deadline) {
    for (;;) {
        pollfd p{fd_, events, 0};
        int n = ::poll(&p, 1, remaining_ms(deadline));
        if (n > 0)
            return ok();
        if (n == 0)
            return fail(Errc::timeout, "timed out");
        if (errno != EINTR)
            return os_error("poll");
    }
}

Result<Connection> Connection::open(const ScanAddress& address, Millis timeout) {
    auto deadline = Clock::now() + timeout;
    auto try_connect = [&](int family, const sockaddr* sa, socklen_t len) -> Result<Connection> {
        int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        if (fd < 0)
            return fail(os_error("socket").error());
        Connection c(fd);
        if (::connect(fd, sa, len) != 0) {
            if (errno != EINPROGRESS && errno != EAGAIN)
                return fail(os_error("connect to " + address.to_string()).error());
            if (auto st = c.wait(POLLOUT, deadline); !st)
                return fail(st.error().code, "connect to " + address.to_string() + ": timed out");
            int err = 0;
            socklen_t elen = sizeof err;
            ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
            if (err != 0) {
                return fail(Errc::unavailable,
                            "connect to " + address.to_string() + ": " + std::strerror(err));
            }
        }
        return c;
    };
    if (address.kind == ScanAddress::Kind::unix_socket) {
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        std::memcpy(sa.sun_path, address.path.data(), address.path.size());
        return try_connect(AF_UNIX, reinterpret_cast<const sockaddr*>(&sa), sizeof sa);
    }
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* list = nullptr;
    auto port = std::to_string(address.port);
    if (int rc = ::getaddrinfo(address.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
        return fail(Errc::unavailable, "cannot resolve " + address.host + ": " + gai_strerror(rc));
    }
    Result<Connection> last = fail(Errc::unavailable, "no address for " + address.host);
    for (auto* ai = list; ai; ai = ai->ai_next) {
        last = try_connect(ai->ai_family, ai->ai_addr, ai->ai_addrlen);
        if (last || last.error().code == Errc::timeout)
            break;
    }
    ::freeaddrinfo(list);
    return last;
}

Status Connection::write_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
        auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n > 0) {
            data.remove_prefix(static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (auto st = wait(POLLOUT, deadline); !st)
                return fail(st.error().code, "write: " + st.error().message);
            continue;
        }
        return os_error("write");
    }
    return ok();
}

Result<std::size_t> Connection::read_some(char* buffer, std::size_t size,
                                          Clock::time_point deadline) {
    for (;;) {
        auto n = ::recv(fd_, buffer, size, 0);
        if (n >= 0)
            return static_cast<std::size_t>(n);
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (auto st = wait(POLLIN, deadline); !st)
                return fail(st.error().code, "read: " + st.error().message);
            continue;
        }
        return fail(os_error("read").error());
    }
}

Result<std::string> Connection::read_to_end(std::size_t max, Clock::time_point deadline) {
    std::string out;
    char buffer[16384];
    for (;;) {
        auto n = read_some(buffer, sizeof buffer, deadline);
        if (!n)
            return fail(n.error());
        if (*n == 0)
            return out;
        if (out.size() + *n > max)
            return fail(Errc::limit_exceeded,
                        "reply longer than " + std::to_string(max) + " bytes");
        out.append(buffer, *n);
    }
}

Status Connection::read_exact(char* buffer, std::size_t size, Clock::time_point deadline) {
    while (size > 0) {
        auto n = read_some(buffer, size, deadline);
        if (!n)
            return fail(n.error());
        if (*n == 0)
            return fail(Errc::unavailable, "connection closed by the peer");
        buffer += *n;
        size -= *n;
    }
    return ok();
}

void Connection::shutdown_write() {
    ::shutdown(fd_, SHUT_WR);
}

void Connection::set_no_delay() {
    int one = 1;
    // Fails harmlessly (ENOTSUP/EOPNOTSUPP) on a Unix socket.
    (void)::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

}  // namespace postern::filter::scan
