// Glue between SMTP-IN sessions and the Lua policy scripts (docs/policy.md): fills the script's
// ctx from the session, runs the events on the blocking pool, and keeps what they decided for
// the transaction (a refusal, a discard, header and recipient changes) until the message is
// queued. The Session methods that use it are in policy_hooks.cpp.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "filter/policy/context.h"
#include "filter/policy/decision.h"
#include "filter/policy/script.h"
#include "proto/smtp/reply.h"

namespace postern::directory {
struct Resolution;
}

namespace postern::services::smtp_in {

// What an SMTP-IN event answered.
struct PolicyVerdict {
    std::optional<proto::smtp::Reply> refusal;  // reject, tempfail or the failsafe: send this
    std::string text;                           // accept(text)/setReplyText: the positive text
    bool discard = false;
    // `fallback` with its text replaced by the script's, when it gave one.
    proto::smtp::Reply positive(proto::smtp::Reply fallback) const;
};

// One session's policy state. Exists only while a script is in service for the session (the
// script is the snapshot taken when the session started: a reload never changes it mid-way).
struct PolicyState {
    std::shared_ptr<const filter::policy::PolicyScript> script;
    filter::policy::PolicyContext context;
    filter::policy::PolicyVars vars;  // per session (docs/policy.md "ctx.vars")

    // --- the transaction (MAIL to the final reply) ---
    std::optional<proto::smtp::Reply> message_refusal;          // a message-level event refused it
    bool discard = false;                                       // answer 250 and drop the message
    std::vector<filter::policy::HeaderChange> pending_headers;  // not yet applied to the header
    std::vector<filter::policy::RecipientChange> recipient_changes;
    bool headers_seen = false;  // onHeadersReceived has run (or would have)
    // The client's header block as it sits at the start of the staged bytes; empty once those
    // bytes went to the queue writer (later header changes cannot be applied any more).
    std::string header_block;
    std::size_t body_offset = 0;  // staged bytes from here on are body not shown to onBodyChunk
    std::uint64_t written_before = 0;  // writer size when the header completed (our Received)
    std::int64_t rewritten = 0;        // bytes the header rewrites added (ctx.size is as received)
    // Fields added once the header block was written: queued as the message's header prefix.
    std::vector<filter::policy::HeaderField> late_headers;

    void reset_transaction();
};

// Length of the header block (fields and the empty line) at the start of `staged`, as
// HeaderScanner emits it.
std::size_t header_block_length(std::string_view staged);

// `block` (CRLF-terminated header lines and the empty line) with `changes` applied: added fields
// on top, removed fields (with their continuation lines) dropped.
std::string rewrite_header_block(std::string_view block,
                                 std::span<const filter::policy::HeaderChange> changes);

// How the directory's answer reads to a script (ctx.rcpt_kind).
filter::policy::RecipientKind recipient_kind(const directory::Resolution& resolution);

}  // namespace postern::services::smtp_in
