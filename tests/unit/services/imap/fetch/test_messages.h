// Messages shared by the FETCH unit tests, and their structure as the store caches it.
#pragma once

#include <string>
#include <string_view>

#include "mime/parser.h"
#include "mime/structure.h"

namespace postern::services::imap::fetch::testing {

// A single-part message with a folded Subject.
inline const std::string kSimple =
    "From: Alice <alice@example.test>\r\n"
    "Subject: Hello\r\n"
    "  world\r\n"
    "To: bob@example.test\r\n"
    "X-Note: one\r\n"
    "\r\n"
    "Hi Bob,\r\n"
    "how are you?\r\n";

// multipart/mixed: 1 text/plain (quoted-printable, ISO-8859-1), 2 a base64 attachment holding
// NUL bytes, 3 a message/rfc822 whose body is multipart/alternative (3.1 plain, 3.2 html), 4 a
// part in x-uuencode.
inline const std::string kMixed =
    "From: carol@remote.test\r\n"
    "To: alice@example.test\r\n"
    "Subject: Mixed\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: multipart/mixed; boundary=\"outer\"\r\n"
    "\r\n"
    "preamble\r\n"
    "--outer\r\n"
    "Content-Type: text/plain; charset=iso-8859-1\r\n"
    "Content-Transfer-Encoding: quoted-printable\r\n"
    "\r\n"
    "Caf=E9 au lait,   tr=E8s   bon.=\r\n"
    " Fin.\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream; name=\"blob.bin\"\r\n"
    "Content-Disposition: attachment; filename=\"blob.bin\"\r\n"
    "Content-Transfer-Encoding: base64\r\n"
    "\r\n"
    "AAECA2hlbGxvAP8=\r\n"
    "--outer\r\n"
    "Content-Type: message/rfc822\r\n"
    "\r\n"
    "From: dave@remote.test\r\n"
    "Subject: Inner\r\n"
    "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
    "\r\n"
    "--inner\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "inner plain\r\n"
    "--inner\r\n"
    "Content-Type: text/html\r\n"
    "\r\n"
    "<p>inner <b>html</b></p>\r\n"
    "--inner--\r\n"
    "--outer\r\n"
    "Content-Type: application/octet-stream\r\n"
    "Content-Transfer-Encoding: x-uuencode\r\n"
    "\r\n"
    "begin 644 x\r\n"
    "--outer--\r\n";

inline mime::MessageStructure structure_of(std::string_view raw) {
    return mime::build_structure(mime::parse_message(raw));
}

}  // namespace postern::services::imap::fetch::testing
