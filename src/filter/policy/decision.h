// What one policy event decided: a verdict with its reply, and the header, recipient, relay and
// NDR changes the script asked for. Plain data; the caller applies it (docs/policy.md).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "filter/policy/context.h"
#include "proto/smtp/reply.h"

namespace postern::filter::policy {

enum class Verdict : std::uint8_t {
    none,      // no opinion: the server goes on as if there were no script
    accept,    // positive reply; the server's reputation checks are skipped from here on
    reject,    // permanent refusal (5xx) of what this event is about
    tempfail,  // temporary refusal (4xx)
    discard,   // positive reply, then drop silently (or: no NDR / delay DSN)
};

std::string_view verdict_name(Verdict verdict);

struct HeaderChange {
    enum class Kind : std::uint8_t { add, remove };
    Kind kind = Kind::add;
    std::string name;   // RFC 5322 §2.2 field name
    std::string value;  // add only: one line, no CR/LF, valid UTF-8
    bool operator==(const HeaderChange&) const = default;
};

struct RecipientChange {
    enum class Kind : std::uint8_t { clear, add, remove };
    Kind kind = Kind::add;
    std::string address;  // normal form "local@domain"; empty for clear
    bool operator==(const RecipientChange&) const = default;
};

enum class RelayTls : std::uint8_t { opportunistic, required, implicit, none };
std::string_view relay_tls_name(RelayTls tls);

struct RelayRoute {
    std::string host;  // a domain, or an IP address literal in brackets "[192.0.2.1]"
    std::uint16_t port = 25;
    RelayTls tls = RelayTls::opportunistic;
    bool operator==(const RelayRoute&) const = default;
};

struct PolicyDecision {
    Verdict verdict = Verdict::none;
    // reject/tempfail: the reply to send (code 5xx/4xx; enhanced code defaulted when the script
    // gave none). Other verdicts: code 0 and `text` is the reply text for the server's own
    // positive reply ("explanation"), empty for the default text.
    std::uint16_t code = 0;
    std::optional<proto::smtp::EnhancedCode> enhanced;
    std::string text;

    std::vector<HeaderChange> header_changes;        // in call order
    std::vector<RecipientChange> recipient_changes;  // in call order
    std::optional<RelayRoute> relay;                 // onRelay
    std::optional<std::string> ndr_text;             // onDeliveryFailure / onTemporary...

    std::vector<std::string> log_lines;  // what the script logged (already written to the log)

    bool handled = false;  // the script defines this event's function and it was called
    bool failed = false;   // the call failed: verdict/reply are the configured failure action
    std::string error;     // why it failed ("policy.lua:12: attempt to index a nil value")

    // The reply for reject/tempfail; nullopt for the other verdicts.
    std::optional<proto::smtp::Reply> reply() const;
    bool changes_message() const { return !header_changes.empty() || !recipient_changes.empty(); }
};

// One line for logs and `posternctl policy test`: "reject 550 5.7.1 text; +header X-A; -rcpt b@c".
std::string describe(const PolicyDecision& decision);

// Applies recipient changes in order: clear empties the list, add appends an address not yet
// present, remove drops every equal address. Addresses compare exactly (they are in normal form).
void apply_recipient_changes(std::vector<std::string>& recipients,
                             std::span<const RecipientChange> changes);

// Applies header changes in order: add puts the field before all others (where trace fields go),
// remove drops every field of that name (ASCII case-insensitive), including ones added before.
void apply_header_changes(std::vector<HeaderField>& headers, std::span<const HeaderChange> changes);

}  // namespace postern::filter::policy
