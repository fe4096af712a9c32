// Compares our parser with the mail-parser conformance corpus (Stalwart's serde JSON shape):
// converts what we model into that shape and lists every difference as "path: ours != theirs".
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace postern::mime::conformance {

using Json = nlohmann::json;

// Differences between our parse of `raw` and the expected message JSON. Paths look like
// "parts[3].offset_end" or "parts[7].body.Message.parts[0].headers[2].value".
std::vector<std::string> compare_message(std::string_view raw, const Json& expected);

// Header-field vectors (headers/<kind>.json): `kind` is the file stem ("address",
// "content_type", "date", "id", "list", "unstructured", "received"). Returns the difference
// for one vector, or an empty string when we agree.
std::string compare_header_vector(std::string_view kind, const Json& vector);

// The field body as a header parser sees it: up to the first line break that is not
// followed by whitespace (the vectors carry trailing text after the field).
std::string field_value(std::string_view header);

// Our value in the corpus' JSON shape, for messages in test failures.
Json address_json(std::string_view raw_value);
Json content_type_json(std::string_view raw_value, bool disposition);
Json date_json(std::string_view raw_value);

}  // namespace postern::mime::conformance
