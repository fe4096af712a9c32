// Client side: the octets sent after "354" (RFC 5321 §4.5.2 transparency, §4.1.1.4 end of data)
// or in BDAT chunks (RFC 3030 §2). Whatever the stored message holds, the output is canonical:
// every line ending is CRLF (a bare LF or bare CR becomes CRLF), and in DATA mode a line that
// starts with "." gets a second one. So "\r\n.\r\n" appears exactly once, at the end, and no
// message boundary can be relayed onwards (SMTP smuggling).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace postern::proto::smtp {

class DataEncoder {
  public:
    enum class Mode : std::uint8_t {
        dot_stuffed,  // DATA: stuffing and the final ".CRLF"
        canonical,    // BDAT: line endings only (BINARYMIME content must not go through this)
    };

    explicit DataEncoder(Mode mode = Mode::dot_stuffed) : mode_(mode) {}

    // Appends the encoding of the next piece of the message to `out`. Pieces may split the
    // message anywhere, including between CR and LF.
    void encode(std::string_view message_bytes, std::string& out);

    // Ends the message: a CRLF if the last line had none, then (DATA mode) ".\r\n". An empty
    // message in DATA mode is just ".\r\n".
    void finish(std::string& out);

  private:
    Mode mode_;
    bool at_line_start_ = true;
    bool pending_cr_ = false;
};

// The whole message at once (for small messages and tests).
std::string encode_data(std::string_view message,
                        DataEncoder::Mode mode = DataEncoder::Mode::dot_stuffed);

}  // namespace postern::proto::smtp
