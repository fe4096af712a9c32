// The process-wide log router: built from a config snapshot, owns the internal writer, the
// syslog sink and the remote sinks, and hands each module its Channel.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/result.h"
#include "config/config.h"
#include "log/internal_writer.h"
#include "log/log.h"
#include "log/remote_sink.h"
#include "log/stats.h"
#include "log/syslog_sink.h"

namespace postern::log {

struct HubOptions {
    std::string
        host;  // host name on local lines; default config.server.hostname, else gethostname()
    WallClock clock;    // the writer's rotation clock; default system clock
    QueueLimits queue;  // writer and syslog queues, each
    std::chrono::milliseconds flush_interval{1000};  // writer buffers reach files this soon
    SyslogEmitter syslog;                            // default: openlog/syslog(3)
    std::shared_ptr<Sink> stderr_sink;               // default: StderrSink
    std::size_t remote_max_datagram = kDefaultMaxDatagram;
};

// Settings of the module named `module`: those of the TCP service whose config name equals
// the module name lower-cased with '-' read as '_' ("SMTP-IN" → service smtp_in), else the
// [log] defaults.
config::LogSettings settings_for(const config::Config& config, std::string_view module);

// Thread-safe; every method may be called from any thread (none from a sink's own worker).
//
// Lifecycle: create() at startup → channel() per module → reconfigure() on SIGHUP →
// reopen() on SIGUSR1 (optional) → shutdown() last, after the services stopped.
class Hub {
  public:
    // Starts the internal writer (creating [log] directory). Fails when the directory cannot
    // be created. Remote targets and syslog are opened when a channel first needs them.
    static Result<std::unique_ptr<Hub>> create(const config::Config& config,
                                               HubOptions options = {});
    ~Hub();  // shutdown()
    Hub(const Hub&) = delete;
    Hub& operator=(const Hub&) = delete;

    // The channel of `module` ("SMTP-IN", "IMAP", "SUPERVISOR"...): the same object for the
    // same name. Given settings replace the module's mask and destination in place.
    std::shared_ptr<Channel> channel(std::string_view module, const config::LogSettings& settings);
    // As above with settings_for(current config, module).
    std::shared_ptr<Channel> channel(std::string_view module);
    // A Logger on channel(module) with `session`.
    Logger logger(std::string_view module, std::string session = {});

    // Applies a new snapshot: the writer's rules and directory (ordered after every line
    // already queued, so nothing is lost or reordered), then every existing channel's mask
    // and destination from settings_for(config, module). Remote sinks whose target is no
    // longer used are released once their last in-flight line is sent. Fails, changing
    // nothing, when the new log directory cannot be created. The host name is fixed at
    // create(); a changed server.hostname takes effect at restart (a warning says so).
    Status reconfigure(const config::Config& config);

    // Returns once every line queued so far is in its file (kernel) or handed to syslog.
    void flush();
    // Reopens log files by name (after an external logrotate moved them).
    void reopen();
    // Writes everything queued, closes files, stops the worker threads. Channels stay valid
    // and write to stderr afterwards. Idempotent.
    void shutdown();

    // Where the log service's Collector forwards remote records.
    std::shared_ptr<Sink> internal_sink() const { return writer_; }
    const std::string& host() const { return host_; }
    LogStats stats() const;

  private:
    struct Resolved {
        config::LogSettings defaults;
        std::map<std::string, config::LogSettings, std::less<>> services;
        bool also_stderr = false;
        std::string hostname;
    };

    Hub(HubOptions options, std::string host, std::shared_ptr<InternalWriter> writer);
    static Resolved resolve(const config::Config& config);
    config::LogSettings settings_locked(std::string_view module) const;
    std::shared_ptr<Sink> sink_locked(const config::LogSettings& settings);
    std::shared_ptr<Sink> primary_locked(const config::LogSettings& settings);
    void notice(Level level, std::string text);

    const HubOptions options_;
    const std::string host_;
    const std::shared_ptr<InternalWriter> writer_;
    const std::shared_ptr<Sink> stderr_;

    mutable std::mutex mutex_;
    Resolved resolved_;
    std::shared_ptr<SyslogSink> syslog_;
    std::map<std::string, std::shared_ptr<RemoteSink>> remotes_;  // by target "host:port"
    std::map<std::string, std::string> remote_errors_;            // targets that failed to open
    std::map<const Sink*, std::shared_ptr<Sink>> tees_;           // primary → primary+stderr
    std::map<std::string, std::shared_ptr<Channel>, std::less<>> channels_;
    bool shut_down_ = false;
};

}  // namespace postern::log
