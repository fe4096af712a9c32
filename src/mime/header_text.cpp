// Header text decoding: RFC 5322 §2.2.3 unfolding and RFC 2047 encoded-words (B and Q,
// §4.1/§4.2), with the RFC 2231 §5 "charset*language" form.
#include "mime/header_text.h"

#include "base/strings.h"
#include "mime/charset.h"
#include "mime/transfer_encoding.h"

namespace postern::mime {
namespace {

constexpr std::size_t kMaxCharsetLength = 75;  // an encoded-word is at most 75 chars (§2)

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

struct EncodedWord {
    std::string charset;  // without the RFC 2231 language
    std::string bytes;    // decoded, still in `charset`
    std::size_t end = 0;  // one past "?="
};

// Parses "=?charset[*lang]?B|Q?text?=" at s[i]; folds inside the text are skipped.
bool parse_word(std::string_view s, std::size_t i, EncodedWord& w) {
    std::size_t j = i + 2;
    std::size_t cs_start = j;
    while (j < s.size() && s[j] != '?' && !is_fws(s[j]) && j - cs_start <= kMaxCharsetLength)
        ++j;
    if (j >= s.size() || s[j] != '?' || j == cs_start)
        return false;
    std::string_view charset = s.substr(cs_start, j - cs_start);
    if (auto star = charset.find('*'); star != std::string_view::npos) {
        charset = charset.substr(0, star);
    }
    if (j + 2 >= s.size() || s[j + 2] != '?')
        return false;
    char enc = ascii_lower(s[j + 1]);
    if (enc != 'b' && enc != 'q')
        return false;
    std::size_t text_start = j + 3;
    // Encoded text never holds '?' (§5), so the first '?' must be the terminator.
    std::size_t q = s.find('?', text_start);
    if (q == std::string_view::npos || q + 1 >= s.size() || s[q + 1] != '=')
        return false;
    std::string_view text = s.substr(text_start, q - text_start);
    w.charset.assign(charset);
    w.bytes.clear();
    w.end = q + 2;
    if (enc == 'b') {
        w.bytes = decode_base64_lenient(text);
        return true;
    }
    for (std::size_t k = 0; k < text.size(); ++k) {
        char c = text[k];
        if (c == '\r' || c == '\n') {
            // A word broken by a fold: drop the line break and the indentation after it.
            while (k + 1 < text.size() && is_fws(text[k + 1]))
                ++k;
            continue;
        }
        if (c == '_') {
            w.bytes += ' ';
        } else if (c == '=' && k + 2 < text.size() && hex_value(text[k + 1]) >= 0 &&
                   hex_value(text[k + 2]) >= 0) {
            w.bytes += static_cast<char>(hex_value(text[k + 1]) * 16 + hex_value(text[k + 2]));
            k += 2;
        } else {
            w.bytes += c;
        }
    }
    return true;
}

class WordDecoder {
  public:
    WordDecoder(std::string_view s, WordSpacing spacing) : s_(s), spacing_(spacing) {}

    std::string run() {
        std::size_t i = 0;
        const std::size_t n = s_.size();
        EncodedWord w;
        while (i < n) {
            char c = s_[i];
            if (is_fws(c)) {
                if (ws_start_ == kNone)
                    ws_start_ = i;
                ++i;
                continue;
            }
            if (c == '=' && i + 1 < n && s_[i + 1] == '?' && parse_word(s_, i, w)) {
                bool joined = last_was_word_ && drop_whitespace(i);
                if (!joined) {
                    flush_word();
                    flush_whitespace(i);
                } else {
                    ws_start_ = kNone;
                }
                if (!word_bytes_.empty() && !iequals(word_charset_, w.charset))
                    flush_word();
                if (word_bytes_.empty())
                    word_charset_ = w.charset;
                word_bytes_ += w.bytes;
                has_word_ = true;
                last_was_word_ = true;
                i = w.end;
                continue;
            }
            flush_word();
            flush_whitespace(i);
            std::size_t start = i;
            // A literal run ends at whitespace or at a possible encoded-word.
            ++i;
            while (i < n && !is_fws(s_[i]) && !(s_[i] == '=' && i + 1 < n && s_[i + 1] == '?'))
                ++i;
            out_ += raw_8bit_to_utf8(s_.substr(start, i - start));
            last_was_word_ = false;
        }
        flush_word();
        flush_whitespace(n);
        return std::move(out_);
    }

  private:
    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);

    // Whitespace between two words: always dropped by RFC 2047; in quoted strings only
    // when it is folding whitespace.
    bool drop_whitespace(std::size_t end) const {
        if (ws_start_ == kNone)
            return true;
        if (spacing_ == WordSpacing::rfc2047)
            return true;
        std::string_view ws = s_.substr(ws_start_, end - ws_start_);
        return ws.find('\n') != std::string_view::npos;
    }

    void flush_whitespace(std::size_t end) {
        if (ws_start_ == kNone)
            return;
        std::string_view ws = s_.substr(ws_start_, end - ws_start_);
        ws_start_ = kNone;
        if (ws.find('\n') != std::string_view::npos) {
            out_ += ' ';  // a fold (with its indentation) reads as one space
            return;
        }
        for (char c : ws) {
            if (c != '\r')
                out_ += c;
        }
    }

    void flush_word() {
        if (!has_word_)
            return;
        out_ += to_utf8(word_bytes_, word_charset_);
        word_bytes_.clear();
        has_word_ = false;
    }

    std::string_view s_;
    WordSpacing spacing_;
    std::string out_;
    std::size_t ws_start_ = kNone;
    bool last_was_word_ = false;
    bool has_word_ = false;
    std::string word_charset_;
    std::string word_bytes_;
};

}  // namespace

std::string unfold(std::string_view raw) {
    std::string out;
    out.reserve(raw.size());
    for (char c : raw) {
        if (c != '\r' && c != '\n')
            out += c;
    }
    return out;
}

std::string decode_encoded_words(std::string_view text, WordSpacing spacing) {
    return WordDecoder(text, spacing).run();
}

std::string decode_unstructured(std::string_view raw_value) {
    return std::string(trim(decode_encoded_words(raw_value)));
}

std::vector<std::string> parse_phrase_list(std::string_view raw_value) {
    std::vector<std::string> items;
    std::string current;
    bool quoted = false;
    auto push = [&] {
        std::string decoded(trim(decode_encoded_words(current)));
        if (!decoded.empty())
            items.push_back(std::move(decoded));
        current.clear();
    };
    for (std::size_t i = 0; i < raw_value.size(); ++i) {
        char c = raw_value[i];
        if (quoted) {
            if (c == '\\' && i + 1 < raw_value.size()) {
                current += raw_value[++i];
            } else if (c == '"') {
                quoted = false;
            } else {
                current += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            push();
        } else {
            current += c;
        }
    }
    push();
    return items;
}

}  // namespace postern::mime
