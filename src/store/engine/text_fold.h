// Folding of text for search and sort: Unicode case folding plus removal of diacritics
// ("Café" -> "cafe", "Müller" -> "muller"), the same folding FTS5's unicode61 tokenizer with
// remove_diacritics 2 applies, so header substring search and full-text search agree.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::store::engine {

// Thread-safe. Invalid UTF-8 becomes U+FFFD.
std::string fold_text(std::string_view utf8);

// Splits folded text into word tokens (letters/digits runs), as the FTS tokenizer does.
std::vector<std::string> fold_tokens(std::string_view utf8);
// The same tokens, one call each, without a string per token (the full-text flush sees every
// word of every message); the view is valid during the call only.
void fold_tokens(std::string_view utf8, const std::function<void(std::string_view)>& each);

}  // namespace postern::store::engine
