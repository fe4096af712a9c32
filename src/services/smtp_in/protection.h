// SMTP-time protection in an SMTP-IN session (docs/smtp-protection.md): what the checks found
// for this session. The Session methods that run them are in protection.cpp: DNSBL lookups and
// the country lookup start at connect, their verdicts and the DNS checks apply at MAIL FROM,
// greylisting at RCPT TO. Authenticated clients and relay_networks are never refused by them.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "filter/dnsbl/dnsbl.h"
#include "services/dns_bridge.h"

namespace postern::services::smtp_in {

struct ProtectionState {
    std::optional<ClientReverse> reverse;  // set when the client's reverse DNS was looked up
    std::shared_ptr<filter::dnsbl::Lookup> dnsbl;  // null: no DNSBL lookup for this client
    std::optional<filter::dnsbl::Verdict> dnsbl_verdict;
    std::optional<std::string> country;  // when looked up; "" = no country known
    // Every check's result by name ("dnsbl", "rdns", "country", "sender_domain", "greylist"):
    // logged, shown to policy scripts as ctx.checks and summed up in X-Postern-Protection.
    std::map<std::string, std::string, std::less<>> checks;
};

}  // namespace postern::services::smtp_in
