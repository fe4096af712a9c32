// DMARC (RFC 7489): policy record syntax (§6.3), discovery at the From: domain then its
// organizational domain (§6.6.3), identifier alignment of SPF and DKIM results, relaxed or
// strict (§3.1), and the disposition after p=/sp=/pct= (§6.6.4). Pure: DNS answers come from
// an AnswerSource (net/dns/answer_set.h); when one is missing the step names the question.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/dmarc/psl.h"
#include "net/dns/answer_set.h"

namespace postern::filter::dmarc {

enum class Policy { none, quarantine, reject };
std::string_view policy_name(Policy p);

struct Record {
    Policy p = Policy::none;
    std::optional<Policy> sp;
    bool strict_dkim = false;  // adkim=s
    bool strict_spf = false;   // aspf=s
    int pct = 100;
    std::vector<std::string> rua;
    std::vector<std::string> ruf;
};

// Parses a DMARC record ("v=DMARC1; p=..."); nullopt when it is not one or is invalid.
std::optional<Record> parse_record(std::string_view text, std::string* error = nullptr);

// RFC 8601 §2.7 dmarc result values.
enum class Result { none, pass, fail, temperror, permerror };
std::string_view result_name(Result r);

struct Input {
    std::string from_domain;  // RFC5322.From domain, lower case
    bool spf_pass = false;
    std::string spf_domain;  // the domain SPF checked (MAIL FROM's, or HELO's for <>)
    std::vector<std::string> dkim_pass_domains;  // d= of each signature that passed
    // 0..99: the message's draw for pct= sampling (§6.6.4); applied when draw < pct.
    int sample = 0;
};

struct Outcome {
    Result result = Result::none;
    Policy disposition = Policy::none;  // what to do with the message (after pct=)
    Policy requested = Policy::none;    // p= or sp= as published
    std::string record_domain;          // where the record was found
    std::string from_domain;
    bool spf_aligned = false;
    bool dkim_aligned = false;
    int pct = 100;
    std::string reason;
};

struct Step {
    std::optional<Outcome> outcome;
    std::optional<net::dns::Question> question;
};

Step evaluate(const Input& input, const PublicSuffixList& psl, const net::dns::AnswerSource& dns);

// True when `a` and `b` are aligned: equal (strict), or with equal organizational domains.
bool aligned(std::string_view a, std::string_view b, bool strict, const PublicSuffixList& psl);

}  // namespace postern::filter::dmarc
