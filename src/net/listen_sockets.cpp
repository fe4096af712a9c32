// Binding listening sockets with the options a mail server wants.
#include "net/listen_sockets.h"

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::net {

std::string socket_key(SocketKind kind, const HostPort& address) {
    return (kind == SocketKind::tcp ? "tcp:" : "udp:") + address.to_string();
}

Result<int> bind_socket(SocketKind kind, const HostPort& address) {
    sockaddr_storage storage{};
    socklen_t len = 0;
    int family = AF_INET6;
    bool any = address.host == "*";
    if (any) {
        auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
        sa->sin6_family = AF_INET6;
        sa->sin6_addr = in6addr_any;
        sa->sin6_port = htons(address.port);
        len = sizeof *sa;
    } else {
        auto ip = IpAddress::parse(address.host);
        if (!ip)
            return fail(Errc::invalid_argument, "not an IP address: " + address.host);
        if (ip->is_v4()) {
            family = AF_INET;
            auto* sa = reinterpret_cast<sockaddr_in*>(&storage);
            sa->sin_family = AF_INET;
            std::memcpy(&sa->sin_addr, ip->bytes().data() + 12, 4);
            sa->sin_port = htons(address.port);
            len = sizeof *sa;
        } else {
            auto* sa = reinterpret_cast<sockaddr_in6*>(&storage);
            sa->sin6_family = AF_INET6;
            std::memcpy(&sa->sin6_addr, ip->bytes().data(), 16);
            sa->sin6_port = htons(address.port);
            len = sizeof *sa;
        }
    }
    int type = kind == SocketKind::tcp ? SOCK_STREAM : SOCK_DGRAM;
    int fd = ::socket(family, type | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(Errc::io_error, "socket: " + errno_text(errno));
    int one = 1, zero = 0;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (family == AF_INET6) {
        // "*" listens on both families through one dual-stack socket; an explicit IPv6
        // address is v6-only so it can coexist with an IPv4 listener on the same port.
        int v6only = any ? 0 : 1;
        ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, any ? &zero : &v6only, sizeof v6only);
    }
    if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), len) != 0) {
        int err = errno;
        ::close(fd);
        return fail(err == EACCES ? Errc::permission_denied : Errc::unavailable,
                    "bind " + address.to_string() + ": " + errno_text(err));
    }
    if (kind == SocketKind::tcp && ::listen(fd, 1024) != 0) {
        int err = errno;
        ::close(fd);
        return fail(Errc::io_error, "listen " + address.to_string() + ": " + errno_text(err));
    }
    return fd;
}

DirectListenSockets::~DirectListenSockets() {
    for (auto& [key, fd] : bound_)
        ::close(fd);
}

Result<int> DirectListenSockets::acquire(SocketKind kind, const HostPort& address) {
    std::lock_guard lock(mutex_);
    auto key = socket_key(kind, address);
    auto it = bound_.find(key);
    if (it == bound_.end()) {
        auto fd = bind_socket(kind, address);
        if (!fd)
            return fd;
        it = bound_.emplace(key, *fd).first;
    }
    int copy = ::fcntl(it->second, F_DUPFD_CLOEXEC, 0);
    if (copy < 0)
        return fail(Errc::io_error, "dup: " + errno_text(errno));
    return copy;
}

void DirectListenSockets::release(SocketKind kind, const HostPort& address) {
    std::lock_guard lock(mutex_);
    auto it = bound_.find(socket_key(kind, address));
    if (it == bound_.end())
        return;
    ::close(it->second);
    bound_.erase(it);
}

}  // namespace postern::net
