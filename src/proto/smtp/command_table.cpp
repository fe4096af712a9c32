// The command table (RFC 5321 §4.1.4 order of commands, RFC 2920 §3.1 pipelining groups,
// RFC 3207 §4 and §4.2 STARTTLS, RFC 4954 §4 and §6 AUTH, RFC 3030 §2 BDAT) and its checks.
#include "proto/smtp/command_table.h"

#include <array>
#include <cassert>

#include "base/strings.h"
#include "proto/smtp/replies.h"

namespace postern::proto::smtp {
namespace {

using namespace rule;

// Indexed by Verb. Greeting: RFC 5321 §4.1.4 requires HELO/EHLO before a mail transaction;
// STARTTLS and AUTH are extensions the client can only know about from EHLO. TLS: RFC 3207 §4
// lists NOOP, EHLO, STARTTLS and QUIT (HELO and LHLO are their equivalents). Auth: RFC 4954 §6
// lists AUTH, EHLO, HELO, NOOP, RSET and QUIT (and STARTTLS must precede AUTH).
constexpr std::array<CommandRule, kVerbCount> kTable = {{
    {Verb::helo, "HELO", before_greeting | before_tls | before_auth | ends_group | in_transaction,
     "RFC 5321 §4.1.1.1; ends a group like EHLO"},
    {Verb::ehlo, "EHLO", before_greeting | before_tls | before_auth | ends_group | in_transaction,
     "RFC 5321 §4.1.1.1, RFC 2920 §3.1"},
    {Verb::lhlo, "LHLO", before_greeting | before_tls | before_auth | ends_group | in_transaction,
     "RFC 2033 §4.1"},
    {Verb::mail, "MAIL", 0, "RFC 5321 §4.1.1.2"},
    {Verb::rcpt, "RCPT", in_transaction, "RFC 5321 §4.1.1.3"},
    {Verb::data, "DATA", ends_group | in_transaction, "RFC 5321 §4.1.1.4, RFC 2920 §3.1"},
    {Verb::bdat, "BDAT", in_transaction, "RFC 3030 §2 (may be pipelined)"},
    {Verb::rset, "RSET", before_greeting | before_auth | in_transaction, "RFC 5321 §4.1.1.5"},
    {Verb::noop, "NOOP", before_greeting | before_tls | before_auth | ends_group | in_transaction,
     "RFC 5321 §4.1.1.9, RFC 2920 §3.1"},
    {Verb::quit, "QUIT", before_greeting | before_tls | before_auth | ends_group | in_transaction,
     "RFC 5321 §4.1.1.10, RFC 2920 §3.1"},
    {Verb::vrfy, "VRFY", before_greeting | ends_group | in_transaction,
     "RFC 5321 §4.1.1.6, RFC 2920 §3.1"},
    {Verb::expn, "EXPN", before_greeting | ends_group | in_transaction,
     "RFC 5321 §4.1.1.7, RFC 2920 §3.1"},
    {Verb::help, "HELP", before_greeting | ends_group | in_transaction, "RFC 5321 §4.1.1.8"},
    {Verb::starttls, "STARTTLS", before_tls | before_auth | ends_group | discards_input,
     "RFC 3207 §4, §4.2"},
    {Verb::auth, "AUTH", before_auth | ends_group, "RFC 4954 §4"},
    {Verb::unknown, "", before_greeting | before_tls | before_auth | in_transaction,
     "answered 500 by the parser"},
}};

}  // namespace

std::span<const CommandRule> command_table() {
    return kTable;
}

const CommandRule& rule_for(Verb verb) {
    const auto& r = kTable[static_cast<std::size_t>(verb)];
    assert(r.verb == verb);
    return r;
}

std::optional<Reply> check_command(Verb verb, const SessionFacts& facts, const Extensions& ext) {
    const std::uint16_t flags = rule_for(verb).flags;
    if (!facts.greeted && !(flags & before_greeting)) {
        return replies::bad_sequence("Send HELO/EHLO first");
    }
    if (facts.tls_required && !facts.tls_active && !(flags & before_tls)) {
        return replies::tls_required();
    }
    if (facts.auth_required && !facts.authenticated && !(flags & before_auth)) {
        return replies::auth_required();
    }
    switch (verb) {
        case Verb::starttls:
            if (facts.tls_active)
                return replies::bad_sequence("TLS already active");
            if (!ext.starttls)
                return replies::not_implemented();
            if (facts.in_transaction)
                return replies::bad_sequence("STARTTLS inside a transaction");
            break;
        case Verb::auth:
            if (facts.authenticated)
                return replies::bad_sequence("Already authenticated");
            if (facts.in_transaction)
                return replies::bad_sequence("AUTH not allowed in a transaction");
            if (!ext.auth())
                return replies::bad_sequence("Authentication not enabled");
            break;
        case Verb::bdat:
            if (!ext.chunking)
                return replies::not_implemented();
            break;
        case Verb::vrfy:
            if (!ext.vrfy)
                return replies::vrfy_disabled();
            break;
        case Verb::expn:
            if (!ext.expn)
                return replies::expn_disabled();
            break;
        case Verb::help:
            if (!ext.help)
                return replies::not_implemented();
            break;
        default:
            break;
    }
    return std::nullopt;
}

ParseResult accept_command(std::string_view line, const ParserOptions& options,
                           const SessionFacts& facts) {
    auto parsed = parse_command(line, options);
    if (!parsed)
        return parsed;
    const Verb verb = verb_of(*parsed);
    if (auto refusal = check_command(verb, facts, options.extensions)) {
        CommandError e{verb, std::move(*refusal), false, std::nullopt};
        if (const auto* bdat = std::get_if<Bdat>(&*parsed))
            e.discard_octets = bdat->size;
        return std::unexpected(std::move(e));
    }
    return parsed;
}

PipelineAction pipelining_rule(Verb verb, bool input_buffered, bool pipelining_offered) {
    const std::uint16_t flags = rule_for(verb).flags;
    if (flags & discards_input)
        return PipelineAction::discard_input;
    if (!input_buffered)
        return PipelineAction::proceed;
    if (!pipelining_offered || (flags & ends_group))
        return PipelineAction::out_of_sync;
    return PipelineAction::proceed;
}

}  // namespace postern::proto::smtp
