// Header field text: unfolding (RFC 5322 §2.2.3), encoded-words (RFC 2047 §2-§6, with the
// RFC 2231 §5 language suffix) and the unstructured and phrase-list field bodies built on them.
// Every function takes the raw field value as it appears after the colon (folds included)
// and returns UTF-8. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace postern::mime {

// RFC 5322 unfolding: removes the CR and LF of every line break, keeps the whitespace.
std::string unfold(std::string_view raw);

enum class WordSpacing {
    rfc2047,  // whitespace between two encoded-words is dropped (RFC 2047 §6.2)
    quoted,   // only folding whitespace between encoded-words is dropped: inside a quoted
              // string a literal space between words is content
};

// Decodes the encoded-words in `text` leniently: words not separated from surrounding text
// by whitespace are still decoded (nothing is inserted), a word split by a fold is joined,
// adjacent words in one charset are joined before conversion (so a character split across
// two words survives), and malformed words stay as they are. Text outside words goes through
// raw_8bit_to_utf8. Folds outside words become one space. The result is not trimmed.
std::string decode_encoded_words(std::string_view text, WordSpacing spacing = WordSpacing::rfc2047);

// An unstructured field body (Subject, Comments, X-...): decoded, trimmed.
std::string decode_unstructured(std::string_view raw_value);

// A comma-separated phrase list (Keywords, RFC 5322 §3.6.5): each item decoded and trimmed,
// quotes removed, empty items dropped.
std::vector<std::string> parse_phrase_list(std::string_view raw_value);

}  // namespace postern::mime
