// check_host() of RFC 7208 §4: evaluates the SPF policy of a domain for a client address over
// DNS answers it reads from an AnswerSource (net/dns/answer_set.h). Pure and synchronous: when
// an answer it needs is not in the source it stops and names the question; the caller asks
// the resolver, adds the answer, and calls again (services/sender_auth drives this loop; tests
// serve zone data directly). Limits of §4.6.4: 10 DNS-querying terms, 2 void lookups, 10 MX
// and 10 PTR names per term.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ip_address.h"
#include "filter/spf/record.h"
#include "net/dns/answer_set.h"

namespace postern::filter::spf {

struct Limits {
    int dns_terms = 10;    // include, a, mx, ptr, exists, redirect (§4.6.4)
    int void_lookups = 2;  // NXDOMAIN/NODATA answers to those terms (§4.6.4)
    std::size_t mx_names = 10;
    std::size_t ptr_names = 10;
};

struct Request {
    IpAddress ip;
    std::string sender;  // local-part@domain ("postmaster@helo" for the HELO check)
    std::string helo;
    std::string receiver = "unknown";  // %{r}: our host name
    std::int64_t timestamp = 0;        // %{t}
};

struct Outcome {
    Result result = Result::none;
    std::string domain;       // the domain checked (the sender's)
    std::string explanation;  // fail only: the expanded exp= text, or ""
    std::string reason;       // for logs and the Authentication-Results comment
};

// Either the outcome, or the question whose answer is missing from the source.
struct Step {
    std::optional<Outcome> outcome;
    std::optional<net::dns::Question> question;
};

// check_host(ip, domain of `request.sender`, sender) over `dns`.
Step check_host(const Request& request, const net::dns::AnswerSource& dns,
                const Limits& limits = {});

// The request for MAIL FROM (§2.4): `mail_from` is the reverse-path without brackets; an empty
// one (null sender) checks "postmaster@<helo>"; one without local-part gets "postmaster".
Request mail_from_request(const IpAddress& ip, std::string_view mail_from, std::string_view helo);
// The request for the HELO identity (§2.3): "postmaster@<helo>".
Request helo_request(const IpAddress& ip, std::string_view helo);

}  // namespace postern::filter::spf
