// Charset conversion to UTF-8 (RFC 2046 §4.1.2, RFC 2047 §2, RFC 2231 §4): own fast paths for
// UTF-8 and Windows-1252, ICU ucnv_* for everything else, with superset substitutions for
// labels that mail software routinely uses for the larger Windows code pages.
#include "mime/charset.h"

#include <array>
#include <cstdint>

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::mime {
namespace {

// Windows-1252 0x80..0x9F; the five holes map to the C1 controls, as WHATWG does.
constexpr std::array<char16_t, 32> kCp1252High = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178};

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

void append_cp1252(std::string& out, unsigned char b) {
    if (b < 0x80) {
        out += static_cast<char>(b);
    } else if (b < 0xA0) {
        append_utf8(out, kCp1252High[b - 0x80]);
    } else {
        append_utf8(out, b);
    }
}

// Length of the valid UTF-8 sequence at s[0..n): >0 valid length, 0 invalid, -1 a valid
// prefix that needs more bytes.
int utf8_sequence(const unsigned char* s, std::size_t n) {
    unsigned char b = s[0];
    if (b < 0x80)
        return 1;
    int len;
    unsigned char lo = 0x80, hi = 0xBF;
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3;
        if (b == 0xE0)
            lo = 0xA0;
        if (b == 0xED)
            hi = 0x9F;  // no UTF-16 surrogates
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4;
        if (b == 0xF0)
            lo = 0x90;
        if (b == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    for (int i = 1; i < len; ++i) {
        if (static_cast<std::size_t>(i) >= n)
            return -1;
        unsigned char c = s[i];
        if (i == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xBF))
            return 0;
    }
    return len;
}

enum class Route { utf8_or_1252, windows_1252, icu, unknown };

struct Resolved {
    Route route;
    std::string icu_name;
};

std::string normalise_label(std::string_view label) {
    label = trim(label);
    while (!label.empty() && (label.front() == '"' || label.front() == '\''))
        label.remove_prefix(1);
    while (!label.empty() && (label.back() == '"' || label.back() == '\''))
        label.remove_suffix(1);
    return to_lower(trim(label));
}

Resolved resolve(std::string_view raw_label) {
    std::string label = normalise_label(raw_label);
    // Labels whose text is, in practice, "whatever 8-bit the sender had": trust valid UTF-8
    // and read the rest as Windows-1252.
    static constexpr std::string_view kLoose[] = {
        "",        "us-ascii",  "ascii",   "us_ascii",          "ansi_x3.4-1968", "iso646-us",
        "utf-8",   "utf8",      "x-utf8",  "unicode-1-1-utf-8", "7bit",           "8bit",
        "unknown", "x-unknown", "default", "x-user-defined",    "charset",        "none"};
    for (auto l : kLoose) {
        if (label == l)
            return {Route::utf8_or_1252, {}};
    }
    // WHATWG reads every ISO-8859-1 label as Windows-1252: senders put C1-range quotes in it.
    static constexpr std::string_view kLatin1[] = {
        "iso-8859-1", "iso8859-1",     "iso_8859-1", "iso_8859-1:1987", "latin1",
        "l1",         "cp819",         "ibm819",     "windows-1252",    "cp1252",
        "x-cp1252",   "cswindows1252", "csisolatin1"};
    for (auto l : kLatin1) {
        if (label == l)
            return {Route::windows_1252, {}};
    }
    struct Superset {
        std::string_view label, icu;
    };
    // Same idea for other legacy labels: decode with the superset the sender actually used.
    static constexpr Superset kSupersets[] = {{"gb2312", "gb18030"},
                                              {"gbk", "gb18030"},
                                              {"x-gbk", "gb18030"},
                                              {"euc-cn", "gb18030"},
                                              {"csgb2312", "gb18030"},
                                              {"cp936", "gb18030"},
                                              {"ks_c_5601-1987", "windows-949"},
                                              {"ks_c_5601", "windows-949"},
                                              {"ksc5601", "windows-949"},
                                              {"euc-kr", "windows-949"},
                                              {"csksc56011987", "windows-949"},
                                              {"korean", "windows-949"},
                                              {"iso-8859-9", "windows-1254"},
                                              {"latin5", "windows-1254"},
                                              {"tis-620", "windows-874"},
                                              {"iso-8859-11", "windows-874"},
                                              {"iso-8859-8-i", "iso-8859-8"},
                                              {"shift_jis", "windows-31j"},
                                              {"sjis", "windows-31j"},
                                              {"x-sjis", "windows-31j"},
                                              {"ms_kanji", "windows-31j"},
                                              {"csshiftjis", "windows-31j"},
                                              {"unicode-1-1-utf-7", "utf-7"},
                                              {"unicode", "utf-16"},
                                              {"x-mac-roman", "macintosh"},
                                              {"big5", "windows-950"},
                                              {"x-euc-tw", "euc-tw"}};
    for (const auto& s : kSupersets) {
        if (label == s.label)
            return {Route::icu, std::string(s.icu)};
    }
    if (label.size() > 64)
        return {Route::unknown, {}};
    return {Route::icu, label};
}

// ICU reports unassigned/illegal input through the callback; note it, then substitute.
void lossy_to_u_callback(const void* context, UConverterToUnicodeArgs* args, const char* units,
                         int32_t length, UConverterCallbackReason reason, UErrorCode* err) {
    if (reason <= UCNV_IRREGULAR)
        *static_cast<bool*>(const_cast<void*>(context)) = true;
    UCNV_TO_U_CALLBACK_SUBSTITUTE(nullptr, args, units, length, reason, err);
}

}  // namespace

std::string raw_8bit_to_utf8(std::string_view bytes) {
    if (is_ascii(bytes))
        return std::string(bytes);
    std::string out;
    CharsetDecoder dec("");
    dec.feed(bytes, out);
    dec.finish(out);
    return out;
}

std::string to_utf8(std::string_view bytes, std::string_view charset, bool* lossy) {
    std::string out;
    CharsetDecoder dec(charset);
    dec.feed(bytes, out);
    dec.finish(out);
    if (lossy)
        *lossy = dec.lossy();
    return out;
}

bool is_known_charset(std::string_view charset) {
    return CharsetDecoder(charset).known();
}

struct CharsetDecoder::Icu {
    UConverter* conv = nullptr;
    char16_t pending_high = 0;  // a high surrogate waiting for its pair across chunks
    bool lossy = false;
    ~Icu() {
        if (conv)
            ucnv_close(conv);
    }

    // UTF-16 from ICU to UTF-8; a surrogate pair may straddle two conversion buffers.
    void emit(const char16_t* units, std::size_t n, std::string& out) {
        for (std::size_t i = 0; i < n; ++i) {
            char16_t u = units[i];
            if (pending_high) {
                char16_t hi = pending_high;
                pending_high = 0;
                if (u >= 0xDC00 && u <= 0xDFFF) {
                    append_utf8(out, 0x10000 + ((hi - 0xD800u) << 10) + (u - 0xDC00u));
                    continue;
                }
                out += kReplacement;
                lossy = true;
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                pending_high = u;
            } else if (u >= 0xDC00 && u <= 0xDFFF) {
                out += kReplacement;
                lossy = true;
            } else {
                append_utf8(out, u);
            }
        }
    }
};

CharsetDecoder::CharsetDecoder(std::string_view charset) {
    Resolved r = resolve(charset);
    switch (r.route) {
        case Route::utf8_or_1252:
            kind_ = Kind::utf8_or_1252;
            known_ = true;
            return;
        case Route::windows_1252:
            kind_ = Kind::windows_1252;
            known_ = true;
            return;
        case Route::unknown:
            kind_ = Kind::utf8_or_1252;
            known_ = false;
            lossy_ = true;
            return;
        case Route::icu:
            break;
    }
    UErrorCode err = U_ZERO_ERROR;
    UConverter* conv = ucnv_open(r.icu_name.c_str(), &err);
    if (U_FAILURE(err) || conv == nullptr) {
        if (conv)
            ucnv_close(conv);
        kind_ = Kind::utf8_or_1252;
        known_ = false;
        lossy_ = true;
        return;
    }
    icu_ = std::make_unique<Icu>();
    icu_->conv = conv;
    UConverterToUCallback old_cb = nullptr;
    const void* old_ctx = nullptr;
    err = U_ZERO_ERROR;
    ucnv_setToUCallBack(conv, lossy_to_u_callback, &icu_->lossy, &old_cb, &old_ctx, &err);
    kind_ = Kind::icu;
    known_ = true;
}

CharsetDecoder::~CharsetDecoder() = default;

void CharsetDecoder::feed_utf8_or_1252(std::string_view bytes, std::string& out, bool flush) {
    std::string joined;
    if (!held_.empty()) {
        joined = held_;
        joined.append(bytes);
        held_.clear();
        bytes = joined;
    }
    const auto* s = reinterpret_cast<const unsigned char*>(bytes.data());
    std::size_t n = bytes.size();
    std::size_t i = 0;
    std::size_t run = 0;  // start of a pending run of ASCII/valid UTF-8 copied in one go
    while (i < n) {
        if (s[i] < 0x80) {
            ++i;
            continue;
        }
        int len = utf8_sequence(s + i, n - i);
        if (len > 0) {
            i += static_cast<std::size_t>(len);
            continue;
        }
        out.append(bytes.data() + run, i - run);
        if (len < 0 && !flush) {
            held_.assign(bytes.data() + i, n - i);
            return;
        }
        append_cp1252(out, s[i]);
        lossy_ = true;
        ++i;
        run = i;
    }
    out.append(bytes.data() + run, n - run);
}

void CharsetDecoder::feed(std::string_view bytes, std::string& out) {
    switch (kind_) {
        case Kind::utf8_or_1252:
            feed_utf8_or_1252(bytes, out, false);
            return;
        case Kind::windows_1252:
            for (unsigned char c : bytes)
                append_cp1252(out, c);
            return;
        case Kind::icu:
            break;
    }
    std::array<char16_t, 2048> buf{};
    const char* src = bytes.data();
    const char* src_end = bytes.data() + bytes.size();
    while (true) {
        UChar* target = reinterpret_cast<UChar*>(buf.data());
        UErrorCode err = U_ZERO_ERROR;
        ucnv_toUnicode(icu_->conv, &target, target + buf.size(), &src, src_end, nullptr, false,
                       &err);
        icu_->emit(buf.data(),
                   static_cast<std::size_t>(target - reinterpret_cast<UChar*>(buf.data())), out);
        if (err == U_BUFFER_OVERFLOW_ERROR)
            continue;
        if (U_FAILURE(err)) {
            // A converter failure mid-stream: keep what we have, mark the rest as lost.
            icu_->lossy = true;
        }
        break;
    }
    if (icu_->lossy)
        lossy_ = true;
}

void CharsetDecoder::finish(std::string& out) {
    switch (kind_) {
        case Kind::utf8_or_1252:
            if (!held_.empty()) {
                std::string rest;
                rest.swap(held_);
                feed_utf8_or_1252(rest, out, true);
            }
            return;
        case Kind::windows_1252:
            return;
        case Kind::icu:
            break;
    }
    std::array<char16_t, 64> buf{};
    UChar* target = reinterpret_cast<UChar*>(buf.data());
    const char* src = nullptr;
    UErrorCode err = U_ZERO_ERROR;
    ucnv_toUnicode(icu_->conv, &target, target + buf.size(), &src, src, nullptr, true, &err);
    icu_->emit(buf.data(), static_cast<std::size_t>(target - reinterpret_cast<UChar*>(buf.data())),
               out);
    if (icu_->pending_high) {
        out += kReplacement;
        icu_->lossy = true;
        icu_->pending_high = 0;
    }
    if (icu_->lossy)
        lossy_ = true;
}

}  // namespace postern::mime
