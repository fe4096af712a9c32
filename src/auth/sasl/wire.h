// The protocol side of a SASL exchange shared by SMTP (RFC 4954 §4), IMAP (RFC 9051 §6.2.2)
// and POP3 (RFC 5034 §4): client data travels base64-encoded, "*" cancels (RFC 4422 §3.5),
// and a lone "=" is an empty initial response.
#pragma once

#include <string>
#include <string_view>

namespace postern::auth::sasl {

struct ClientResponse {
    enum class Kind { data, cancel, malformed };
    Kind kind = Kind::malformed;
    std::string data;  // decoded bytes for Kind::data
};

// A line sent in answer to a challenge (CRLF already removed). An empty line is empty data.
ClientResponse decode_client_response(std::string_view line);

// The initial-response argument of AUTH/AUTHENTICATE: "=" is empty data (RFC 4954 §4,
// RFC 4959 §3); otherwise as decode_client_response. Callers pass nothing when the argument
// is absent.
ClientResponse decode_initial_response(std::string_view argument);

// Server challenge or success data, base64-encoded (empty data gives an empty string).
std::string encode_server_data(std::string_view data);

}  // namespace postern::auth::sasl
