// The SPAMC/SPAMD protocol 1.5 (SpamAssassin's spamd "PROTOCOL" document): requests
// CHECK, SYMBOLS, REPORT, PROCESS, PING and the parser of spamd's replies. Pure: no sockets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace postern::filter::scan {

enum class SpamdCommand { check, symbols, report, process, ping };
std::string_view spamd_command_name(SpamdCommand command);
std::optional<SpamdCommand> parse_spamd_command(std::string_view name);  // case-insensitive

// The request bytes: "<CMD> SPAMC/1.5\r\nContent-length: N\r\nUser: u\r\n\r\n<message>".
// `user` is sent only when non-empty (and must not contain CR/LF: they are dropped).
std::string spamd_request(SpamdCommand command, std::string_view message, std::string_view user);

struct SpamdLimits {
    std::size_t max_header_line = 1024;  // a status or header line
    std::size_t max_headers = 32;
    std::size_t max_body = 8u << 20;  // SYMBOLS/REPORT text or the PROCESSed message
};

struct SpamdReply {
    int code = 0;             // 0 = EX_OK
    std::string message;      // "EX_OK", "PONG"
    bool pong = false;        // reply to PING
    bool has_result = false;  // a "Spam:" header was present
    bool spam = false;
    double score = 0;
    double required = 0;
    std::vector<std::string> symbols;  // SYMBOLS
    std::string body;                  // REPORT text / PROCESS message
};

// Parses one complete reply (spamd closes the connection after it). Errc::invalid_argument
// for anything malformed, Errc::limit_exceeded beyond `limits`, Errc::unavailable for a
// non-zero spamd code (its text in the message).
Result<SpamdReply> parse_spamd_reply(std::string_view bytes, SpamdCommand command,
                                     const SpamdLimits& limits = {});

}  // namespace postern::filter::scan
