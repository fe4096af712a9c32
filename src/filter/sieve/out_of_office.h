// The out-of-office setting of an account (docs/sieve.md "Out of office"), and the Sieve
// vacation script (RFC 5230, with RFC 5260 currentdate for the date range) generated from it,
// so the interpreter that runs users' scripts also sends these replies. Pure.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace postern::sieve {

struct OutOfOffice {
    enum class ReplyTo : std::uint8_t { all, internal, external };

    bool enabled = false;
    std::string subject;              // "" = the vacation default, "Auto: <original subject>"
    std::string text;                 // the reply's body
    std::string start;                // first day "YYYY-MM-DD" (server time zone); "" = from now
    std::string end;                  // last day, inclusive; "" = until disabled
    ReplyTo reply_to = ReplyTo::all;  // internal: senders in a local domain; external: others
    std::uint32_t days = 7;           // one reply per sender within this many days
};

std::string_view reply_to_name(OutOfOffice::ReplyTo r);  // "all", "internal", "external"
bool parse_reply_to(std::string_view text, OutOfOffice::ReplyTo& out);

// "" when the setting can be used; otherwise what is wrong with it (a date that is not
// YYYY-MM-DD, end before start, days outside 1-90, an empty text while enabled, a subject
// with a line break, text over 64 KiB).
std::string validate(const OutOfOffice& ooo);

// The Sieve script for the setting. `addresses` are the account's own addresses (vacation
// :addresses, RFC 5230 §4.5); `local_domains` decide internal vs external senders (by the
// envelope sender's domain). Call only for a valid, enabled setting.
std::string generate_out_of_office_script(const OutOfOffice& ooo,
                                          const std::vector<std::string>& addresses,
                                          const std::vector<std::string>& local_domains);

// A Sieve quoted string (RFC 5228 §2.4.2: only " and \ are escaped; line breaks stay).
std::string sieve_quote(std::string_view text);

}  // namespace postern::sieve
