// Dry run of every policy event for one message, in SMTP-IN, SMTP-OUT and PROCESSING order,
// applying the decisions as those modules would (docs/policy.md "Decisions").
#include "filter/policy/test_runner.h"

#include <algorithm>
#include <optional>

#include "filter/policy/validate.h"
#include "mime/parser.h"
#include "proto/smtp/reply.h"

namespace postern::filter::policy {
namespace {

bool refused(const PolicyDecision& d) {
    return d.verdict == Verdict::reject || d.verdict == Verdict::tempfail;
}

std::string reply_text(const PolicyDecision& d) {
    auto reply = d.reply();
    if (!reply)
        return {};
    std::string wire = proto::smtp::format_reply(*reply, true);
    while (!wire.empty() && (wire.back() == '\n' || wire.back() == '\r'))
        wire.pop_back();
    return wire;
}

std::string_view refusal_scope(Event e) {
    switch (e) {
        case Event::connect:
            return "connection refused";
        case Event::ehlo:
            return "EHLO refused";
        case Event::mail_from:
            return "MAIL refused";
        case Event::rcpt_to:
            return "recipient refused";
        case Event::relay:
            return "delivery to this domain refused";
        default:
            return "message refused";
    }
}

std::string effect_of(Event e, const PolicyDecision& d, bool defined) {
    if (!defined)
        return "not defined: no opinion";
    std::string out = d.failed ? "script failed (" + d.error + "), failure action: " : "";
    switch (d.verdict) {
        case Verdict::none:
            out += "no opinion";
            break;
        case Verdict::accept:
            out += e == Event::connect || e == Event::ehlo
                       ? "accepted; reputation checks skipped for the session"
                       : "accepted; reputation checks skipped for the transaction";
            break;
        case Verdict::reject:
        case Verdict::tempfail:
            out += std::string(refusal_scope(e)) + ": " + reply_text(d);
            if (e == Event::relay)
                out += d.verdict == Verdict::reject ? " (NDR)" : " (retried later)";
            break;
        case Verdict::discard:
            if (e == Event::rcpt_to)
                out += "recipient accepted and dropped";
            else if (e == Event::delivery_failure)
                out += "no NDR is sent";
            else if (e == Event::temporary_delivery_failure)
                out += "no delay notification is sent";
            else
                out += "message accepted and dropped";
            break;
    }
    if (!d.text.empty() && !refused(d))
        out += "; reply text \"" + d.text + "\"";
    return out;
}

class Runner {
  public:
    Runner(const PolicyScript& script, const log::Logger& logger, TestReport& report)
        : script_(script), logger_(logger), report_(report) {}

    // Runs one event and records it; returns (a copy of) its decision.
    PolicyDecision run(Event event, std::string subject) {
        EventRun run;
        run.event = event;
        run.subject = std::move(subject);
        run.defined = script_.handles(event);
        run.decision = script_.run(event, context, report_.vars, logger_);
        run.effect = effect_of(event, run.decision, run.defined);
        if (is_smtp_in_event(event) && !refused(run.decision)) {
            for (const auto& h : run.decision.header_changes)
                report_.header_changes.push_back(h);
            recipient_changes.insert(recipient_changes.end(),
                                     run.decision.recipient_changes.begin(),
                                     run.decision.recipient_changes.end());
        }
        report_.events.push_back(std::move(run));
        return report_.events.back().decision;
    }

    void stop(TestOutcome outcome, std::string summary) {
        report_.outcome = outcome;
        report_.summary = std::move(summary);
    }

    PolicyContext context;
    std::vector<RecipientChange> recipient_changes;

  private:
    const PolicyScript& script_;
    const log::Logger& logger_;
    TestReport& report_;
};

std::string stop_summary(Event e, const PolicyDecision& d) {
    return std::string(refusal_scope(e)) + " at " + std::string(event_function_name(e)) + ": " +
           reply_text(d);
}

void run_queue_side(Runner& r, const TestInput& input, TestReport& report,
                    const std::vector<Recipient>& accepted) {
    std::vector<std::string> domains;
    std::map<std::string, std::vector<std::string>> by_domain;
    for (const std::string& address : report.recipients) {
        auto kind = RecipientKind::unknown;
        for (const auto& a : accepted) {
            if (a.address == address)
                kind = a.kind;
        }
        if (kind != RecipientKind::unknown && kind != RecipientKind::remote)
            continue;
        std::string domain = address.substr(address.rfind('@') + 1);
        if (!by_domain.contains(domain))
            domains.push_back(domain);
        by_domain[domain].push_back(address);
    }
    for (const std::string& domain : domains) {
        r.context.delivery =
            DeliveryInfo{domain, by_domain[domain], "", 0, "", 0, std::chrono::seconds(0)};
        PolicyDecision d = r.run(Event::relay, domain);
        if (d.relay)
            report.routes[domain] = *d.relay;
        if (input.failure_code == 0 || refused(d))
            continue;
        DeliveryInfo& info = r.context.delivery;
        info.remote_host = d.relay ? d.relay->host : "mx." + domain;
        info.reply_code = input.failure_code;
        info.reply_text = input.failure_text;
        info.attempts = 1;
        r.run(
            input.failure_code >= 500 ? Event::delivery_failure : Event::temporary_delivery_failure,
            domain);
    }
}

}  // namespace

std::string_view test_outcome_name(TestOutcome outcome) {
    switch (outcome) {
        case TestOutcome::accepted:
            return "accepted";
        case TestOutcome::refused:
            return "refused";
        case TestOutcome::discarded:
            return "discarded";
        case TestOutcome::no_recipients:
            return "no_recipients";
    }
    return "accepted";
}

Result<TestReport> run_all_events(const PolicyScript& script, const TestInput& input,
                                  const log::Logger& logger) {
    auto ip = IpAddress::parse(input.client_ip);
    if (!ip)
        return fail(Errc::invalid_argument, "'" + input.client_ip + "' is not an IP address");
    std::string from;
    if (!input.mail_from.empty()) {
        auto n = normalize_address(input.mail_from);
        if (!n)
            return fail(Errc::invalid_argument, "'" + input.mail_from + "' is not an address");
        from = *n;
    }
    std::vector<Recipient> recipients;
    for (const auto& r : input.recipients) {
        auto n = normalize_address(r.address);
        if (!n)
            return fail(Errc::invalid_argument, "'" + r.address + "' is not an address");
        recipients.push_back(Recipient{*n, r.kind});
    }

    TestReport report;
    Runner r(script, logger, report);
    PolicyContext& ctx = r.context;
    ctx.session_id = "00000000";
    ctx.connection.client_ip = *ip;
    ctx.connection.local_ip = *IpAddress::parse("127.0.0.1");
    ctx.connection.local_port = input.role == ListenerRole::submission ? 587 : 25;
    ctx.connection.reverse_dns = input.reverse_dns;
    ctx.connection.tls = input.tls;
    if (input.tls) {
        ctx.connection.tls_protocol = "TLSv1.3";
        ctx.connection.tls_cipher = "TLS_AES_256_GCM_SHA384";
    }
    ctx.connection.role = input.role;

    if (auto d = r.run(Event::connect, ""); refused(d)) {
        r.stop(TestOutcome::refused, stop_summary(Event::connect, d));
        return report;
    }
    ctx.connection.helo = input.helo;
    if (auto d = r.run(Event::ehlo, input.helo); refused(d)) {
        r.stop(TestOutcome::refused, stop_summary(Event::ehlo, d));
        return report;
    }
    ctx.connection.auth_user = input.auth_user;
    ctx.envelope.mail_from = from;
    ctx.envelope.mail_parameters.push_back(
        MailParameter{"SIZE", std::to_string(input.message.size())});
    PolicyDecision mail = r.run(Event::mail_from, from);
    if (refused(mail)) {
        r.stop(TestOutcome::refused, stop_summary(Event::mail_from, mail));
        return report;
    }
    bool discarded = mail.verdict == Verdict::discard;

    std::vector<Recipient> accepted;  // RCPT got 250 (including dropped ones)
    std::vector<std::string> dropped;
    for (const auto& rcpt : recipients) {
        if (discarded) {
            accepted.push_back(rcpt);
            continue;
        }
        ctx.recipient = rcpt;
        PolicyDecision d = r.run(Event::rcpt_to, rcpt.address);
        if (refused(d))
            continue;
        accepted.push_back(rcpt);
        if (d.verdict == Verdict::discard)
            dropped.push_back(rcpt.address);
        else
            ctx.envelope.recipients.push_back(rcpt);
    }
    ctx.recipient.reset();
    if (accepted.empty()) {
        r.stop(TestOutcome::no_recipients, "no recipient accepted: DATA would get 554 5.5.1");
        return report;
    }

    auto parsed = mime::parse_message(input.message);
    const auto& root = parsed.root();
    for (const auto& h : parsed.headers_of(0))
        ctx.headers.push_back(HeaderField{h.name, h.raw_value});
    // The first message-level refusal or discard ends the message events (SMTP-IN reads the
    // rest of the data and answers with it).
    std::optional<PolicyDecision> message_verdict;
    if (discarded)
        message_verdict = mail;
    Event verdict_event = Event::mail_from;
    auto message_event = [&](Event e, std::string subject) {
        PolicyDecision d = r.run(e, std::move(subject));
        if (refused(d) || d.verdict == Verdict::discard) {
            message_verdict = std::move(d);
            verdict_event = e;
        }
    };
    if (!message_verdict) {
        ctx.message_size = root.body_start;
        message_event(Event::headers_received, "");
    }
    std::string_view body =
        std::string_view(input.message)
            .substr(std::min<std::size_t>(root.body_start, input.message.size()));
    std::size_t chunk = std::max<std::size_t>(input.chunk_size, 1);
    if (!message_verdict && script.handles(Event::body_chunk)) {
        std::size_t n = 0;
        for (std::size_t at = 0; at < body.size() && !message_verdict; at += chunk, ++n) {
            ctx.body_chunk = body.substr(at, chunk);
            ctx.message_size = root.body_start + at + ctx.body_chunk.size();
            message_event(Event::body_chunk,
                          "chunk " + std::to_string(n + 1) + " (bytes " + std::to_string(at) + "-" +
                              std::to_string(at + ctx.body_chunk.size() - 1) + ")");
        }
        ctx.body_chunk = {};
    }
    if (!message_verdict) {
        ctx.message_size = input.message.size();
        message_event(Event::data_received, "");
    }
    if (message_verdict && refused(*message_verdict)) {
        r.stop(TestOutcome::refused, stop_summary(verdict_event, *message_verdict));
        return report;
    }
    if (message_verdict) {
        r.stop(TestOutcome::discarded,
               "accepted and dropped at " + std::string(event_function_name(verdict_event)));
        return report;
    }

    for (const auto& a : ctx.envelope.recipients)
        report.recipients.push_back(a.address);
    apply_recipient_changes(report.recipients, r.recipient_changes);
    report.headers = ctx.headers;
    apply_header_changes(report.headers, report.header_changes);
    if (report.recipients.empty()) {
        r.stop(TestOutcome::discarded, "accepted, but no recipient is left to deliver to");
        return report;
    }
    run_queue_side(r, input, report, accepted);
    r.stop(TestOutcome::accepted,
           "accepted for " + std::to_string(report.recipients.size()) +
               (report.recipients.size() == 1 ? " recipient" : " recipients"));
    return report;
}

}  // namespace postern::filter::policy
