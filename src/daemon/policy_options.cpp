// [policy] → filter::policy::PolicyLimits.
#include "daemon/policy_options.h"

#include "base/strings.h"
#include "filter/policy/holder.h"

namespace postern::daemon {

filter::policy::PolicyLimits policy_limits(const config::PolicyConfig& config) {
    filter::policy::PolicyLimits limits;
    limits.max_memory = config.max_memory;
    limits.max_time = config.max_time;
    limits.failure_action = filter::policy::failure_action_from_name(config.failure_action)
                                .value_or(filter::policy::FailureAction::tempfail);
    limits.states = config.states;
    return limits;
}

std::filesystem::path policy_script(const config::PolicyConfig& config) {
    return config.active() ? config.script : std::filesystem::path();
}

namespace {

// "smtp; 550 5.1.1 <x@y>: no such user" -> 550 and the text after the code.
void parse_diagnostic(std::string_view diagnostic, filter::policy::DeliveryInfo& info) {
    auto semi = diagnostic.find(';');
    auto reply = trim(semi == std::string_view::npos ? diagnostic : diagnostic.substr(semi + 1));
    if (reply.size() >= 3 && reply[0] >= '2' && reply[0] <= '5' &&
        std::isdigit(static_cast<unsigned char>(reply[1])) &&
        std::isdigit(static_cast<unsigned char>(reply[2]))) {
        info.reply_code = static_cast<std::uint16_t>((reply[0] - '0') * 100 +
                                                     (reply[1] - '0') * 10 + (reply[2] - '0'));
        reply = trim(reply.substr(3));
    }
    info.reply_text = std::string(reply);
}

// Notices are plain text with CRLF line ends (RFC 3464 §2); scripts write "\n".
std::string crlf(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            out += '\r';
        out += text[i];
    }
    return out;
}

}  // namespace

queue::NoticePolicy notice_policy(filter::policy::PolicyHolder& holder, log::Logger logger) {
    return [&holder, logger](const queue::QueueId& id, const queue::NoticeFacts& facts) {
        namespace policy = filter::policy;
        queue::NoticeVerdict verdict;
        auto script = holder.current();
        auto event = facts.failure ? policy::Event::delivery_failure
                                   : policy::Event::temporary_delivery_failure;
        if (!script || !script->handles(event))
            return verdict;
        policy::PolicyContext ctx;
        ctx.session_id = id.str();
        ctx.queue_id = id.str();
        ctx.envelope.mail_from = facts.sender;
        for (const auto& r : facts.recipients)
            ctx.envelope.recipients.push_back({r, policy::RecipientKind::unknown});
        ctx.delivery.domain = facts.domain;
        ctx.delivery.recipients = facts.recipients;
        ctx.delivery.remote_host = facts.remote_mta;
        parse_diagnostic(facts.diagnostic, ctx.delivery);
        ctx.delivery.attempts = facts.attempts;
        ctx.delivery.queued_for = facts.queued_for;
        policy::PolicyVars vars;
        auto session = logger.with_session(id.str());
        auto decision = script->run(event, ctx, vars, session);
        if (decision.failed)
            return verdict;  // the default notice
        verdict.discard = decision.verdict == policy::Verdict::discard;
        if (decision.ndr_text)
            verdict.text = crlf(*decision.ndr_text);
        return verdict;
    };
}

}  // namespace postern::daemon
