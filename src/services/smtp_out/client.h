// One outgoing SMTP connection (RFC 5321 client side): greeting, EHLO (HELO fallback),
// STARTTLS (RFC 3207), AUTH PLAIN (RFC 4954, smarthosts), one or more transactions with
// PIPELINING (RFC 2920), DATA sent dot-stuffed and canonical so nothing stored can end the
// message early at the next hop, RSET between messages, QUIT.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "log/log.h"
#include "net/line_reader.h"
#include "net/stream.h"
#include "proto/smtp/capabilities.h"
#include "proto/smtp/command.h"
#include "proto/smtp/reply.h"

namespace postern::services::smtp_out {

struct ClientTimeouts {
    std::chrono::milliseconds command{std::chrono::minutes(5)};
    std::chrono::milliseconds data{std::chrono::minutes(10)};
};

// The outcome of one attempt, before it is mapped to queue results.
struct TransactionResult {
    // Set when the transaction failed as a whole (MAIL refused, DATA refused, connection
    // lost): every recipient gets it.
    std::optional<proto::smtp::Reply> failure;
    std::vector<proto::smtp::Reply> recipients;  // one per RCPT, in order
    std::optional<proto::smtp::Reply> data;      // the reply to the final dot (accepted RCPTs)
    bool connection_lost = false;
};

// Reads the next chunk of the message into `out` (empty = end). Runs off the event loop.
using BodySource = std::function<boost::asio::awaitable<Result<bool>>(std::string& out)>;

class SmtpClient {
public:
    SmtpClient(std::unique_ptr<net::Stream> stream, std::string host, ClientTimeouts timeouts, log::Logger logger);

    // 220 greeting, then EHLO (HELO if the server refuses EHLO). The reply on failure.
    boost::asio::awaitable<Result<proto::smtp::Reply>> greet(const std::string& helo_name);
    // Implicit TLS (submissions on 465): the handshake before the greeting.
    boost::asio::awaitable<Status> handshake(std::shared_ptr<net::TlsContext> context);
    // STARTTLS and a new EHLO. Errc::unavailable with the reason when it fails.
    boost::asio::awaitable<Status> start_tls(std::shared_ptr<net::TlsContext> context, const std::string& helo_name);
    // AUTH PLAIN with the initial response. The reply on failure.
    boost::asio::awaitable<Result<proto::smtp::Reply>> authenticate(const std::string& user, const std::string& password);

    boost::asio::awaitable<TransactionResult> send(const proto::smtp::MailFrom& mail,
                                                   const std::vector<proto::smtp::RcptTo>& recipients,
                                                   BodySource& body);
    boost::asio::awaitable<bool> reset();  // RSET for the next transaction on this connection
    boost::asio::awaitable<void> quit();

    const proto::smtp::ServerCapabilities& capabilities() const { return caps_; }
    const std::string& host() const { return host_; }
    bool tls() const { return stream_->tls_active(); }
    bool usable() const { return usable_; }
    unsigned transactions() const { return transactions_; }

private:
    boost::asio::awaitable<Result<proto::smtp::Reply>> read_reply(std::chrono::milliseconds timeout);
    boost::asio::awaitable<bool> write(const std::string& text);
    boost::asio::awaitable<Result<proto::smtp::Reply>> ehlo(const std::string& helo_name);

    std::unique_ptr<net::Stream> stream_;
    net::LineReader reader_;
    std::string host_;
    ClientTimeouts timeouts_;
    log::Logger log_;
    proto::smtp::ServerCapabilities caps_;
    bool usable_ = true;
    unsigned transactions_ = 0;
};

// A reply we make up for local failures (connection lost, timeout), in the reply type.
proto::smtp::Reply local_reply(std::uint16_t code, std::string_view enhanced, std::string text);

}  // namespace postern::services::smtp_out
