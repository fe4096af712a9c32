// The order of commands inside one mail transaction (RFC 5321 §3.3, §4.1.4): MAIL, then RCPT,
// then DATA or a run of BDAT chunks (RFC 3030 §2-§4), the recipient limit (§4.5.3.1.8), SMTPUTF8
// recipients (RFC 6531 §3.4) and LMTP's DATA rule (RFC 2033 §4.2). Pure bookkeeping: the
// session decides policy (relay, quotas) and tells Transaction what it accepted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "proto/smtp/command.h"
#include "proto/smtp/reply.h"

namespace postern::proto::smtp {

class Transaction {
  public:
    // `max_recipients`: RCPTs accepted per transaction before 452 4.5.3 (RFC 5321 §4.5.3.1.8
    // requires at least 100). 0 means no limit.
    Transaction(Dialect dialect, std::size_t max_recipients)
        : dialect_(dialect), max_recipients_(max_recipients) {}

    // Each check_* returns the reply refusing the command here, or nullopt; the matching
    // *_accepted() records what the session then accepted (replied 2xx to).
    std::optional<Reply> check_mail(const MailFrom& mail) const;
    void mail_accepted(const MailFrom& mail);

    std::optional<Reply> check_rcpt(const RcptTo& rcpt) const;
    void rcpt_accepted();

    // DATA: needs MAIL and an accepted RCPT; not after BDAT; not with BODY=BINARYMIME (RFC 3030
    // §3). In SMTP no recipients gives 554 5.5.1, in LMTP 503 5.5.1 (RFC 2033 §4.2).
    std::optional<Reply> check_data() const;

    // BDAT: needs MAIL and an accepted RCPT (the chunk is still read and discarded when
    // refused). chunk_accepted() after the session read a chunk it accepted.
    std::optional<Reply> check_bdat(const Bdat& bdat) const;
    void chunk_accepted(const Bdat& bdat);

    // RSET, a new EHLO/HELO/LHLO, STARTTLS, the final reply to DATA or BDAT LAST, or a failed
    // chunk: the transaction is gone (RFC 5321 §4.1.1.5, RFC 3030 §2).
    void reset();

    bool active() const { return phase_ != Phase::idle; }  // for SessionFacts::in_transaction
    bool chunking() const { return phase_ == Phase::chunking; }
    std::size_t recipients() const { return recipients_; }
    bool smtputf8() const { return smtputf8_; }
    Body body() const { return body_; }
    std::uint64_t chunks() const { return chunks_; }

  private:
    enum class Phase : std::uint8_t { idle, envelope, chunking };

    std::optional<Reply> need_recipients() const;

    Dialect dialect_;
    std::size_t max_recipients_;
    Phase phase_ = Phase::idle;
    std::size_t recipients_ = 0;
    std::uint64_t chunks_ = 0;
    bool smtputf8_ = false;
    Body body_ = Body::unspecified;
};

}  // namespace postern::proto::smtp
