// Client side: the extensions a server announced in its EHLO/LHLO reply (RFC 5321 §4.1.1.1 and
// the keywords of RFC 1870, 2034, 2920, 3030, 3207, 3461, 4954, 6152, 6531).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

struct ServerCapabilities {
    std::string greeting;               // the first line (the server's name and text)
    std::optional<std::uint64_t> size;  // SIZE; 0 = no fixed maximum
    bool pipelining = false;
    bool starttls = false;
    bool eight_bit_mime = false;
    bool smtputf8 = false;
    bool dsn = false;
    bool chunking = false;
    bool binarymime = false;
    bool enhanced_status_codes = false;
    std::vector<std::string> auth_mechanisms;  // upper-cased, no duplicates, at most 32
    std::vector<std::string> other;            // other keywords, upper-cased, at most 32

    bool supports_auth(std::string_view mechanism) const;
};

// Reads a positive EHLO/LHLO reply (enhanced codes already removed by ReplyParser::take()).
// Unknown keywords go to `other`; malformed values are ignored ("SIZE abc" is SIZE with no
// limit known); "AUTH=LOGIN PLAIN", the pre-standard form some servers still send, is read too.
ServerCapabilities parse_capabilities(const Reply& ehlo_reply);

}  // namespace postern::proto::smtp
