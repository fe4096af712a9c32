// COMPRESS=DEFLATE (RFC 4978): raw deflate (RFC 1951) in both directions of an IMAP session,
// each write flushed with Z_SYNC_FLUSH so the client can decode every response at once.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::services::imap {

class DeflateStream {
  public:
    DeflateStream();
    ~DeflateStream();
    DeflateStream(const DeflateStream&) = delete;
    DeflateStream& operator=(const DeflateStream&) = delete;

    // Compresses `data` and appends the result (ending at a byte boundary) to `out`.
    Status compress(std::string_view data, std::string& out);

    // Adds compressed bytes from the client; then take() decompresses them.
    void feed(std::string_view compressed) { pending_.append(compressed); }
    // Appends at most `max_out` decompressed bytes to `out`; returns how many. 0 means more
    // compressed input is needed. Bounded output per call: a small "zip bomb" cannot blow up
    // memory, the session takes what it can frame and asks again. Errc::invalid_argument when
    // the client's data is not a raw deflate stream.
    Result<std::size_t> take(std::string& out, std::size_t max_out);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
    std::string pending_;  // compressed bytes not yet consumed
    std::size_t pending_pos_ = 0;
};

}  // namespace postern::services::imap
