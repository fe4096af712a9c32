// Child-process management for the test DNS server (tests/e2e/dns_server.py).
#include "dns_test_server.h"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace postern::net::dns::testing {

namespace {

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "dns test server: %s\n", what.c_str());
    std::abort();
}

// Reads one line from `fd`, waiting at most `timeout` in total.
std::string read_line(int fd, std::chrono::milliseconds timeout) {
    std::string line;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0)
            die("no PORT line from dns_server.py");
        pollfd p{fd, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
            continue;
        char c = 0;
        auto n = ::read(fd, &c, 1);
        if (n <= 0)
            die("dns_server.py exited before printing its port");
        if (c == '\n')
            return line;
        line.push_back(c);
    }
}

}  // namespace

DnsTestServer::DnsTestServer(const std::string& zone_file) {
    int out[2];
    if (::pipe(out) != 0)
        die("pipe failed");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, out[0]);
    std::string script = std::string(POSTERN_SOURCE_DIR) + "/tests/e2e/dns_server.py";
    std::vector<std::string> args = {"/usr/bin/python3", script,   "--zones",
                                     zone_file,          "--port", "0"};
    std::vector<char*> argv;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);
    int rc = posix_spawn(&pid_, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    ::close(out[1]);
    if (rc != 0)
        die(std::string("posix_spawn: ") + std::strerror(rc));
    std::string line = read_line(out[0], std::chrono::seconds(30));
    ::close(out[0]);
    if (!line.starts_with("PORT "))
        die("unexpected first line: " + line);
    port_ = static_cast<std::uint16_t>(std::stoi(line.substr(5)));

    auto opts = options();
    opts.timeout = std::chrono::milliseconds(500);
    opts.tries = 2;
    auto created = CachingResolver::create(opts);
    if (!created)
        die("control resolver: " + created.error().to_string());
    control_ = std::move(*created);
    // The sockets are bound before the PORT line; this checks that answers really come back.
    for (int i = 0; i < 50; ++i) {
        if (control("ping._control") == "pong")
            return;
    }
    die("dns_server.py does not answer");
}

DnsTestServer::~DnsTestServer() {
    control_.reset();
    if (pid_ > 0) {
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
    }
}

Nameserver DnsTestServer::nameserver() const {
    return Nameserver{*IpAddress::parse("127.0.0.1"), port_};
}

ResolverOptions DnsTestServer::options() const {
    ResolverOptions o;
    o.nameservers = {nameserver()};
    o.timeout = std::chrono::milliseconds(300);
    o.tries = 1;
    return o;
}

std::string DnsTestServer::control(const std::string& name) {
    auto r = wait_result<TxtAnswer>(
        [&](Callback<TxtAnswer> cb) { control_->lookup_txt(name, std::move(cb)); });
    if (!r || r->records.empty())
        return {};
    return r->records.front().joined();
}

int DnsTestServer::count(const std::string& name, const std::string& type) {
    return std::stoi(control(type + "." + name + ".count._control"));
}

int DnsTestServer::tcp_count(const std::string& name, const std::string& type) {
    return std::stoi(control(type + "." + name + ".tcpcount._control"));
}

void DnsTestServer::release(const std::string& name) {
    control(name + ".release._control");
}

void DnsTestServer::reset() {
    control("reset._control");
}

DnsTestServer& server() {
    static DnsTestServer instance(std::string(POSTERN_SOURCE_DIR) +
                                  "/tests/unit/net/dns/test_zones.json");
    return instance;
}

}  // namespace postern::net::dns::testing
