// SMTP client commands and replies, with the codec doing every byte of syntax.
#include "services/smtp_out/client.h"

#include "auth/sasl/wire.h"
#include "proto/smtp/client_commands.h"
#include "proto/smtp/data_sender.h"
#include "proto/smtp/reply_parser.h"

namespace postern::services::smtp_out {

namespace asio = boost::asio;
namespace smtp = proto::smtp;

smtp::Reply local_reply(std::uint16_t code, std::string_view enhanced, std::string text) {
    return smtp::make_reply(code, smtp::EnhancedCode::parse(enhanced), std::move(text));
}

SmtpClient::SmtpClient(std::unique_ptr<net::Stream> stream, std::string host, ClientTimeouts timeouts, log::Logger logger)
    : stream_(std::move(stream)), reader_(*stream_, 4096), host_(std::move(host)), timeouts_(timeouts), log_(std::move(logger)) {}

asio::awaitable<bool> SmtpClient::write(const std::string& text) {
    if (log_.enabled(log::kProtocol)) {
        std::string_view t(text);
        while (t.ends_with("\r\n")) t.remove_suffix(2);
        log_.proto(">> {}", t.starts_with("AUTH ") ? std::string_view("AUTH ***") : t);
    }
    auto st = co_await stream_->write(text);
    if (!st) usable_ = false;
    co_return st.has_value();
}

asio::awaitable<Result<smtp::Reply>> SmtpClient::read_reply(std::chrono::milliseconds timeout) {
    stream_->set_idle_timeout(timeout);
    smtp::ReplyParser parser;
    while (true) {
        auto line = co_await reader_.read_line();
        if (!line) {
            usable_ = false;
            co_return std::unexpected(line.error());
        }
        if (line->kind == net::LineBuffer::Kind::too_long) {
            usable_ = false;
            co_return fail(Errc::invalid_argument, "reply line too long");
        }
        log_.proto("<< {}", line->text);
        auto status = parser.feed_line(line->text);
        if (status == smtp::ReplyParser::Status::complete) co_return parser.take();
        if (status != smtp::ReplyParser::Status::need_more) {
            usable_ = false;
            co_return fail(Errc::invalid_argument, "malformed reply from " + host_);
        }
    }
}

asio::awaitable<Result<smtp::Reply>> SmtpClient::ehlo(const std::string& helo_name) {
    std::string line = smtp::format_hello(smtp::Verb::ehlo, helo_name);
    if (!co_await write(line)) co_return fail(Errc::unavailable, "connection lost");
    auto reply = co_await read_reply(timeouts_.command);
    if (!reply) co_return reply;
    if (reply->code == 250) {
        caps_ = smtp::parse_capabilities(*reply);
        co_return reply;
    }
    // RFC 5321 §4.1.1.1: a server that does not know EHLO answers 5xx; fall back to HELO.
    if (reply->code >= 500) {
        line = smtp::format_hello(smtp::Verb::helo, helo_name);
        if (!co_await write(line)) co_return fail(Errc::unavailable, "connection lost");
        auto helo = co_await read_reply(timeouts_.command);
        if (helo && helo->code == 250) caps_ = smtp::ServerCapabilities{};
        co_return helo;
    }
    co_return reply;
}

asio::awaitable<Result<smtp::Reply>> SmtpClient::greet(const std::string& helo_name) {
    auto greeting = co_await read_reply(timeouts_.command);
    if (!greeting) co_return greeting;
    if (greeting->code != 220) co_return greeting;
    co_return co_await ehlo(helo_name);
}

asio::awaitable<Status> SmtpClient::handshake(std::shared_ptr<net::TlsContext> context) {
    stream_->set_idle_timeout(timeouts_.command);
    auto st = co_await stream_->start_tls_client(std::move(context), host_);
    if (!st) usable_ = false;
    co_return st;
}

asio::awaitable<Status> SmtpClient::start_tls(std::shared_ptr<net::TlsContext> context, const std::string& helo_name) {
    std::string line(smtp::kStartTlsLine);
    if (!co_await write(line)) co_return fail(Errc::unavailable, "connection lost");
    auto reply = co_await read_reply(timeouts_.command);
    if (!reply) co_return fail(reply.error());
    if (reply->code != 220) co_return fail(Errc::unavailable, "STARTTLS refused: " + std::to_string(reply->code) + " " + reply->text());
    reader_.buffer().clear();  // nothing the server sent in plaintext survives the upgrade
    stream_->set_idle_timeout(timeouts_.command);
    auto st = co_await stream_->start_tls_client(std::move(context), host_);
    if (!st) {
        usable_ = false;
        co_return st;
    }
    log_.info("TLS with {}: {}", host_, stream_->tls_summary());
    auto again = co_await ehlo(helo_name);
    if (!again) co_return fail(again.error());
    if (again->code != 250) co_return fail(Errc::unavailable, "EHLO after STARTTLS refused");
    co_return ok();
}

asio::awaitable<Result<smtp::Reply>> SmtpClient::authenticate(const std::string& user, const std::string& password) {
    std::string response;
    response += '\0';
    response += user;
    response += '\0';
    response += password;
    std::string line = smtp::format_auth("PLAIN", auth::sasl::encode_server_data(response));
    if (!co_await write(line)) co_return fail(Errc::unavailable, "connection lost");
    co_return co_await read_reply(timeouts_.command);
}

asio::awaitable<TransactionResult> SmtpClient::send(const smtp::MailFrom& mail, const std::vector<smtp::RcptTo>& recipients,
                                                    BodySource& body) {
    TransactionResult result;
    ++transactions_;
    auto lost = [&](std::string why) {
        result.connection_lost = true;
        result.failure = local_reply(451, "4.4.2", "connection with " + host_ + " lost: " + why);
        usable_ = false;
    };
    auto mail_line = smtp::format_mail_from(mail, caps_);
    if (!mail_line) {
        // The next hop lacks what this message needs (SMTPUTF8, 8BITMIME...): bounce.
        result.failure = local_reply(554, "5.6.7", "next hop " + host_ + " does not support " + std::string(mail_line.error()));
        co_return result;
    }
    std::vector<std::string> rcpt_lines;
    for (auto& r : recipients) {
        auto l = smtp::format_rcpt_to(r, caps_);
        if (!l) {
            result.failure = local_reply(554, "5.6.7", "next hop " + host_ + " does not support " + std::string(l.error()));
            co_return result;
        }
        rcpt_lines.push_back(std::move(*l));
    }
    // With PIPELINING the envelope goes out in one write (RFC 2920 §3.1: MAIL and RCPT may be
    // grouped, DATA ends the group); without it, command by command.
    if (caps_.pipelining) {
        std::string group = *mail_line;
        for (auto& l : rcpt_lines) group += l;
        group += smtp::kDataLine;
        if (!co_await write(group)) {
            lost("write failed");
            co_return result;
        }
    } else if (!co_await write(*mail_line)) {
        lost("write failed");
        co_return result;
    }
    auto mail_reply = co_await read_reply(timeouts_.command);
    if (!mail_reply) {
        lost(mail_reply.error().message);
        co_return result;
    }
    bool mail_ok = mail_reply->positive();
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        if (!caps_.pipelining) {
            if (!mail_ok) break;
            if (!co_await write(rcpt_lines[i])) {
                lost("write failed");
                co_return result;
            }
        }
        auto r = co_await read_reply(timeouts_.command);
        if (!r) {
            lost(r.error().message);
            co_return result;
        }
        if (r->positive()) ++accepted;
        result.recipients.push_back(std::move(*r));
    }
    if (!mail_ok) {
        result.failure = *mail_reply;
        if (caps_.pipelining) (void)co_await read_reply(timeouts_.command);  // the DATA reply
        co_return result;
    }
    if (!caps_.pipelining) {
        if (accepted == 0) co_return result;
        std::string data(smtp::kDataLine);
        if (!co_await write(data)) {
            lost("write failed");
            co_return result;
        }
    }
    auto data_reply = co_await read_reply(timeouts_.command);
    if (!data_reply) {
        lost(data_reply.error().message);
        co_return result;
    }
    if (data_reply->code != 354) {
        // With pipelining and no accepted recipient the server answers DATA with 5xx: fine.
        if (accepted > 0) result.failure = *data_reply;
        co_return result;
    }
    if (accepted == 0) {
        // RFC 2920 §3.1: the server said 354 though we have no recipients; end the data.
        std::string empty = ".\r\n";
        if (!co_await write(empty)) lost("write failed");
        (void)co_await read_reply(timeouts_.data);
        co_return result;
    }
    smtp::DataEncoder encoder;
    std::string chunk, encoded;
    while (true) {
        chunk.clear();
        auto more = co_await body(chunk);
        if (!more) {
            // Cannot read our own copy: drop the connection rather than send a half message.
            stream_->close();
            usable_ = false;
            result.failure = local_reply(451, "4.3.0", "cannot read the queued message: " + more.error().message);
            co_return result;
        }
        if (chunk.empty()) break;
        encoded.clear();
        encoder.encode(chunk, encoded);
        stream_->set_idle_timeout(timeouts_.command);
        if (!co_await stream_->write(encoded)) {
            lost("write failed during DATA");
            co_return result;
        }
    }
    encoded.clear();
    encoder.finish(encoded);
    if (!co_await write(encoded)) {
        lost("write failed at the end of DATA");
        co_return result;
    }
    auto final_reply = co_await read_reply(timeouts_.data);
    if (!final_reply) {
        // The message may have been accepted: RFC 5321 §6.1 accepts the risk of a duplicate.
        lost(final_reply.error().message);
        co_return result;
    }
    result.data = *final_reply;
    co_return result;
}

asio::awaitable<bool> SmtpClient::reset() {
    std::string line(smtp::kRsetLine);
    if (!co_await write(line)) co_return false;
    auto r = co_await read_reply(timeouts_.command);
    if (!r || !r->positive()) usable_ = false;
    co_return usable_;
}

asio::awaitable<void> SmtpClient::quit() {
    if (usable_) {
        std::string line(smtp::kQuitLine);
        if (co_await write(line)) (void)co_await read_reply(std::chrono::seconds(10));
    }
    stream_->close();
    usable_ = false;
}

}  // namespace postern::services::smtp_out
