// SMTP/LMTP protocol rules as data (in the manner of Postfix's smtpd command table): for each
// verb, whether it is allowed before the greeting, before TLS or AUTH when those are required,
// and how it may be pipelined (RFC 2920 §3.1, RFC 3207 §4.2). The session enforces them here.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "proto/smtp/command.h"
#include "proto/smtp/extensions.h"
#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

namespace rule {
inline constexpr std::uint16_t before_greeting = 1 << 0;  // allowed before HELO/EHLO/LHLO
inline constexpr std::uint16_t before_tls = 1 << 1;       // allowed while TLS is required, not on
inline constexpr std::uint16_t before_auth = 1 << 2;     // allowed while AUTH is required, not done
inline constexpr std::uint16_t ends_group = 1 << 3;      // must be last in a pipelined group
inline constexpr std::uint16_t discards_input = 1 << 4;  // input buffered behind it is dropped
inline constexpr std::uint16_t in_transaction = 1 << 5;  // allowed between MAIL and the end
}  // namespace rule

struct CommandRule {
    Verb verb;
    std::string_view name;
    std::uint16_t flags;
    std::string_view why;  // the RFC section the flags come from (for readers and docs)
};

// One row per Verb (unknown included), indexed by the Verb's value.
std::span<const CommandRule> command_table();
const CommandRule& rule_for(Verb verb);

// What the session knows about itself that the rules depend on.
struct SessionFacts {
    bool greeted = false;  // HELO/EHLO/LHLO accepted
    bool tls_active = false;
    bool tls_required = false;  // listener policy: nothing but STARTTLS before TLS
    bool authenticated = false;
    bool auth_required = false;   // e.g. submission: AUTH before MAIL
    bool in_transaction = false;  // MAIL accepted and the transaction not finished or reset
};

// The reply refusing `verb` in this state, or nullopt when the state allows it. Order:
// greeting first (503 5.5.1), then TLS (530 5.7.0, RFC 3207 §4), then authentication (530
// 5.7.0, RFC 4954 §6), then the verb's own conditions: STARTTLS offered and not yet active,
// AUTH offered, not repeated and not inside a transaction (RFC 4954 §4), BDAT only with
// CHUNKING, VRFY (252 when disabled), EXPN and HELP enabled. Transaction order (MAIL before RCPT
// before DATA) is Transaction's job.
std::optional<Reply> check_command(Verb verb, const SessionFacts& facts,
                                   const Extensions& extensions);

// parse_command() then check_command() in one call. A BDAT refused by the state rules carries
// discard_octets so the session still skips its chunk.
ParseResult accept_command(std::string_view line, const ParserOptions& options,
                           const SessionFacts& facts);

enum class PipelineAction : std::uint8_t {
    proceed,        // nothing to do
    discard_input,  // drop everything buffered (LineBuffer::clear()) before going on
    out_of_sync,    // the client broke pipelining rules: policy decides (sync_error() + close)
};

// What to do about input already buffered when `verb` has been read:
//  - STARTTLS: always discard_input, whether or not anything is buffered now. The session
//    must call LineBuffer::clear() after writing the 220 and before the handshake, so plaintext
//    pipelined behind STARTTLS is never read as if it came over TLS (RFC 3207 §4.2, §6).
//  - a verb that ends a group (RFC 2920 §3.1: EHLO, DATA, VRFY, EXPN, TURN, QUIT, NOOP; and
//    HELO, LHLO, AUTH, HELP here) with more input buffered: out_of_sync.
//  - any verb with input buffered when PIPELINING was not offered: out_of_sync.
PipelineAction pipelining_rule(Verb verb, bool input_buffered, bool pipelining_offered);

}  // namespace postern::proto::smtp
