// Case and diacritics folding with ICU (NFKD, drop non-spacing marks, full case fold).
#include "store/engine/text_fold.h"

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

}  // namespace

std::string fold_text(std::string_view utf8) {
    // ASCII fast path: most header text is plain ASCII.
    bool ascii = true;
    for (unsigned char c : utf8) {
        if (c >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii) {
        std::string out(utf8);
        for (auto& c : out)
            if (c >= 'A' && c <= 'Z')
                c = static_cast<char>(c + 32);
        return out;
    }
    std::string out;
    folded(utf8).toUTF8String(out);
    return out;
}

namespace {

bool ascii_alnum(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

std::vector<std::string> fold_tokens_icu(std::string_view utf8, std::vector<std::string> out);

}  // namespace

std::vector<std::string> fold_tokens(std::string_view utf8) {
    // ASCII fast path, token by token: ASCII punctuation separates words either way, and a run
    // with any non-ASCII byte (letters, marks, ligatures, full-width forms) goes through ICU,
    // so the words are those the ICU path would give for the whole text.
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < utf8.size()) {
        auto c = static_cast<unsigned char>(utf8[i]);
        if (!ascii_alnum(c) && c < 0x80) {
            ++i;
            continue;
        }
        std::size_t j = i;
        bool ascii = true;
        while (j < utf8.size()) {
            auto d = static_cast<unsigned char>(utf8[j]);
            if (d >= 0x80)
                ascii = false;
            else if (!ascii_alnum(d))
                break;
            ++j;
        }
        auto run = utf8.substr(i, j - i);
        if (ascii) {
            std::string t(run);
            for (auto& ch : t)
                if (ch >= 'A' && ch <= 'Z')
                    ch = static_cast<char>(ch + 32);
            out.push_back(std::move(t));
        } else {
            out = fold_tokens_icu(run, std::move(out));
        }
        i = j;
    }
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
