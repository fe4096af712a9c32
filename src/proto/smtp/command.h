// Server-side SMTP/LMTP command parsing: one command line (CRLF already removed) becomes a typed
// command or the exact reply to send (RFC 5321 §4.1.1, §4.1.2; RFC 1870, 2033, 3030, 3207,
// 3461, 4954, 6152, 6531 for the extension commands and parameters).
#pragma once

#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "proto/smtp/address.h"
#include "proto/smtp/dsn.h"
#include "proto/smtp/extensions.h"
#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

enum class Verb : std::uint8_t {
    helo,
    ehlo,
    lhlo,
    mail,
    rcpt,
    data,
    bdat,
    rset,
    noop,
    quit,
    vrfy,
    expn,
    help,
    starttls,
    auth,
    unknown,  // not a command of this dialect
};
inline constexpr std::size_t kVerbCount = static_cast<std::size_t>(Verb::unknown) + 1;

std::string_view verb_name(Verb verb);  // "MAIL"; "" for unknown

// The verb a line starts with (case-insensitive), without looking at its arguments.
Verb identify_verb(std::string_view line, Dialect dialect);

enum class HelloKind : std::uint8_t {
    domain,           // a syntactically valid domain (lower-cased in `name`)
    address_literal,  // "[192.0.2.1]", "[IPv6:...]" (normal form in `name`)
    invalid,          // anything else; accepted unless strict_hello (policy may reject it)
};

// HELO, EHLO or LHLO (RFC 5321 §4.1.1.1, RFC 2033 §4.1).
struct Hello {
    Verb verb = Verb::ehlo;
    std::string name;  // normal form for domain/address_literal, as sent for invalid
    HelloKind kind = HelloKind::domain;
    bool operator==(const Hello&) const = default;
};

// MAIL FROM (RFC 5321 §4.1.1.2) with its parameters.
struct MailFrom {
    std::optional<Mailbox> sender;      // nullopt: null reverse-path "<>"
    std::optional<std::uint64_t> size;  // SIZE= (RFC 1870)
    Body body = Body::unspecified;      // BODY= (RFC 6152, RFC 3030)
    bool smtputf8 = false;              // SMTPUTF8 (RFC 6531 §3.4)
    Ret ret = Ret::unspecified;         // RET= (RFC 3461 §4.3)
    std::optional<std::string> envid;   // ENVID= decoded (RFC 3461 §4.4)
    std::optional<std::string> auth;    // AUTH= decoded; "" for AUTH=<> (RFC 4954 §5)
    bool operator==(const MailFrom&) const = default;
};

// RCPT TO (RFC 5321 §4.1.1.3) with DSN parameters.
struct RcptTo {
    Mailbox recipient;                       // "<postmaster>" has an empty domain
    std::uint8_t notify = 0;                 // notify:: bits, 0 = not given
    std::optional<OriginalRecipient> orcpt;  // ORCPT= (RFC 3461 §4.2)
    bool operator==(const RcptTo&) const = default;
};

struct Data {
    bool operator==(const Data&) const = default;
};
// BDAT chunk-size [LAST] (RFC 3030 §2). The session must read exactly `size` octets after the
// command line, whether or not it accepts the command.
struct Bdat {
    std::uint64_t size = 0;
    bool last = false;
    bool operator==(const Bdat&) const = default;
};
struct Rset {
    bool operator==(const Rset&) const = default;
};
struct Noop {
    bool operator==(const Noop&) const = default;
};
struct Quit {
    bool operator==(const Quit&) const = default;
};
struct Vrfy {
    std::string argument;   // as sent (a mailbox or a name)
    bool smtputf8 = false;  // "VRFY x SMTPUTF8" (RFC 6531 §3.7.4.2)
    bool operator==(const Vrfy&) const = default;
};
struct Expn {
    std::string argument;
    bool smtputf8 = false;
    bool operator==(const Expn&) const = default;
};
struct Help {
    std::string topic;  // may be empty
    bool operator==(const Help&) const = default;
};
struct StartTls {
    bool operator==(const StartTls&) const = default;
};
// AUTH mechanism [initial-response] (RFC 4954 §4). The mechanism is upper-cased and one the
// session offered; the initial response is still base64 ("=" for empty): decode it with
// auth::sasl::decode_initial_response (auth/sasl/wire.h), which also handles its errors.
struct Auth {
    std::string mechanism;
    std::optional<std::string> initial_response;
    bool operator==(const Auth&) const = default;
};

// One alternative per command: each carries only the fields that command has, std::visit makes
// a session handle every command, and verb_of() gives the Verb for the rules in
// command_table.h. HELO/EHLO/LHLO share Hello because they differ only in what they enable.
using Command = std::variant<Hello, MailFrom, RcptTo, Data, Bdat, Rset, Noop, Quit, Vrfy, Expn,
                             Help, StartTls, Auth>;

Verb verb_of(const Command& command);

// A line that is not executed. `reply` is what to send. Most are errors (code >= 400) that
// count towards the session's bad-command limit; VRFY while disabled gets 252 and is not one.
struct CommandError {
    Verb verb = Verb::unknown;
    Reply reply;
    // Close after sending: the byte stream can no longer be followed (a BDAT whose size cannot
    // be read) or the peer is not an SMTP client (HTTP requests).
    bool close_connection = false;
    // A rejected BDAT with a readable size: this many octets follow and must be read and
    // dropped before the next command (RFC 3030 §2).
    std::optional<std::uint64_t> discard_octets;

    bool is_error() const { return reply.code >= 400; }
};

// Bounds that apply inside one command line; the line length itself is the LineBuffer's limit
// (RFC 5321 §4.5.3.1.4 says 512; with extensions' parameters 2048 or more is sensible).
struct CommandLimits {
    std::size_t max_parameters = 16;  // per MAIL/RCPT: 7 are defined, more is abuse
    std::size_t max_argument = 1024;  // HELO name, VRFY/EXPN/HELP/NOOP argument, AUTH= value
};

struct ParserOptions {
    Dialect dialect = Dialect::smtp;
    Extensions extensions;  // what the session advertised (Extensions::basic() after HELO)
    AddressPolicy addresses;
    CommandLimits limits;
    bool strict_hello = false;  // reject HELO/EHLO/LHLO names that are not a domain or literal
};

using ParseResult = std::expected<Command, CommandError>;

// Parses one command line: syntax, parameter permission (a parameter is only valid when its
// extension is in `options.extensions`), declared SIZE against the advertised limit, and AUTH
// mechanism against the offered list. Session state (greeting, TLS, authentication, the
// transaction) is checked by check_command() and Transaction, not here. Thread-safe; no I/O.
ParseResult parse_command(std::string_view line, const ParserOptions& options);

}  // namespace postern::proto::smtp
