// Identity confirmation (challenge/response, docs/smtp-protection.md "Identity confirmation"):
// for accounts that turn it on, mail from a sender the account has not confirmed waits in the
// "Unconfirmed" folder and the sender gets one challenge; a reply that carries the challenge's
// token confirms the sender (added to the account's whitelist) and releases the held mail to
// INBOX. Never challenged: the null sender, mailing lists and bulk mail (RFC 2369/2919 List-*
// fields, Precedence bulk/list/junk), automatic mail (RFC 3834 Auto-Submitted), and senders our
// own Authentication-Results field (RFC 8601) says failed SPF or DMARC.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

struct sqlite3;

namespace postern::filter::confirm {

inline constexpr std::string_view kFolder = "Unconfirmed";
inline constexpr std::string_view kHeader = "X-Postern-Confirmation";  // marks held mail
inline constexpr std::size_t kTokenLength = 24;                        // letters and digits
inline constexpr std::int64_t kResendSeconds = 7 * 24 * 3600;  // one challenge per sender and week

// Why a sender gets no challenge; `none`: it gets one.
enum class Skip : std::uint8_t {
    none,
    null_sender,
    mailing_list,
    bulk,
    auto_submitted,
    auth_failed
};
std::string_view skip_name(Skip skip);  // "none", "null sender", "mailing list", ...

// Looks at the header section of `raw` (at most its first 64 KiB). `authserv_id` names our own
// Authentication-Results fields: only those are believed.
Skip challenge_skip(std::string_view sender, std::string_view raw, std::string_view authserv_id);

// The token of "[confirm:TOKEN]" in the Subject field of `raw`, if any.
std::optional<std::string> token_in_subject(std::string_view raw);

// The challenge: from the null sender (no bounce loops), Reply-To the account, the token in the
// Subject so that a plain reply carries it back. CRLF line ends.
std::string build_challenge(std::string_view account, std::string_view sender,
                            std::string_view token, std::string_view original_subject,
                            std::string_view hostname, std::int64_t now);

// Pending challenges: one row per (account, sender) with its token. Thread-safe; blocking.
class ConfirmStore {
  public:
    static Result<std::unique_ptr<ConfirmStore>> open(const std::filesystem::path& file);
    ~ConfirmStore();
    ConfirmStore(const ConfirmStore&) = delete;
    ConfirmStore& operator=(const ConfirmStore&) = delete;

    struct Hold {
        std::string token;
        bool send_challenge = false;  // first message, or the last challenge is a week old
    };
    // Records held mail from `sender` to `account` (both lower-cased); `may_challenge` false
    // (a skipped sender) never asks for a challenge.
    Result<Hold> hold(std::string_view account, std::string_view sender, bool may_challenge,
                      std::int64_t now);
    // The sender whose pending challenge for `account` has `token`; the row is removed.
    Result<std::optional<std::string>> confirm(std::string_view account, std::string_view token);

  private:
    explicit ConfirmStore(sqlite3* db) : db_(db) {}
    std::mutex mutex_;
    sqlite3* db_;
};

}  // namespace postern::filter::confirm
