// Content verdicts and their replies (RFC 1870 §6.3: 552 5.3.4; RFC 5321 §2.3.8 and RFC 3463
// X.6.0 for line endings, NUL and overlong lines).
#include "proto/smtp/content.h"

#include "proto/smtp/replies.h"

namespace postern::proto::smtp {

ContentVerdict content_verdict(const ContentReport& r, const ContentLimits& limits) {
    if (r.too_large)
        return ContentVerdict::too_large;
    if (r.nul)
        return ContentVerdict::nul;
    if ((r.bare_lf || r.bare_cr) && limits.line_endings == LineEndingPolicy::reject) {
        return ContentVerdict::bad_line_ending;
    }
    if (r.long_lines && limits.long_lines == LongLinePolicy::reject) {
        return ContentVerdict::long_line;
    }
    return ContentVerdict::accept;
}

std::optional<Reply> content_reply(ContentVerdict verdict) {
    switch (verdict) {
        case ContentVerdict::too_large:
            return replies::message_too_large();
        case ContentVerdict::nul:
            return replies::nul_in_message();
        case ContentVerdict::bad_line_ending:
            return replies::bad_line_endings();
        case ContentVerdict::long_line:
            return replies::line_too_long_in_message();
        case ContentVerdict::accept:
            break;
    }
    return std::nullopt;
}

}  // namespace postern::proto::smtp
