// One SMTP (or LMTP) session on SMTP-IN: read a command, check it against the protocol rules
// and the session state, execute it, reply (RFC 5321; extensions per proto/smtp). Commands
// are split by phase: session.cpp (loop, greeting, HELO/EHLO, RSET, NOOP, QUIT, HELP, VRFY,
// EXPN), envelope.cpp (MAIL, RCPT), message.cpp (DATA, BDAT, queueing), tls_auth.cpp
// (STARTTLS, AUTH).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "net/line_reader.h"
#include "proto/smtp/chunk_receiver.h"
#include "proto/smtp/command.h"
#include "proto/smtp/command_table.h"
#include "proto/smtp/content.h"
#include "proto/smtp/transaction.h"
#include "services/error_control.h"
#include "services/smtp_in/header_scan.h"
#include "services/tcp_service.h"

namespace postern::auth {
class Authenticator;
}
namespace postern::directory {
class Directory;
struct Resolution;
}
namespace postern::filter::policy {
class PolicyHolder;
}
namespace postern::net::dns {
class Resolver;
}
namespace postern::services {
class Protection;
}
namespace postern::queue {
class Queue;
class MessageWriter;
struct Envelope;
}

namespace postern::services::smtp_in {

class SendLimiter;
class SenderAuthShared;  // sender_auth.h
struct SenderAuthState;
struct PolicyState;    // policy_hooks.h
struct MilterState;    // milter_hooks.h
struct PolicyVerdict;
struct ProtectionState;  // protection.h

// What sessions share; all must outlive the service.
struct Deps {
    directory::Directory* directory = nullptr;
    auth::Authenticator* authenticator = nullptr;
    queue::Queue* queue = nullptr;
    SendLimiter* limiter = nullptr;
    filter::policy::PolicyHolder* policy = nullptr;  // null, or no script in service: no policy
    net::dns::Resolver* resolver = nullptr;          // null: no reverse lookup of clients
    SenderAuthShared* sender_auth = nullptr;          // null: no SPF/DKIM/DMARC
    Protection* protection = nullptr;                // null: no greylisting, no country filter
};

class Session {
public:
    Session(net::Connection connection, SessionContext context, const Deps& deps, bool lmtp);
    ~Session();
    boost::asio::awaitable<void> run();

private:
    enum class Flow { next, close };

    struct User {
        std::int64_t id = 0;
        std::string address;
        std::string mechanism;  // the SASL mechanism it authenticated with ("PLAIN")
    };
    struct Recipient {
        std::string address;      // as the client gave it (normal form)
        std::uint8_t notify = 0;
        std::string orcpt;        // "type;address", decoded
    };
    // The transaction in progress (between MAIL and the final reply).
    struct Envelope {
        proto::smtp::MailFrom mail;
        std::vector<Recipient> recipients;
    };

    // --- I/O ------------------------------------------------------------------------------
    // Replies are buffered (pipelining) and written by flush(), which takes no arguments on
    // purpose: GCC 12 mishandles temporaries inside co_await expressions.
    void add_reply(const proto::smtp::Reply& reply);
    boost::asio::awaitable<bool> flush();
    // The reply to an error: counts toward error control; Flow::close when over the limit
    // (the closing 421 is added too).
    Flow refuse(const proto::smtp::Reply& reply);
    boost::asio::awaitable<Flow> execute(const proto::smtp::Command& command);

    // --- state ----------------------------------------------------------------------------
    const config::SmtpConfig& cfg() const;
    proto::smtp::Extensions extensions() const;
    proto::smtp::ParserOptions parser_options() const;
    proto::smtp::SessionFacts facts() const;
    proto::smtp::ContentLimits content_limits() const;
    void reset_transaction();

    // --- commands -------------------------------------------------------------------------
    boost::asio::awaitable<Flow> on_hello(const proto::smtp::Hello& hello);
    boost::asio::awaitable<Flow> on_mail(const proto::smtp::MailFrom& mail);
    boost::asio::awaitable<Flow> on_rcpt(const proto::smtp::RcptTo& rcpt);
    boost::asio::awaitable<Flow> on_data();
    boost::asio::awaitable<Flow> on_bdat(const proto::smtp::Bdat& bdat);
    boost::asio::awaitable<Flow> on_starttls();
    // The TLS protocol and cipher of the connection ("TLSv1.3", "TLS_AES_256_GCM_SHA384");
    // empty before STARTTLS.
    struct TlsNames {
        std::string protocol, cipher;
    };
    TlsNames tls_names() const;
    boost::asio::awaitable<Flow> on_auth(const proto::smtp::Auth& auth);
    boost::asio::awaitable<Flow> on_vrfy(const proto::smtp::Vrfy& vrfy);
    boost::asio::awaitable<Flow> on_expn(const proto::smtp::Expn& expn);

    // --- message --------------------------------------------------------------------------
    bool start_message();  // opens the queue writer and writes our Received field
    boost::asio::awaitable<bool> store(std::string& bytes, bool final);
    boost::asio::awaitable<Flow> finish_message(const std::optional<proto::smtp::Reply>& content_problem);
    std::optional<proto::smtp::Reply> check_message();
    boost::asio::awaitable<Flow> discard_octets(std::uint64_t octets);

    // The client's forward-confirmed reverse name (RFC 8601 iprev) into client_name_, when
    // [services.smtp] reverse_lookup is on; bounded by kReverseLookupTimeout.
    boost::asio::awaitable<void> look_up_client();

    // --- SMTP-time protection (protection.cpp) ---------------------------------------------
    // Starts the DNSBL lookups and looks up the country; refuses nothing yet.
    void protection_connect();
    bool protection_wants_reverse() const;  // a DNS check needs the client's reverse DNS
    bool protection_trusted() const;        // authenticated, or in relay_networks
    // DNSBL, country and DNS-check verdicts at MAIL FROM: the reply to refuse with, if any.
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> protection_mail(
        const proto::smtp::MailFrom& mail);
    // Greylisting at RCPT TO.
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> protection_rcpt(
        const std::string& address, const directory::Resolution& resolution);
    void protection_note(const std::string& check, std::string result);
    std::string protection_fields() const;  // X-Postern-Protection, or "" when nothing ran

    // --- policy scripts (policy_hooks.cpp; no-ops without a script) -------------------------
    // onConnect; takes the session's script snapshot. A refusal is the greeting, then close.
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> policy_connect();
    boost::asio::awaitable<PolicyVerdict> policy_hello();
    boost::asio::awaitable<PolicyVerdict> policy_mail(const proto::smtp::MailFrom& mail);
    boost::asio::awaitable<PolicyVerdict> policy_rcpt(const std::string& address,
                                                      const directory::Resolution& resolution);
    // onHeadersReceived, onBodyChunk, onDataReceived as the message streams in; `staged` holds
    // the bytes not yet given to the writer (header changes are applied to it). Needs policy_.
    boost::asio::awaitable<void> policy_message(std::string& staged, bool final);
    // Applies recipient changes to `envelope`; true when the message is dropped instead of
    // queued (discard, or no recipient left), with the positive replies added. Needs policy_.
    bool policy_drop(queue::Envelope& envelope);
    void policy_refresh();

    // --- milters at SMTP time (milter_hooks.cpp; no-ops without stage = "smtp" milters) ----
    // Connects the milters and sends CONNECT; a refusal is the greeting, then close.
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> milter_connect();
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> milter_hello();
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> milter_mail(const proto::smtp::MailFrom& mail);
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> milter_rcpt(const std::string& address);
    // After start_message(): DATA to the milters; from then on store() holds the message in
    // memory until milter_message().
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> milter_data();
    // The end of the message: the milters see it and their changes are applied to it and to
    // `envelope`; then it goes to the queue writer. A refusal to send, or `dropped` (DISCARD:
    // answer 250 and queue nothing).
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> milter_message(queue::Envelope& envelope, bool& dropped);
    // Bytes of the message received so far (what the writer has plus what the milters hold).
    std::uint64_t received_size() const;

    // --- sender authentication (sender_auth.cpp; no-ops when off) ---------------------------
    // SPF of the HELO and MAIL FROM identities; a refusal when the configured action says so.
    boost::asio::awaitable<std::optional<proto::smtp::Reply>> sender_auth_mail(const proto::smtp::MailFrom& mail);
    // The scanner appended bytes to `staged` from `from` on: strips forged Authentication-Results
    // from the header block and feeds the body to the DKIM verifier and signer.
    void sender_auth_feed(std::string& staged, std::size_t from);
    // End of the message: DKIM keys, DMARC, the Authentication-Results field, the signature.
    boost::asio::awaitable<void> sender_auth_finish();

    net::Connection conn_;
    SessionContext ctx_;
    Deps deps_;
    bool lmtp_;
    net::LineReader reader_;
    ErrorControl errors_;
    std::string out_;
    bool greeted_ = false;
    bool esmtp_ = false;
    std::string helo_;
    std::string client_name_;  // verified reverse DNS name, or "" (unknown)
    std::optional<User> user_;
    proto::smtp::Transaction txn_;
    std::optional<Envelope> envelope_;
    // The message being received (DATA, or across BDAT chunks).
    std::unique_ptr<queue::MessageWriter> writer_;
    std::unique_ptr<HeaderScanner> scanner_;
    // BDAT: the chunk receiver and bytes staged for the queue writer, across chunks.
    struct Chunks {
        proto::smtp::ChunkReceiver receiver;
        std::string staged;
    };
    std::optional<Chunks> chunks_;
    std::uint32_t messages_ = 0;
    std::unique_ptr<PolicyState> policy_;  // null: no policy script for this session
    std::unique_ptr<SenderAuthState> sauth_;  // null until the first MAIL with checks on
    std::unique_ptr<ProtectionState> protection_;
    std::unique_ptr<MilterState> milter_;     // null: no SMTP-time milter for this session
};

}  // namespace postern::services::smtp_in
