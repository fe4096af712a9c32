// Turns a parsed response into the outcome for one question: records found through any CNAME
// chain (RFC 1034 §3.6.2, §4.3.2), NXDOMAIN/NODATA with their negative TTL (RFC 2308 §2, §5),
// or a temporary failure. Applies the answer limits. Pure.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "net/dns/message.h"
#include "net/dns/types.h"

namespace postern::net::dns {

struct AnswerLimits {
    std::size_t max_answers = 100;
    std::size_t max_txt_size = 4096;
    std::size_t max_name_length = 253;
    std::size_t max_cname_chain = 8;
};

// The answer followed CNAMEs to a name for which it holds neither records nor an SOA: the
// server does not chase chains, so the resolver asks again for `target`.
struct ChainContinues {
    std::string target;
    std::uint32_t ttl = 0;   // smallest TTL along the chain so far
    std::size_t cnames = 0;  // CNAMEs followed so far, including earlier answers
};

// A DnsError here carries its TTL as RFC 2308 §5 gives it (min of the SOA's TTL and MINIMUM,
// and of the CNAMEs on the way), or 0 when the answer had no SOA (then it is not cached).
using Outcome = std::variant<RecordSet, DnsError, ChainContinues>;

// `qname` is the (normalised) name this message answers; `cnames_before` counts CNAMEs
// already followed in earlier messages for the same question, so the chain limit holds over
// all of them. The RecordSet's name is `qname`; the resolver renames follow-up answers.
Outcome interpret_answer(const Message& message, std::string_view qname, RecordType type,
                         const AnswerLimits& limits, std::size_t cnames_before = 0);

}  // namespace postern::net::dns
