// Receive buffer that splits a byte stream into lines with a hard length limit, and hands out
// raw bytes for literals and message data. Pure: the caller does the reading.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace postern::net {

class LineBuffer {
  public:
    // `max_line` counts the line without its terminator.
    explicit LineBuffer(std::size_t max_line) : max_line_(max_line) {}

    // Writable space for at least `min` more bytes; then commit() how many were read.
    std::span<char> prepare(std::size_t min = 4096);
    void commit(std::size_t n) { end_ += n; }

    enum class Kind {
        line,       // `text` is a complete line without CR LF / LF
        need_more,  // no complete line buffered yet
        too_long,   // a line exceeded max_line; it is being discarded up to its LF
    };
    struct Next {
        Kind kind;
        std::string_view text;  // valid until the next prepare()/next_line()/take()
        bool crlf = false;      // terminated by CR LF (false: bare LF)
    };
    // Extracts the next line. After too_long, the rest of that line is skipped silently and
    // the following line is returned normally: one error per overlong line.
    Next next_line();

    // Raw access for literals and DATA: what is buffered, and consuming it.
    std::string_view buffered() const {
        return std::string_view(data_.data() + begin_, end_ - begin_);
    }
    void consume(std::size_t n) {
        begin_ += n;
        scanned_ = scanned_ > n ? scanned_ - n : 0;  // the scan offset is relative to begin_
    }
    // True when a complete line is buffered (a pipelined command waits behind this one).
    bool has_line() const { return buffered().find('\n') != std::string_view::npos; }

    // Drops everything buffered (after STARTTLS: plaintext pipelined behind the command must
    // never be read as if it came over TLS).
    void clear();
    // Releases memory beyond a small reserve when nothing is buffered (idle connections).
    void shrink();

  private:
    std::string data_;
    std::size_t begin_ = 0;
    std::size_t end_ = 0;
    std::size_t max_line_;
    std::size_t scanned_ = 0;  // bytes after begin_ known to hold no LF
    bool discarding_ = false;
};

}  // namespace postern::net
