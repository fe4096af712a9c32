// Outgoing delivery: next-hop selection, TLS policy, connection reuse, per-destination limits,
// and the mapping of SMTP replies to queue results (RFC 5321 §4.2.5, §5.1; RFC 3461 relaying).
#include "services/smtp_out/smtp_out_service.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <fstream>

#include "base/strings.h"
#include "mime/header_filter.h"
#include "proto/smtp/address.h"
#include "proto/smtp/dsn.h"
#include "queue/queue.h"
#include "services/dns_bridge.h"
#include "services/smtp_out/client.h"
#include "services/smtp_out/relay_policy.h"
#include "services/smtp_out/routing.h"

namespace postern::services::smtp_out {

namespace asio = boost::asio;
namespace smtp = proto::smtp;
using SteadyClock = std::chrono::steady_clock;

// Idle connections kept for the next message to the same host, keyed by address, port, TLS
// policy and login. Only touched from the service's single event-loop thread.
struct SmtpOutService::Pool {
    struct Idle {
        std::unique_ptr<SmtpClient> client;
        SteadyClock::time_point since;
    };
    std::map<std::string, std::vector<Idle>> idle;

    std::unique_ptr<SmtpClient> take(const std::string& key, std::chrono::milliseconds max_idle) {
        auto it = idle.find(key);
        if (it == idle.end()) return nullptr;
        while (!it->second.empty()) {
            auto entry = std::move(it->second.back());
            it->second.pop_back();
            if (SteadyClock::now() - entry.since < max_idle && entry.client->usable()) return std::move(entry.client);
        }
        return nullptr;
    }
};

namespace {

struct Candidate {
    std::string host;  // name for logs, TLS (SNI, verification) and Remote-MTA
    IpAddress ip;
};

queue::Outcome outcome_of(const smtp::Reply& r) {
    if (r.positive()) return queue::Outcome::delivered;
    return r.code >= 500 ? queue::Outcome::permanent : queue::Outcome::temporary;
}

std::string status_of(const smtp::Reply& r) {
    if (r.enhanced) return r.enhanced->to_string();
    if (r.positive()) return "2.0.0";
    return r.code >= 500 ? "5.0.0" : "4.0.0";
}

std::string diagnostic_of(const smtp::Reply& r) {
    std::string text = "smtp; " + std::to_string(r.code);
    if (r.enhanced) text += " " + r.enhanced->to_string();
    text += " " + r.text();
    for (auto& c : text) {
        if (c == '\n') c = ' ';
    }
    return text;
}

std::string domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string() : to_lower(address.substr(at + 1));
}

// Our header fields first, then the queued body in 256 KiB pieces read on the blocking pool,
// less the header fields the filters removed (`filter` null when none).
asio::awaitable<Result<bool>> read_body_chunk(const queue::DeliveryJob& job, std::shared_ptr<std::ifstream> file,
                                              ThreadPool* blocking, mime::HeaderFieldFilter* filter, bool& prefix_sent,
                                              std::string& out) {
    if (!prefix_sent) {
        prefix_sent = true;
        out = job.header_prefix;
        co_return true;
    }
    if (!*file) {
        if (file->eof()) co_return false;
        co_return fail(Errc::io_error, "cannot read " + job.body_path.string());
    }
    std::function<void()> read = [&] {
        if (!filter) {
            out.resize(256 * 1024);
            file->read(out.data(), static_cast<std::streamsize>(out.size()));
            out.resize(static_cast<std::size_t>(file->gcount()));
            return;
        }
        // A piece may shrink to nothing (all removed fields): read on until there is output.
        std::string raw(256 * 1024, '\0');
        out.clear();
        while (out.empty()) {
            file->read(raw.data(), static_cast<std::streamsize>(raw.size()));
            auto n = static_cast<std::size_t>(file->gcount());
            filter->feed(std::string_view(raw).substr(0, n), out);
            if (!*file) {
                filter->finish(out);
                break;
            }
        }
    };
    co_await run_blocking(*blocking, std::move(read));
    if (out.empty() && file->bad()) co_return fail(Errc::io_error, "cannot read " + job.body_path.string());
    co_return !out.empty();
}

// No host answered: every recipient of the job is retried with "no answer from host" (RFC 3463
// 4.4.1) and the reason, and the attempt counts toward marking the destination unavailable.
void report_unreached(const queue::DeliveryJob& job, queue::DeliveryReport& report, const std::string& reason) {
    report.reached = false;
    report.reason = reason;
    report.results.clear();
    for (const auto& r : job.recipients) {
        report.results.push_back({r.index, queue::Outcome::temporary, "4.4.1", "X-Postern; " + reason, ""});
    }
}

void send_report(queue::Queue& queue, const queue::DeliveryJob& job, queue::DeliveryReport report,
                 const log::Logger& log) {
    if (auto st = queue.report_delivery(job.id, std::move(report)); !st) {
        // The lease runs out and the queue hands the recipients out again: nothing is lost.
        log.warn("could not record the delivery result: {}", st.error().message);
    }
}

asio::awaitable<void> wait_for(std::chrono::milliseconds d) {
    asio::steady_timer timer(co_await asio::this_coro::executor, d);
    co_await timer.async_wait(asio::use_awaitable);
}

}  // namespace

SmtpOutService::SmtpOutService(queue::Queue& queue, net::dns::Resolver& resolver, log::Logger logger)
    : queue_(queue), resolver_(resolver), log_(std::move(logger)) {}

SmtpOutService::~SmtpOutService() { stop(std::chrono::milliseconds(0)); }

Status SmtpOutService::start(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    if (loop_) return ok();
    config_ = config;
    auto any = net::TlsContext::create_client("", false);
    auto verify = net::TlsContext::create_client(config->delivery.ca_file.string(), true);
    if (!any) return fail(any.error());
    if (!verify) return fail(verify.error());
    tls_any_ = *any;
    tls_verify_ = *verify;
    pool_ = std::make_unique<Pool>();
    stopping_ = false;
    // One event-loop thread: sessions are I/O-bound, and pooled connections move between
    // deliveries without crossing threads.
    runtime_ = std::make_unique<Runtime>("delivery", 1, 3);
    runtime_->start();
    loop_ = std::make_unique<LaneLoop>("delivery-loop", queue_, std::vector<queue::Lane>{queue::Lane::remote},
                                       [this](queue::Lane) { return drain(); });
    loop_for_wakeups_ = loop_.get();
    loop_->start();
    log_.info("delivery started (max {} sessions, {} per destination)", config->delivery.max_connections,
              config->delivery.max_per_destination);
    return ok();
}

void SmtpOutService::stop(std::chrono::milliseconds grace) {
    std::unique_ptr<LaneLoop> loop;
    {
        std::lock_guard lock(mutex_);
        loop = std::move(loop_);
    }
    if (!loop) return;
    loop_for_wakeups_ = nullptr;  // the loop object lives until the io threads are joined below
    stopping_ = true;
    loop->stop();
    auto deadline = SteadyClock::now() + grace;
    while (in_flight_.load() > 0 && SteadyClock::now() < deadline) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    // Deliveries still running are abandoned: their jobs are given back by the queue and
    // tried again (the next hop may see the message twice, which SMTP allows, RFC 5321 §6.1).
    std::lock_guard lock(mutex_);
    runtime_->stop();
    pool_.reset();
    runtime_.reset();
    log_.info("delivery stopped");
}

Status SmtpOutService::reload(const config::ConfigPtr& config) {
    std::lock_guard lock(mutex_);
    config_ = config;
    return ok();
}

ServiceStatus SmtpOutService::status() const {
    std::lock_guard lock(mutex_);
    ServiceStatus s;
    s.name = name_;
    s.enabled = config_ && config_->delivery.enabled;
    s.running = loop_ != nullptr;
    s.threads = runtime_ ? runtime_->threads() : 0;
    s.connections = in_flight_.load();
    s.sessions_total = delivered_.load();
    return s;
}

void SmtpOutService::wake() {
    std::lock_guard lock(mutex_);
    if (loop_) loop_->wake();
}

// A session slot is free again: the loop may hand out work it had to leave behind. Not
// through wake(): stop() holds mutex_ while it joins the threads that run this.
void SmtpOutService::job_finished() {
    --in_flight_;
    if (auto* loop = loop_for_wakeups_.load()) loop->wake();
}

std::size_t SmtpOutService::drain() {
    config::ConfigPtr config;
    {
        std::lock_guard lock(mutex_);
        config = config_;
        if (!runtime_) return 0;
    }
    unsigned limit = config->delivery.max_connections;
    unsigned busy = in_flight_.load();
    if (busy >= limit) return 0;
    auto jobs = queue_.take_deliveries(queue::Lane::remote, queue::Clock::now(), limit - busy);
    for (auto& job : jobs) {
        ++in_flight_;
        asio::co_spawn(runtime_->io(), deliver(std::move(job)), asio::detached);
    }
    return jobs.size();
}

asio::awaitable<bool> SmtpOutService::acquire_slot(const std::string& destination) {
    while (!stopping_) {
        {
            std::lock_guard lock(mutex_);
            auto& n = per_destination_[destination];
            if (n < config_->delivery.max_per_destination) {
                ++n;
                co_return true;
            }
        }
        co_await wait_for(std::chrono::milliseconds(50));
    }
    co_return false;
}

void SmtpOutService::release_slot(const std::string& destination) {
    std::lock_guard lock(mutex_);
    auto it = per_destination_.find(destination);
    if (it != per_destination_.end() && --it->second == 0) per_destination_.erase(it);
}

asio::awaitable<void> SmtpOutService::deliver(queue::DeliveryJob job) {
    config::ConfigPtr config;
    {
        std::lock_guard lock(mutex_);
        config = config_;
    }
    auto& d = config->delivery;
    auto log = log_.with_session(job.id.str());
    std::string destination = job.destination.empty() ? domain_of(job.recipients.front().address) : job.destination;
    queue::DeliveryReport report;

    if (!co_await acquire_slot(destination)) {
        job_finished();
        co_return;
    }
    auto route = route_for(d, destination, domain_of(job.sender));
    if (co_await relay_policy(policy_, runtime_->blocking(), queue_, job, destination, route, log)) {
        release_slot(destination);
        job_finished();
        co_return;
    }

    // The hosts to try, best first.
    std::vector<Candidate> candidates;
    std::uint16_t port = d.port;
    std::string no_hosts;
    bool permanent_dns = false;
    if (route.smarthost) {
        port = route.smarthost->port;
        if (auto ip = IpAddress::parse(route.smarthost->host)) {
            candidates.push_back({route.smarthost->host, *ip});
        } else {
            auto a = co_await dns_lookup_a(resolver_, route.smarthost->host);
            if (a) {
                for (auto& address : a->records) candidates.push_back({route.smarthost->host, address});
            } else {
                no_hosts = "smarthost " + route.smarthost->host + ": " + a.error().message;
            }
        }
    } else if (auto literal = address_literal(destination)) {
        candidates.push_back({destination, *literal});
    } else {
        net::dns::MxOptions options;
        options.ipv6 = d.ipv6;
        auto mx = co_await dns_resolve_mx_hosts(resolver_, destination, options);
        if (!mx) {
            no_hosts = mx.error().message;
            // A domain that does not exist, has no MX and no address, or publishes null MX
            // (RFC 7505) will not start accepting mail on retry: bounce now.
            auto code = mx.error().code;
            permanent_dns = code == net::dns::DnsErrc::nxdomain || code == net::dns::DnsErrc::nodata ||
                            code == net::dns::DnsErrc::no_mail;
        } else {
            for (auto& host : mx->hosts) {
                for (auto& ip : host.addresses) candidates.push_back({host.name, ip});
            }
        }
    }
    if (candidates.empty()) {
        log.info("no host for {}: {}", destination, no_hosts);
        if (permanent_dns) {
            for (auto& r : job.recipients) {
                report.results.push_back({r.index, queue::Outcome::permanent, "5.1.2",
                                          "dns; cannot deliver to " + destination + ": " + no_hosts, ""});
            }
        } else {
            report_unreached(job, report, "DNS: " + no_hosts);
        }
        send_report(queue_, job, std::move(report), log);
        release_slot(destination);
        job_finished();
        co_return;
    }

    // The envelope, as the codec formats it for each server's capabilities.
    smtp::MailFrom mail;
    if (!job.sender.empty()) {
        auto m = smtp::parse_mailbox(job.sender, smtp::AddressPolicy{}, true);
        if (m) mail.sender = *m;
    }
    mail.size = job.size + job.header_prefix.size();
    switch (job.body_type) {
        case queue::BodyType::seven_bit: mail.body = smtp::Body::seven_bit; break;
        case queue::BodyType::eight_bit_mime: mail.body = smtp::Body::eight_bit_mime; break;
        case queue::BodyType::binary_mime: mail.body = smtp::Body::binary_mime; break;
        case queue::BodyType::unspecified: break;
    }
    mail.smtputf8 = job.smtputf8;
    mail.ret = job.ret == queue::Ret::full ? smtp::Ret::full : job.ret == queue::Ret::headers ? smtp::Ret::headers : smtp::Ret::unspecified;
    if (!job.envid.empty()) mail.envid = job.envid;
    std::vector<smtp::RcptTo> rcpts;
    for (auto& r : job.recipients) {
        smtp::RcptTo rcpt;
        auto m = smtp::parse_mailbox(r.address, smtp::AddressPolicy{}, true);
        if (m) rcpt.recipient = *m;
        rcpt.notify = r.notify;
        if (!r.orcpt.empty()) {
            auto semi = r.orcpt.find(';');
            if (semi != std::string::npos) {
                rcpt.orcpt = smtp::OriginalRecipient{r.orcpt.substr(0, semi), r.orcpt.substr(semi + 1), ""};
            }
        }
        rcpts.push_back(std::move(rcpt));
    }

    std::string last_error;
    bool done = false;
    // Pooled connections are shared only by deliveries with the same TLS policy, login and
    // source address.
    std::string key_suffix = "|" + std::to_string(static_cast<int>(route.tls)) + "|" + route.auth_user + "|" +
                             (route.source_ip ? route.source_ip->to_string() : std::string());
    for (std::size_t attempt = 0; attempt < candidates.size() && attempt < 10 && !done && !stopping_; ++attempt) {
        auto& c = candidates[attempt];
        std::string key = c.ip.to_string() + ":" + std::to_string(port) + key_suffix;
        std::unique_ptr<SmtpClient> client = pool_->take(key, d.reuse_idle);
        if (!client) {
            auto stream = co_await net::connect_to(c.ip, port, route.source_ip, d.connect_timeout);
            if (!stream) {
                last_error = c.host + " [" + c.ip.to_string() + "]: " + stream.error().message;
                log.info("{}", last_error);
                continue;
            }
            client = std::make_unique<SmtpClient>(std::move(*stream), c.host,
                                                  ClientTimeouts{d.command_timeout, d.data_timeout}, log);
            if (route.tls == config::OutboundTls::implicit) {
                auto handshake = co_await client->handshake(tls_verify_);
                if (!handshake) {
                    last_error = c.host + ": TLS: " + handshake.error().message;
                    log.info("{}", last_error);
                    co_await client->quit();
                    continue;
                }
            }
            auto hello = co_await client->greet(d.helo_name);
            if (!hello || hello->code != 250) {
                last_error = c.host + ": " + (hello ? std::to_string(hello->code) + " " + hello->text() : hello.error().message);
                log.info("{} did not greet: {}", c.host, last_error);
                co_await client->quit();
                continue;
            }
            bool want_tls = route.tls != config::OutboundTls::none && route.tls != config::OutboundTls::implicit;
            bool need_tls = route.tls == config::OutboundTls::required || route.tls == config::OutboundTls::verify;
            if (want_tls && client->capabilities().starttls) {
                auto context = route.tls == config::OutboundTls::verify ? tls_verify_ : tls_any_;
                auto st = co_await client->start_tls(context, d.helo_name);
                if (!st) {
                    last_error = c.host + ": " + st.error().message;
                    log.info("STARTTLS with {} failed: {}", c.host, st.error().message);
                    co_await client->quit();
                    continue;
                }
            } else if (need_tls) {
                last_error = c.host + " does not offer STARTTLS and TLS is required";
                log.info("{}", last_error);
                co_await client->quit();
                continue;
            }
            if (!route.auth_user.empty()) {
                auto auth = co_await client->authenticate(route.auth_user, route.auth_password);
                if (!auth || auth->code != 235) {
                    last_error = c.host + ": authentication failed: " + (auth ? auth->text() : auth.error().message);
                    log.warn("{}", last_error);
                    co_await client->quit();
                    continue;
                }
            }
        }

        // The body: our header fields, then the queued file in pieces read off the loop.
        auto file = std::make_shared<std::ifstream>(job.body_path, std::ios::binary);
        bool prefix_sent = job.header_prefix.empty();
        auto* blocking = &runtime_->blocking();
        std::shared_ptr<mime::HeaderFieldFilter> removals;
        if (!job.remove_headers.empty()) removals = std::make_shared<mime::HeaderFieldFilter>(job.remove_headers);
        BodySource body = [&, file, blocking, removals](std::string& out) -> asio::awaitable<Result<bool>> {
            return read_body_chunk(job, file, blocking, removals.get(), prefix_sent, out);
        };
        auto result = co_await client->send(mail, rcpts, body);
        for (std::size_t i = 0; i < job.recipients.size(); ++i) {
            auto& r = job.recipients[i];
            const smtp::Reply* reply = nullptr;
            if (result.failure) {
                reply = &*result.failure;
            } else if (i < result.recipients.size() && !result.recipients[i].positive()) {
                reply = &result.recipients[i];
            } else if (result.data) {
                reply = &*result.data;
            }
            if (!reply) {
                report.results.push_back({r.index, queue::Outcome::temporary, "4.4.2", "no reply from " + c.host, c.host});
                continue;
            }
            auto outcome = outcome_of(*reply);
            if (outcome == queue::Outcome::delivered && !client->capabilities().dsn &&
                (r.notify & queue::notify::success)) {
                outcome = queue::Outcome::relayed;  // the next hop cannot send the success DSN
            }
            report.results.push_back({r.index, outcome, status_of(*reply), diagnostic_of(*reply), c.host});
            log.info("to=<{}> relay={}[{}] {} {}", r.address, c.host, c.ip.to_string(), reply->code,
                     outcome == queue::Outcome::delivered || outcome == queue::Outcome::relayed ? "sent" : "failed");
            if (outcome == queue::Outcome::delivered || outcome == queue::Outcome::relayed) ++delivered_;
        }
        done = true;
        // Keep the connection for the next message to this host, if it is healthy.
        if (client->usable() && client->transactions() < d.reuse_messages && !result.connection_lost &&
            co_await client->reset()) {
            pool_->idle[key].push_back({std::move(client), SteadyClock::now()});
        } else {
            co_await client->quit();
        }
    }
    if (!done) {
        report_unreached(job, report, last_error.empty() ? std::string("no host could be reached") : last_error);
    }
    send_report(queue_, job, std::move(report), log);
    release_slot(destination);
    job_finished();
}

}  // namespace postern::services::smtp_out
