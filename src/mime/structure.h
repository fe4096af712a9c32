// BODYSTRUCTURE data (RFC 3501 §7.4.2, RFC 9051 §7.5.2) with the raw offsets IMAP needs for
// BODY[section], BODY[section.MIME/HEADER/TEXT] and BINARY[section] (RFC 3516). The store
// caches it (structure_codec.h) and serves FETCH without parsing the message again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "mime/content_type.h"
#include "mime/envelope.h"
#include "mime/message.h"
#include "mime/transfer_encoding.h"

namespace postern::mime {

struct BodyPart {
    enum class Kind : std::uint8_t {
        basic,      // body-type-basic
        text,       // body-type-text: adds lines
        message,    // body-type-msg: adds envelope, body (children[0]) and lines
        multipart,  // body-type-mpart: children are the body parts
    };
    Kind kind = Kind::basic;
    std::string type;               // lower-case, as IMAP should show it (see build_structure)
    std::string subtype;            // lower-case
    std::vector<Param> params;      // as written in Content-Type (RFC 2231 sections untouched)
    std::optional<std::string> id;  // Content-ID
    std::optional<std::string> description;  // Content-Description, raw (not decoded)
    std::string encoding = "7bit";           // Content-Transfer-Encoding as written
    std::optional<std::string> md5;          // Content-MD5 when present; never computed
    std::optional<std::string> disposition;  // Content-Disposition type, lower-case
    std::vector<Param> disposition_params;
    std::vector<std::string> languages;   // Content-Language
    std::optional<std::string> location;  // Content-Location
    std::uint64_t size = 0;               // body octets
    std::uint64_t lines = 0;              // text and message kinds

    // Raw offsets: MIME header [header_start, body_start), body [body_start, body_end).
    std::uint64_t header_start = 0;
    std::uint64_t body_start = 0;
    std::uint64_t body_end = 0;
    TransferEncoding transfer = TransferEncoding::seven_bit;  // to decode BINARY

    std::vector<std::uint32_t> children;  // multipart: the parts; message: its root
    std::int32_t envelope = -1;           // message: index into MessageStructure::envelopes
    bool operator==(const BodyPart&) const = default;
};

// Mirrors ParsedMessage::parts index for index. envelopes[0] belongs to the message itself.
struct MessageStructure {
    std::vector<BodyPart> parts;
    std::vector<Envelope> envelopes;
    std::uint64_t size = 0;
    bool operator==(const MessageStructure&) const = default;
};

// What IMAP cannot express is mapped the way Dovecot does: a message/rfc822 part that was not
// parsed as a message (encoded, or beyond a limit) is application/octet-stream; a multipart
// left as a leaf (no boundary, no parts, too deep) is text/plain; a part with no Content-Type
// gets the RFC 2045 §5.2 default "text/plain; charset=us-ascii".
MessageStructure build_structure(const ParsedMessage& msg);

}  // namespace postern::mime
