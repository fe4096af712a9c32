// What a policy script sees: the connection, envelope, headers, size, body chunk and delivery
// facts, filled by the caller (SMTP-IN, PROCESSING, SMTP-OUT) before each event, plus the
// variables a script keeps between the events of one session.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/ip_address.h"

namespace postern::filter::policy {

enum class ListenerRole : std::uint8_t { mx, submission, lmtp };

// How the directory resolved a recipient. `unknown` until it is resolved (and always in
// `posternctl policy test` unless given).
enum class RecipientKind : std::uint8_t { unknown, account, alias, group, forwarder, list, remote };

// "mx" / "submission" / "lmtp"; "unknown", "account", "alias", "group", "forwarder", "list",
// "remote": the strings scripts compare against.
std::string_view listener_role_name(ListenerRole role);
std::string_view recipient_kind_name(RecipientKind kind);
std::optional<RecipientKind> recipient_kind_from_name(std::string_view name);

struct ConnectionInfo {
    IpAddress client_ip;
    std::uint16_t client_port = 0;
    IpAddress local_ip;
    std::uint16_t local_port = 0;
    std::string reverse_dns;  // empty: no name (or not looked up)
    std::string helo;         // empty before HELO/EHLO
    bool tls = false;
    std::string tls_protocol;  // "TLSv1.3"; empty without TLS
    std::string tls_cipher;    // "TLS_AES_256_GCM_SHA384"
    std::string auth_user;     // empty: not authenticated
    ListenerRole role = ListenerRole::mx;
};

struct MailParameter {
    std::string name;   // upper-cased keyword: "SIZE", "BODY", "SMTPUTF8"
    std::string value;  // empty for a keyword without value
};

struct Recipient {
    std::string address;  // normal form "local@domain" (proto/smtp Mailbox::to_string)
    RecipientKind kind = RecipientKind::unknown;
};

struct Envelope {
    std::optional<std::string> mail_from;  // nullopt before MAIL FROM; "" for the null path <>
    std::vector<MailParameter> mail_parameters;
    std::vector<Recipient> recipients;  // accepted so far
};

// A header field as received: `value` is everything after the colon, folding included; scripts
// see it unfolded with leading white space removed.
struct HeaderField {
    std::string name;
    std::string value;
};

// onRelay, onDeliveryFailure and onTemporaryDeliveryFailure: one delivery attempt's facts.
struct DeliveryInfo {
    std::string domain;                   // destination domain
    std::vector<std::string> recipients;  // the recipients of this delivery
    std::string remote_host;              // the host that answered; empty if none did
    std::uint16_t reply_code = 0;         // its reply (failure events); 0 when none
    std::string reply_text;
    std::uint32_t attempts = 0;
    std::chrono::seconds queued_for{0};
};

// Sender authentication results (docs/sender-authentication.md), "" while unknown: spf from
// MAIL FROM on, dkim/dmarc from onDataReceived on (SMTP-IN computes them at the end of DATA).
struct AuthResults {
    std::string spf;  // "pass", "fail", "softfail", "neutral", "none", "temperror", "permerror"
    std::string spf_helo;      // the HELO identity's result
    std::string dkim;          // best signature result: "pass" if any passed, "none" without any
    std::string dmarc;         // "pass", "fail", "none", "temperror", "permerror"
    std::string dmarc_policy;  // disposition for a DMARC fail: "none", "quarantine", "reject"
    std::string header;        // the Authentication-Results value we add
};

// Filled by the caller and kept for the whole session (SMTP-IN) or message (queue side), updated
// as facts become known: nothing is copied into the script per call except what it reads.
struct PolicyContext {
    std::string session_id;  // for log lines: the session's id, or the queue id on the queue side
    std::string queue_id;    // empty until the message has one
    ConnectionInfo connection;
    Envelope envelope;
    std::optional<Recipient> recipient;  // onRcptTo: the one being added (not yet in envelope)
    std::vector<HeaderField> headers;    // from onHeadersReceived on
    std::uint64_t message_size = 0;      // bytes received so far (the whole size at the end)
    std::string_view body_chunk;         // onBodyChunk only; must stay valid during the call
    DeliveryInfo delivery;
    AuthResults auth;
    // SMTP-time protection results by check ("dnsbl", "rdns", "greylist", ...): ctx.checks.
    std::map<std::string, std::string, std::less<>> checks;
};

// Values a script keeps in ctx.vars between events of the same session (SMTP-IN keeps one per
// session; the queue side one per message). Written only by successful calls.
using VarValue = std::variant<bool, std::int64_t, double, std::string>;
using PolicyVars = std::map<std::string, VarValue, std::less<>>;

// Limits on ctx.vars, checked when the script assigns (a violation fails the call).
inline constexpr std::size_t kMaxVars = 64;
inline constexpr std::size_t kMaxVarNameBytes = 64;
inline constexpr std::size_t kMaxVarValueBytes = 4096;

}  // namespace postern::filter::policy
