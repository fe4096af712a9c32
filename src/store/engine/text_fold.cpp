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

std::vector<std::string> fold_tokens(std::string_view utf8) {
    auto s = folded(utf8);
    std::vector<std::string> out;
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

}  // namespace postern::store::engine
