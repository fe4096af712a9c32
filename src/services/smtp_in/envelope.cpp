// MAIL FROM and RCPT TO (RFC 5321 §4.1.1.2-3): relay control (no open relay: only local
// recipients, or any for authenticated clients and relay_networks), unknown users rejected at
// RCPT (550 5.1.1), anti-impersonation for authenticated senders, per-recipient size limits.
#include "directory/directory.h"
#include "proto/smtp/replies.h"
#include "services/runtime.h"
#include "services/smtp_in/policy_hooks.h"
#include "services/smtp_in/session.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;

asio::awaitable<Session::Flow> Session::on_mail(const smtp::MailFrom& mail) {
    if (auto refused = txn_.check_mail(mail)) co_return refuse(*refused);
    if (user_ && cfg().anti_impersonation && mail.sender) {
        // The sender must be the user's own address or one of its aliases (through domain
        // aliases too): the directory resolves it to an account id.
        std::string sender = mail.sender->to_string();
        bool owned = false;
        bool lookup_failed = false;
        std::function<void()> job = [&] {
            auto r = deps_.directory->resolve(sender);
            if (!r) {
                lookup_failed = r.error().code != Errc::invalid_argument;
                return;
            }
            owned = r->account_id == user_->id &&
                    (r->kind == directory::AddressKind::account || r->kind == directory::AddressKind::alias);
        };
        co_await run_blocking(*ctx_.blocking, std::move(job));
        if (lookup_failed) {
            add_reply(smtp::replies::recipient_temporary_failure());
            co_return Flow::next;
        }
        if (!owned) {
            ctx_.logger.info("MAIL FROM <{}> refused: not an address of {}", sender, user_->address);
            co_return refuse(smtp::replies::sender_not_owned());
        }
    }
    auto protection_refusal = co_await protection_mail(mail);
    if (protection_refusal) {
        add_reply(*protection_refusal);
        co_return Flow::next;
    }
    auto spf_refusal = co_await sender_auth_mail(mail);
    if (spf_refusal) {
        add_reply(*spf_refusal);
        co_return Flow::next;
    }
    auto verdict = co_await policy_mail(mail);
    if (verdict.refusal) {
        add_reply(*verdict.refusal);
        co_return verdict.refusal->code == 421 ? Flow::close : Flow::next;
    }
    auto milter_refusal = co_await milter_mail(mail);
    if (milter_refusal) {
        add_reply(*milter_refusal);
        co_return milter_refusal->code == 421 ? Flow::close : Flow::next;
    }
    txn_.mail_accepted(mail);
    envelope_.emplace();
    envelope_->mail = mail;
    add_reply(verdict.positive(smtp::replies::sender_ok()));
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_rcpt(const smtp::RcptTo& rcpt) {
    if (auto refused = txn_.check_rcpt(rcpt)) co_return refuse(*refused);
    std::string address = rcpt.recipient.to_string();
    if (rcpt.recipient.domain.empty()) address = "postmaster@" + ctx_.config->server.hostname;  // <postmaster>

    std::optional<directory::Resolution> resolution;
    std::optional<Error> failure;
    std::uint64_t recipient_limit = 0;
    std::function<void()> job = [&] {
        auto r = deps_.directory->resolve(address);
        if (!r) {
            failure = r.error();
            return;
        }
        resolution = *r;
        if (r->account_id != 0 && envelope_->mail.size) {
            if (auto s = deps_.directory->account_settings(r->account_id)) recipient_limit = s->max_message_size;
        }
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    if (failure) {
        if (failure->code == Errc::invalid_argument) co_return refuse(smtp::replies::bad_recipient_address());
        ctx_.logger.error("directory lookup for <{}> failed: {}", address, failure->message);
        add_reply(smtp::replies::recipient_temporary_failure());
        co_return Flow::next;
    }
    using directory::AddressKind;
    switch (resolution->kind) {
        case AddressKind::not_local: {
            bool may_relay = user_.has_value();
            for (auto& range : cfg().relay_networks) may_relay = may_relay || range.contains(conn_.client.ip);
            if (!may_relay) {
                ctx_.logger.info("RCPT <{}> refused: relaying denied for [{}]", address, conn_.client.ip.to_string());
                co_return refuse(smtp::replies::relay_denied());
            }
            break;
        }
        case AddressKind::unknown_user:
            ctx_.logger.info("RCPT <{}> refused: no such user", address);
            co_return refuse(smtp::replies::unknown_recipient());
        case AddressKind::account:
        case AddressKind::alias:
        case AddressKind::catch_all:
            if (!resolution->account_enabled) {
                ctx_.logger.info("RCPT <{}> refused: account disabled", address);
                co_return refuse(smtp::replies::mailbox_disabled());
            }
            break;
        case AddressKind::group:
        case AddressKind::forwarder:
            break;
    }
    if (recipient_limit && envelope_->mail.size && *envelope_->mail.size > recipient_limit) {
        add_reply(smtp::replies::recipient_message_too_large());
        co_return Flow::next;
    }
    auto greylisted = co_await protection_rcpt(address, *resolution);
    if (greylisted) {
        add_reply(*greylisted);
        co_return Flow::next;
    }
    auto verdict = co_await policy_rcpt(address, *resolution);
    if (verdict.refusal) {
        add_reply(*verdict.refusal);
        co_return verdict.refusal->code == 421 ? Flow::close : Flow::next;
    }
    auto milter_refusal = co_await milter_rcpt(address);
    if (milter_refusal) {
        add_reply(*milter_refusal);
        co_return milter_refusal->code == 421 ? Flow::close : Flow::next;
    }
    txn_.rcpt_accepted();
    Recipient r;
    r.address = address;
    r.notify = rcpt.notify;
    if (rcpt.orcpt) r.orcpt = rcpt.orcpt->addr_type + ";" + rcpt.orcpt->address;
    envelope_->recipients.push_back(std::move(r));
    add_reply(verdict.positive(smtp::replies::recipient_ok()));
    co_return Flow::next;
}

}  // namespace postern::services::smtp_in
