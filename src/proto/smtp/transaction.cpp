// Mail transaction order: RFC 5321 §3.3 and §4.1.4, RFC 3030 §2-§4 (BDAT, BINARYMIME), RFC
// 2033 §4.2 (LMTP DATA), RFC 6531 §3.4 (SMTPUTF8 recipients), RFC 5321 §4.5.3.1.8 (recipients).
#include "proto/smtp/transaction.h"

#include "proto/smtp/replies.h"

namespace postern::proto::smtp {

std::optional<Reply> Transaction::check_mail(const MailFrom&) const {
    if (active())
        return replies::bad_sequence("Sender already specified");
    return std::nullopt;
}

void Transaction::mail_accepted(const MailFrom& mail) {
    reset();
    phase_ = Phase::envelope;
    smtputf8_ = mail.smtputf8;
    body_ = mail.body;
}

std::optional<Reply> Transaction::check_rcpt(const RcptTo& rcpt) const {
    if (!active())
        return replies::bad_sequence("Need MAIL command");
    if (phase_ == Phase::chunking)
        return replies::bad_sequence("RCPT not allowed after BDAT");
    if (max_recipients_ && recipients_ >= max_recipients_)
        return replies::too_many_recipients();
    if (rcpt.recipient.is_utf8() && !smtputf8_)
        return replies::non_ascii_address();
    return std::nullopt;
}

void Transaction::rcpt_accepted() {
    ++recipients_;
}

std::optional<Reply> Transaction::need_recipients() const {
    if (recipients_ > 0)
        return std::nullopt;
    if (dialect_ == Dialect::lmtp)
        return replies::bad_sequence("No valid recipients");
    return replies::no_valid_recipients();
}

std::optional<Reply> Transaction::check_data() const {
    if (!active())
        return replies::bad_sequence("Need MAIL command");
    if (phase_ == Phase::chunking)
        return replies::bad_sequence("DATA not allowed after BDAT");
    if (body_ == Body::binary_mime)
        return replies::bad_sequence("BODY=BINARYMIME requires BDAT");
    return need_recipients();
}

std::optional<Reply> Transaction::check_bdat(const Bdat&) const {
    if (!active())
        return replies::bad_sequence("Need MAIL command");
    return need_recipients();
}

// After BDAT LAST the session sends the final reply and calls reset(): the transaction ends
// with that reply, not with the last octet.
void Transaction::chunk_accepted(const Bdat&) {
    phase_ = Phase::chunking;
    ++chunks_;
}

void Transaction::reset() {
    phase_ = Phase::idle;
    recipients_ = 0;
    chunks_ = 0;
    smtputf8_ = false;
    body_ = Body::unspecified;
}

}  // namespace postern::proto::smtp
