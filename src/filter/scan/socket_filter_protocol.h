// Postern's socket filter protocol, version 1 (docs/socket-filter.md): a request of envelope
// lines plus the length-prefixed message, a reply of an action line plus header lines.
// Pure: no sockets.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "filter/chain/filter.h"

namespace postern::filter::scan {

inline constexpr std::string_view kSocketFilterVersion = "POSTERN-FILTER/1";

std::string socket_filter_request(const MessageView& message);
inline constexpr std::string_view kSocketFilterPing = "POSTERN-FILTER/1 PING\r\n\r\n";

struct SocketFilterLimits {
    std::size_t max_line = 4096;
    std::size_t max_lines = 256;
};

struct SocketFilterReply {
    enum class Action { pass, reject, discard, tempfail, pong };
    Action action = Action::pass;
    std::string status;  // RFC 3463 code for reject/tempfail ("5.7.1")
    std::string text;
    std::vector<std::pair<std::string, std::string>> add_headers;
    std::vector<std::string> remove_headers;
    std::optional<std::string> mailbox;
    std::optional<std::pair<double, double>> spam_score;  // (score, required)
    std::optional<std::string> virus;                     // infected: the name; "" clean
};

// Parses one complete reply (status line, fields, empty line). Errc::invalid_argument for
// malformed input, Errc::limit_exceeded beyond `limits`.
Result<SocketFilterReply> parse_socket_filter_reply(std::string_view bytes,
                                                    const SocketFilterLimits& limits = {});

}  // namespace postern::filter::scan
