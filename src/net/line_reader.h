// Reads protocol lines and raw byte runs from a Stream through a LineBuffer.
#pragma once

#include <string>

#include <boost/asio/awaitable.hpp>

#include "base/result.h"
#include "net/line_buffer.h"
#include "net/stream.h"

namespace postern::net {

class LineReader {
  public:
    LineReader(Stream& stream, std::size_t max_line) : stream_(stream), buffer_(max_line) {}

    // The next line (kind line or too_long). Errc::unavailable when the peer closed,
    // Errc::timeout / cancelled / io_error from the stream.
    boost::asio::awaitable<Result<LineBuffer::Next>> read_line();

    // Exactly `n` bytes (literals, BDAT chunks), appended to `out`.
    boost::asio::awaitable<Status> read_exact(std::size_t n, std::string& out);

    // Reads more bytes into the buffer; false result when the peer closed.
    boost::asio::awaitable<Result<bool>> fill();

    LineBuffer& buffer() { return buffer_; }

  private:
    Stream& stream_;
    LineBuffer buffer_;
};

}  // namespace postern::net
