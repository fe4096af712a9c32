// Folding of text for search and sort: Unicode case folding plus removal of diacritics
// ("Café" -> "cafe", "Müller" -> "muller"), the same folding FTS5's unicode61 tokenizer with
// remove_diacritics 2 applies, so header substring search and full-text search agree.
#pragma once

#include <array>
#include <cstdint>
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

namespace detail {
// Byte classes for the tokenizer's fast path: 0 separates words (ASCII punctuation and
// space), 1 is a byte of an already-folded word (a-z, 0-9), 2 is A-Z, 3 a byte of UTF-8.
extern const std::array<std::uint8_t, 256> kTokenByte;
// Folds the word that starts at `i` (not a separator) the slow way; returns where it ends.
std::size_t fold_word(std::string_view utf8, std::size_t i, std::string& scratch,
                      const std::function<void(std::string_view)>& each);
}  // namespace detail

// fold_tokens() for the hot path (the full-text flush): ASCII words, most words of most mail,
// are folded here without a function object in between; others take fold_word().
template <class Each>
void for_each_token(std::string_view utf8, Each&& each) {
    std::string scratch;
    std::size_t i = 0;
    const std::size_t n = utf8.size();
    auto cls = [&](std::size_t k) {
        return detail::kTokenByte[static_cast<unsigned char>(utf8[k])];
    };
    while (i < n) {
        if (cls(i) == 0) {
            ++i;
            continue;
        }
        std::size_t j = i;
        bool upper = false;
        for (; j < n; ++j) {
            const auto c = cls(j);
            if (c == 1)
                continue;
            if (c != 2)
                break;
            upper = true;
        }
        if (j < n && cls(j) == 3) {
            i = detail::fold_word(utf8, i, scratch, [&](std::string_view t) { each(t); });
            continue;
        }
        const std::string_view word = utf8.substr(i, j - i);
        if (upper) {
            scratch.assign(word);
            for (auto& ch : scratch)
                ch = static_cast<char>(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
            each(std::string_view(scratch));
        } else {
            each(word);
        }
        i = j;
    }
}

// A 64-bit hash of a (short) word for in-memory sets: FNV-1a with a final mix, inline.
inline std::uint64_t word_hash(std::string_view w) {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : w) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    h ^= h >> 32;
    h *= 0xd6e8feb86659fd93ull;
    return h ^ (h >> 32);
}

}  // namespace postern::store::engine
