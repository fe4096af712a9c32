// Base64 framing of SASL data (RFC 4954 §4, RFC 9051 §6.2.2, RFC 5034 §4, RFC 4422 §3.5).
#include "auth/sasl/wire.h"

#include "auth/sasl/mechanism.h"
#include "base/encoding.h"

namespace postern::auth::sasl {

ClientResponse decode_client_response(std::string_view line) {
    if (line == "*")
        return {ClientResponse::Kind::cancel, {}};
    // Refuse before decoding: base64 of kMaxResponseLength bytes, padded to a quad.
    if (line.size() > (kMaxResponseLength + 2) / 3 * 4)
        return {};
    auto raw = base64_decode(line);
    if (!raw)
        return {};
    return {ClientResponse::Kind::data, std::move(*raw)};
}

ClientResponse decode_initial_response(std::string_view argument) {
    if (argument == "=")
        return {ClientResponse::Kind::data, {}};
    if (argument.empty())
        return {};  // absent is not "empty": the caller must not pass it
    return decode_client_response(argument);
}

std::string encode_server_data(std::string_view data) {
    return base64_encode(data);
}

}  // namespace postern::auth::sasl
