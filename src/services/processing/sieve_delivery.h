// Sieve at local delivery (docs/sieve.md): for one local recipient, runs the server script,
// the recipient domain's script, the account's active script and the account's generated
// out-of-office script in that order, merges their
// results ("later levels win", reference manual "Filtering priorities"), and decides the
// folders and flags to store into, a reject or discard, and the mail to send (redirects,
// vacation replies with per-sender tracking). No store or queue calls here: the caller does
// them. Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "filter/sieve/compile.h"
#include "filter/sieve/outgoing.h"
#include "log/log.h"

namespace postern::services::processing {

struct SieveStore {
    std::string mailbox;
    std::vector<std::string> flags;  // IMAP flags as Sieve wrote them ("\\Seen", "$Work")
    bool create = false;
    std::string special_use;  // fileinto :specialuse (RFC 8579): given to the folder :create makes
    // The message to store here (editheader changes made before the action); null = as received.
    std::shared_ptr<const std::string> message;
};

struct SieveOutcome {
    enum class Kind { deliver, reject, discard } kind = Kind::deliver;
    std::vector<SieveStore> stores;  // deliver: at least one
    std::string reject_reason;
    std::vector<sieve::OutgoingMessage> outgoing;  // redirects and vacation replies
    std::string message;   // the message after every level (editheader changes)
    bool changed = false;  // message differs from the input
    bool ran = false;      // some level had a script
};

// Where scripts live and the per-run limits. Scripts are found by convention under
// <server.data_dir>/sieve (docs/sieve.md); a missing script means that level does nothing.
struct SieveSettings {
    std::filesystem::path root;  // <data_dir>/sieve
    std::filesystem::path server_script() const { return root / "server.sieve"; }
    std::filesystem::path domain_script(std::string_view domain) const {
        return root / "domains" / (std::string(domain) + ".sieve");
    }
    std::filesystem::path account_dir(std::int64_t account) const {
        return root / "accounts" / std::to_string(account);
    }
    std::filesystem::path global_dir() const { return root / "global"; }
    std::uint64_t max_script_size = 512 * 1024;
    unsigned max_actions = 32;
    unsigned max_redirects = 4;
    std::uint64_t max_instructions = 1'000'000;  // CPU budget per script run

    static SieveSettings from(const config::Config& config) {
        SieveSettings s;
        s.root = config.server.data_dir / "sieve";
        return s;
    }
};

struct SieveRecipient {
    std::string address;
    std::string domain;
    std::int64_t account = 0;
};

class SieveDelivery {
  public:
    using MailboxExists = std::function<bool(std::string_view)>;
    // The recipient's folders that carry a special-use attribute ("\\Junk", RFC 6154).
    using SpecialUseFolders = std::function<std::vector<std::string>(std::string_view use)>;

    // `log` gets one line per level run and per decision.
    SieveOutcome run(const config::Config& config, std::string_view raw, std::string_view sender,
                     const SieveRecipient& recipient, const MailboxExists& mailbox_exists,
                     const log::Logger& log,
                     const SpecialUseFolders& special_use_folders = SpecialUseFolders());

  private:
    sieve::ProgramCache cache_{512};
    std::mutex tracking_mutex_;
};

// Reply/duplicate tracking file: lines "<expiry unix> <sha256 hex of key>". Exposed for tests.
bool tracking_seen(const std::filesystem::path& file, std::string_view key, std::int64_t now);
void tracking_add(const std::filesystem::path& file, std::string_view key, std::int64_t expiry,
                  std::int64_t now);

}  // namespace postern::services::processing
