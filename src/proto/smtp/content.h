// Message content checks shared by DATA (data_receiver.h) and BDAT (chunk_receiver.h): the
// size limit (RFC 1870 §6.3), line endings (RFC 5321 §2.3.8: CRLF only), NUL and line length
// (RFC 5321 §4.5.3.1.6, RFC 5322 §2.1.1), with the policy the caller chose.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

enum class LineEndingPolicy : std::uint8_t {
    // A bare LF or bare CR refuses the message (550 5.6.0 at the end). Nothing is repaired, so
    // nothing a client smuggled can reach the queue. The default.
    reject,
    // A bare LF or bare CR becomes CRLF in the stored message. It still never ends DATA.
    normalize,
};

enum class LongLinePolicy : std::uint8_t {
    accept,  // count and report only (real mail has long HTML lines); the default
    reject,  // 550 5.6.0 at the end
};

struct ContentLimits {
    std::uint64_t max_message_size = 0;   // canonical octets; 0 = no limit
    std::uint64_t max_line_length = 998;  // octets without CRLF (RFC 5322 §2.1.1)
    LineEndingPolicy line_endings = LineEndingPolicy::reject;
    LongLinePolicy long_lines = LongLinePolicy::accept;
};

// What a receiver saw. Counts go on after the message is refused so logs can say why.
struct ContentReport {
    std::uint64_t received = 0;  // raw octets consumed (DATA: including the final ".CRLF")
    std::uint64_t size = 0;      // octets of the canonical message, counted to the end
    std::uint64_t lines = 0;     // line endings seen (CRLF or bare)
    std::uint64_t bare_lf = 0;
    std::uint64_t bare_cr = 0;
    std::uint64_t nul = 0;
    std::uint64_t long_lines = 0;  // lines over max_line_length
    std::uint64_t longest_line = 0;
    bool too_large = false;  // size went over max_message_size
};

enum class ContentVerdict : std::uint8_t { accept, too_large, nul, bad_line_ending, long_line };

// The first that applies, in this order: too_large, nul, bad_line_ending (policy reject),
// long_line (policy reject), accept.
ContentVerdict content_verdict(const ContentReport& report, const ContentLimits& limits);

// 552 5.3.4, 550 5.6.0 (three texts); nullopt for accept.
std::optional<Reply> content_reply(ContentVerdict verdict);

namespace detail {

// The canonical-output side of both receivers: counts, applies the policy, appends to `out`
// until the message is refused. Inline because it sits in the receivers' inner loops.
class ContentWriter {
  public:
    explicit ContentWriter(const ContentLimits& limits) : limits_(limits) {}

    void text(std::string_view run, std::string& out) {
        line_ += run.size();
        put(run, out);
    }
    void crlf(std::string& out) {
        end_line();
        put("\r\n", out);
    }
    void bare_lf(std::string& out) {
        ++report_.bare_lf;
        bare(out);
    }
    void bare_cr(std::string& out) {
        ++report_.bare_cr;
        bare(out);
    }
    void nul() {
        ++report_.nul;
        refused_ = true;
    }
    // Binary content (BODY=BINARYMIME): only the size counts.
    void raw(std::string_view run, std::string& out) { put(run, out); }
    // A last line without a line ending (BDAT content may end so).
    void finish() {
        if (line_ > 0)
            end_line();
    }

    bool refused() const { return refused_; }
    ContentReport& report() { return report_; }
    const ContentReport& report() const { return report_; }
    const ContentLimits& limits() const { return limits_; }

  private:
    void put(std::string_view s, std::string& out) {
        const std::uint64_t before = report_.size;
        report_.size += s.size();
        if (limits_.max_message_size && report_.size > limits_.max_message_size) {
            // Keep exactly the first max_message_size octets, however the input was split.
            if (!refused_ && before < limits_.max_message_size) {
                out.append(s.substr(0, limits_.max_message_size - before));
            }
            report_.too_large = true;
            refused_ = true;
        }
        if (!refused_)
            out.append(s);
    }
    void bare(std::string& out) {
        end_line();
        if (limits_.line_endings == LineEndingPolicy::normalize) {
            put("\r\n", out);
        } else {
            refused_ = true;
        }
    }
    void end_line() {
        ++report_.lines;
        if (line_ > report_.longest_line)
            report_.longest_line = line_;
        if (line_ > limits_.max_line_length) {
            ++report_.long_lines;
            if (limits_.long_lines == LongLinePolicy::reject)
                refused_ = true;
        }
        line_ = 0;
    }

    ContentLimits limits_;
    ContentReport report_;
    std::uint64_t line_ = 0;
    bool refused_ = false;
};

}  // namespace detail
}  // namespace postern::proto::smtp
