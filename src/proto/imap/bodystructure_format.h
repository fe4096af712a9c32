// IMAP BODY and BODYSTRUCTURE (RFC 9051 §7.5.2, RFC 3501 §7.4.2) written from the MIME layer's
// MessageStructure (src/mime/structure.h), as built at append or decoded from the store's blob.
// Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/result.h"
#include "mime/structure.h"
#include "proto/imap/response_writer.h"

namespace postern::proto::imap {

// Nesting deeper than this is written as an empty text/plain part (the MIME parser's own
// default limit is 100 levels).
inline constexpr int kMaxBodyDepth = 256;

// The body of parts[0]: "(" body-type-1part / body-type-mpart ")". `extensible` selects
// BODYSTRUCTURE (with body-ext-1part / body-ext-mpart: MD5, disposition, language, location;
// multipart parameters) over BODY. What the RFC grammar leaves open is decided as Dovecot does:
//  - text/* parts without a charset parameter get ("charset" "us-ascii") (RFC 2046 §4.1.2);
//  - types, subtypes and parameter names are written as the MIME layer keeps them (lower-case),
//    encodings as written in the header ("7bit" when absent);
//  - a multipart without parts gets one empty text/plain part (1*body needs one);
//  - message/global is a body-type-msg only in IMAP4rev2 sessions: RFC 3501 media-message knows
//    only RFC822, so IMAP4rev1 clients get it as a basic part.
// Anything inconsistent (an index out of range, a part reached twice, nesting past
// kMaxBodyDepth) is written as an empty text/plain part rather than failing the FETCH.
void append_body_structure(std::string& out, const mime::MessageStructure& structure,
                           bool extensible, const SessionMode& mode);

// From the store's cached blob (MessageAnalysis::bodystructure). Errc::corrupt when it does not
// decode; nothing is appended then.
postern::Status append_body_structure_blob(std::string& out, std::string_view blob, bool extensible,
                                           const SessionMode& mode);

}  // namespace postern::proto::imap
