// What sender authentication found for one message, and how it is written down: the one
// Authentication-Results field we add (RFC 8601 §2.2, methods spf, dkim, dmarc with the
// properties of §2.7; RFC 6008 header.b), the removal of fields that claim our authserv-id
// (§5: a forged result must not reach Sieve or users), and the JSON line kept per message for
// DMARC aggregate reports (RFC 7489 §7.2). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/dkim/verify.h"
#include "filter/dmarc/dmarc.h"
#include "filter/spf/record.h"

namespace postern::filter::sender_auth {

struct SpfCheck {
    spf::Result result = spf::Result::none;
    std::string identity;  // "alice@example.com" (MAIL FROM) or the HELO name
    std::string domain;    // the domain whose policy was checked
    std::string reason;
    std::string explanation;  // the domain's exp= text on fail
};

struct MessageAuth {
    std::optional<SpfCheck> spf_mail;  // MAIL FROM identity (postmaster@HELO for <>)
    std::optional<SpfCheck> spf_helo;  // HELO identity
    bool null_sender = false;
    bool dkim_checked = false;
    std::vector<dkim::SignatureResult> dkim;
    std::optional<dmarc::Outcome> dmarc;

    // The best DKIM result for scripts: pass if any signature passed, else the first
    // signature's result, "none" without signatures; "" when DKIM was not checked.
    std::string dkim_summary() const;
    // d= of every passing signature.
    std::vector<std::string> dkim_pass_domains() const;
};

// "Authentication-Results: <authserv-id>;\r\n\t<result>;..." with its CRLF; "none" alone when
// nothing was checked (§2.2).
std::string authentication_results_field(std::string_view authserv_id, const MessageAuth& auth);

// `block` (CRLF header lines) without the Authentication-Results fields whose authserv-id is
// `authserv_id` (case-insensitive); `removed` counts them.
std::string strip_our_results(std::string_view block, std::string_view authserv_id, int& removed);

// The authserv-id of an Authentication-Results value (comments and whitespace skipped), or "".
std::string authserv_id_of(std::string_view value);

// One JSON line (no newline) for the DMARC results log.
struct ReportFacts {
    std::int64_t time = 0;
    std::string queue_id;
    std::string source_ip;
    std::string envelope_from;
};
std::string dmarc_log_line(const ReportFacts& facts, const MessageAuth& auth);

}  // namespace postern::filter::sender_auth
