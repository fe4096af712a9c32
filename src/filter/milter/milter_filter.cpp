// PROCESSING's milter filter: one milter conversation (client.h) per message, replaying the
// SMTP transaction from the queued envelope, its outcome mapped to a chain verdict.
#include "filter/milter/milter_filter.h"

#include <algorithm>

#include "base/strings.h"
#include "filter/milter/modify.h"

namespace postern::filter::milter {

namespace {

std::string angle(std::string_view address) {
    return "<" + std::string(address) + ">";
}

// Folds a step reply that ends the conversation into `out`; false for CONTINUE.
bool final_reply(const StepReply& r, MilterOutcome& out) {
    using K = StepReply::Kind;
    using F = MilterOutcome::Final;
    switch (r.kind) {
        case K::cont:
            return false;
        case K::accept:
            out.final = F::accept;
            return true;
        case K::discard:
            out.final = F::discard;
            return true;
        case K::reject:
        case K::tempfail: {
            bool perm = r.kind == K::reject;
            out.final = perm ? F::reject : F::tempfail;
            out.status = !r.status.empty() ? r.status : perm ? "5.7.1" : "4.7.1";
            out.text = r.text;
            return true;
        }
    }
    return false;
}

}  // namespace

MilterFilter::MilterFilter(config::ScannerConfig config, scan::ScanAddress address,
                           log::Logger logger)
    : Scanner(std::move(config), std::move(address), std::move(logger)) {}

Status MilterFilter::ping() {
    auto c = Client::open(address_, config_.connect_timeout, config_.timeout);
    if (!c)
        return fail(c.error());
    c->quit();
    return ok();
}

Result<MilterOutcome> MilterFilter::converse(const MessageView& m) {
    auto client = Client::open(address_, config_.connect_timeout, config_.timeout);
    if (!client)
        return fail(client.error());
    auto& c = *client;
    MilterOutcome out;
    out.actions = c.negotiated().actions;
    out.leading_space = c.leading_space();
    auto finish = [&]() -> Result<MilterOutcome> {
        c.quit();
        return out;
    };
    std::string ip(m.client_ip);
    std::string host = ip.empty() ? std::string("localhost") : "[" + ip + "]";
    std::string helo_name = m.helo.empty() ? host : std::string(m.helo);
    char family = ip.empty() ? 'U' : ip.find(':') != std::string::npos ? '6' : '4';
    Macros connect_macros = {{"j", "postern"},
                             {"{daemon_name}", "postern"},
                             {"{client_addr}", ip},
                             {"{client_name}", host},
                             {"_", helo_name + " " + host}};
    auto r = c.connect(host, family, 0, ip, connect_macros);
    if (!r)
        return fail(r.error());
    if (final_reply(*r, out))
        return finish();
    r = c.helo(helo_name, {});
    if (!r)
        return fail(r.error());
    if (final_reply(*r, out))
        return finish();
    Macros mail_macros = {{"i", std::string(m.queue_id)}, {"{mail_addr}", std::string(m.sender)}};
    if (!m.auth_user.empty())
        mail_macros.emplace_back("{auth_authen}", std::string(m.auth_user));
    r = c.mail({angle(m.sender)}, mail_macros);
    if (!r)
        return fail(r.error());
    if (final_reply(*r, out))
        return finish();
    std::size_t rejected = 0;
    for (auto& rcpt_address : m.recipients) {
        r = c.rcpt({angle(rcpt_address)}, {{"{rcpt_addr}", rcpt_address}});
        if (!r)
            return fail(r.error());
        MilterOutcome one;
        if (!final_reply(*r, one))
            continue;
        if (one.final == MilterOutcome::Final::accept ||
            one.final == MilterOutcome::Final::discard) {
            out.final = one.final;
            return finish();
        }
        // A refused recipient is refused for this message only at SMTP time; here the others
        // continue (see docs/milter.md).
        out.rejected_recipients.push_back(rcpt_address);
        ++rejected;
        if (out.status.empty() || one.final == MilterOutcome::Final::tempfail) {
            out.status = one.status;
            out.text = one.text;
        }
    }
    if (rejected > 0 && rejected == m.recipients.size()) {
        out.final = out.status.starts_with("4") ? MilterOutcome::Final::tempfail
                                                : MilterOutcome::Final::reject;
        return finish();
    }
    out.status.clear();
    out.text.clear();
    r = c.data({});
    if (!r)
        return fail(r.error());
    if (final_reply(*r, out))
        return finish();
    auto end = c.message(m.raw, {{"i", std::string(m.queue_id)}});
    if (!end)
        return fail(end.error());
    out.modifications = std::move(end->modifications);
    final_reply(end->reply, out);
    return finish();
}

Result<Verdict> to_verdict(const MilterOutcome& o, const config::ScannerConfig& config,
                           const MessageView& message) {
    Verdict v;
    using F = MilterOutcome::Final;
    if (o.final == F::tempfail) {
        return fail(Errc::cancelled, "milter " + config.name + " asked to retry later" +
                                         (o.text.empty() ? "" : ": " + o.text));
    }
    if (o.final == F::reject) {
        v.action = Verdict::Action::reject;
        v.status = o.status.empty() ? "5.7.1" : o.status;
        v.text = o.text.empty() ? "rejected by milter " + config.name : o.text;
        return v;
    }
    if (o.final == F::discard) {
        v.action = Verdict::Action::discard;
        v.text = "discarded by milter " + config.name;
        return v;
    }
    for (auto& mod : o.modifications) {
        switch (mod.code) {
            case reply::addheader:
            case reply::insheader:
                if (o.actions & action::addhdrs)
                    v.add_headers.emplace_back(mod.name, fold_crlf(mod.value));
                break;
            case reply::chgheader:
                if (!(o.actions & action::chghdrs))
                    break;
                v.remove_headers.push_back(mod.name);
                if (!mod.value.empty())
                    v.add_headers.emplace_back(mod.name, fold_crlf(mod.value));
                break;
            case reply::quarantine:
                if (o.actions & action::quarantine)
                    v.mailbox = config.quarantine_folder;
                break;
            default:
                break;
        }
    }
    // The envelope changes, applied in order to the envelope the milter saw.
    std::vector<Modification> envelope_mods;
    for (auto& mod : o.modifications)
        if (mod.code == reply::addrcpt || mod.code == reply::addrcpt_par ||
            mod.code == reply::delrcpt || mod.code == reply::chgfrom)
            envelope_mods.push_back(mod);
    if (!envelope_mods.empty()) {
        MilterEnvelope env;
        env.sender = std::string(message.sender);
        env.recipients.assign(message.recipients.begin(), message.recipients.end());
        std::string unused;
        apply_modifications(unused, env, envelope_mods, o.actions, o.leading_space);
        if (env.sender != message.sender)
            v.sender = env.sender;
        v.add_recipients = std::move(env.added);
        v.remove_recipients = std::move(env.removed);
    }
    // REPLBODY: the last replacement wins (bare LF made CRLF as at SMTP time).
    for (auto it = o.modifications.rbegin(); it != o.modifications.rend(); ++it) {
        if (it->code != reply::replbody)
            continue;
        std::string raw = "\r\n";  // no header: what follows is the body alone
        MilterEnvelope unused;
        if (apply_modifications(raw, unused, std::span(&*it, 1), o.actions, o.leading_space)
                .message_changed)
            v.body = raw.substr(2);
        break;
    }
    return v;
}

Result<Verdict> MilterFilter::scan(const MessageView& message) {
    auto outcome = converse(message);
    if (!outcome)
        return fail(outcome.error());
    auto log = log_.with_session(std::string(message.queue_id));
    for (auto& mod : outcome->modifications) {
        if (mod.code == reply::quarantine)
            log.info("{}: quarantined: {}", config_.name, mod.name);
    }
    for (auto& r : outcome->rejected_recipients)
        log.warn("{}: milter refused <{}>; the other recipients continue", config_.name, r);
    return to_verdict(*outcome, config_, message);
}

Verdict MilterFilter::not_scanned(std::string_view) {
    return {};
}

}  // namespace postern::filter::milter
