// BDAT chunk accumulation (RFC 3030 §2, §3 BINARYMIME) with the line-ending rules of RFC 5321
// §2.3.8 applied across chunk boundaries.
#include "proto/smtp/chunk_receiver.h"

#include <algorithm>
#include <cassert>

namespace postern::proto::smtp {

void ChunkReceiver::begin_chunk(std::uint64_t size, bool last) {
    assert(remaining_ == 0 && !finished_);
    remaining_ = size;
    last_ = last;
}

ChunkReceiver::Progress ChunkReceiver::feed(std::string_view in, std::string& out) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(in.size(), remaining_));
    std::string_view chunk = in.substr(0, n);
    if (binary_) {
        writer_.raw(chunk, out);
    } else {
        std::size_t i = 0;
        while (i < chunk.size()) {
            if (pending_cr_) {
                pending_cr_ = false;
                if (chunk[i] == '\n') {
                    writer_.crlf(out);
                    ++i;
                } else {
                    writer_.bare_cr(out);
                }
                continue;
            }
            std::size_t j = i;
            while (j < chunk.size() && chunk[j] != '\r' && chunk[j] != '\n' && chunk[j] != '\0') {
                ++j;
            }
            if (j != i)
                writer_.text(chunk.substr(i, j - i), out);
            if (j == chunk.size())
                break;
            if (chunk[j] == '\r') {
                pending_cr_ = true;
            } else if (chunk[j] == '\n') {
                writer_.bare_lf(out);
            } else {
                writer_.nul();
            }
            i = j + 1;
        }
    }
    remaining_ -= n;
    writer_.report().received += n;
    if (remaining_ == 0 && last_ && !finished_)
        finish(out);
    return {n, remaining_ == 0};
}

void ChunkReceiver::finish(std::string& out) {
    if (pending_cr_) {
        pending_cr_ = false;
        writer_.bare_cr(out);
    }
    writer_.finish();
    finished_ = true;
}

}  // namespace postern::proto::smtp
