// IMAP ENVELOPE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) written from the MIME layer's Envelope
// (src/mime/envelope.h), which already applies the RFC's Sender/Reply-To defaulting and group
// syntax. Pure; thread-safe.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "mime/envelope.h"
#include "proto/imap/response_writer.h"

namespace postern::proto::imap {

// "(date subject (from) (sender) (reply-to) (to) (cc) (bcc) in-reply-to message-id)": strings are
// nstrings (8-bit header bytes become literals outside UTF-8 sessions), empty address lists NIL.
void append_envelope(std::string& out, const mime::Envelope& envelope, const SessionMode& mode);
// An address list "((name adl mailbox host)...)", or NIL when empty.
void append_address_list(std::string& out, std::span<const mime::EnvelopeAddress> addresses,
                         const SessionMode& mode);

// From the store's cached blob (MessageAnalysis::envelope: an encode_structure() blob with no
// parts whose envelopes[0] is the message's). Errc::corrupt when the blob does not decode or has
// no envelope; nothing is appended then.
postern::Status append_envelope_blob(std::string& out, std::string_view blob,
                                     const SessionMode& mode);

}  // namespace postern::proto::imap
