// Supervisor loop: poll on a self-pipe for signals and on the worker's control channel.
#include "daemon/supervisor.h"

#include <cerrno>
#include <chrono>
#include <map>
#include <set>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/strings.h"
#include "config/load.h"
#include "daemon/control_channel.h"
#include "log/log.h"

namespace postern::daemon {
namespace {

using Clock = std::chrono::steady_clock;

int g_signal_pipe[2] = {-1, -1};

void on_signal(int sig) {
    int saved = errno;
    unsigned char b = static_cast<unsigned char>(sig);
    [[maybe_unused]] auto n = ::write(g_signal_pipe[1], &b, 1);
    errno = saved;
}

class Supervisor {
  public:
    Supervisor(std::filesystem::path file, config::ConfigPtr config, WorkerMain main)
        : file_(std::move(file)),
          config_(std::move(config)),
          main_(std::move(main)),
          log_(std::make_shared<log::Channel>("SUPERVISOR", config_->server.hostname, 15,
                                              std::make_shared<log::StderrSink>()),
               "") {}

    int run();

  private:
    void spawn();
    void handle_signal(int sig);
    void handle_control();
    void worker_exited(int status);
    void reload();
    std::set<std::string> configured_addresses() const;
    void reply_acquire(const std::string& kind, const std::string& address);

    std::filesystem::path file_;
    config::ConfigPtr config_;
    WorkerMain main_;
    log::Logger log_;
    pid_t worker_ = -1;
    int control_ = -1;
    bool stopping_ = false;
    bool worker_ready_ = false;
    bool ever_ready_ = false;
    int exit_code_ = 0;
    Clock::time_point started_{};
    Clock::time_point restart_at_{};
    std::chrono::milliseconds backoff_{0};
    std::map<std::string, int> sockets_;  // "tcp:127.0.0.1:25" → bound socket
};

std::set<std::string> Supervisor::configured_addresses() const {
    std::set<std::string> out;
    for (auto& [name, svc] : config_->tcp_services()) {
        for (auto& l : svc->listeners)
            out.insert(net::socket_key(net::SocketKind::tcp, l.address));
    }
    for (auto& a : config_->log_service.listen)
        out.insert(net::socket_key(net::SocketKind::udp, a));
    return out;
}

void Supervisor::reply_acquire(const std::string& kind, const std::string& address) {
    auto hp = HostPort::parse(address);
    auto socket_kind = kind == "udp" ? net::SocketKind::udp : net::SocketKind::tcp;
    if (!hp || (kind != "tcp" && kind != "udp")) {
        (void)send_packet(control_, "ERR bad request");
        return;
    }
    auto key = net::socket_key(socket_kind, *hp);
    // A worker that dropped root may only have privileged ports the configuration names.
    if (hp->port < 1024 && !configured_addresses().contains(key)) {
        log_.warn("refused to bind {} for the worker: not in the configuration", key);
        (void)send_packet(control_, "ERR " + key + " is not in the configuration");
        return;
    }
    auto it = sockets_.find(key);
    if (it == sockets_.end()) {
        auto fd = net::bind_socket(socket_kind, *hp);
        if (!fd) {
            (void)send_packet(control_, "ERR " + fd.error().message);
            return;
        }
        it = sockets_.emplace(key, *fd).first;
    }
    (void)send_packet(control_, "OK", it->second);
}

void Supervisor::handle_control() {
    auto packet = receive_packet(control_);
    if (!packet) {
        ::close(control_);
        control_ = -1;
        return;
    }
    if (packet->fd >= 0)
        ::close(packet->fd);
    auto parts = split(packet->text, ' ');
    if (parts[0] == "ACQUIRE" && parts.size() == 3) {
        reply_acquire(std::string(parts[1]), std::string(parts[2]));
    } else if (parts[0] == "RELEASE" && parts.size() == 3) {
        auto hp = HostPort::parse(parts[2]);
        if (!hp)
            return;
        auto key =
            net::socket_key(parts[1] == "udp" ? net::SocketKind::udp : net::SocketKind::tcp, *hp);
        if (auto it = sockets_.find(key); it != sockets_.end()) {
            ::close(it->second);
            sockets_.erase(it);
        }
    } else if (parts[0] == "RELOAD") {
        reload();
    } else if (parts[0] == "READY") {
        worker_ready_ = ever_ready_ = true;
        log_.info("worker {} ready", worker_);
    } else {
        log_.warn("unknown control message: {}", packet->text);
    }
}

void Supervisor::reload() {
    auto next = config::load_file(file_);
    if (next) {
        config_ = *next;
    } else {
        log_.error("configuration reload failed, keeping the running one:\n{}",
                   next.error().to_string());
    }
    // The worker re-reads the file itself and reports problems in its own log.
    if (worker_ > 0)
        ::kill(worker_, SIGHUP);
}

void Supervisor::spawn() {
    int pair[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, pair) != 0) {
        log_.crit("socketpair: {}", errno_text(errno));
        restart_at_ = Clock::now() + std::chrono::seconds(1);
        return;
    }
    pid_t pid = ::fork();
    if (pid < 0) {
        log_.crit("fork: {}", errno_text(errno));
        ::close(pair[0]);
        ::close(pair[1]);
        restart_at_ = Clock::now() + std::chrono::seconds(1);
        return;
    }
    if (pid == 0) {
        // Worker: default signal dispositions, none of the supervisor's descriptors.
        for (int sig : {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1})
            ::signal(sig, SIG_DFL);
        ::close(g_signal_pipe[0]);
        ::close(g_signal_pipe[1]);
        ::close(pair[0]);
        for (auto& [key, fd] : sockets_)
            ::close(fd);
        ::_exit(main_(config_, pair[1]));
    }
    ::close(pair[1]);
    if (control_ >= 0)
        ::close(control_);
    control_ = pair[0];
    worker_ = pid;
    worker_ready_ = false;
    started_ = Clock::now();
    log_.info("worker {} started", pid);
}

void Supervisor::worker_exited(int status) {
    std::string how = WIFEXITED(status) ? "exited with code " + std::to_string(WEXITSTATUS(status))
                                        : "killed by signal " + std::to_string(WTERMSIG(status));
    worker_ = -1;
    if (stopping_) {
        log_.info("worker {}", how);
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
        return;
    }
    if (!ever_ready_) {
        log_.crit("worker {} before it was ready; not restarting", how);
        stopping_ = true;
        exit_code_ =
            WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : kWorkerStartFailed;
        return;
    }
    // Back-off: double after a quick crash, start over after a worker that ran a while.
    auto& s = config_->server;
    if (Clock::now() - started_ > std::chrono::seconds(60) || backoff_.count() == 0) {
        backoff_ = s.restart_backoff_min;
    } else {
        backoff_ = std::min(backoff_ * 2, s.restart_backoff_max);
    }
    log_.crit("worker {}; restarting in {} ms", how, backoff_.count());
    restart_at_ = Clock::now() + backoff_;
}

void Supervisor::handle_signal(int sig) {
    if (sig == SIGCHLD) {
        int status = 0;
        pid_t pid;
        while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
            if (pid == worker_)
                worker_exited(status);
        }
    } else if (sig == SIGHUP) {
        log_.info("SIGHUP: reloading configuration");
        reload();
    } else if (sig == SIGUSR1) {
        if (worker_ > 0)
            ::kill(worker_, SIGUSR1);
    } else if (sig == SIGTERM || sig == SIGINT) {
        if (!stopping_)
            log_.info("{}: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        stopping_ = true;
        if (worker_ > 0)
            ::kill(worker_, SIGTERM);
    }
}

int Supervisor::run() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        return 1;
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    for (int sig : {SIGCHLD, SIGHUP, SIGTERM, SIGINT, SIGUSR1})
        ::sigaction(sig, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    spawn();
    Clock::time_point kill_at{};
    while (true) {
        if (stopping_ && worker_ <= 0)
            break;
        if (stopping_ && kill_at == Clock::time_point{}) {
            kill_at = Clock::now() + config_->server.shutdown_grace + std::chrono::seconds(10);
        }
        if (!stopping_ && worker_ <= 0 && Clock::now() >= restart_at_)
            spawn();

        int timeout = 1000;
        if (!stopping_ && worker_ <= 0) {
            timeout = static_cast<int>(std::max<long>(
                0, std::chrono::duration_cast<std::chrono::milliseconds>(restart_at_ - Clock::now())
                       .count()));
        }
        pollfd fds[2] = {{g_signal_pipe[0], POLLIN, 0}, {control_, POLLIN, 0}};
        int n = ::poll(fds, control_ >= 0 ? 2 : 1, timeout);
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0 && (fds[0].revents & POLLIN)) {
            unsigned char sig;
            while (::read(g_signal_pipe[0], &sig, 1) == 1)
                handle_signal(sig);
        }
        if (n > 0 && control_ >= 0 && (fds[1].revents & (POLLIN | POLLHUP)))
            handle_control();
        if (stopping_ && worker_ > 0 && kill_at != Clock::time_point{} && Clock::now() >= kill_at) {
            log_.crit("worker {} did not stop in time; killing it", worker_);
            ::kill(worker_, SIGKILL);
        }
    }
    for (auto& [key, fd] : sockets_)
        ::close(fd);
    return exit_code_;
}

}  // namespace

int run_supervisor(const std::filesystem::path& config_file, config::ConfigPtr config,
                   WorkerMain worker_main) {
    Supervisor s(config_file, std::move(config), std::move(worker_main));
    return s.run();
}

}  // namespace postern::daemon
