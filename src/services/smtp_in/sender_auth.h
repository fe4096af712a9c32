// SMTP-IN's sender authentication (docs/sender-authentication.md): SPF at MAIL FROM, DKIM
// verification as the message streams in, DMARC at the end of DATA, one Authentication-Results
// field (RFC 8601) on top of the message, and DKIM signing of authenticated submissions. The
// evaluators are pure (filter/spf, filter/dkim, filter/dmarc); this file asks the resolver the
// questions they name. The Session methods that use it are in sender_auth.cpp.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.h"
#include "filter/dkim/sign.h"
#include "filter/dkim/verify.h"
#include "filter/dmarc/psl.h"
#include "filter/sender_auth/auth_results.h"
#include "log/log.h"
#include "proto/smtp/reply.h"

namespace postern::services::smtp_in {

// Shared by every session of the service; thread-safe.
class SenderAuthShared {
  public:
    // Loads the Public Suffix List named by `config` (DMARC is off without it; logged).
    SenderAuthShared(const config::SenderAuthConfig& config, log::Logger logger);

    const filter::dmarc::PublicSuffixList* psl() const { return psl_.get(); }
    // The key that signs for `domain`: the newest <key_dir>/<domain>/*.pem, re-read at most
    // every 60 s; nullopt when the domain has none.
    std::optional<filter::dkim::SigningKey> signing_key(const std::filesystem::path& key_dir,
                                                        std::string_view domain);
    // Appends one line to the DMARC results log (creates its directory). Blocking: call on the
    // blocking pool.
    void append_result(const std::filesystem::path& file, const std::string& line);

  private:
    struct CachedKey {
        std::optional<filter::dkim::SigningKey> key;
        std::chrono::steady_clock::time_point loaded;
    };
    std::shared_ptr<const filter::dmarc::PublicSuffixList> psl_;
    log::Logger logger_;
    std::mutex mutex_;
    std::map<std::string, CachedKey, std::less<>> keys_;
};

// One session's sender-authentication state; the transaction part is reset with it.
struct SenderAuthState {
    // The HELO identity's SPF result, kept for the session (one HELO name at a time).
    std::optional<filter::sender_auth::SpfCheck> helo;
    std::string helo_name;

    // --- the transaction ---
    bool check = false;  // this transaction is checked (unauthenticated, not a relay network)
    bool sign = false;   // this transaction is signed (authenticated submission)
    filter::sender_auth::MessageAuth auth;
    bool header_done = false;
    std::string from_domain;  // RFC5322.From domain, "" when not exactly one address
    std::unique_ptr<filter::dkim::Verifier> verifier;
    std::unique_ptr<filter::dkim::Signer> signer;
    std::string header_block;  // for the signer: the header as it will be delivered
    std::optional<proto::smtp::Reply> refusal;  // DMARC reject (or a missing From to check)
    std::string prefix;  // fields for the message's header prefix (A-R, DKIM-Signature)

    void reset_transaction();
};

// The reply for an SPF result under `action` ("reject" 550 5.7.23, "tempfail" 451 4.7.24,
// RFC 7372 §3.2), nullopt to accept.
std::optional<proto::smtp::Reply> spf_reply(config::SpfAction action,
                                            const filter::sender_auth::SpfCheck& check);

// The action configured for `result`.
config::SpfAction spf_action(const config::SenderAuthConfig& config, filter::spf::Result result);

}  // namespace postern::services::smtp_in
