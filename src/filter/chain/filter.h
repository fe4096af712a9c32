// The interface every message filter implements (Sieve, anti-spam/anti-virus scanners,
// milters, socket filters) so that PROCESSING can run them as one chain: server, then domain,
// then account (ARCHITECTURE.md §4).
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"

namespace postern::filter {

enum class Level { server, domain, account };
std::string_view level_name(Level level);

// What a filter sees of one message. Views are valid for the call only.
struct MessageView {
    std::string_view queue_id;
    std::string_view sender;                  // "" for the null sender
    std::span<const std::string> recipients;  // the recipients this run is about
    std::string_view raw;                     // the whole message as it would be delivered
    std::string_view client_ip;
    std::string_view helo;
    std::string_view auth_user;
};

struct Verdict {
    enum class Action {
        pass,     // no objection
        reject,   // refuse: the recipients fail with `status`/`text` (an NDR goes to the sender)
        discard,  // drop silently (logged)
    };
    Action action = Action::pass;
    std::string status = "5.7.1";  // RFC 3463 code for reject
    std::string text;              // reason for reject/discard: NDR and log
    std::vector<std::pair<std::string, std::string>> add_headers;  // (name, value)
    std::vector<std::string> remove_headers;                       // names
    std::optional<std::string> mailbox;  // account level: deliver into this folder instead of INBOX
    // Envelope changes (a milter's CHGFROM, ADDRCPT, DELRCPT). Only server-level filters, which
    // see every recipient, may make them: the chain ignores them from other levels (logged).
    std::optional<std::string> sender;           // the new envelope sender; "" = null sender
    std::vector<std::string> add_recipients;     // addresses without angle brackets
    std::vector<std::string> remove_recipients;  // among MessageView::recipients
    // A new body (what follows the header's empty line; a milter's REPLBODY). Server level
    // only, like the envelope: it would change the message of every recipient.
    std::optional<std::string> body;

    static Verdict pass() { return {}; }
};

class Filter {
  public:
    virtual ~Filter() = default;
    virtual std::string_view name() const = 0;
    // Blocking: runs on PROCESSING's pool. An error (scanner down, timeout, script failure)
    // never lets the message through unfiltered: the chain fails and the message stays
    // queued to be retried (the failsafe rule).
    virtual Result<Verdict> run(const MessageView& message) = 0;
};

}  // namespace postern::filter
