// Charset conversion to UTF-8 for MIME text (RFC 2046 §4.1.2 charset parameter, the charset
// labels of RFC 2047 encoded-words and RFC 2231 parameters) through ICU converters.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/utf8.h"  // is_ascii, is_valid_utf8

namespace postern::mime {

// Bytes with no trustworthy label (raw 8-bit header text, "us-ascii" text that is not ASCII,
// unknown labels): each valid UTF-8 sequence is kept, every other byte is read as
// Windows-1252 (which assigns the C1 range, unlike ISO-8859-1). Never fails.
std::string raw_8bit_to_utf8(std::string_view bytes);

// Converts `bytes` labelled `charset` (case-insensitive IANA name or alias) to UTF-8.
// Never fails: invalid sequences become U+FFFD; an unknown label falls back to
// raw_8bit_to_utf8. `lossy`, when given, is set when anything was replaced or guessed.
// Thread-safe: every call owns its converter.
std::string to_utf8(std::string_view bytes, std::string_view charset, bool* lossy = nullptr);

// True when ICU (or our own fast path) knows the label.
bool is_known_charset(std::string_view charset);

// Streaming form for bodies: keeps converter state between chunks, so a multi-byte character
// split across two feed() calls still decodes. One instance per body; not thread-safe.
class CharsetDecoder {
  public:
    explicit CharsetDecoder(std::string_view charset);
    ~CharsetDecoder();
    CharsetDecoder(const CharsetDecoder&) = delete;
    CharsetDecoder& operator=(const CharsetDecoder&) = delete;

    // Appends the UTF-8 form of `bytes` to `out`.
    void feed(std::string_view bytes, std::string& out);
    // Flushes an incomplete trailing sequence (as U+FFFD or Windows-1252).
    void finish(std::string& out);
    // Something was replaced, or the label was unknown and the text was guessed.
    bool lossy() const { return lossy_; }
    bool known() const { return known_; }

  private:
    enum class Kind { utf8_or_1252, windows_1252, icu };
    struct Icu;

    void feed_utf8_or_1252(std::string_view bytes, std::string& out, bool flush);

    Kind kind_ = Kind::utf8_or_1252;
    bool known_ = false;
    bool lossy_ = false;
    std::string held_;  // an incomplete UTF-8 sequence carried to the next chunk
    std::unique_ptr<Icu> icu_;
};

}  // namespace postern::mime
