// onRelay: the policy script's say in where and whether SMTP-OUT delivers (docs/policy.md).
#include "services/smtp_out/relay_policy.h"

#include <chrono>
#include <functional>

#include "filter/policy/holder.h"
#include "services/runtime.h"

namespace postern::services::smtp_out {

namespace asio = boost::asio;
namespace policy = filter::policy;

namespace {

config::OutboundTls outbound_tls(policy::RelayTls tls) {
    switch (tls) {
        case policy::RelayTls::required:
            return config::OutboundTls::required;
        case policy::RelayTls::implicit:
            return config::OutboundTls::implicit;
        case policy::RelayTls::none:
            return config::OutboundTls::none;
        case policy::RelayTls::opportunistic:
            break;
    }
    return config::OutboundTls::opportunistic;
}

policy::PolicyDecision run_relay(const policy::PolicyScript& script, const queue::DeliveryJob& job,
                                 const std::string& destination, const log::Logger& log) {
    policy::PolicyContext ctx;
    ctx.session_id = job.id.str();
    ctx.queue_id = job.id.str();
    ctx.envelope.mail_from = job.sender;
    ctx.message_size = job.size + job.header_prefix.size();
    ctx.delivery.domain = destination;
    for (const auto& r : job.recipients) {
        ctx.envelope.recipients.push_back({r.address, policy::RecipientKind::remote});
        ctx.delivery.recipients.push_back(r.address);
        ctx.delivery.attempts = std::max(ctx.delivery.attempts, r.attempts);
    }
    auto queued = std::chrono::system_clock::now() - job.received_at;
    ctx.delivery.queued_for =
        std::max(std::chrono::seconds(0), std::chrono::duration_cast<std::chrono::seconds>(queued));
    policy::PolicyVars vars;  // the queue does not keep ctx.vars between attempts
    return script.run(policy::Event::relay, ctx, vars, log);
}

}  // namespace

asio::awaitable<bool> relay_policy(policy::PolicyHolder* holder, ThreadPool& pool,
                                   queue::Queue& queue, const queue::DeliveryJob& job,
                                   const std::string& destination, config::DeliveryRoute& route,
                                   const log::Logger& log) {
    if (!holder)
        co_return false;
    auto script = holder->current();
    if (!script || !script->handles(policy::Event::relay))
        co_return false;
    policy::PolicyDecision decision;
    std::function<void()> call = [&] { decision = run_relay(*script, job, destination, log); };
    co_await run_blocking(pool, std::move(call));
    if (auto reply = decision.reply()) {
        bool permanent = reply->permanent_failure();
        queue::DeliveryReport report;
        report.tried = false;  // the destination was not contacted: its availability stands
        for (const auto& r : job.recipients) {
            report.results.push_back(
                {r.index, permanent ? queue::Outcome::permanent : queue::Outcome::temporary,
                 reply->enhanced ? reply->enhanced->to_string()
                                 : std::string(permanent ? "5.7.1" : "4.7.1"),
                 "policy; " + std::to_string(reply->code) + " " + reply->text(), ""});
        }
        log.info("delivery to {} {} by policy: {} {}", destination,
                 permanent ? "refused" : "deferred", reply->code, reply->text());
        if (auto st = queue.report_delivery(job.id, std::move(report)); !st) {
            log.error("could not record the policy's refusal: {}", st.error().message);
        }
        co_return true;
    }
    if (decision.relay) {
        auto host = decision.relay->host;
        if (host.size() > 2 && host.front() == '[' && host.back() == ']')
            host = host.substr(1, host.size() - 2);
        if (host.size() > 5 && (host.starts_with("IPv6:") || host.starts_with("ipv6:")))
            host = host.substr(5);
        route.smarthost = HostPort{host, decision.relay->port};
        route.tls = outbound_tls(decision.relay->tls);
        log.info("policy routes {} through {}:{}", destination, host, decision.relay->port);
    }
    co_return false;
}

}  // namespace postern::services::smtp_out
