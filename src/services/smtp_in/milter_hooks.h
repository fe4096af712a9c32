// Glue between SMTP-IN sessions and milters that run during the SMTP dialogue
// ([[scan.scanner]] type = "milter", stage = "smtp"; docs/milter.md "At SMTP time"): one milter
// connection per milter per SMTP session, each SMTP step mirrored to every milter on the
// blocking pool, the milter's answer given as the reply to that step. The Session methods that
// use it are in milter_hooks.cpp.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "filter/milter/client.h"
#include "proto/smtp/reply.h"

namespace postern::services::smtp_in {

// The SMTP step a milter's reply answers (it decides the default reply and its code).
enum class MilterStage { connect, helo, mail, rcpt, data, message };

struct MilterLink {
    config::ScannerConfig config;                  // a copy: the session outlives no snapshot
    std::optional<filter::milter::Client> client;  // empty until connected, and once broken
    bool broken = false;        // unreachable, timed out or spoke nonsense: see on_failure
    bool done_session = false;  // ACCEPT before MAIL: nothing more for it in this connection
    bool done_txn = false;      // ACCEPT in this transaction
    bool in_txn = false;        // MAIL was sent: ABORT before the next MAIL
};

struct MilterState {
    std::vector<MilterLink> links;
    bool discard_session = false;  // DISCARD before MAIL: every message of the connection
    bool discard = false;          // DISCARD in this transaction
    std::string message;           // the message as received (our Received field first)
    bool buffering = false;        // DATA/BDAT in progress: the bytes go to `message`

    // After the final reply to a message, RSET, HELO or a refused MAIL.
    void reset_transaction();
};

// The SMTP reply for a milter's REJECT/TEMPFAIL/REPLYCODE at `stage`. A greeting can only be
// 554 or 421 (RFC 5321 §4.3.2), so at CONNECT the milter's code is mapped onto those.
proto::smtp::Reply milter_reply(const filter::milter::StepReply& reply, MilterStage stage);
// The reply when a milter with on_failure = "tempfail" is unusable.
proto::smtp::Reply milter_unavailable_reply(MilterStage stage);

}  // namespace postern::services::smtp_in
