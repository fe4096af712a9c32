// Content-Transfer-Encoding (RFC 2045 §6): the encoding names, and lenient streaming decoders
// for base64 (§6.8) and quoted-printable (§6.7).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace postern::mime {

enum class TransferEncoding : std::uint8_t {
    seven_bit,  // also the default when the header is absent (RFC 2045 §6.1)
    eight_bit,
    binary,
    quoted_printable,
    base64,
    unknown,  // x-uuencode and other private encodings: the body is opaque
};

// Case-insensitive; surrounding whitespace and comments are ignored; empty gives seven_bit.
TransferEncoding parse_transfer_encoding(std::string_view raw_value);

// Identity encodings keep the raw bytes as the content (RFC 2045 §6.2).
constexpr bool is_identity(TransferEncoding e) {
    return e == TransferEncoding::seven_bit || e == TransferEncoding::eight_bit ||
           e == TransferEncoding::binary;
}

// Base64 per RFC 2045 §6.8, leniently: characters outside the alphabet are skipped, the first
// '=' ends the data (anything after it is ignored), and a trailing partial quantum yields the
// whole bytes it holds. problem() reports skipped non-whitespace, data after the padding, or
// a truncated quantum. Streaming: feed() any split of the input gives the same output.
class Base64Decoder {
  public:
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);
    bool problem() const { return problem_; }

  private:
    std::uint32_t acc_ = 0;
    int count_ = 0;       // sextets in acc_
    bool ended_ = false;  // saw '='
    bool problem_ = false;
};

// Quoted-printable per RFC 2045 §6.7, leniently: "=XX" accepts lower-case hex, a '=' that
// starts no valid escape is kept literally, "=" before a line break (after optional trailing
// whitespace) is a soft break, and whitespace at the end of a line is dropped (rule 3). Line
// breaks are copied as they appear (LF or CRLF). Streaming like Base64Decoder.
class QuotedPrintableDecoder {
  public:
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);
    bool problem() const { return problem_; }

  private:
    std::string held_;  // an unfinished "=", "=X", "=\r", or trailing whitespace run
    bool problem_ = false;
};

// Decodes a body of any encoding; identity and unknown encodings copy bytes through.
class BodyDecoder {
  public:
    explicit BodyDecoder(TransferEncoding encoding) : encoding_(encoding) {}
    void feed(std::string_view in, std::string& out);
    void finish(std::string& out);
    bool problem() const;
    TransferEncoding encoding() const { return encoding_; }

  private:
    TransferEncoding encoding_;
    Base64Decoder base64_;
    QuotedPrintableDecoder qp_;
};

// One-shot helpers. `problem`, when given, receives the decoder's problem() flag.
std::string decode_base64_lenient(std::string_view in, bool* problem = nullptr);
std::string decode_quoted_printable(std::string_view in, bool* problem = nullptr);
std::string decode_body(TransferEncoding encoding, std::string_view in, bool* problem = nullptr);

}  // namespace postern::mime
