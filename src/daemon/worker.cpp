// Worker start-up, reload and shutdown. The main thread runs a small event loop for signals
// and the admin socket; every service runs on its own threads.
#include "daemon/worker.h"

#include <signal.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include "admin/admin.h"
#include "auth/authenticator.h"
#include "base/fs.h"
#include "config/load.h"
#include "daemon/admin_server.h"
#include "daemon/data_options.h"
#include "daemon/control_channel.h"
#include "daemon/policy_options.h"
#include "daemon/scan_options.h"
#include "daemon/privileges.h"
#include "daemon/service_manager.h"
#include "daemon/supervisor.h"
#include "directory/directory.h"
#include "filter/policy/holder.h"
#include "log/hub.h"
#include "queue/queue.h"
#include "net/dns/caching_resolver.h"
#include "services/processing/processing_service.h"
#include "services/smtp_out/smtp_out_service.h"
#include "store/api/store.h"
#include "services/log_service/log_service.h"
#include "filter/confirm/confirm.h"
#include "filter/lists/lists.h"
#include "services/confirm_filter.h"
#include "services/protection.h"
#include "services/smtp_in/send_limiter.h"
#include "services/smtp_in/sender_auth.h"
#include "services/imap/imap_service.h"
#include "services/managesieve/managesieve_service.h"
#include "services/pop3/pop3_service.h"
#include "services/smtp_in/smtp_service.h"
#include "services/tcp_service.h"

namespace postern::daemon {

namespace asio = boost::asio;

namespace {

net::dns::ResolverOptions resolver_options(const config::Config& config, log::Logger logger) {
    net::dns::ResolverOptions o;
    auto& d = config.dns;
    for (auto& text : d.nameservers) {
        if (auto ns = net::dns::parse_nameserver(text)) o.nameservers.push_back(*ns);
    }
    o.timeout = d.timeout;
    o.tries = static_cast<int>(d.tries);
    o.rotate = d.rotate;
    o.tcp = d.tcp == "always" ? net::dns::TcpMode::always : d.tcp == "never" ? net::dns::TcpMode::never
                                                                              : net::dns::TcpMode::fallback;
    o.edns = d.edns;
    o.cache_max_bytes = d.cache_size;
    o.max_ttl = std::chrono::duration_cast<std::chrono::seconds>(d.max_ttl);
    o.negative_ttl_max = std::chrono::duration_cast<std::chrono::seconds>(d.negative_ttl_max);
    o.failure_ttl = std::chrono::duration_cast<std::chrono::seconds>(d.failure_ttl);
    o.logger = std::move(logger);
    return o;
}

class Worker : public admin::ServerControl {
public:
    Worker(config::ConfigPtr config, int control_fd) : config_(std::move(config)), control_fd_(control_fd) {}
    // The queue's notice hook uses policy_, which is destroyed before queue_.
    ~Worker() override {
        if (queue_) queue_->set_notice_policy({});
    }
    int run();

    // admin::ServerControl (called from the admin pool's threads)
    nlohmann::json status() override;
    std::vector<services::ServiceStatus> services() override { return services_->status(); }
    Status start_service(const std::string& name) override { return services_->start(name); }
    Status stop_service(const std::string& name) override { return services_->stop(name); }
    Status restart_service(const std::string& name) override { return services_->restart(name); }
    Status reload() override;
    nlohmann::json auth_bans() override;
    Status unban(const std::string& who) override;
    void password_changed(std::int64_t account_id) override { authenticator_->password_changed(account_id); }

private:
    void apply_reload();
    void shutdown();
    void build_services();
    void add_protection_filters(filter::FilterChain& chain);

    config::ConfigPtr config_;
    int control_fd_;
    std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
    std::unique_ptr<net::ListenSockets> sockets_;
    std::unique_ptr<log::Hub> hub_;
    log::Logger log_;
    std::unique_ptr<directory::Directory> directory_;
    std::unique_ptr<auth::Authenticator> authenticator_;
    std::unique_ptr<queue::Queue> queue_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<net::dns::CachingResolver> resolver_;
    std::unique_ptr<services::Protection> protection_;  // greylist and country files
    std::shared_ptr<filter::confirm::ConfirmStore> confirm_store_;  // pending identity challenges
    services::processing::ProcessingService* processing_ = nullptr;  // owned by services_
    services::smtp_out::SmtpOutService* delivery_ = nullptr;        // owned by services_
    services::smtp_in::SendLimiter send_limiter_;
    std::unique_ptr<services::smtp_in::SenderAuthShared> sender_auth_;  // SPF/DKIM/DMARC state
    filter::policy::PolicyHolder policy_;  // the [policy] script in service (null: none)
    std::unique_ptr<filter::scan::ScannerMonitor> scan_monitor_;  // pings failed scanners
    std::unique_ptr<ServiceManager> services_;
    std::unique_ptr<admin::Admin> admin_;
    asio::io_context io_;
    std::unique_ptr<AdminServer> admin_server_;
};

nlohmann::json Worker::status() {
    auto up = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - started_);
    auto a = authenticator_->stats();
    nlohmann::json auth = {{"hash_verifications", a.hash_verifications}, {"cache_hits", a.cache_hits},
                           {"coalesced", a.coalesced}, {"upgrades", a.upgrades}, {"upgrade_failures", a.upgrade_failures}};
    auto l = hub_->stats();
    return {{"version", "0.1.0"}, {"hostname", config_->server.hostname}, {"pid", ::getpid()},
            {"supervisor_pid", control_fd_ >= 0 ? ::getppid() : 0}, {"uptime_s", up.count()},
            {"config", config_->source.string()}, {"data_dir", config_->server.data_dir.string()},
            {"auth", auth},
            {"log", {{"written", l.writer.written}, {"unmatched", l.writer.unmatched},
                     {"dropped", l.writer.dropped_queue_full}, {"rotations", l.writer.rotations},
                     {"errors", l.writer.errors}}}};
}

Status Worker::reload() {
    // Under the supervisor, it re-reads the file too (to know which privileged ports are
    // allowed) and then sends us SIGHUP, so every reload takes the same path.
    if (control_fd_ >= 0) {
        auto* sockets = static_cast<SupervisorListenSockets*>(sockets_.get());
        return sockets->request_reload();
    }
    asio::post(io_, [this] { apply_reload(); });
    return ok();
}

nlohmann::json Worker::auth_bans() {
    auto now = std::chrono::steady_clock::now();
    nlohmann::json out = nlohmann::json::array();
    for (auto& ban : authenticator_->bans()) {
        auto left = std::chrono::duration_cast<std::chrono::seconds>(ban.until - now).count();
        const char* kind = ban.kind == auth::Ban::Kind::ip        ? "ip"
                           : ban.kind == auth::Ban::Kind::protocol ? "ip-protocol"
                                                                    : "account";
        out.push_back({{"kind", kind},
                       {"subject", ban.subject}, {"remaining_s", left > 0 ? left : 0}});
    }
    return out;
}

Status Worker::unban(const std::string& who) {
    bool lifted = false;
    if (auto ip = IpAddress::parse(who)) {
        lifted = authenticator_->unban_ip(*ip);
    } else {
        lifted = authenticator_->unban_account(who);
    }
    if (!lifted) return fail(Errc::not_found, "no ban for " + who);
    log_.info("ban on {} lifted by an administrator", who);
    return ok();
}

void Worker::build_services() {
    auto channels = [this](const std::string& module, const config::LogSettings& settings) {
        return hub_->channel(module, settings);
    };
    services_->add(std::make_unique<services::LogService>(*sockets_, hub_->internal_sink(), hub_->logger("LOG")));
    services::smtp_in::Deps smtp{directory_.get(), authenticator_.get(), queue_.get(), &send_limiter_};
    smtp.policy = &policy_;
    smtp.resolver = resolver_.get();
    sender_auth_ = std::make_unique<services::smtp_in::SenderAuthShared>(config_->sender_auth, hub_->logger("SMTP-IN"));
    smtp.sender_auth = sender_auth_.get();
    smtp.protection = protection_.get();
    // Every TCP service refuses clients banned for protocol errors and reports its own.
    auto guarded = [this](services::TcpServiceSpec spec) {
        spec.abuse = protection_.get();
        return spec;
    };
    services_->add(std::make_unique<services::TcpService>(guarded(services::smtp_in::smtp_spec(smtp)), *sockets_, channels));
    services_->add(std::make_unique<services::TcpService>(guarded(services::smtp_in::lmtp_spec(smtp)), *sockets_, channels));
    services::imap::Deps imap{directory_.get(), authenticator_.get(), store_.get()};
    services_->add(std::make_unique<services::TcpService>(guarded(services::imap::imap_spec(imap)), *sockets_, channels));
    services::pop3::Deps pop3{directory_.get(), authenticator_.get(), store_.get()};
    services_->add(std::make_unique<services::TcpService>(guarded(services::pop3::pop3_spec(pop3)), *sockets_, channels));
    services::managesieve::Deps managesieve{authenticator_.get()};
    services_->add(std::make_unique<services::TcpService>(
        guarded(services::managesieve::managesieve_spec(managesieve)), *sockets_, channels));
    auto scan = build_scan_filters(*config_, *directory_, hub_->logger("PROCESSING"));
    add_protection_filters(*scan.chain);
    // A scanner that answers again resumes the messages deferred for it (the failsafe rule).
    scan_monitor_ = std::make_unique<filter::scan::ScannerMonitor>(
        config_->scan.ping_interval,
        [this](const filter::scan::Scanner& s) { (void)queue_->resume_processing(s.failure_tag()); },
        hub_->logger("PROCESSING"));
    scan_monitor_->set_scanners(scan.scanners);
    services::processing::Deps processing{queue_.get(), directory_.get(), store_.get(), scan.chain};
    auto service = std::make_unique<services::processing::ProcessingService>(processing, hub_->logger("PROCESSING"));
    processing_ = service.get();
    services_->add(std::move(service));
    auto out = std::make_unique<services::smtp_out::SmtpOutService>(*queue_, *resolver_, hub_->logger("SMTP-OUT"));
    delivery_ = out.get();
    out->set_policy(&policy_);
    services_->add(std::move(out));
    queue_->set_due_listener([this](queue::Lane lane) {
        if (lane == queue::Lane::remote) {
            delivery_->wake();
        } else {
            processing_->wake();
        }
    });
}

// The address white/blacklists run once per local account, after the server-level scanners.
void Worker::add_protection_filters(filter::FilterChain& chain) {
    chain.add(filter::Level::account, "*", 0,
              std::make_shared<filter::lists::AddressListFilter>([this] { return protection_->address_lists(); }));
    // Identity confirmation for the accounts that turn it on, after the lists decided.
    if (!confirm_store_) {
        auto opened = filter::confirm::ConfirmStore::open(config_->server.data_dir / "confirm.db");
        if (opened)
            confirm_store_ = std::move(*opened);
        else
            log_.error("identity confirmation is off: {}", opened.error().message);
    }
    services::ConfirmFilter::Deps confirm{directory_.get(), store_.get(), queue_.get(),
                                          [this] { return protection_->admin_address_lists(); },
                                          confirm_store_, config_->sender_auth.authserv_id,
                                          config_->server.hostname};
    chain.add(filter::Level::account, "*", 1,
              std::make_shared<services::ConfirmFilter>(std::move(confirm), hub_->logger("PROCESSING")));
}

void Worker::apply_reload() {
    auto next = config::load_file(config_->source);
    if (!next) {
        for (auto& p : next.error().problems) log_.error("reload: {}", p.to_string());
        log_.error("configuration not reloaded: keeping the running one");
        return;
    }
    config_ = *next;
    authenticator_->update(config_->auth);
    protection_->configure(*config_);
    for (auto& line : add_new_message_stores(*store_, *config_)) log_.info("{}", line);
    // A script that does not load is logged and the previous one stays in service.
    (void)policy_.reload(policy_script(config_->policy), policy_limits(config_->policy), hub_->logger("POLICY"));
    auto scan = build_scan_filters(*config_, *directory_, hub_->logger("PROCESSING"));
    add_protection_filters(*scan.chain);
    scan_monitor_->set_interval(config_->scan.ping_interval);
    scan_monitor_->set_scanners(scan.scanners);
    processing_->set_filters(scan.chain);
    if (auto st = hub_->reconfigure(*config_); !st) log_.error("log settings not applied: {}", st.error().message);
    auto problems = services_->apply(config_);
    log_.info("configuration reloaded{}", problems.empty() ? "" : " with errors (see above)");
}

void Worker::shutdown() {
    log_.info("shutting down: finishing sessions (up to {} ms)", config_->server.shutdown_grace.count());
    if (admin_server_) admin_server_->stop();
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

    auto directory = directory::Directory::open(server.data_dir, directory::DirectoryOptions::from(*config_));
    if (!directory) {
        log_.crit("directory: {}", directory.error().message);
        std::fprintf(stderr, "posternd: directory: %s\n", directory.error().message.c_str());
        hub_->shutdown();
        return kWorkerStartFailed;
    }
    directory_ = std::move(*directory);
    auth::AuthenticatorOptions auth_options;
    auth_options.hostname = server.hostname;
    auth_options.log = hub_->logger("AUTH");
    authenticator_ = std::make_unique<auth::Authenticator>(config_->auth, *directory_, auth_options);

    auto queue = queue::Queue::open(queue_options(*config_), hub_->logger("QUEUE"));
    if (!queue) {
        log_.crit("queue: {}", queue.error().message);
        std::fprintf(stderr, "posternd: queue: %s\n", queue.error().message.c_str());
        hub_->shutdown();
        return kWorkerStartFailed;
    }
    queue_ = std::move(*queue);
    queue_->set_notice_policy(notice_policy(policy_, hub_->logger("QUEUE")));

    auto resolver = net::dns::CachingResolver::create(resolver_options(*config_, hub_->logger("DNS")));
    if (!resolver) {
        log_.crit("dns: {}", resolver.error().message);
        std::fprintf(stderr, "posternd: dns: %s\n", resolver.error().message.c_str());
        hub_->shutdown();
        return kWorkerStartFailed;
    }
    resolver_ = std::move(*resolver);
    protection_ = std::make_unique<services::Protection>(hub_->logger("SMTP-IN"), authenticator_.get());
    protection_->configure(*config_);

    auto store = store::Store::open(store_options(*config_), hub_->logger("STORE"));
    if (!store) {
        log_.crit("store: {}", store.error().message);
        std::fprintf(stderr, "posternd: store: %s\n", store.error().message.c_str());
        hub_->shutdown();
        return kWorkerStartFailed;
    }
    store_ = std::move(*store);

    if (auto st = policy_.reload(policy_script(config_->policy), policy_limits(config_->policy), hub_->logger("POLICY"));
        !st) {
        // Starting without the configured policy would let through what it is meant to stop.
        std::fprintf(stderr, "posternd: policy: %s\n", st.error().message.c_str());
        hub_->shutdown();
        return kWorkerStartFailed;
    }

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

    admin::Resources resources{store_.get(), queue_.get()};
    resources.sieve_root = config_->server.data_dir / "sieve";
    resources.address_lists = [this] { return protection_->admin_address_lists(); };
    resources.greylist = [this] { return protection_->admin_greylist(); };
    admin_ = std::make_unique<admin::Admin>(*directory_, this, std::move(resources));
    admin_server_ = std::make_unique<AdminServer>(io_, *admin_, hub_->logger("ADMIN"));
    if (auto st = admin_server_->start(server.admin_socket); !st) {
        log_.crit("{}", st.error().message);
        std::fprintf(stderr, "posternd: %s\n", st.error().message.c_str());
        services_->stop_all(std::chrono::milliseconds(0));
        hub_->shutdown();
        return kWorkerStartFailed;
    }

    auto pid_file = server.data_dir / "run" / "worker.pid";
    (void)write_file_atomic(pid_file, std::to_string(::getpid()) + "\n");

    asio::signal_set signals(io_, SIGHUP, SIGTERM, SIGINT);
    signals.add(SIGUSR1);
    std::function<void()> wait_signal = [&] {
        signals.async_wait([&](boost::system::error_code ec, int sig) {
            if (ec) return;
            if (sig == SIGHUP) {
                log_.info("SIGHUP: reloading configuration");
                apply_reload();
                wait_signal();
            } else if (sig == SIGUSR1) {
                // An external logrotate moved the files: write to new ones by the same names.
                hub_->reopen();
                log_.info("SIGUSR1: log files reopened");
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

    // Services are stopped; nothing may call into them any more. Then the store and the
    // queue close (flushing), then logging.
    queue_->set_due_listener({});
    processing_ = nullptr;
    delivery_ = nullptr;
    services_.reset();
    scan_monitor_.reset();  // its thread calls into the queue
    resolver_->shutdown();
    store_.reset();
    queue_.reset();
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
