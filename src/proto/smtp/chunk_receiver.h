// BDAT chunk reception (RFC 3030 §2): the chunks of one message accumulated under the same size
// limit and line-ending policy as DATA. Chunks carry no dot-stuffing and no end marker; line
// endings are still checked (a CR at the end of one chunk and an LF at the start of the next
// are one CRLF), except for BODY=BINARYMIME content, which is opaque (RFC 3030 §3).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proto/smtp/content.h"

namespace postern::proto::smtp {

class ChunkReceiver {
  public:
    // `binary`: the MAIL had BODY=BINARYMIME; only the size limit applies.
    ChunkReceiver(const ContentLimits& limits, bool binary) : writer_(limits), binary_(binary) {}

    // Starts the chunk announced by "BDAT size [LAST]"; the previous chunk must be complete.
    void begin_chunk(std::uint64_t size, bool last);

    struct Progress {
        std::size_t consumed = 0;
        bool chunk_complete = false;  // all octets of the current chunk have been read
    };
    // Consumes at most the rest of the current chunk from `in` and appends the content to `out`
    // (CRLF-canonical under the normalize policy; nothing once the message is refused).
    Progress feed(std::string_view in, std::string& out);

    std::uint64_t remaining() const { return remaining_; }
    bool finished() const { return finished_; }  // the LAST chunk has been read completely
    bool refused() const { return writer_.refused(); }
    const ContentReport& report() const { return writer_.report(); }
    ContentVerdict verdict() const { return content_verdict(writer_.report(), writer_.limits()); }

  private:
    void finish(std::string& out);

    detail::ContentWriter writer_;
    bool binary_;
    bool pending_cr_ = false;
    bool last_ = false;
    bool finished_ = false;
    std::uint64_t remaining_ = 0;
};

}  // namespace postern::proto::smtp
