// A loopback TCP server for scanner/milter client tests: runs a handler per connection.
#pragma once

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace postern::filter::testing {

// Accepts connections on 127.0.0.1:<port> and runs `handler(fd)` for each, one at a time.
class TestServer {
  public:
    explicit TestServer(std::function<void(int)> handler, bool threaded = false)
        : handler_(std::move(handler)) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
        socklen_t len = sizeof a;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
        port_ = ntohs(a.sin_port);
        ::listen(fd_, 16);
        thread_ = std::thread([this, threaded] {
            for (;;) {
                int c = ::accept(fd_, nullptr, nullptr);
                if (c < 0 || stop_)
                    break;
                ++accepted;
                if (threaded) {
                    workers_.emplace_back([this, c] {
                        handler_(c);
                        ::close(c);
                    });
                    continue;
                }
                handler_(c);
                ::close(c);
            }
        });
    }
    ~TestServer() {
        stop_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        for (auto& w : workers_)
            w.join();
    }
    std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
    std::atomic<int> accepted{0};

  private:
    std::function<void(int)> handler_;
    int fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stop_{false};
    std::thread thread_;
    std::vector<std::thread> workers_;
};

inline std::string read_request(int fd, std::size_t at_least) {
    std::string in;
    char buf[4096];
    while (in.size() < at_least) {
        auto n = ::read(fd, buf, sizeof buf);
        if (n <= 0)
            break;
        in.append(buf, static_cast<std::size_t>(n));
    }
    return in;
}

inline void write_str(int fd, std::string_view s) {
    (void)!::write(fd, s.data(), s.size());
}

// A free port nobody listens on.
inline std::string dead_address() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return "127.0.0.1:" + std::to_string(ntohs(a.sin_port));
}

}  // namespace postern::filter::testing
