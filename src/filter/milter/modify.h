// Applying a milter's end-of-message modifications (libmilter's smfi_addheader, smfi_insheader,
// smfi_chgheader, smfi_replacebody, smfi_addrcpt(_par), smfi_delrcpt, smfi_chgfrom,
// smfi_quarantine) to a message and its envelope, with sendmail's index semantics. Pure.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "filter/milter/client.h"

namespace postern::filter::milter {

// The envelope a milter may change. Addresses without angle brackets.
struct MilterEnvelope {
    std::string sender;
    std::string sender_args;  // ESMTP parameters CHGFROM gave ("" when none)
    std::vector<std::string> recipients;
    std::vector<std::string> added;    // recipients the milter added (also in `recipients`)
    std::vector<std::string> removed;  // recipients the milter removed (no longer in `recipients`)
};

struct EditResult {
    bool message_changed = false;
    bool envelope_changed = false;
    std::optional<std::string> quarantine;  // the reason of the last QUARANTINE
    std::vector<std::string> ignored;       // modifications not applied, for the log
};

// "<a@b>" or "a@b" → "a@b"; nullopt for something that is not a plausible address.
std::optional<std::string> bare_address(std::string_view text);

// A milter header value (folded with "\n" or "\r\n") folded with CRLF; a continuation line
// that does not start with white space gets a tab.
std::string fold_crlf(std::string_view value);

// Applies `mods` in order to `raw` (a CRLF message: header fields, empty line, body) and
// `envelope`. Header values fold with "\n" or "\r\n" (made CRLF); without `leading_space` a
// space follows the colon. INSHEADER index 0 is the top of the header (past the end: appended);
// CHGHEADER changes the index-th (1-based; 0 counts as 1) field of that name, deletes it for an
// empty value and adds the field when there is no such occurrence (and the value is not empty).
// REPLBODY replaces the body (bare LF made CRLF). `actions` are the negotiated SMFIF_* bits:
// a modification the filter did not announce is ignored (and listed in `ignored`).
EditResult apply_modifications(std::string& raw, MilterEnvelope& envelope,
                               std::span<const Modification> mods, std::uint32_t actions,
                               bool leading_space);

}  // namespace postern::filter::milter
