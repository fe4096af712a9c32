// Content-Transfer-Encoding decoders: base64 (RFC 2045 §6.8) and quoted-printable (RFC 2045
// §6.7), both lenient about what real mail contains and both resumable across chunks.
#include "mime/transfer_encoding.h"

#include <array>

#include "base/strings.h"

namespace postern::mime {
namespace {

constexpr std::array<std::int8_t, 256> make_base64_table() {
    std::array<std::int8_t, 256> t{};
    for (auto& v : t)
        v = -1;
    constexpr std::string_view kAlphabet =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    for (std::size_t i = 0; i < kAlphabet.size(); ++i) {
        t[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
    }
    return t;
}

constexpr auto kBase64 = make_base64_table();

int hex_value(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool is_base64_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// A trailing-whitespace run longer than this is not held back waiting for its line end:
// bounded memory matters more than rule 3 on absurd lines.
constexpr std::size_t kMaxHeldWhitespace = 4096;

}  // namespace

TransferEncoding parse_transfer_encoding(std::string_view raw_value) {
    std::string_view v = raw_value;
    if (auto paren = v.find('('); paren != std::string_view::npos)
        v = v.substr(0, paren);
    v = trim(v);
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"')
        v = trim(v.substr(1, v.size() - 2));
    if (v.empty() || iequals(v, "7bit"))
        return TransferEncoding::seven_bit;
    if (iequals(v, "8bit"))
        return TransferEncoding::eight_bit;
    if (iequals(v, "binary"))
        return TransferEncoding::binary;
    if (iequals(v, "quoted-printable"))
        return TransferEncoding::quoted_printable;
    if (iequals(v, "base64"))
        return TransferEncoding::base64;
    return TransferEncoding::unknown;
}

void Base64Decoder::feed(std::string_view in, std::string& out) {
    for (char c : in) {
        if (ended_) {
            if (!is_base64_space(c) && c != '=')
                problem_ = true;
            continue;
        }
        std::int8_t v = kBase64[static_cast<unsigned char>(c)];
        if (v < 0) {
            if (c == '=') {
                ended_ = true;
                if (count_ == 1)
                    problem_ = true;  // six bits cannot make a byte
            } else if (!is_base64_space(c)) {
                problem_ = true;
            }
            continue;
        }
        acc_ = (acc_ << 6) | static_cast<std::uint32_t>(v);
        if (++count_ == 4) {
            out += static_cast<char>((acc_ >> 16) & 0xFF);
            out += static_cast<char>((acc_ >> 8) & 0xFF);
            out += static_cast<char>(acc_ & 0xFF);
            acc_ = 0;
            count_ = 0;
        }
    }
}

void Base64Decoder::finish(std::string& out) {
    if (count_ == 2) {
        out += static_cast<char>((acc_ >> 4) & 0xFF);
    } else if (count_ == 3) {
        out += static_cast<char>((acc_ >> 10) & 0xFF);
        out += static_cast<char>((acc_ >> 2) & 0xFF);
    }
    if (count_ == 1 || (count_ != 0 && !ended_))
        problem_ = true;
    acc_ = 0;
    count_ = 0;
}

void QuotedPrintableDecoder::feed(std::string_view in, std::string& out) {
    std::string joined;
    std::string_view s = in;
    if (!held_.empty()) {
        joined = std::move(held_);
        held_.clear();
        joined.append(in);
        s = joined;
    }
    const std::size_t n = s.size();
    std::size_t i = 0;
    std::size_t run = 0;  // start of bytes copied through unchanged
    auto flush_run = [&](std::size_t end) { out.append(s.data() + run, end - run); };
    while (i < n) {
        char c = s[i];
        if (c == '=') {
            flush_run(i);
            if (i + 1 >= n) {
                held_.assign(s.substr(i));
                return;
            }
            int hi = hex_value(s[i + 1]);
            if (hi >= 0) {
                if (i + 2 >= n) {
                    held_.assign(s.substr(i));
                    return;
                }
                int lo = hex_value(s[i + 2]);
                if (lo >= 0) {
                    out += static_cast<char>(hi * 16 + lo);
                    i += 3;
                    run = i;
                    continue;
                }
            }
            // A soft line break: '=' then optional whitespace then the line break.
            std::size_t j = i + 1;
            while (j < n && (s[j] == ' ' || s[j] == '\t') && j - i < kMaxHeldWhitespace)
                ++j;
            if (j >= n) {
                held_.assign(s.substr(i));
                return;
            }
            if (s[j] == '\n') {
                i = j + 1;
                run = i;
                continue;
            }
            if (s[j] == '\r') {
                if (j + 1 >= n) {
                    held_.assign(s.substr(i));
                    return;
                }
                if (s[j + 1] == '\n') {
                    i = j + 2;
                    run = i;
                    continue;
                }
            }
            problem_ = true;  // not an escape: keep the '=' as text
            out += '=';
            ++i;
            run = i;
            continue;
        }
        if (c == ' ' || c == '\t') {
            std::size_t j = i;
            while (j < n && (s[j] == ' ' || s[j] == '\t'))
                ++j;
            if (j - i > kMaxHeldWhitespace) {
                i = j;
                continue;
            }
            if (j >= n || (s[j] == '\r' && j + 1 >= n)) {
                flush_run(i);
                held_.assign(s.substr(i));
                return;
            }
            if (s[j] == '\n' || (s[j] == '\r' && s[j + 1] == '\n')) {
                flush_run(i);  // rule 3: trailing whitespace was added in transport
                i = j;
                run = i;
                continue;
            }
            i = j;
            continue;
        }
        ++i;
    }
    flush_run(n);
}

void QuotedPrintableDecoder::finish(std::string& out) {
    if (held_.empty())
        return;
    std::string rest = std::move(held_);
    held_.clear();
    // At the end of the body: trailing whitespace is dropped, a lone '=' is a soft break
    // into nothing, and a broken escape stays as text.
    std::size_t k = 0;
    while (k < rest.size() && (rest[k] == ' ' || rest[k] == '\t'))
        ++k;
    if (k == rest.size())
        return;
    if (rest[0] == '=') {
        std::size_t j = 1;
        while (j < rest.size() && (rest[j] == ' ' || rest[j] == '\t'))
            ++j;
        if (j == rest.size() || (rest[j] == '\r' && j + 1 == rest.size()))
            return;
        problem_ = true;
        out += rest;
        return;
    }
    out += rest;
}

void BodyDecoder::feed(std::string_view in, std::string& out) {
    switch (encoding_) {
        case TransferEncoding::base64:
            base64_.feed(in, out);
            return;
        case TransferEncoding::quoted_printable:
            qp_.feed(in, out);
            return;
        default:
            out.append(in);
            return;
    }
}

void BodyDecoder::finish(std::string& out) {
    if (encoding_ == TransferEncoding::base64)
        base64_.finish(out);
    if (encoding_ == TransferEncoding::quoted_printable)
        qp_.finish(out);
}

bool BodyDecoder::problem() const {
    return base64_.problem() || qp_.problem();
}

std::string decode_base64_lenient(std::string_view in, bool* problem) {
    return decode_body(TransferEncoding::base64, in, problem);
}

std::string decode_quoted_printable(std::string_view in, bool* problem) {
    return decode_body(TransferEncoding::quoted_printable, in, problem);
}

std::string decode_body(TransferEncoding encoding, std::string_view in, bool* problem) {
    std::string out;
    out.reserve(in.size());
    BodyDecoder dec(encoding);
    dec.feed(in, out);
    dec.finish(out);
    if (problem)
        *problem = dec.problem();
    return out;
}

}  // namespace postern::mime
