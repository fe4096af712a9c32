// Worker start-up, reload and shutdown. The main thread runs a small event loop for signals
// and the admin socket; every service runs on its own threads.
#include "daemon/worker.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "base/fs.h"
#include "config/load.h"
#include "daemon/control_channel.h"
#include "daemon/privileges.h"
#include "daemon/service_manager.h"
#include "daemon/supervisor.h"
#include "log/hub.h"
#include "services/log_service/log_service.h"
#include "services/tcp_service.h"
#include "services/test_responder/session.h"

namespace postern::daemon {

namespace asio = boost::asio;

namespace {

class Worker {
public:
    Worker(config::ConfigPtr config, int control_fd) : config_(std::move(config)), control_fd_(control_fd) {}
    int run();

private:
    void reload();
    void shutdown();
    void build_services();

    config::ConfigPtr config_;
    int control_fd_;
    std::unique_ptr<net::ListenSockets> sockets_;
    std::unique_ptr<log::Hub> hub_;
    log::Logger log_;
    std::unique_ptr<ServiceManager> services_;
    asio::io_context io_;
};

void Worker::build_services() {
    auto channels = [this](const std::string& module, const config::LogSettings& settings) {
        return hub_->channel(module, settings);
    };
    services_->add(std::make_unique<services::TcpService>(
        services::TcpServiceSpec{"test", "TEST", [](const config::Config& c) -> const config::TcpServiceConfig& { return c.test; },
                                 services::test_responder::kRefusal, services::test_responder::make_session(nullptr)},
        *sockets_, channels));
    services_->add(std::make_unique<services::LogService>(*sockets_, hub_->internal_sink(), hub_->logger("LOG")));
}

void Worker::reload() {
    auto next = config::load_file(config_->source);
    if (!next) {
        for (auto& p : next.error().problems) log_.error("reload: {}", p.to_string());
        log_.error("configuration not reloaded: keeping the running one");
        return;
    }
    config_ = *next;
    if (auto st = hub_->reconfigure(*config_); !st) log_.error("log settings not applied: {}", st.error().message);
    auto problems = services_->apply(config_);
    log_.info("configuration reloaded{}", problems.empty() ? "" : " with errors (see above)");
}

void Worker::shutdown() {
    log_.info("shutting down: finishing sessions (up to {} ms)", config_->server.shutdown_grace.count());
    services_->stop_all(config_->server.shutdown_grace);
    log_.info("stopped");
    io_.stop();
}

int Worker::run() {
    auto& server = config_->server;
    if (auto st = drop_privileges(server.user, server.group); !st) {
        std::fprintf(stderr, "posternd: cannot drop privileges: %s\n", st.error().message.c_str());
        return kWorkerStartFailed;
    }
    if (control_fd_ >= 0) {
        sockets_ = std::make_unique<SupervisorListenSockets>(control_fd_);
    } else {
        sockets_ = std::make_unique<net::DirectListenSockets>();
    }
    auto hub = log::Hub::create(*config_);
    if (!hub) {
        std::fprintf(stderr, "posternd: logging: %s\n", hub.error().message.c_str());
        return kWorkerStartFailed;
    }
    hub_ = std::move(*hub);
    log_ = hub_->logger("SERVER");
    log_.info("worker starting (pid {}, uid {})", ::getpid(), ::getuid());

    services_ = std::make_unique<ServiceManager>(log_);
    build_services();
    auto problems = services_->apply(config_);
    if (!problems.empty()) {
        for (auto& p : problems) {
            log_.crit("cannot start: {}", p);
            std::fprintf(stderr, "posternd: cannot start %s\n", p.c_str());
        }
        services_->stop_all(std::chrono::milliseconds(0));
        hub_->shutdown();
        return kWorkerStartFailed;
    }

    auto pid_file = server.data_dir / "run" / "worker.pid";
    (void)write_file_atomic(pid_file, std::to_string(::getpid()) + "\n");

    asio::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                log_.info("SIGHUP: reloading configuration");
                reload();
                wait_signal();
            } else {
                shutdown();
            }
        });
    };
    wait_signal();
    ::signal(SIGPIPE, SIG_IGN);

    if (control_fd_ >= 0) (void)send_packet(control_fd_, "READY");
    log_.info("worker ready");
    io_.run();

    std::error_code ec;
    std::filesystem::remove(pid_file, ec);
    hub_->shutdown();
    return 0;
}

}  // namespace

int run_worker(const config::ConfigPtr& config, int control_fd) {
    Worker worker(config, control_fd);
    return worker.run();
}

}  // namespace postern::daemon
