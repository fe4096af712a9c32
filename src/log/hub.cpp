// The process-wide log router: sinks by log type, channels by module, reload and shutdown.
#include "log/hub.h"

#include <set>

#include <unistd.h>

#include "base/strings.h"

namespace postern::log {

namespace {

// A destination plus the stderr mirror of `[log] stderr = true`.
class TeeSink final : public Sink {
  public:
    TeeSink(std::shared_ptr<Sink> first, std::shared_ptr<Sink> second)
        : first_(std::move(first)), second_(std::move(second)) {}
    void write(Record record) override {
        first_->write(record);
        second_->write(std::move(record));
    }
    void flush() override {
        first_->flush();
        second_->flush();
    }

  private:
    const std::shared_ptr<Sink> first_;
    const std::shared_ptr<Sink> second_;
};

std::string service_name(std::string_view module) {
    auto name = to_lower(module);
    for (auto& c : name) {
        if (c == '-')
            c = '_';
    }
    return name;
}

std::string local_hostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof(buf) - 1) != 0 || buf[0] == '\0')
        return "localhost";
    return buf;
}

}  // namespace

config::LogSettings settings_for(const config::Config& config, std::string_view module) {
    auto name = service_name(module);
    for (const auto& [service, cfg] : config.tcp_services()) {
        if (service == name)
            return cfg->log;
    }
    return config.log.defaults;
}

Hub::Resolved Hub::resolve(const config::Config& config) {
    Resolved r;
    r.defaults = config.log.defaults;
    for (const auto& [service, cfg] : config.tcp_services())
        r.services.emplace(service, cfg->log);
    r.also_stderr = config.log.also_stderr;
    r.hostname = config.server.hostname;
    return r;
}

Result<std::unique_ptr<Hub>> Hub::create(const config::Config& config, HubOptions options) {
    std::string host = !options.host.empty()             ? options.host
                       : !config.server.hostname.empty() ? config.server.hostname
                                                         : local_hostname();
    WriterOptions wo;
    wo.queue = options.queue;
    wo.flush_interval = options.flush_interval;
    wo.clock = options.clock;
    wo.host = host;
    auto writer = InternalWriter::start(WriterConfig::from(config.log), std::move(wo));
    if (!writer)
        return fail(writer.error());
    std::unique_ptr<Hub> hub(new Hub(std::move(options), std::move(host), std::move(*writer)));
    hub->resolved_ = resolve(config);
    return hub;
}

Hub::Hub(HubOptions options, std::string host, std::shared_ptr<InternalWriter> writer)
    : options_(std::move(options)),
      host_(std::move(host)),
      writer_(std::move(writer)),
      stderr_(options_.stderr_sink ? options_.stderr_sink : std::make_shared<StderrSink>()) {}

Hub::~Hub() {
    shutdown();
}

config::LogSettings Hub::settings_locked(std::string_view module) const {
    if (auto it = resolved_.services.find(service_name(module)); it != resolved_.services.end()) {
        return it->second;
    }
    return resolved_.defaults;
}

std::shared_ptr<Sink> Hub::primary_locked(const config::LogSettings& settings) {
    switch (settings.type) {
        case config::LogType::internal:
            return writer_;
        case config::LogType::system:
            if (!syslog_)
                syslog_ = std::make_shared<SyslogSink>(options_.syslog, options_.queue, host_);
            return syslog_;
        case config::LogType::remote:
            break;
    }
    if (!settings.remote)
        return writer_;  // config validation prevents this
    auto target = settings.remote->to_string();
    if (auto it = remotes_.find(target); it != remotes_.end())
        return it->second;
    auto sink = RemoteSink::open(*settings.remote, options_.remote_max_datagram);
    if (!sink) {
        // Keep the lines rather than lose them: the local files take them until a reload
        // finds the target again.
        if (remote_errors_.emplace(target, sink.error().message).second) {
            notice(kError, sink.error().message + "; logging to local files instead");
        }
        return writer_;
    }
    remote_errors_.erase(target);
    remotes_.emplace(target, *sink);
    return *sink;
}

std::shared_ptr<Sink> Hub::sink_locked(const config::LogSettings& settings) {
    if (shut_down_)
        return stderr_;
    auto primary = primary_locked(settings);
    if (!resolved_.also_stderr)
        return primary;
    auto& tee = tees_[primary.get()];
    if (!tee)
        tee = std::make_shared<TeeSink>(primary, stderr_);
    return tee;
}

std::shared_ptr<Channel> Hub::channel(std::string_view module,
                                      const config::LogSettings& settings) {
    std::lock_guard lock(mutex_);
    auto sink = sink_locked(settings);
    if (auto it = channels_.find(module); it != channels_.end()) {
        it->second->update(settings.level, std::move(sink));
        return it->second;
    }
    auto channel =
        std::make_shared<Channel>(std::string(module), host_, settings.level, std::move(sink));
    channels_.emplace(std::string(module), channel);
    return channel;
}

std::shared_ptr<Channel> Hub::channel(std::string_view module) {
    config::LogSettings settings;
    {
        std::lock_guard lock(mutex_);
        settings = settings_locked(module);
    }
    return channel(module, settings);
}

Logger Hub::logger(std::string_view module, std::string session) {
    return Logger(channel(module), std::move(session));
}

Status Hub::reconfigure(const config::Config& config) {
    std::lock_guard lock(mutex_);
    if (shut_down_)
        return fail(Errc::cancelled, "log hub is shut down");
    // The writer change is queued behind every line already queued: those go where the old
    // rules said, later ones where the new rules say.
    if (auto st = writer_->reconfigure(WriterConfig::from(config.log)); !st)
        return st;
    auto old_hostname = resolved_.hostname;
    resolved_ = resolve(config);
    if (resolved_.hostname != old_hostname && !resolved_.hostname.empty()) {
        notice(kWarning, "server.hostname changed to " + resolved_.hostname + "; log lines keep " +
                             host_ + " until restart");
    }
    // Rebuilt from scratch so that targets no longer used are released, and a target that
    // failed to open is tried again.
    auto old_remotes = std::move(remotes_);
    remotes_.clear();
    remote_errors_.clear();
    tees_.clear();
    for (auto& [module, channel] : channels_) {
        auto settings = settings_locked(module);
        if (settings.type == config::LogType::remote && settings.remote) {
            // Keep a working socket (and its counters) when the target did not change.
            auto target = settings.remote->to_string();
            if (auto it = old_remotes.find(target); it != old_remotes.end())
                remotes_.emplace(target, it->second);
        }
        // Channel::update swaps mask and sink atomically; a line already inside the old sink
        // finishes there (the sink lives while that write holds it).
        channel->update(settings.level, sink_locked(settings));
    }
    return ok();
}

void Hub::flush() {
    std::shared_ptr<SyslogSink> syslog;
    {
        std::lock_guard lock(mutex_);
        syslog = syslog_;
    }
    writer_->flush();
    if (syslog)
        syslog->flush();
    stderr_->flush();
}

void Hub::reopen() {
    writer_->reopen();
}

void Hub::shutdown() {
    std::shared_ptr<SyslogSink> syslog;
    {
        std::lock_guard lock(mutex_);
        if (shut_down_)
            return;
        shut_down_ = true;
        // Lines from code that outlives the log (a late destructor) stay visible on stderr
        // instead of vanishing into a stopped queue.
        for (auto& [module, channel] : channels_)
            channel->update(channel->mask(), stderr_);
        syslog = syslog_;
    }
    writer_->stop();
    if (syslog)
        syslog->stop();
}

void Hub::notice(Level level, std::string text) {
    Record r{std::chrono::system_clock::now(), level, host_,
             std::string(kLogModule),          {},    std::move(text)};
    if (resolved_.also_stderr)
        stderr_->write(r);
    writer_->write(std::move(r));
}

LogStats Hub::stats() const {
    LogStats s;
    s.writer = writer_->stats();
    std::lock_guard lock(mutex_);
    if (syslog_)
        s.syslog = syslog_->stats();
    for (const auto& [target, sink] : remotes_)
        s.remotes.push_back(sink->stats());
    for (const auto& [target, error] : remote_errors_) {
        RemoteStats r;
        r.target = target;
        r.last_error = error;
        s.remotes.push_back(std::move(r));
    }
    s.channels = channels_.size();
    return s;
}

}  // namespace postern::log
