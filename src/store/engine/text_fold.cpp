// Case and diacritics folding with ICU (NFKD, drop non-spacing marks, full case fold).
#include "store/engine/text_fold.h"

#include <array>

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

namespace postern::store::engine {
namespace {

icu::UnicodeString folded(std::string_view utf8) {
    auto s = icu::UnicodeString::fromUTF8(
        icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    UErrorCode err = U_ZERO_ERROR;
    const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(err);
    if (U_SUCCESS(err)) {
        icu::UnicodeString out;
        nfkd->normalize(s, out, err);
        if (U_SUCCESS(err))
            s = out;
    }
    icu::UnicodeString kept;
    for (int32_t i = 0; i < s.length();) {
        UChar32 c = s.char32At(i);
        i += U16_LENGTH(c);
        if (U_GET_GC_MASK(c) & U_GC_MN_MASK)
            continue;
        kept.append(c);
    }
    kept.foldCase();
    return kept;
}

// U+00C0..U+00FF (UTF-8 C3 80..C3 BF), the accented letters of Western European mail, folded
// by ICU once: "É" -> "e", "ß" -> "ss", "Æ" -> "æ". Each has combining class 0 and a
// context-free case fold, so folding such a text character by character gives what ICU gives
// for the whole. `letter` is false for × and ÷, which separate words.
struct Latin1Fold {
    std::string folded;
    bool letter = false;
};

const std::array<Latin1Fold, 64>& latin1_folds() {
    static const auto table = [] {
        std::array<Latin1Fold, 64> t;
        for (int i = 0; i < 64; ++i) {
            const char utf8[2] = {'\xc3', static_cast<char>(0x80 + i)};
            folded(std::string_view(utf8, 2)).toUTF8String(t[i].folded);
            t[i].letter = u_isalnum(0xC0 + i);
        }
        return t;
    }();
    return table;
}

bool ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

char ascii_lower(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

// The Latin-1 letter at `i` (a C3 lead byte with its continuation), or nullptr.
const Latin1Fold* latin1_at(std::string_view s, std::size_t i) {
    if (static_cast<unsigned char>(s[i]) != 0xC3 || i + 1 >= s.size())
        return nullptr;
    auto c = static_cast<unsigned char>(s[i + 1]);
    return (c & 0xC0) == 0x80 ? &latin1_folds()[c - 0x80] : nullptr;
}

// True when `s` is ASCII and U+00C0..U+00FF only: the table can fold it.
bool table_foldable(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (static_cast<unsigned char>(s[i]) < 0x80)
            continue;
        if (!latin1_at(s, i))
            return false;
        ++i;
    }
    return true;
}

std::vector<std::string> fold_tokens_icu(std::string_view utf8, std::vector<std::string> out);

}  // namespace

std::string fold_text(std::string_view utf8) {
    // Fast path: most header text is ASCII, most of the rest Western European.
    if (table_foldable(utf8)) {
        std::string out;
        out.reserve(utf8.size());
        for (std::size_t i = 0; i < utf8.size(); ++i) {
            if (auto* l =
                    static_cast<unsigned char>(utf8[i]) >= 0x80 ? latin1_at(utf8, i) : nullptr) {
                out += l->folded;
                ++i;
            } else {
                out += ascii_lower(utf8[i]);
            }
        }
        return out;
    }
    std::string out;
    folded(utf8).toUTF8String(out);
    return out;
}

namespace detail {

const std::array<std::uint8_t, 256> kTokenByte = [] {
    std::array<std::uint8_t, 256> t{};
    for (int c = 0; c < 256; ++c)
        t[c] = c >= 0x80                                    ? 3
               : c >= 'A' && c <= 'Z'                       ? 2
               : ascii_alnum(static_cast<unsigned char>(c)) ? 1
                                                            : 0;
    return t;
}();

std::size_t fold_word(std::string_view utf8, std::size_t i, std::string& t,
                      const std::function<void(std::string_view)>& each) {
    // ASCII punctuation, × and ÷ separate words either way; a word of ASCII and
    // U+00C0..U+00FF letters is folded by table, any other (other scripts, marks, ligatures,
    // full-width forms) goes through ICU, so the words are those ICU gives for the whole text.
    if (auto* l = latin1_at(utf8, i); l && !l->letter)
        return i + 2;
    std::size_t j = i;
    bool by_table = true, lower = true;
    while (j < utf8.size()) {
        auto d = static_cast<unsigned char>(utf8[j]);
        if (d < 0x80) {
            if (!ascii_alnum(d))
                break;
            lower = lower && !(d >= 'A' && d <= 'Z');
            ++j;
        } else if (auto* l = latin1_at(utf8, j)) {
            if (!l->letter)
                break;
            lower = false;
            j += 2;
        } else {
            by_table = false;
            ++j;
        }
    }
    auto word = utf8.substr(i, j - i);
    if (by_table && lower) {
        each(word);  // already folded
    } else if (by_table) {
        t.clear();
        for (std::size_t k = 0; k < word.size(); ++k) {
            if (static_cast<unsigned char>(word[k]) >= 0x80) {
                t += latin1_at(word, k)->folded;
                ++k;
            } else {
                t += ascii_lower(word[k]);
            }
        }
        each(t);
    } else {
        for (auto& w : fold_tokens_icu(word, {}))
            each(w);
    }
    return j;
}

}  // namespace detail

void fold_tokens(std::string_view utf8, const std::function<void(std::string_view)>& each) {
    for_each_token(utf8, each);
}

std::vector<std::string> fold_tokens(std::string_view utf8) {
    std::vector<std::string> out;
    fold_tokens(utf8, [&](std::string_view t) { out.emplace_back(t); });
    return out;
}

namespace {

std::vector<std::string> fold_tokens_icu(std::string_view utf8, std::vector<std::string> out) {
    auto s = folded(utf8);
    icu::UnicodeString cur;
    auto flush = [&] {
        if (cur.isEmpty())
            return;
        std::string t;
        cur.toUTF8String(t);
        out.push_back(std::move(t));
        cur.remove();
    };
    for (int32_t i = 0; i < s.length();) {
        UChar32 c = s.char32At(i);
        i += U16_LENGTH(c);
        if (u_isalnum(c) || (U_GET_GC_MASK(c) & U_GC_M_MASK)) {
            cur.append(c);
        } else {
            flush();
        }
    }
    flush();
    return out;
}

}  // namespace

}  // namespace postern::store::engine
