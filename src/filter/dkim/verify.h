// DKIM verification (RFC 6376 §6, RFC 8463): the signatures of a message are parsed from its
// header block, their body hashes computed as the body streams in, and at the end each is
// checked against its key record read from an AnswerSource (net/dns/answer_set.h): ask for
// questions(), fill the answers, call results(). Pure apart from OpenSSL.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/dkim/canon.h"
#include "filter/dkim/signature.h"
#include "net/dns/answer_set.h"

namespace postern::filter::dkim {

// RFC 8601 §2.7.1 result values.
enum class Status { none, pass, fail, neutral, policy, temperror, permerror };
std::string_view status_name(Status s);

struct SignatureResult {
    Status status = Status::neutral;
    std::string domain;    // d=
    std::string selector;  // s=
    std::string identity;  // i=
    std::string algorithm;
    std::string header_b;  // first 8 characters of b= (RFC 6008 header.b)
    std::string reason;    // for logs and the A-R comment
    bool testing = false;  // key has t=y
};

struct VerifyOptions {
    std::size_t max_signatures = 5;   // further DKIM-Signature fields are not checked
    std::size_t min_rsa_bits = 1024;  // RFC 8301 §3.2
    bool allow_sha1 = true;           // rsa-sha1 verifies (RFC 8301 says it should not pass);
                                      // false reports it as permerror
    std::int64_t now = 0;             // seconds since the epoch for x=; 0 skips the expiry check
};

class Verifier {
  public:
    // `header_block`: the message's header fields (CRLF lines), with or without the empty line.
    Verifier(std::string_view header_block, const VerifyOptions& options = {});
    ~Verifier();

    bool has_signatures() const { return !entries_.empty(); }
    // Body bytes after the empty line, in any pieces.
    void feed_body(std::string_view bytes);
    void finish_body();

    // The key records (TXT) the signatures need.
    std::vector<net::dns::Question> questions() const;
    // One result per signature considered, in header order. A key the source does not know is
    // a temperror.
    std::vector<SignatureResult> results(const net::dns::AnswerSource& dns) const;

  private:
    struct Entry;
    std::vector<RawField> fields_;
    std::vector<std::unique_ptr<Entry>> entries_;
    VerifyOptions options_;
};

}  // namespace postern::filter::dkim
