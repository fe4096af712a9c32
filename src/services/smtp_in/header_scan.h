// Watches the header block of a message as it streams in from SMTP (RFC 5322 §2.2, §3.6):
// holds it back until it is complete (bounded), repairs incorrectly folded lines, counts
// Received fields (loop detection, RFC 5321 §6.3) and keeps the fields the session's checks
// need. Everything after the header block passes straight through. Pure; no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace postern::services::smtp_in {

class HeaderScanner {
public:
    explicit HeaderScanner(std::uint64_t max_header_size) : max_(max_header_size) {}

    // Feeds canonical message bytes (CRLF lines); appends to `out` what should be stored: the
    // header block once it is complete (repaired), then the body as it comes.
    void feed(std::string_view in, std::string& out);
    // The message ended: a header block without a body is emitted now.
    void finish(std::string& out);

    bool complete() const { return state_ == State::body; }
    bool too_large() const { return too_large_; }
    std::uint32_t received_fields() const { return received_; }
    std::uint32_t repaired_lines() const { return repaired_; }
    // Unfolded fields of the header block, in order (available once complete).
    const std::vector<std::pair<std::string, std::string>>& fields() const { return fields_; }
    // The unfolded value of the first field named `name` (case-insensitive), or "".
    std::string first(std::string_view name) const;

private:
    enum class State { header, body, overflow };
    void close_header(std::string& out);

    std::uint64_t max_;
    State state_ = State::header;
    std::string block_;
    bool too_large_ = false;
    std::uint32_t received_ = 0;
    std::uint32_t repaired_ = 0;
    std::vector<std::pair<std::string, std::string>> fields_;
};

// RFC 5322 §2.2 field-name: printable ASCII except ':' (and space).
bool is_field_name(std::string_view name);

}  // namespace postern::services::smtp_in
