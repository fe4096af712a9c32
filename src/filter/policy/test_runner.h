// `posternctl policy test`: feeds one message through every policy event in the order SMTP-IN,
// SMTP-OUT and PROCESSING would, and reports what each event decided. Sends nothing, touches no
// queue or directory; plain data out, rendered by the caller.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "filter/policy/context.h"
#include "filter/policy/decision.h"
#include "filter/policy/event.h"
#include "filter/policy/script.h"
#include "log/log.h"

namespace postern::filter::policy {

struct TestInput {
    std::string message;    // the .eml bytes (header, blank line, body)
    std::string mail_from;  // "" for the null sender <>
    // Recipients in RCPT order. The kind is what the directory would say; `unknown` and `remote`
    // recipients are the ones onRelay runs for (grouped by domain).
    std::vector<Recipient> recipients;
    std::string client_ip = "127.0.0.1";
    std::string reverse_dns;
    std::string helo = "localhost";
    std::string auth_user;  // set from onMailFrom on, as after AUTH
    bool tls = false;
    ListenerRole role = ListenerRole::mx;
    std::size_t chunk_size = 64 * 1024;  // body bytes per onBodyChunk
    // With a failure code, each relayed domain also meets onDeliveryFailure (5xx) or
    // onTemporaryDeliveryFailure (4xx) with this reply. 0: those events are not run.
    std::uint16_t failure_code = 0;
    std::string failure_text = "5.1.1 simulated failure";
};

// One event as it ran.
struct EventRun {
    Event event = Event::connect;
    std::string subject;   // onRcptTo: the recipient; onBodyChunk: "chunk 2 (bytes 65536-131071)";
                           // queue-side events: the domain; empty otherwise
    bool defined = false;  // the script has the function (otherwise: no opinion, not called)
    PolicyDecision decision;
    std::string effect;  // what the server would do: "recipient refused: 550 5.7.1 ..."
};

enum class TestOutcome : std::uint8_t {
    accepted,       // queued for the final recipients
    refused,        // the connection, EHLO, MAIL or the message got a 4xx/5xx
    discarded,      // accepted and dropped
    no_recipients,  // every RCPT was refused: DATA would get 554
};
std::string_view test_outcome_name(TestOutcome outcome);

struct TestReport {
    std::vector<EventRun> events;  // in the order they ran; events not run are absent
    TestOutcome outcome = TestOutcome::accepted;
    std::string summary;                       // one line: "accepted for 2 recipients", ...
    std::vector<std::string> recipients;       // after the script's recipient changes
    std::vector<HeaderChange> header_changes;  // all of them, in order
    std::vector<HeaderField> headers;          // the top-level header after the changes
    std::map<std::string, RelayRoute> routes;  // domain -> route set by onRelay
    PolicyVars vars;                           // ctx.vars at the end
};

// Runs the events; fails only for bad input (client IP, addresses). Script failures are part of
// the report (decision.failed), as the server would see them. Any thread.
Result<TestReport> run_all_events(const PolicyScript& script, const TestInput& input,
                                  const log::Logger& logger = {});

}  // namespace postern::filter::policy
