// The production message analyzer: one streaming MIME parse (src/mime) per message yields
// everything the store caches: ENVELOPE and BODYSTRUCTURE blobs, RFC 5256 sort keys, the part
// table in IMAP section numbering (RFC 3501 §6.4.5) and the decoded text for full-text search.
#pragma once

#include <cstddef>

#include "mime/message.h"
#include "store/api/analysis.h"

namespace postern::store {

// Blobs (docs/storage.md "Analyzer"): `bodystructure` is mime::encode_structure of the whole
// message; `envelope` is an encode_structure blob with no parts whose envelopes[0] is the
// message's ENVELOPE. Header fields are decoded (RFC 2047, addresses as "Name <addr>"), body
// text is the decoded text of every text/* leaf (HTML without its markup), together at most
// `max_text` bytes. Thread-safe: analyze() keeps no state between calls.
class MimeAnalyzer : public MessageAnalyzer {
  public:
    explicit MimeAnalyzer(std::size_t max_text = 1u << 20, mime::Limits limits = {})
        : max_text_(max_text), limits_(limits) {}
    MessageAnalysis analyze(std::string_view raw) override;

  private:
    std::size_t max_text_;
    mime::Limits limits_;
};

// Visible text of an HTML document: tags, comments, scripts and styles dropped, common
// character references decoded, blocks separated by spaces. For indexing, not display.
std::string html_text(std::string_view html);

}  // namespace postern::store
