// The FETCH response (RFC 9051 §7.5.2, RFC 3501 §7.4.2; BINARY RFC 3516 §4.2; CONDSTORE RFC 7162
// §3.1.4; OBJECTID RFC 8474 §5; SAVEDATE RFC 8514; PREVIEW RFC 8970), written item by item.
// Body data can be streamed: the writer frames the literal and the caller delivers the bytes,
// either through the writer or straight to the connection, so a large body is never copied
// into an intermediate string.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "mime/envelope.h"
#include "mime/structure.h"
#include "proto/imap/command.h"
#include "proto/imap/response_writer.h"

namespace postern::proto::imap {

// The text between the brackets of BODY[...] as RFC 9051 §9 section-spec gives it: "", "1.2",
// "HEADER", "1.MIME", "HEADER.FIELDS (FROM SUBJECT)".
std::string section_spec(const Section& section);
// The text between the brackets of BINARY[...] and BINARY.SIZE[...]: section-part "1.2" or "".
std::string section_part(std::span<const std::uint32_t> part);

// Writes one "* <seq> FETCH (item item ...)\r\n" into `out`, which must outlive the writer. Items
// appear in call order; the caller asks only for what the client asked (plus UID for UID
// FETCH, RFC 9051 §6.4.9, and FLAGS when \Seen changed). Not thread-safe; one response at a time.
//
// Streaming a literal: begin_*() writes "BODY[..] {n}\r\n"; then exactly n bytes must follow,
// through literal_data() (appended to `out`) or, after the caller sends and clears `out`, by
// writing them to the connection itself and reporting them with literal_data_sent(). The next
// item or finish() asserts that the literal is complete.
class FetchResponseWriter {
  public:
    FetchResponseWriter(std::string& out, std::uint32_t seq, const SessionMode& mode);
    FetchResponseWriter(const FetchResponseWriter&) = delete;
    FetchResponseWriter& operator=(const FetchResponseWriter&) = delete;

    void uid(std::uint32_t uid);
    void flags(std::span<const std::string> flags);  // invalid flags are left out
    // INTERNALDATE "17-Jul-1996 02:44:25 -0700" shown in a zone `zone_minutes` east of UTC.
    void internal_date(std::int64_t unix_seconds, int zone_minutes);
    void rfc822_size(std::uint64_t octets);
    void modseq(std::uint64_t modseq);                   // MODSEQ (n)
    void email_id(std::string_view objectid);            // EMAILID (id)
    void thread_id(std::optional<std::string_view> id);  // THREADID (id) | NIL
    void save_date(std::optional<std::int64_t> unix_seconds,
                   int zone_minutes);  // SAVEDATE .. | NIL
    void envelope(const mime::Envelope& envelope);
    // From the store's blobs; on Errc::corrupt nothing is written (the item is skipped) and the
    // caller decides (reparse the message, or answer NO [CORRUPTION]... after finish()).
    postern::Status envelope_blob(std::string_view blob);
    void body_structure(const mime::MessageStructure& structure, bool extensible);
    postern::Status body_structure_blob(std::string_view blob, bool extensible);
    void preview(std::optional<std::string_view> text);  // PREVIEW nstring (UTF-8)
    // BINARY.SIZE[part] n (RFC 3516 §4.2); `part` as section_part() gives it.
    void binary_size(std::string_view part, std::uint64_t size);

    // BODY[section]<origin> with `data` as a literal, or NIL. `section` is section_spec() text.
    // NUL bytes in `data` are sent as 0x80 (see append_literal).
    void body_section(std::string_view section, std::optional<std::uint32_t> origin,
                      std::optional<std::string_view> data);
    // BINARY[part]<origin>: literal8 when `data` holds NUL (RFC 3516 §4.2), else a literal; NIL
    // for nullopt.
    void binary_section(std::string_view part, std::optional<std::uint32_t> origin,
                        std::optional<std::string_view> data);
    // RFC822, RFC822.HEADER, RFC822.TEXT (RFC 3501 §7.4.2; not in IMAP4rev2).
    void rfc822(std::string_view data);
    void rfc822_header(std::string_view data);
    void rfc822_text(std::string_view data);

    // Streaming forms of body_section() and binary_section(): frame a literal of `size` bytes.
    // For BINARY the caller says whether the data holds NUL (literal8 then).
    void begin_body_section(std::string_view section, std::optional<std::uint32_t> origin,
                            std::uint64_t size);
    void begin_binary_section(std::string_view part, std::optional<std::uint32_t> origin,
                              std::uint64_t size, bool literal8);
    // Appends part of the pending literal to `out` (NUL becomes 0x80 unless literal8). Asserts
    // that it does not run past the announced size.
    void literal_data(std::string_view chunk);
    // The caller wrote `n` bytes of the pending literal to the connection itself. It must have
    // sent `out` first, and in a plain literal it must send no NUL (contains_nul()).
    void literal_data_sent(std::uint64_t n);
    std::uint64_t literal_remaining() const { return literal_remaining_; }

    // Writes ")\r\n". Exactly once, after the last item and the last byte of any literal.
    void finish();
    bool finished() const { return finished_; }

  private:
    void item(std::string_view name);
    void section_item(std::string_view name, std::string_view section,
                      std::optional<std::uint32_t> origin);
    void literal_item(std::string_view data, bool literal8);

    std::string& out_;
    SessionMode mode_;
    bool first_ = true;
    bool finished_ = false;
    bool literal8_ = false;
    std::uint64_t literal_remaining_ = 0;
};

}  // namespace postern::proto::imap
