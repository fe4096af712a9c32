// Streaming RFC 5322 / MIME parser (RFC 2045 §5-§6, RFC 2046 §5.1-§5.2, RFC 6532 §3.7):
// feed it chunks of any size and it records the part tree with exact byte offsets, without
// keeping the message: memory is bounded by Limits, not by the message size.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "mime/message.h"

namespace postern::mime {

// Receives the raw (still transfer-encoded) body bytes of each leaf part while parsing, so a
// caller can decode and index text in the same pass. Called on the parsing thread.
class BodySink {
  public:
    virtual ~BodySink() = default;
    // A leaf part's header is complete. `part` and `headers` are valid only during the call
    // (body_end and body_lines are not known yet).
    virtual void body_start(std::uint32_t index, const Part& part,
                            std::span<const HeaderField> headers) = 0;
    // The next bytes of that part's body, in order; never the line break that belongs to the
    // following boundary delimiter.
    virtual void body_data(std::uint32_t index, std::string_view bytes) = 0;
    virtual void body_end(std::uint32_t index) = 0;
};

// Lenient by design: malformed input (bad or missing boundaries, no blank line after the
// header, 8-bit or NUL bytes, bare CR, broken folding) gives the best structure it can and
// never fails. Feeding a message whole or one byte at a time gives the same result.
// Not thread-safe; one instance per message.
class MessageParser {
  public:
    explicit MessageParser(const Limits& limits = {}, BodySink* sink = nullptr);
    ~MessageParser();
    MessageParser(const MessageParser&) = delete;
    MessageParser& operator=(const MessageParser&) = delete;

    void feed(std::string_view bytes);
    // Ends the input and returns the result. Call once; the parser is spent afterwards.
    ParsedMessage finish();

  private:
    class Impl;
    std::unique_ptr<Impl> impl_;
};

// Parses a message held in memory.
ParsedMessage parse_message(std::string_view raw, const Limits& limits = {});

}  // namespace postern::mime
