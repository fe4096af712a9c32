// Unix-socket client for the admin protocol (newline-delimited JSON).
#include "tools/admin_client.h"

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/fs.h"

namespace postern::tools {

Result<nlohmann::json> call_daemon(const std::filesystem::path& socket_path,
                                   const nlohmann::json& request) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fail(Errc::io_error, "socket: " + errno_text(errno));
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (socket_path.native().size() >= sizeof addr.sun_path) {
        ::close(fd);
        return fail(Errc::invalid_argument, "admin socket path too long: " + socket_path.string());
    }
    std::strcpy(addr.sun_path, socket_path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        int err = errno;
        ::close(fd);
        if (err == EACCES)
            return fail(Errc::permission_denied,
                        "admin socket " + socket_path.string() + ": permission denied");
        return fail(Errc::unavailable,
                    "the daemon is not running (no admin socket at " + socket_path.string() +
                        "); use --offline to work on the data directory directly");
    }
    auto text = request.dump() + "\n";
    std::size_t sent = 0;
    while (sent < text.size()) {
        auto n = ::write(fd, text.data() + sent, text.size() - sent);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int err = errno;
            ::close(fd);
            return fail(Errc::io_error, "admin socket write: " + errno_text(err));
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buf[65536];
    while (reply.find('\n') == std::string::npos) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        reply.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fd);
    if (reply.empty())
        return fail(Errc::unavailable, "the daemon closed the admin connection without answering");
    auto parsed = nlohmann::json::parse(reply, nullptr, false);
    if (parsed.is_discarded())
        return fail(Errc::internal, "unreadable answer from the daemon");
    return parsed;
}

}  // namespace postern::tools
