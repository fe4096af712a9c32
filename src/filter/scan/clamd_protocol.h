// The clamd protocol (clamd(8)): zINSTREAM with 4-byte big-endian chunk lengths, zPING, and the
// parser of clamd's NUL-terminated replies. Pure: no sockets.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/result.h"

namespace postern::filter::scan {

inline constexpr std::string_view kClamdInstream{"zINSTREAM\0", 10};
inline constexpr std::string_view kClamdPing{"zPING\0", 6};
inline constexpr std::size_t kClamdMaxReply = 4096;

// One INSTREAM chunk: length (network order) then the bytes. An empty `data` is the end mark.
std::string clamd_chunk(std::string_view data);
// The whole stream after the command: `message` cut into chunks of at most `chunk_size`,
// then the zero-length end mark.
std::string clamd_stream(std::string_view message, std::size_t chunk_size);

struct ClamdResult {
    enum class Status { clean, infected, size_limit };
    Status status = Status::clean;
    std::string virus;  // the signature name when infected
};

// Parses one reply to zINSTREAM ("stream: OK", "stream: Eicar-Test FOUND",
// "INSTREAM size limit exceeded. ERROR"), with or without the terminating NUL/newline.
// Errc::unavailable for any other "... ERROR"; Errc::invalid_argument for garbage;
// Errc::limit_exceeded beyond kClamdMaxReply.
Result<ClamdResult> parse_clamd_reply(std::string_view bytes);
// True for "PONG".
bool is_clamd_pong(std::string_view bytes);

}  // namespace postern::filter::scan
