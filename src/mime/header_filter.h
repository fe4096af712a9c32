// Removing header fields by name from a message's header section (RFC 5322 §2.2, with
// continuation lines), in one piece or streamed chunk by chunk. The body is never touched.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace postern::mime {

class HeaderFieldFilter {
  public:
    // `names` are matched case-insensitively. A header line longer than `max_line` stops the
    // filtering (the rest passes through unchanged) so memory stays bounded.
    explicit HeaderFieldFilter(std::vector<std::string> names, std::size_t max_line = 64 * 1024);

    // Appends the filtered form of `chunk` to `out`. Bytes of an unfinished line are held back
    // until the next feed() or finish().
    void feed(std::string_view chunk, std::string& out);
    void finish(std::string& out);
    bool in_header() const { return state_ != State::body; }

  private:
    enum class State { header, body };
    void line(std::string_view l, std::string& out);
    bool drop(std::string_view l) const;

    std::vector<std::string> names_;
    std::size_t max_line_;
    State state_ = State::header;
    bool dropping_ = false;  // the current field is removed (its continuation lines too)
    std::string partial_;
};

// The names among `names` that occur as fields of `raw`'s header section.
std::vector<std::string> present_header_fields(std::string_view raw,
                                               const std::vector<std::string>& names);

// One-shot form: `raw` without the fields named in `names`.
std::string strip_header_fields(std::string_view raw, const std::vector<std::string>& names);

// `raw`'s header section (CRLF lines) and then `body` in place of its body, the empty line
// between them kept (or added when `raw` has none).
std::string with_body(std::string_view raw, std::string_view body);

}  // namespace postern::mime
