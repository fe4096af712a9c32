// Packet I/O with descriptor passing over a Unix SOCK_SEQPACKET socket.
#include "daemon/control_channel.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::daemon {

constexpr std::size_t kMaxPacket = 1024;

Status send_packet(int channel, std::string_view text, int fd) {
    iovec iov{const_cast<char*>(text.data()), text.size()};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    if (fd >= 0) {
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
    }
    while (::sendmsg(channel, &msg, MSG_NOSIGNAL) < 0) {
        if (errno == EINTR)
            continue;
        return fail(Errc::io_error, "control channel send: " + errno_text(errno));
    }
    return ok();
}

Result<Packet> receive_packet(int channel) {
    char buf[kMaxPacket];
    iovec iov{buf, sizeof buf};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    while ((n = ::recvmsg(channel, &msg, MSG_CMSG_CLOEXEC)) < 0) {
        if (errno == EINTR)
            continue;
        return fail(Errc::io_error, "control channel receive: " + errno_text(errno));
    }
    if (n == 0)
        return fail(Errc::unavailable, "control channel closed");
    Packet p;
    p.text.assign(buf, static_cast<std::size_t>(n));
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
            std::memcpy(&p.fd, CMSG_DATA(c), sizeof(int));
    }
    return p;
}

Result<int> SupervisorListenSockets::acquire(net::SocketKind kind, const HostPort& address) {
    std::lock_guard lock(mutex_);
    auto key = net::socket_key(kind, address);
    auto sep = key.find(':');
    if (auto st =
            send_packet(channel_, "ACQUIRE " + key.substr(0, sep) + " " + key.substr(sep + 1));
        !st) {
        return fail(st.error());
    }
    auto reply = receive_packet(channel_);
    if (!reply)
        return fail(reply.error());
    if (reply->text == "OK" && reply->fd >= 0)
        return reply->fd;
    if (reply->fd >= 0)
        ::close(reply->fd);
    auto reason = reply->text.starts_with("ERR ") ? reply->text.substr(4) : reply->text;
    return fail(
        reason.find("ermission") != std::string::npos ? Errc::permission_denied : Errc::unavailable,
        reason);
}

void SupervisorListenSockets::release(net::SocketKind kind, const HostPort& address) {
    std::lock_guard lock(mutex_);
    auto key = net::socket_key(kind, address);
    auto sep = key.find(':');
    (void)send_packet(channel_, "RELEASE " + key.substr(0, sep) + " " + key.substr(sep + 1));
}

Status SupervisorListenSockets::request_reload() {
    std::lock_guard lock(mutex_);
    return send_packet(channel_, "RELOAD");
}

}  // namespace postern::daemon
