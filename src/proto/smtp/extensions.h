// The service extensions a session offers (RFC 5321 §4.1.1.1, RFC 1869 registry) and the
// EHLO/LHLO reply built from them. The same struct tells the command parser which MAIL/RCPT
// parameters are allowed, so what is accepted is exactly what was advertised.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

enum class Dialect : std::uint8_t {
    smtp,  // RFC 5321: HELO/EHLO
    lmtp,  // RFC 2033: LHLO, one reply per recipient after DATA
};

// What this session offers *now*. The session recomputes it when its state changes: STARTTLS
// is dropped once TLS is active (RFC 3207 §4.2), AUTH mechanisms may change after TLS, and after
// HELO (not EHLO) it parses with basic() because no extension was negotiated (RFC 1869 §4.5).
struct Extensions {
    bool size = true;                   // SIZE (RFC 1870)
    std::uint64_t size_limit = 0;       // advertised maximum; 0 = no fixed maximum
    bool eight_bit_mime = true;         // 8BITMIME (RFC 6152)
    bool pipelining = true;             // PIPELINING (RFC 2920)
    bool enhanced_status_codes = true;  // ENHANCEDSTATUSCODES (RFC 2034)
    bool starttls = false;              // STARTTLS (RFC 3207): TLS configured and not yet active
    std::vector<std::string> auth_mechanisms;  // AUTH (RFC 4954); empty = not offered
    bool dsn = true;                           // DSN (RFC 3461)
    bool chunking = true;                      // CHUNKING (RFC 3030)
    bool binarymime = false;  // BINARYMIME (RFC 3030 §3); only offered with CHUNKING
    bool smtputf8 = true;     // SMTPUTF8 (RFC 6531)
    bool vrfy = false;        // VRFY answered (otherwise 252, RFC 5321 §3.5.3)
    bool expn = false;        // EXPN answered (otherwise 502)
    bool help = true;         // HELP answered

    // Nothing offered: the set that applies after HELO.
    static Extensions basic();
    bool auth() const { return !auth_mechanisms.empty(); }
};

// The EHLO (or LHLO) reply: "250-<domain> <greeting>" then one keyword per line. No enhanced
// code (RFC 2034 §3). Keywords appear only when offered; BINARYMIME only together with CHUNKING;
// in LMTP, PIPELINING and ENHANCEDSTATUSCODES are always listed (RFC 2033 §5).
Reply ehlo_reply(std::string_view server_domain, std::string_view greeting,
                 const Extensions& extensions, Dialect dialect = Dialect::smtp);

}  // namespace postern::proto::smtp
