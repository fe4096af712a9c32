// Decoded part contents: transfer decoding (RFC 2045 §6) plus charset conversion of text
// parts (RFC 2046 §4.1.2), for full-text indexing, Sieve body tests and IMAP BINARY; and the
// RFC 8621 §4.1.4 split of a message into text body, HTML body and attachments.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mime/message.h"
#include "mime/parser.h"

namespace postern::mime {

// The part's body after transfer decoding (IMAP BINARY, RFC 3516). `raw_message` is the same
// input the part's offsets refer to. `problem` reports malformed base64/quoted-printable.
std::string decode_part(std::string_view raw_message, const Part& part, bool* problem = nullptr);

// The part's body as UTF-8 text: transfer decoding, then the charset parameter (absent or
// unknown: UTF-8 where valid, Windows-1252 otherwise). `lossy` reports replaced bytes or a
// guessed charset.
std::string decode_part_text(std::string_view raw_message, const Part& part, bool* lossy = nullptr);

// Streaming version of decode_part_text for one part: feed it the raw body bytes.
class TextDecoder {
  public:
    explicit TextDecoder(const Part& part);
    ~TextDecoder();
    void feed(std::string_view raw, std::string& out);
    void finish(std::string& out);
    bool problem() const;  // transfer-encoding damage or lossy charset conversion

  private:
    struct State;
    std::unique_ptr<State> s_;
};

// True for leaf parts whose content is text to index or show: text/* (including the
// text/plain default), and multipart/* parts that had no body parts.
bool is_text_part(const Part& part);

// A BodySink that collects the decoded UTF-8 text of every text leaf while the message is
// parsed, up to `max_bytes_per_part` per part (the rest is counted, not kept).
class TextCollector : public BodySink {
  public:
    struct Text {
        std::uint32_t part = kNoPart;
        std::string text;
        bool truncated = false;
        bool problem = false;
    };

    explicit TextCollector(std::size_t max_bytes_per_part = 4 * 1024 * 1024)
        : max_(max_bytes_per_part) {}

    void body_start(std::uint32_t index, const Part& part,
                    std::span<const HeaderField> headers) override;
    void body_data(std::uint32_t index, std::string_view bytes) override;
    void body_end(std::uint32_t index) override;

    const std::vector<Text>& texts() const { return texts_; }

  private:
    std::size_t max_;
    std::vector<Text> texts_;
    std::unique_ptr<TextDecoder> current_;
    std::string scratch_;
};

// RFC 8621 §4.1.4 (JMAP Email textBody / htmlBody / attachments) for the message whose root
// part is `root` (0 for the message itself, or the child of a message/rfc822 part). Nested
// messages are attachments and are not descended into. Part indexes are ParsedMessage ones.
struct BodyLists {
    std::vector<std::uint32_t> text_body;
    std::vector<std::uint32_t> html_body;
    std::vector<std::uint32_t> attachments;
};
BodyLists classify_bodies(const ParsedMessage& msg, std::uint32_t root = 0);

}  // namespace postern::mime
