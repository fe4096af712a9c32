// ENVELOPE data (RFC 9051 §7.5.2 and §9 "envelope", "address"; RFC 3501 §7.4.2).
#include "proto/imap/envelope_format.h"

#include "mime/structure_codec.h"

namespace postern::proto::imap {
namespace {

void append_opt(std::string& out, const std::optional<std::string>& s, const SessionMode& mode) {
    if (s)
        append_string(out, *s, mode);
    else
        append_nil(out);
}

}  // namespace

void append_address_list(std::string& out, std::span<const mime::EnvelopeAddress> addresses,
                         const SessionMode& mode) {
    if (addresses.empty()) {
        append_nil(out);
        return;
    }
    out += '(';
    for (const auto& a : addresses) {
        out += '(';
        append_opt(out, a.name, mode);
        out += ' ';
        append_opt(out, a.adl, mode);
        out += ' ';
        append_opt(out, a.mailbox, mode);
        out += ' ';
        append_opt(out, a.host, mode);
        out += ')';
    }
    out += ')';
}

void append_envelope(std::string& out, const mime::Envelope& e, const SessionMode& mode) {
    out += '(';
    append_opt(out, e.date, mode);
    out += ' ';
    append_opt(out, e.subject, mode);
    for (const auto* list : {&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc}) {
        out += ' ';
        append_address_list(out, *list, mode);
    }
    out += ' ';
    append_opt(out, e.in_reply_to, mode);
    out += ' ';
    append_opt(out, e.message_id, mode);
    out += ')';
}

postern::Status append_envelope_blob(std::string& out, std::string_view blob,
                                     const SessionMode& mode) {
    auto s = mime::decode_structure(blob);
    if (!s)
        return fail(std::move(s.error()));
    if (s->envelopes.empty())
        return fail(Errc::corrupt, "envelope blob holds no envelope");
    append_envelope(out, s->envelopes.front(), mode);
    return ok();
}

}  // namespace postern::proto::imap
