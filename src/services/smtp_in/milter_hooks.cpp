// Milters at SMTP time (docs/milter.md "At SMTP time"): CONNECT with the greeting, HELO, MAIL,
// each RCPT, DATA, and after the final dot the message (headers, EOH, body, EOB) with the
// milters' modifications applied before the message is queued; the 250 goes out only after
// every milter accepted and the queue has the result on disk. Milter I/O runs on the blocking
// pool; a milter that fails gives 4xx (on_failure = "tempfail", the default) or is left out.
#include "services/smtp_in/milter_hooks.h"

#include <algorithm>

#include "base/strings.h"
#include "filter/milter/modify.h"
#include "filter/scan/connection.h"
#include "proto/smtp/replies.h"
#include "queue/message_writer.h"
#include "services/runtime.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;
namespace milter = filter::milter;
using milter::StepReply;

namespace {

const char* stage_name(MilterStage stage) {
    switch (stage) {
        case MilterStage::connect:
            return "CONNECT";
        case MilterStage::helo:
            return "HELO";
        case MilterStage::mail:
            return "MAIL";
        case MilterStage::rcpt:
            return "RCPT";
        case MilterStage::data:
            return "DATA";
        case MilterStage::message:
            return "end of message";
    }
    return "?";
}

bool before_mail(MilterStage stage) {
    return stage == MilterStage::connect || stage == MilterStage::helo;
}

void drop(MilterLink& link, const log::Logger& log, MilterStage stage, const Error& error) {
    log.warn("milter {}: failed at {}: {} (on_failure = {})", link.config.name, stage_name(stage),
             error.message, link.config.on_failure);
    link.broken = true;
    link.client.reset();
}

using Call = std::function<Result<StepReply>(milter::Client&)>;

// One step for every milter still in the conversation, in configuration order; the first
// refusal ends it. Runs on the blocking pool.
std::optional<smtp::Reply> run_links(MilterState& state, MilterStage stage, const Call& call,
                                     const log::Logger& log) {
    if (state.discard || state.discard_session)
        return std::nullopt;
    for (auto& link : state.links) {
        if (link.done_session || link.done_txn)
            continue;
        if (link.broken) {
            // A broken milter refuses mail, not the greeting's follow-up.
            if (link.config.on_failure == "tempfail" && stage != MilterStage::helo)
                return milter_unavailable_reply(stage);
            continue;
        }
        if (link.in_txn && (stage == MilterStage::helo || stage == MilterStage::mail)) {
            link.in_txn = false;
            if (auto st = link.client->abort(); !st) {
                drop(link, log, stage, st.error());
                if (link.config.on_failure == "tempfail" && stage != MilterStage::helo)
                    return milter_unavailable_reply(stage);
                continue;
            }
        }
        if (stage == MilterStage::mail)
            link.in_txn = true;
        auto r = call(*link.client);
        if (!r) {
            drop(link, log, stage, r.error());
            if (link.config.on_failure == "tempfail" && stage != MilterStage::helo)
                return milter_unavailable_reply(stage);
            continue;
        }
        switch (r->kind) {
            case StepReply::Kind::cont:
                break;
            case StepReply::Kind::accept:
                (before_mail(stage) ? link.done_session : link.done_txn) = true;
                break;
            case StepReply::Kind::discard:
                log.info("milter {}: DISCARD at {}", link.config.name, stage_name(stage));
                (before_mail(stage) ? state.discard_session : state.discard) = true;
                return std::nullopt;
            case StepReply::Kind::reject:
            case StepReply::Kind::tempfail: {
                auto reply = milter_reply(*r, stage);
                log.info("milter {}: {} at {}: {} {}", link.config.name,
                         r->kind == StepReply::Kind::reject ? "reject" : "tempfail",
                         stage_name(stage), reply.code, reply.text());
                return reply;
            }
        }
    }
    return std::nullopt;
}

std::string angle(std::string_view address) {
    return "<" + std::string(address) + ">";
}

}  // namespace

void MilterState::reset_transaction() {
    discard = false;
    buffering = false;
    std::string().swap(message);
    for (auto& link : links)
        link.done_txn = false;
}

smtp::Reply milter_reply(const StepReply& r, MilterStage stage) {
    bool permanent = r.kind == StepReply::Kind::reject;
    std::uint16_t code = permanent ? 550 : 451;
    if (!r.smtp_code.empty())
        code = static_cast<std::uint16_t>(std::stoi(r.smtp_code));
    if (stage == MilterStage::connect)
        code = permanent ? 554 : 421;
    auto enhanced = smtp::EnhancedCode::parse(r.status);
    if (!enhanced || (enhanced->klass == 5) != permanent)
        enhanced = permanent ? smtp::EnhancedCode{5, 7, 1} : smtp::EnhancedCode{4, 7, 1};
    std::string text = r.text;
    if (text.empty())
        text = permanent ? "Command rejected" : "Please try again later";
    return smtp::make_reply(code, enhanced, text);
}

smtp::Reply milter_unavailable_reply(MilterStage stage) {
    return smtp::make_reply(stage == MilterStage::connect ? 421 : 451, smtp::EnhancedCode{4, 7, 1},
                            "Content filter unavailable, please try again later");
}

asio::awaitable<std::optional<smtp::Reply>> Session::milter_connect() {
    if (lmtp_)
        co_return std::nullopt;
    std::vector<const config::ScannerConfig*> wanted;
    for (auto& s : ctx_.config->scan.scanners)
        if (s.enabled && s.type == "milter" && s.stage == "smtp")
            wanted.push_back(&s);
    if (wanted.empty())
        co_return std::nullopt;
    milter_ = std::make_unique<MilterState>();
    for (auto* c : wanted)
        milter_->links.push_back(MilterLink{*c, std::nullopt});
    std::string ip = conn_.client.ip.to_string();
    std::string host = client_name_.empty() ? "[" + ip + "]" : client_name_;
    char family = conn_.client.ip.is_v4() ? '4' : '6';
    std::uint16_t port = conn_.client.port;
    milter::Macros macros = {{"j", ctx_.config->server.hostname},
                             {"{daemon_name}", "postern"},
                             {"{client_addr}", ip},
                             {"{client_name}", host},
                             {"_", client_name_.empty() ? host : host + " [" + ip + "]"}};
    std::optional<smtp::Reply> refusal;
    auto& logger = ctx_.logger;
    std::function<void()> job = [&] {
        for (auto& link : milter_->links) {
            auto address = filter::scan::ScanAddress::parse(link.config.address);
            if (!address) {
                drop(link, logger, MilterStage::connect, address.error());
                continue;
            }
            auto client =
                milter::Client::open(*address, link.config.connect_timeout, link.config.timeout);
            if (!client) {
                drop(link, logger, MilterStage::connect, client.error());
                continue;
            }
            link.client.emplace(std::move(*client));
        }
        // Any milter that is down with on_failure = "tempfail" refuses the connection.
        for (auto& link : milter_->links) {
            if (link.broken && link.config.on_failure == "tempfail") {
                refusal = milter_unavailable_reply(MilterStage::connect);
                return;
            }
        }
        Call call = [&](milter::Client& c) { return c.connect(host, family, port, ip, macros); };
        refusal = run_links(*milter_, MilterStage::connect, call, logger);
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    co_return refusal;
}

asio::awaitable<std::optional<smtp::Reply>> Session::milter_hello() {
    if (!milter_)
        co_return std::nullopt;
    std::string name = helo_;
    // Sendmail's HELO macros: the TLS protocol and cipher once STARTTLS is done.
    milter::Macros macros;
    if (auto names = tls_names(); !names.protocol.empty()) {
        macros.emplace_back("{tls_version}", std::move(names.protocol));
        if (!names.cipher.empty())
            macros.emplace_back("{cipher}", std::move(names.cipher));
    }
    std::optional<smtp::Reply> refusal;
    std::function<void()> job = [&] {
        Call call = [&](milter::Client& c) { return c.helo(name, macros); };
        refusal = run_links(*milter_, MilterStage::helo, call, ctx_.logger);
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    co_return refusal;
}

asio::awaitable<std::optional<smtp::Reply>> Session::milter_mail(const smtp::MailFrom& mail) {
    if (!milter_)
        co_return std::nullopt;
    std::string sender = mail.sender ? mail.sender->to_string() : std::string();
    std::vector<std::string> args = {angle(sender)};
    if (mail.size)
        args.push_back("SIZE=" + std::to_string(*mail.size));
    if (mail.body == smtp::Body::eight_bit_mime)
        args.push_back("BODY=8BITMIME");
    milter::Macros macros = {{"{mail_addr}", sender}};
    if (user_) {
        macros.emplace_back("{auth_type}", user_->mechanism);
        macros.emplace_back("{auth_authen}", user_->address);
    }
    std::optional<smtp::Reply> refusal;
    std::function<void()> job = [&] {
        Call call = [&](milter::Client& c) { return c.mail(args, macros); };
        refusal = run_links(*milter_, MilterStage::mail, call, ctx_.logger);
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    if (refusal)
        milter_->reset_transaction();
    co_return refusal;
}

asio::awaitable<std::optional<smtp::Reply>> Session::milter_rcpt(const std::string& address) {
    if (!milter_)
        co_return std::nullopt;
    std::vector<std::string> args = {angle(address)};
    milter::Macros macros = {{"{rcpt_addr}", address}};
    std::optional<smtp::Reply> refusal;
    std::function<void()> job = [&] {
        Call call = [&](milter::Client& c) { return c.rcpt(args, macros); };
        refusal = run_links(*milter_, MilterStage::rcpt, call, ctx_.logger);
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    co_return refusal;
}

asio::awaitable<std::optional<smtp::Reply>> Session::milter_data() {
    if (!milter_)
        co_return std::nullopt;
    milter::Macros macros = {{"i", writer_->id().str()}};
    std::optional<smtp::Reply> refusal;
    std::function<void()> job = [&] {
        Call call = [&](milter::Client& c) { return c.data(macros); };
        refusal = run_links(*milter_, MilterStage::data, call, ctx_.logger);
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    co_return refusal;
}

asio::awaitable<std::optional<smtp::Reply>> Session::milter_message(queue::Envelope& envelope,
                                                                    bool& dropped) {
    if (!milter_ || !milter_->buffering)
        co_return std::nullopt;
    auto& state = *milter_;
    std::string id = writer_->id().str();
    milter::Macros macros = {{"i", id}};
    milter::MilterEnvelope env;
    env.sender = envelope.sender;
    for (auto& r : envelope.recipients)
        env.recipients.push_back(r.address);
    std::optional<smtp::Reply> refusal;
    std::string quarantine;
    Status written;
    auto& logger = ctx_.logger;
    std::function<void()> job = [&] {
        for (auto& link : state.links) {
            if (state.discard || state.discard_session)
                break;
            if (link.done_session || link.done_txn)
                continue;
            if (link.broken) {
                if (link.config.on_failure == "tempfail") {
                    refusal = milter_unavailable_reply(MilterStage::message);
                    return;
                }
                continue;
            }
            if (state.message.size() > link.config.max_size) {
                logger.info("milter {}: message {} not scanned: {} bytes is over max_size",
                            link.config.name, id, state.message.size());
                continue;
            }
            auto end = link.client->message(state.message, macros);
            if (!end) {
                drop(link, logger, MilterStage::message, end.error());
                if (link.config.on_failure == "tempfail") {
                    refusal = milter_unavailable_reply(MilterStage::message);
                    return;
                }
                continue;
            }
            auto kind = end->reply.kind;
            if (kind == StepReply::Kind::reject || kind == StepReply::Kind::tempfail) {
                refusal = milter_reply(end->reply, MilterStage::message);
                logger.info("milter {}: {} message {}: {} {}", link.config.name,
                            kind == StepReply::Kind::reject ? "rejected" : "tempfailed", id,
                            refusal->code, refusal->text());
                return;
            }
            if (kind == StepReply::Kind::discard) {
                logger.info("milter {}: DISCARD message {}", link.config.name, id);
                state.discard = true;
                break;
            }
            // After EOB the milter's transaction is over: no ABORT before the next MAIL.
            link.in_txn = false;
            if (end->modifications.empty())
                continue;
            auto edit = milter::apply_modifications(state.message, env, end->modifications,
                                                    link.client->negotiated().actions,
                                                    link.client->leading_space());
            for (auto& i : edit.ignored)
                logger.warn("milter {}: not applied: {}", link.config.name, i);
            for (auto& a : env.added)
                logger.info("milter {}: recipient <{}> added", link.config.name, a);
            for (auto& a : env.removed)
                logger.info("milter {}: recipient <{}> removed", link.config.name, a);
            env.added.clear();
            env.removed.clear();
            if (edit.envelope_changed && env.sender != envelope.sender)
                logger.info("milter {}: sender changed to <{}>", link.config.name, env.sender);
            if (edit.quarantine) {
                logger.info("milter {}: message {} quarantined ({}): {}", link.config.name, id,
                            link.config.quarantine_folder, *edit.quarantine);
                quarantine = link.config.quarantine_folder;
            }
        }
        if (state.discard || state.discard_session)
            return;
        // The message as the milters left it goes to the queue writer now.
        written = writer_->append(state.message);
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    state.buffering = false;
    std::string().swap(state.message);
    if (refusal)
        co_return refusal;
    if (state.discard || state.discard_session) {
        dropped = true;
        co_return std::nullopt;
    }
    if (!written) {
        ctx_.logger.error("message {} could not be written: {}", id, written.error().message);
        co_return smtp::replies::local_error();
    }
    envelope.sender = env.sender;
    std::vector<queue::NewRecipient> recipients;
    for (auto& address : env.recipients) {
        auto same = [&](const queue::NewRecipient& r) { return iequals(r.address, address); };
        auto it = std::find_if(envelope.recipients.begin(), envelope.recipients.end(), same);
        recipients.push_back(it != envelope.recipients.end() ? *it
                                                             : queue::NewRecipient{address, {}, 0});
    }
    envelope.recipients = std::move(recipients);
    if (!quarantine.empty())
        envelope.client.quarantine = quarantine;
    co_return std::nullopt;
}

}  // namespace postern::services::smtp_in
