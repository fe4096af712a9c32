// The analyzer seam: the store never parses MIME. Something that does (src/mime/) turns raw
// bytes into this record; the store keeps the opaque blobs and indexes the rest.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/api/types.h"

namespace postern::store {

// Strings for RFC 5256 SORT, already normalised by the analyzer (base subject, first
// address mailbox); the store folds case/diacritics once more before comparing.
struct SortKeys {
    Timestamp date = 0;  // Date: header, 0 if missing (sort then uses the internal date)
    std::string subject_base;
    std::string from;  // addr-mailbox of the first From address
    std::string to;
    std::string cc;
    std::string display_from;  // RFC 5957 display name (falls back to address)
    std::string display_to;
};

struct MessageAnalysis {
    std::string envelope;       // opaque: IMAP ENVELOPE as the MIME layer encodes it
    std::string bodystructure;  // opaque: IMAP BODYSTRUCTURE
    SortKeys sort;
    // Decoded header fields for SEARCH FROM/TO/CC/SUBJECT and TEXT: (lower-case name, value).
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body_text;          // decoded text of the text parts, for BODY/TEXT search
    std::vector<MimePart> parts;    // part offsets; section "" is the whole message
    std::uint64_t header_size = 0;  // bytes of the top-level header incl. the blank line
    // RFC 8474 THREADID input (the ids RFC 5256 THREAD=REFERENCES uses), without angle
    // brackets: the Message-ID, and References (oldest first), else In-Reply-To's first id.
    std::string message_id;
    std::vector<std::string> references;
};

// Implementations must be thread-safe: appends call analyze() from many threads at once.
class MessageAnalyzer {
  public:
    virtual ~MessageAnalyzer() = default;
    virtual MessageAnalysis analyze(std::string_view raw) = 0;
};

}  // namespace postern::store
