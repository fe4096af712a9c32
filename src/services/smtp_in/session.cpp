// SMTP-IN session loop (RFC 5321 §4.1, §4.3): greeting, command reading with the protocol rules
// as data (proto/smtp/command_table.h), pipelined replies (RFC 2920), error control, timeouts.
#include "services/smtp_in/session.h"

#include <variant>

#include "auth/authenticator.h"
#include "base/strings.h"
#include "directory/directory.h"
#include "proto/smtp/extensions.h"
#include "proto/smtp/replies.h"
#include "queue/message_writer.h"
#include "services/dns_bridge.h"
#include "services/runtime.h"
#include "services/smtp_in/milter_hooks.h"
#include "services/smtp_in/policy_hooks.h"
#include "services/smtp_in/sender_auth.h"
#include "services/smtp_in/protection.h"

namespace postern::services::smtp_in {

namespace asio = boost::asio;
namespace smtp = proto::smtp;

Session::Session(net::Connection connection, SessionContext context, const Deps& deps, bool lmtp)
    : conn_(std::move(connection)),
      ctx_(std::move(context)),
      deps_(deps),
      lmtp_(lmtp),
      reader_(*conn_.stream, ctx_.service->max_line_length),
      errors_(ctx_, conn_.client.ip),
      txn_(lmtp ? smtp::Dialect::lmtp : smtp::Dialect::smtp, static_cast<const config::SmtpConfig&>(*ctx_.service).max_recipients) {}

Session::~Session() = default;

const config::SmtpConfig& Session::cfg() const {
    // The service's select() returns config.smtp or config.lmtp: always an SmtpConfig.
    return static_cast<const config::SmtpConfig&>(*ctx_.service);
}

smtp::Extensions Session::extensions() const {
    smtp::Extensions e;
    if (!esmtp_) return smtp::Extensions::basic();
    auto& c = cfg();
    e.size = true;
    e.size_limit = c.max_message_size;
    e.eight_bit_mime = c.eight_bit_mime;
    e.pipelining = c.pipelining;
    e.enhanced_status_codes = true;
    e.starttls = conn_.listener->tls == config::TlsMode::starttls && conn_.tls && !conn_.stream->tls_active();
    if (!user_ && deps_.authenticator && !lmtp_) {
        e.auth_mechanisms = deps_.authenticator->mechanisms_for(conn_.stream->tls_active(), c.allow_plaintext_auth);
    }
    e.dsn = c.dsn;
    e.chunking = c.chunking;
    e.smtputf8 = c.smtputf8;
    e.vrfy = c.vrfy;
    e.expn = c.expn;
    e.help = c.help;
    return e;
}

smtp::ParserOptions Session::parser_options() const {
    smtp::ParserOptions o;
    o.dialect = lmtp_ ? smtp::Dialect::lmtp : smtp::Dialect::smtp;
    o.extensions = extensions();
    o.addresses.limits = cfg().strict_addresses ? smtp::AddressLimits::rfc() : smtp::AddressLimits::lenient();
    o.strict_hello = cfg().strict_helo;
    return o;
}

smtp::SessionFacts Session::facts() const {
    smtp::SessionFacts f;
    f.greeted = greeted_;
    f.tls_active = conn_.stream->tls_active();
    f.tls_required = conn_.listener->require_tls;
    f.authenticated = user_.has_value();
    f.auth_required = conn_.listener->require_auth;
    f.in_transaction = txn_.active();
    return f;
}

smtp::ContentLimits Session::content_limits() const {
    smtp::ContentLimits l;
    l.max_message_size = cfg().max_message_size;
    l.max_line_length = cfg().max_message_line;
    l.line_endings = cfg().bare_line_endings == config::LineEndings::normalize ? smtp::LineEndingPolicy::normalize
                                                                                : smtp::LineEndingPolicy::reject;
    l.long_lines = cfg().reject_long_lines ? smtp::LongLinePolicy::reject : smtp::LongLinePolicy::accept;
    return l;
}

void Session::reset_transaction() {
    txn_.reset();
    envelope_.reset();
    if (writer_) writer_->abort();
    writer_.reset();
    scanner_.reset();
    chunks_.reset();
    if (policy_) policy_->reset_transaction();
    if (sauth_) sauth_->reset_transaction();
    if (milter_) milter_->reset_transaction();
}

std::uint64_t Session::received_size() const {
    std::uint64_t n = writer_ ? writer_->size() : 0;
    if (milter_ && milter_->buffering) n += milter_->message.size();
    return n;
}

void Session::add_reply(const smtp::Reply& reply) {
    auto before = out_.size();
    smtp::append_reply(out_, reply, esmtp_);
    if (ctx_.logger.enabled(log::kProtocol)) {
        std::string_view text(out_.data() + before, out_.size() - before);
        while (text.ends_with("\r\n")) text.remove_suffix(2);
        ctx_.logger.proto(">> {}", text);
    }
}

asio::awaitable<bool> Session::flush() {
    if (out_.empty()) co_return true;
    auto st = co_await conn_.stream->write(out_);
    out_.clear();
    co_return st.has_value();
}

Session::Flow Session::refuse(const smtp::Reply& reply) {
    add_reply(reply);
    if (errors_.bad_command()) {
        ctx_.logger.info("too many errors ({}), closing", errors_.bad_commands());
        add_reply(smtp::replies::too_many_errors());
        return Flow::close;
    }
    return Flow::next;
}

asio::awaitable<void> Session::look_up_client() {
    bool checked = protection_wants_reverse();
    if (!deps_.resolver || (!cfg().reverse_lookup && !checked)) co_return;
    // A slow or broken reverse zone must not hold up the greeting: past this the name is unknown.
    constexpr std::chrono::milliseconds kReverseLookupTimeout{2000};
    auto found = co_await dns_client_reverse(*deps_.resolver, conn_.client.ip, kReverseLookupTimeout);
    if (cfg().reverse_lookup && found.kind == ClientReverse::Kind::confirmed) client_name_ = found.name;
    ctx_.logger.proto("client {} is {}", conn_.client.ip.to_string(),
                      client_name_.empty() ? std::string("unknown") : client_name_);
    if (checked) {
        protection_note("rdns", std::string(found.kind_name()) + (found.name.empty() ? "" : " " + found.name));
        protection_->reverse = std::move(found);
    }
}

asio::awaitable<void> Session::run() {
    auto& stream = *conn_.stream;
    std::string banner = ctx_.config->server.hostname + " " + cfg().greeting;
    auto greeting = smtp::make_reply(220, std::nullopt, banner);
    if (lmtp_) greeting = smtp::replies::greeting(ctx_.config->server.hostname, true);
    protection_connect();  // starts DNSBL lookups that run while the reverse name is looked up
    co_await look_up_client();
    auto connect_refusal = co_await policy_connect();
    if (connect_refusal) {
        ctx_.logger.info("connection refused by policy: {} {}", connect_refusal->code, connect_refusal->text());
        add_reply(*connect_refusal);
        co_await flush();
        stream.close();
        co_return;
    }
    auto milter_refusal = co_await milter_connect();
    if (milter_refusal) {
        ctx_.logger.info("connection refused by a milter: {} {}", milter_refusal->code, milter_refusal->text());
        add_reply(*milter_refusal);
        co_await flush();
        stream.close();
        co_return;
    }
    add_reply(greeting);
    if (!co_await flush()) co_return;

    while (true) {
        if (conn_.stopping && conn_.stopping->load() && !txn_.active()) {
            add_reply(smtp::replies::shutting_down());
            break;
        }
        // Replies to a pipelined group go out together once no further command is waiting.
        if (!reader_.buffer().has_line() && !co_await flush()) break;
        stream.set_interruptible(!txn_.active());
        auto line = co_await reader_.read_line();
        stream.set_interruptible(false);
        if (!line) {
            auto code = line.error().code;
            if (code == Errc::timeout) {
                ctx_.logger.info("timeout, closing");
                add_reply(smtp::replies::timeout());
            } else if (code == Errc::cancelled) {
                add_reply(smtp::replies::shutting_down());
            } else {
                ctx_.logger.info("connection ended: {}", line.error().message);
            }
            break;
        }
        if (line->kind == net::LineBuffer::Kind::too_long) {
            ctx_.logger.warn("command line longer than {} bytes", ctx_.service->max_line_length);
            if (refuse(smtp::replies::line_too_long()) == Flow::close) break;
            continue;
        }
        std::string text(line->text);
        bool buffered = !reader_.buffer().buffered().empty();
        auto verb = smtp::identify_verb(text, lmtp_ ? smtp::Dialect::lmtp : smtp::Dialect::smtp);
        if (ctx_.logger.enabled(log::kProtocol)) {
            // Never log credentials: AUTH arguments and SASL responses stay out.
            ctx_.logger.proto("<< {}", verb == smtp::Verb::auth ? std::string("AUTH ***") : text);
        }
        auto pipelining = smtp::pipelining_rule(verb, buffered, extensions().pipelining);
        if (pipelining == smtp::PipelineAction::out_of_sync && !user_ && cfg().forbid_unauth_pipelining) {
            ctx_.logger.warn("client sent commands ahead of replies (pipelining abuse), closing");
            add_reply(smtp::replies::sync_error());
            break;
        }
        auto command = smtp::accept_command(text, parser_options(), facts());
        if (!command) {
            auto& error = command.error();
            if (error.discard_octets) {
                if (co_await discard_octets(*error.discard_octets) == Flow::close) break;
            }
            Flow flow = Flow::next;
            if (error.is_error()) {
                flow = refuse(error.reply);
            } else {
                add_reply(error.reply);
            }
            if (error.verb == smtp::Verb::bdat) reset_transaction();
            if (error.close_connection) break;
            if (flow == Flow::close) break;
            continue;
        }
        if (co_await execute(*command) == Flow::close) break;
    }
    co_await flush();
    reset_transaction();
    stream.close();
}

asio::awaitable<Session::Flow> Session::execute(const smtp::Command& command) {
    if (auto* hello = std::get_if<smtp::Hello>(&command)) co_return co_await on_hello(*hello);
    if (auto* mail = std::get_if<smtp::MailFrom>(&command)) co_return co_await on_mail(*mail);
    if (auto* rcpt = std::get_if<smtp::RcptTo>(&command)) co_return co_await on_rcpt(*rcpt);
    if (std::holds_alternative<smtp::Data>(command)) co_return co_await on_data();
    if (auto* bdat = std::get_if<smtp::Bdat>(&command)) co_return co_await on_bdat(*bdat);
    if (std::holds_alternative<smtp::StartTls>(command)) co_return co_await on_starttls();
    if (auto* auth = std::get_if<smtp::Auth>(&command)) co_return co_await on_auth(*auth);
    if (auto* vrfy = std::get_if<smtp::Vrfy>(&command)) co_return co_await on_vrfy(*vrfy);
    if (auto* expn = std::get_if<smtp::Expn>(&command)) co_return co_await on_expn(*expn);
    if (std::holds_alternative<smtp::Rset>(command)) {
        reset_transaction();
        add_reply(smtp::replies::ok());
        co_return Flow::next;
    }
    if (std::holds_alternative<smtp::Noop>(command)) {
        add_reply(smtp::replies::ok());
        co_return Flow::next;
    }
    if (std::holds_alternative<smtp::Help>(command)) {
        add_reply(smtp::replies::help());
        co_return Flow::next;
    }
    // QUIT
    add_reply(smtp::replies::bye());
    co_return Flow::close;
}

asio::awaitable<Session::Flow> Session::on_hello(const smtp::Hello& hello) {
    reset_transaction();
    greeted_ = true;
    esmtp_ = hello.verb != smtp::Verb::helo;
    helo_ = hello.name;
    if (lmtp_ && hello.verb != smtp::Verb::lhlo) {
        co_return refuse(smtp::replies::use_lhlo());
    }
    auto verdict = co_await policy_hello();
    if (verdict.refusal) {
        greeted_ = false;  // the client may greet again
        add_reply(*verdict.refusal);
        co_return verdict.refusal->code == 421 ? Flow::close : Flow::next;
    }
    auto milter_refusal = co_await milter_hello();
    if (milter_refusal) {
        greeted_ = false;
        add_reply(*milter_refusal);
        co_return milter_refusal->code == 421 ? Flow::close : Flow::next;
    }
    if (!esmtp_) {
        add_reply(smtp::replies::helo(ctx_.config->server.hostname));
        co_return Flow::next;
    }
    auto reply = smtp::ehlo_reply(ctx_.config->server.hostname, "Hello " + helo_, extensions(),
                                  lmtp_ ? smtp::Dialect::lmtp : smtp::Dialect::smtp);
    add_reply(reply);
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_vrfy(const smtp::Vrfy& vrfy) {
    // Only reached when the admin enabled VRFY: it tells whether an address is ours.
    directory::Resolution resolution;
    bool ok = false;
    std::string address = std::string(trim(vrfy.argument));
    if (address.starts_with('<') && address.ends_with('>')) address = address.substr(1, address.size() - 2);
    std::function<void()> job = [&] {
        auto r = deps_.directory->resolve(address);
        if (r) {
            resolution = *r;
            ok = true;
        }
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    if (ok && (resolution.kind == directory::AddressKind::account || resolution.kind == directory::AddressKind::alias)) {
        add_reply(smtp::make_reply(250, smtp::EnhancedCode{2, 1, 5}, "<" + resolution.account_address + ">"));
    } else {
        add_reply(smtp::replies::unknown_recipient());
    }
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_expn(const smtp::Expn& expn) {
    std::string address = std::string(trim(expn.argument));
    if (address.starts_with('<') && address.ends_with('>')) address = address.substr(1, address.size() - 2);
    std::optional<directory::Expansion> expansion;
    std::function<void()> job = [&] {
        if (auto e = deps_.directory->expand(address)) expansion = *e;
    };
    co_await run_blocking(*ctx_.blocking, std::move(job));
    if (!expansion || expansion->recipients.empty()) {
        add_reply(smtp::replies::unknown_recipient());
        co_return Flow::next;
    }
    smtp::Reply reply{250, smtp::EnhancedCode{2, 1, 5}, {}};
    for (auto& r : expansion->recipients) reply.lines.push_back("<" + r.address + ">");
    add_reply(reply);
    co_return Flow::next;
}

}  // namespace postern::services::smtp_in
