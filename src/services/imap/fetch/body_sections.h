// The bytes FETCH returns for BODY[section]<partial> and BINARY[part] (RFC 9051 §6.4.5 section
// numbering, HEADER.FIELDS[.NOT], MIME, TEXT, partial; RFC 3516 §4.2 transfer decoding), cut
// from a raw message and its cached MIME structure. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mime/structure.h"
#include "proto/imap/command.h"

namespace postern::services::imap::fetch {

// The index into `structure.parts` of the part that the section numbers `path` (non-empty)
// name, numbered as RFC 9051 §6.4.5 does: the parts of a multipart are 1, 2, ...; a message
// that is not multipart has one part, 1, its body; the parts of an enclosed message/rfc822
// continue the numbering of that part. nullopt when the message has no such part.
std::optional<std::uint32_t> find_part(const mime::MessageStructure& structure,
                                       std::span<const std::uint32_t> path);

// The header fields of `header` (a header section, blank line included) whose names are in
// `names` (compared without case), or with `exclude` those whose names are not, each with its
// folded continuation lines, followed by the blank line (RFC 9051 §6.4.5 HEADER.FIELDS and
// HEADER.FIELDS.NOT). Lines that are not fields are left out.
std::string filter_header_fields(std::string_view header, std::span<const std::string> names,
                                 bool exclude);

// BODY[section] data: a view into the raw message, or (HEADER.FIELDS) bytes of its own.
class SectionData {
  public:
    static SectionData view(std::string_view bytes) { return SectionData(bytes, {}, false); }
    static SectionData owned(std::string bytes) { return SectionData({}, std::move(bytes), true); }
    std::string_view data() const { return owned_ ? std::string_view(storage_) : view_; }
    // True when the bytes are this object's own, false when they lie in the raw message.
    bool owned() const { return owned_; }

  private:
    SectionData(std::string_view v, std::string s, bool owned)
        : view_(v), storage_(std::move(s)), owned_(owned) {}
    std::string_view view_;
    std::string storage_;
    bool owned_;
};

// The bytes of BODY[section] of `raw`. `header_size` is the size of the top-level header
// (blank line included). `structure` is needed only when the section has part numbers (it may
// be null otherwise). nullopt when the message has no such section: the part does not exist, or
// HEADER/TEXT/HEADER.FIELDS follow a part that is not a message/rfc822, or the cached offsets do
// not fit the message.
std::optional<SectionData> section_data(std::string_view raw, std::uint64_t header_size,
                                        const mime::MessageStructure* structure,
                                        const proto::imap::Section& section);

// <offset.length> of `data` (RFC 9051 §6.4.5): empty when the offset is past the end; the
// length is cut at the end.
std::string_view apply_partial(std::string_view data,
                               const std::optional<proto::imap::Partial>& partial);

// How BINARY treats a part (RFC 3516 §4.2): multipart and message/rfc822 parts, whose encodings
// are identities, and leaves in 7bit/8bit/binary are returned as stored; base64 and
// quoted-printable leaves are decoded; any other encoding cannot be (NO [UNKNOWN-CTE]).
enum class BinaryDecoding : std::uint8_t { as_stored, decode, unknown };
BinaryDecoding binary_decoding(const mime::BodyPart& part);

// BINARY[part] content: the part's body with its Content-Transfer-Encoding removed. BINARY[]
// (empty `path`) is the whole message as stored.
class BinaryContent {
  public:
    enum class Status : std::uint8_t {
        ok,
        missing,      // no such part, or cached offsets that do not fit the message
        unknown_cte,  // an encoding the server cannot decode
    };
    static BinaryContent of(std::string_view raw, const mime::MessageStructure* structure,
                            std::span<const std::uint32_t> path);

    Status status() const { return status_; }
    std::string_view data() const { return decoded_used_ ? std::string_view(decoded_) : view_; }
    // True when data() is decoded bytes of this object's own, false when it lies in `raw`.
    bool decoded() const { return decoded_used_; }
    // The decoded bytes, moved out (the view form is copied).
    std::string take();

  private:
    Status status_ = Status::missing;
    std::string_view view_;
    std::string decoded_;
    bool decoded_used_ = false;
};

}  // namespace postern::services::imap::fetch
