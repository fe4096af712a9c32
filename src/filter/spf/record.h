// SPF records (RFC 7208 §4.5, §4.6, §5, §6, §7): selecting the record among a name's TXT
// records, parsing it into directives and modifiers with every syntax rule checked up front
// (a syntax error anywhere is a permerror, §4.6), and macro expansion (§7). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"

namespace postern::filter::spf {

// RFC 7208 §2.6.
enum class Result { none, neutral, pass, fail, softfail, temperror, permerror };
std::string_view result_name(Result r);  // "pass", "softfail", ...

enum class Mechanism { all, include, a, mx, ptr, ip4, ip6, exists };

struct Directive {
    Result qualifier = Result::pass;  // pass, fail, softfail or neutral
    Mechanism mechanism = Mechanism::all;
    std::string domain_spec;  // macro-string; "" = the current domain (a, mx, ptr)
    int cidr4 = 32;           // a, mx, ip4
    int cidr6 = 128;          // a, mx, ip6
    IpAddress network;        // ip4 (as v4-mapped), ip6
};

struct Record {
    std::vector<Directive> directives;
    std::optional<std::string> redirect;  // macro-string
    std::optional<std::string> exp;       // macro-string
};

struct ParseLimits {
    std::size_t max_record_length = 4096;  // the joined TXT strings
    std::size_t max_terms = 200;
};

// True when `txt` is an SPF version 1 record: "v=spf1" (any case) then a space or the end.
bool is_spf_record(std::string_view txt);

// Parses a whole record ("v=spf1 ..."); nullopt with `error` set on any syntax error.
std::optional<Record> parse_record(std::string_view text, std::string* error = nullptr,
                                   const ParseLimits& limits = {});

// What macro-expansion needs (§7.2). `validated_name` is %{p}; "unknown" when not looked up.
struct MacroContext {
    std::string sender;                      // s: local-part@domain
    std::string local_part;                  // l
    std::string sender_domain;               // o
    std::string domain;                      // d: the current domain
    IpAddress ip;                            // i, c, v
    std::string helo;                        // h
    std::string validated_name = "unknown";  // p
    std::string receiver = "unknown";        // r (explanations only)
    std::int64_t timestamp = 0;              // t (explanations only)
};

// Checks the syntax of a macro-string (§7.1). `explanation`: c, r, t allowed and any
// character (explain-string) instead of domain-spec characters.
bool valid_macro_string(std::string_view text, bool explanation);
// True when `text` uses the p macro (expanding it costs DNS lookups).
bool uses_p_macro(std::string_view text);
// Expands a macro-string; nullopt on a syntax error.
std::optional<std::string> expand_macros(std::string_view text, const MacroContext& ctx,
                                         bool explanation);

// A domain-spec after expansion (§4.8, §7.3): over 253 octets, labels are dropped from the
// left until it fits. nullopt when what is left is not a usable domain name (empty labels,
// a top label that is all digits or starts/ends with '-').
std::optional<std::string> finish_domain(std::string_view expanded);

}  // namespace postern::filter::spf
