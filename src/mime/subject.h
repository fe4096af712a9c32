// Base subject for SORT SUBJECT and THREAD (RFC 5256 §2.1). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace postern::mime {

struct BaseSubject {
    std::string text;  // UTF-8, whitespace collapsed; not case-folded (the collation does that)
    bool reply_or_forward = false;  // a "Re:", "Fwd:", "(fwd)" or "[fwd: ...]" was removed
};

// Runs RFC 5256 §2.1 steps (1)-(6) on the raw Subject field body: RFC 2047 decoding and
// whitespace collapsing, then removal of trailers, leaders, blobs and [fwd: ...] wrappers.
BaseSubject base_subject(std::string_view raw_subject);

}  // namespace postern::mime
