// SMTP-IN's policy events (docs/policy.md): onConnect, onEhlo, onMailFrom, onRcptTo,
// onHeadersReceived, onBodyChunk, onDataReceived. The script runs on the blocking pool; a failed
// call yields [policy] failure_action (by default 451 4.3.0), never a silent accept.
#include "services/smtp_in/policy_hooks.h"

#include <algorithm>

#include "base/strings.h"
#include "directory/directory.h"
#include "filter/policy/holder.h"
#include "proto/smtp/replies.h"
#include "queue/message_writer.h"
#include "services/runtime.h"
#include "services/smtp_in/protection.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;
namespace policy = filter::policy;
using policy::Event;

namespace {

// message.cpp hands the staged bytes to the queue writer once they reach this size (or at the
// end): the header block is rewritable only until then. A mismatch cannot corrupt a message,
// since a rewrite first checks that the staged bytes still start with the block.
constexpr std::size_t kWriterStageBytes = 64 * 1024;

// Named coroutine (GCC 12: no coroutine lambdas); every argument is a reference or an enum.
asio::awaitable<policy::PolicyDecision> run_event(ThreadPool& pool, PolicyState& state, Event event,
                                                  const log::Logger& logger) {
    policy::PolicyDecision decision;
    std::function<void()> job = [&] {
        decision = state.script->run(event, state.context, state.vars, logger);
    };
    co_await run_blocking(pool, std::move(job));
    co_return decision;
}

PolicyVerdict verdict_of(const policy::PolicyDecision& d) {
    PolicyVerdict v;
    v.refusal = d.reply();
    if (!v.refusal) {
        v.text = d.text;
        v.discard = d.verdict == policy::Verdict::discard;
    }
    return v;
}

// Keeps what a transaction event decided for the rest of the transaction. Changes of a refused
// call are dropped with it.
void record(PolicyState& p, const policy::PolicyDecision& d, bool message_level) {
    if (auto reply = d.reply()) {
        if (message_level)
            p.message_refusal = std::move(reply);
        return;
    }
    if (d.verdict == policy::Verdict::discard)
        p.discard = true;
    p.pending_headers.insert(p.pending_headers.end(), d.header_changes.begin(),
                             d.header_changes.end());
    p.recipient_changes.insert(p.recipient_changes.end(), d.recipient_changes.begin(),
                               d.recipient_changes.end());
}

}  // namespace

smtp::Reply PolicyVerdict::positive(smtp::Reply fallback) const {
    if (!text.empty())
        fallback.lines = {text};
    return fallback;
}

void PolicyState::reset_transaction() {
    message_refusal.reset();
    discard = false;
    pending_headers.clear();
    recipient_changes.clear();
    headers_seen = false;
    header_block.clear();
    body_offset = 0;
    written_before = 0;
    rewritten = 0;
    late_headers.clear();
    context.envelope = {};
    context.recipient.reset();
    context.headers.clear();
    context.message_size = 0;
    context.body_chunk = {};
    context.queue_id.clear();
}

std::size_t header_block_length(std::string_view staged) {
    if (staged.starts_with("\r\n"))
        return 2;
    auto end = staged.find("\r\n\r\n");
    return end == std::string_view::npos ? staged.size() : end + 4;
}

std::string rewrite_header_block(std::string_view block,
                                 std::span<const policy::HeaderChange> changes) {
    // Split into fields: the value is everything after the colon up to the field's last CRLF,
    // continuation lines included, so that untouched fields keep their bytes.
    std::vector<policy::HeaderField> fields;
    std::string_view rest = block;
    while (!rest.empty() && !rest.starts_with("\r\n")) {
        auto eol = rest.find("\r\n");
        std::string_view line = eol == std::string_view::npos ? rest : rest.substr(0, eol);
        rest.remove_prefix(std::min(rest.size(), line.size() + 2));
        if ((line.starts_with(' ') || line.starts_with('\t')) && !fields.empty()) {
            fields.back().value.append("\r\n").append(line);
            continue;
        }
        auto colon = std::min(line.find(':'), line.size());
        fields.push_back({std::string(trim(line.substr(0, colon))),
                          std::string(line.substr(std::min(colon + 1, line.size())))});
    }
    policy::apply_header_changes(fields, changes);
    std::string out;
    for (const auto& f : fields)
        out.append(f.name).append(":").append(f.value).append("\r\n");
    out.append("\r\n");
    return out;
}

policy::RecipientKind recipient_kind(const directory::Resolution& resolution) {
    using directory::AddressKind;
    switch (resolution.kind) {
        case AddressKind::not_local:
            return policy::RecipientKind::remote;
        case AddressKind::account:
        case AddressKind::catch_all:
            return policy::RecipientKind::account;
        case AddressKind::alias:
            return policy::RecipientKind::alias;
        case AddressKind::group:
            return policy::RecipientKind::group;
        case AddressKind::forwarder:
            return policy::RecipientKind::forwarder;
        case AddressKind::unknown_user:
            break;
    }
    return policy::RecipientKind::unknown;
}

// --- Session ----------------------------------------------------------------------------------

void Session::policy_refresh() {
    auto& c = policy_->context.connection;
    c.helo = helo_;
    c.tls = conn_.stream->tls_active();
    if (c.tls && c.tls_protocol.empty()) {
        auto names = tls_names();
        c.tls_protocol = std::move(names.protocol);
        c.tls_cipher = std::move(names.cipher);
    }
    c.auth_user = user_ ? user_->address : std::string();
}

asio::awaitable<std::optional<smtp::Reply>> Session::policy_connect() {
    std::optional<smtp::Reply> refusal;
    if (!deps_.policy)
        co_return refusal;
    auto script = deps_.policy->current();
    if (!script)
        co_return refusal;
    policy_ = std::make_unique<PolicyState>();
    policy_->script = std::move(script);
    auto& ctx = policy_->context;
    ctx.session_id = conn_.session_id;
    ctx.connection.client_ip = conn_.client.ip;
    ctx.connection.client_port = conn_.client.port;
    ctx.connection.reverse_dns = client_name_;
    if (protection_)
        ctx.checks.insert(protection_->checks.begin(), protection_->checks.end());
    ctx.connection.local_ip = conn_.local.ip;
    ctx.connection.local_port = conn_.local.port;
    ctx.connection.role = lmtp_ ? policy::ListenerRole::lmtp
                          : conn_.listener && conn_.listener->require_auth
                              ? policy::ListenerRole::submission
                              : policy::ListenerRole::mx;
    if (!policy_->script->handles(Event::connect))
        co_return refusal;
    policy_refresh();
    auto decision = co_await run_event(*ctx_.blocking, *policy_, Event::connect, ctx_.logger);
    refusal = decision.reply();
    co_return refusal;
}

asio::awaitable<PolicyVerdict> Session::policy_hello() {
    PolicyVerdict verdict;
    if (!policy_ || !policy_->script->handles(Event::ehlo))
        co_return verdict;
    policy_refresh();
    auto decision = co_await run_event(*ctx_.blocking, *policy_, Event::ehlo, ctx_.logger);
    verdict = verdict_of(decision);
    co_return verdict;
}

asio::awaitable<PolicyVerdict> Session::policy_mail(const smtp::MailFrom& mail) {
    PolicyVerdict verdict;
    if (!policy_)
        co_return verdict;
    auto& p = *policy_;
    p.reset_transaction();
    auto& envelope = p.context.envelope;
    envelope.mail_from = mail.sender ? mail.sender->to_string() : std::string();
    auto& params = envelope.mail_parameters;
    if (mail.size)
        params.push_back({"SIZE", std::to_string(*mail.size)});
    switch (mail.body) {
        case smtp::Body::seven_bit:
            params.push_back({"BODY", "7BIT"});
            break;
        case smtp::Body::eight_bit_mime:
            params.push_back({"BODY", "8BITMIME"});
            break;
        case smtp::Body::binary_mime:
            params.push_back({"BODY", "BINARYMIME"});
            break;
        case smtp::Body::unspecified:
            break;
    }
    if (mail.smtputf8)
        params.push_back({"SMTPUTF8", ""});
    if (mail.ret == smtp::Ret::full)
        params.push_back({"RET", "FULL"});
    if (mail.ret == smtp::Ret::headers)
        params.push_back({"RET", "HDRS"});
    if (mail.envid)
        params.push_back({"ENVID", *mail.envid});
    if (mail.auth)
        params.push_back({"AUTH", *mail.auth});
    if (!p.script->handles(Event::mail_from))
        co_return verdict;
    policy_refresh();
    auto decision = co_await run_event(*ctx_.blocking, p, Event::mail_from, ctx_.logger);
    verdict = verdict_of(decision);
    if (verdict.refusal) {
        p.reset_transaction();  // no transaction starts
    } else {
        record(p, decision, false);
    }
    co_return verdict;
}

asio::awaitable<PolicyVerdict> Session::policy_rcpt(const std::string& address,
                                                    const directory::Resolution& resolution) {
    PolicyVerdict verdict;
    if (!policy_)
        co_return verdict;
    auto& p = *policy_;
    policy::Recipient recipient{address, recipient_kind(resolution)};
    if (p.script->handles(Event::rcpt_to)) {
        policy_refresh();
        p.context.recipient = recipient;
        auto decision = co_await run_event(*ctx_.blocking, p, Event::rcpt_to, ctx_.logger);
        p.context.recipient.reset();
        verdict = verdict_of(decision);
        // Only this recipient is refused; the transaction goes on.
        if (verdict.refusal)
            co_return verdict;
        if (verdict.discard) {
            // Only this recipient is dropped: the client hears 250 and the message goes on
            // without it (a later addRecipient may bring it back).
            verdict.discard = false;
            auto without = decision;
            without.verdict = policy::Verdict::none;
            record(p, without, false);
            p.recipient_changes.push_back({policy::RecipientChange::Kind::remove, address});
            co_return verdict;
        }
        record(p, decision, false);
    }
    p.context.envelope.recipients.push_back(std::move(recipient));
    co_return verdict;
}

asio::awaitable<void> Session::policy_message(std::string& staged, bool final) {
    auto& p = *policy_;
    auto& ctx = p.context;
    const auto& script = *p.script;
    if (p.body_offset > staged.size())
        p.body_offset = 0;  // the writer took the staged bytes
    if (!p.headers_seen) {
        if (!scanner_->complete())
            co_return;
        // The scanner emits the whole header block at once, and nothing before it: it is at
        // the start of `staged`, and only our Received field is in the writer.
        p.headers_seen = true;
        p.body_offset = header_block_length(staged);
        p.header_block = staged.substr(0, p.body_offset);
        p.written_before = received_size();
        for (const auto& [name, value] : scanner_->fields())
            ctx.headers.push_back({name, value});
        ctx.message_size = staged.size();
        if (!p.message_refusal && !p.discard && script.handles(Event::headers_received)) {
            policy_refresh();
            auto decision =
                co_await run_event(*ctx_.blocking, p, Event::headers_received, ctx_.logger);
            record(p, decision, true);
        }
    }
    bool flushing = final || staged.size() >= kWriterStageBytes;
    ctx.message_size = static_cast<std::uint64_t>(
        static_cast<std::int64_t>(received_size() - p.written_before + staged.size()) -
        p.rewritten);
    if (flushing && staged.size() > p.body_offset && !p.message_refusal && !p.discard &&
        script.handles(Event::body_chunk)) {
        policy_refresh();
        ctx.body_chunk = std::string_view(staged).substr(p.body_offset);
        auto decision = co_await run_event(*ctx_.blocking, p, Event::body_chunk, ctx_.logger);
        ctx.body_chunk = {};
        record(p, decision, true);
    }
    if (final && !p.message_refusal && !p.discard && script.handles(Event::data_received)) {
        policy_refresh();
        auto decision = co_await run_event(*ctx_.blocking, p, Event::data_received, ctx_.logger);
        record(p, decision, true);
    }
    if (!p.pending_headers.empty() && !p.message_refusal) {
        if (!p.header_block.empty() && staged.starts_with(p.header_block)) {
            auto block = rewrite_header_block(p.header_block, p.pending_headers);
            staged.replace(0, p.header_block.size(), block);
            p.rewritten += static_cast<std::int64_t>(block.size()) -
                           static_cast<std::int64_t>(p.header_block.size());
            p.body_offset = p.body_offset + block.size() - p.header_block.size();
            p.header_block = std::move(block);
        } else {
            // The header block went to the queue writer already: additions go before it, as
            // the message's header prefix; removals cannot reach it any more.
            policy::apply_header_changes(p.late_headers, p.pending_headers);
            auto removals = std::count_if(
                p.pending_headers.begin(), p.pending_headers.end(),
                [](const auto& c) { return c.kind == policy::HeaderChange::Kind::remove; });
            if (removals > 0) {
                ctx_.logger.warn(
                    "policy: {} removeHeader change(s) not applied: the header of message {} was "
                    "already written to the queue",
                    removals, writer_->id().view());
            }
        }
        p.pending_headers.clear();
    }
    if (flushing) {
        p.header_block.clear();
        p.body_offset = 0;
    }
}

bool Session::policy_drop(queue::Envelope& envelope) {
    auto& p = *policy_;
    if (!p.recipient_changes.empty() && !p.discard) {
        std::vector<std::string> addresses;
        for (const auto& r : envelope.recipients)
            addresses.push_back(r.address);
        policy::apply_recipient_changes(addresses, p.recipient_changes);
        std::vector<queue::NewRecipient> changed;
        for (auto& address : addresses) {
            auto same = [&](const queue::NewRecipient& r) { return r.address == address; };
            auto it = std::find_if(envelope.recipients.begin(), envelope.recipients.end(), same);
            changed.push_back(
                it != envelope.recipients.end() ? *it : queue::NewRecipient{address, {}, 0});
        }
        envelope.recipients = std::move(changed);
        ctx_.logger.info("policy: recipients of message {} are now {}", writer_->id().view(),
                         envelope.recipients.size());
    }
    for (const auto& f : p.late_headers)
        envelope.header_prefix.append(f.name).append(":").append(f.value).append("\r\n");
    if (!p.discard && !envelope.recipients.empty())
        return false;
    ctx_.logger.info("message {} discarded by policy{}", writer_->id().view(),
                     p.discard ? "" : ": no recipient left");
    if (lmtp_) {
        for (auto& r : envelope_->recipients)
            add_reply(smtp::replies::delivered(r.address));
    } else {
        add_reply(smtp::replies::queued(writer_->id().view()));
    }
    return true;
}

}  // namespace postern::services::smtp_in
