// Documented, deliberate differences from the mail-parser corpus (docs/mime.md, "Where we
// differ from the corpus", uses the same reason keys). Each entry names a case ("folder/NNN"
// or "headers/kind[i]") and the difference paths it covers: '|'-separated prefixes, "" for
// every path of the case (a structural difference that changes the whole part tree).
#pragma once

#include <array>
#include <string_view>

namespace postern::mime::conformance {

struct KnownDifference {
    std::string_view id;
    std::string_view path_prefix;
    std::string_view reason;
};

inline constexpr std::string_view kLists = "text_body|html_body|attachments";

inline constexpr auto kKnownDifferences = std::to_array<KnownDifference>({
    // Messages.
    {"rfc/000", kLists, "body-lists"},
    {"rfc/002", "parts[2].body.Message.attachments", "body-lists"},
    {"rfc/002", "parts[2].body.Message.parts[0].headers[1].value", "time-out-of-range"},
    {"rfc/002", "parts[2].body.Message.parts[0].headers[6].value", "comment-not-name"},
    {"malformed/000", "", "boundary-in-header"},
    {"malformed/001", "", "longest-boundary"},
    {"malformed/003", kLists, "body-lists"},
    {"malformed/004", kLists, "body-lists"},
    {"malformed/004", "parts[1].offset_header|parts[2].offset_header", "delimiter-line-rest"},
    {"malformed/006", kLists, "body-lists"},
    {"malformed/007", "", "boundary-in-header"},
    {"malformed/008", "", "longest-boundary"},
    {"malformed/009", "", "outer-boundary-closes-inner"},
    {"malformed/011", "", "outer-boundary-closes-inner"},
    {"malformed/012", "", "outer-boundary-closes-inner"},
    {"malformed/016", "", "longest-boundary"},
    {"malformed/017", "attachments", "body-lists"},
    {"malformed/019", "parts[4].|parts[9].", "missing-blank-line"},
    {"malformed/019", "parts[5].offset_end|parts[7].offset_end", "end-of-input"},
    {"malformed/020", "", "first-content-type"},
    {"malformed/021", "", "first-content-type"},
    {"malformed/022", "parts[2].", "rfc822-without-header"},
    {"thirdparty/002", kLists, "body-lists"},
    {"thirdparty/002", "parts[2].body.Text", "base64-padding"},
    {"thirdparty/005", "parts[5].", "delimiter-at-line-start"},
    {"thirdparty/005", "parts[1].body.Text", "utf16-odd-byte"},
    {"thirdparty/013", "attachments", "body-lists"},
    {"thirdparty/015", "", "boundary-in-header"},
    // Header field vectors.
    {"headers/address[8]", "", "comment-not-name"},
    {"headers/address[9]", "", "unfold-first"},
    {"headers/address[10]", "", "comment-not-name"},
    {"headers/address[11]", "", "comment-not-name"},
    {"headers/address[13]", "", "address-normalised"},
    {"headers/address[14]", "", "address-normalised"},
    {"headers/address[22]", "", "comment-not-name"},
    {"headers/address[56]", "", "comment-not-name"},
    {"headers/content_type[61]", "", "rfc2231-names"},
    {"headers/date[12]", "", "date-needs-time"},
    {"headers/id[6]", "", "msg-id-cfws"},
    {"headers/unstructured[21]", "", "no-inserted-space"},
    {"headers/unstructured[22]", "", "no-inserted-space"},
    {"headers/unstructured[27]", "", "no-inserted-space"},
    {"headers/unstructured[28]", "", "no-inserted-space"},
    {"headers/received[13]", "", "asctime-order"},
    {"headers/received[67]", "", "zone-names"},
    {"headers/received[69]", "", "received-without-semicolon"},
    {"headers/received[89]", "", "two-digit-year"},
    {"headers/received[90]", "", "two-digit-year"},
    {"headers/received[117]", "", "asctime-order"},
    {"headers/received[118]", "", "asctime-order"},
    {"headers/received[128]", "", "two-digit-year"},
    {"headers/received[144]", "", "fractional-seconds"},
    {"headers/received[151]", "", "asctime-order"},
    {"headers/received[163]", "", "zone-names"},
});

}  // namespace postern::mime::conformance
