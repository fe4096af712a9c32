// The generic host of a TCP protocol service: its runtime (threads), listeners with TLS,
// access rules and flow control, session registry, start/stop/reload. A protocol plugs in a
// session function; everything else is the same for SMTP, IMAP, POP3, HTTP, ...
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include <boost/asio/awaitable.hpp>

#include "log/log.h"
#include "net/connection.h"
#include "net/listen_sockets.h"
#include "net/tcp_listener.h"
#include "services/runtime.h"
#include "services/service.h"

namespace postern::services {

using ChannelFactory = std::function<std::shared_ptr<log::Channel>(
    const std::string& module, const config::LogSettings& settings)>;

// The automatic ban of abusive clients across TCP services ([protection.auto_ban]).
// Implemented by services::Protection; thread-safe.
class AbuseGuard {
  public:
    virtual ~AbuseGuard() = default;
    // The client is banned: its connection is refused before the session starts.
    virtual bool blocked(const IpAddress& ip) = 0;
    // A session of this client was closed for too many bad commands.
    virtual void protocol_errors(const IpAddress& ip, const log::Logger& log) = 0;
};

// What a session gets besides its connection.
struct SessionContext {
    config::ConfigPtr config;                 // the snapshot current when it was accepted
    const config::TcpServiceConfig* service;  // points into *config
    log::Logger logger;                       // carries the session id
    ThreadPool* blocking;                     // for run_blocking()
    AbuseGuard* abuse = nullptr;              // null: no automatic ban
};

using SessionFunction =
    std::function<boost::asio::awaitable<void>(net::Connection, SessionContext)>;

struct TcpServiceSpec {
    std::string name;    // config name: "smtp", "lmtp"
    std::string module;  // log module: "SMTP-IN", "LMTP", ...
    std::function<const config::TcpServiceConfig&(const config::Config&)> select;
    std::string refusal;  // sent to refused connections, e.g. "421 4.7.0 access denied\r\n"
    SessionFunction session;
    AbuseGuard* abuse = nullptr;  // set by the daemon; must outlive the service
};

class TcpService : public Service {
  public:
    TcpService(TcpServiceSpec spec, net::ListenSockets& sockets, ChannelFactory channels);
    ~TcpService() override;

    const std::string& name() const override { return spec_.name; }
    bool enabled_in(const config::Config& config) const override;
    Status start(const config::ConfigPtr& config) override;
    void stop(std::chrono::milliseconds grace) override;
    Status reload(const config::ConfigPtr& config) override;
    ServiceStatus status() const override;

  private:
    struct ListenerEntry;
    Status open_listener(const config::ListenerConfig& config);
    Result<std::shared_ptr<net::TlsContext>> tls_for(const config::TlsSettings& settings);
    boost::asio::awaitable<void> run_session(net::Connection connection);

    TcpServiceSpec spec_;
    net::ListenSockets& sockets_;
    ChannelFactory channels_;

    mutable std::mutex mutex_;  // guards everything below against concurrent admin calls
    std::atomic<std::shared_ptr<const config::Config>> config_;
    std::unique_ptr<Runtime> runtime_;
    std::shared_ptr<log::Channel> channel_;
    std::shared_ptr<net::AccessController> access_;
    std::map<std::string, std::unique_ptr<ListenerEntry>> listeners_;  // by address
    std::vector<std::pair<config::TlsSettings, std::shared_ptr<net::TlsContext>>> tls_cache_;
    std::shared_ptr<std::atomic<std::uint64_t>> session_counter_ =
        std::make_shared<std::atomic<std::uint64_t>>(0);
    std::shared_ptr<std::atomic<bool>> stopping_ = std::make_shared<std::atomic<bool>>(false);
    std::shared_ptr<net::SessionRegistry> sessions_ = std::make_shared<net::SessionRegistry>();
    std::string error_;
    bool running_ = false;
};

}  // namespace postern::services
