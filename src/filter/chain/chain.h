// FilterChain: runs filters in order — every server-level filter, then the filters of each
// recipient domain, then those of each recipient account, each level by priority — and
// combines their verdicts per recipient. Thread-safe for concurrent run(); configure it before.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "filter/chain/filter.h"

namespace postern::filter {

struct ChainRecipient {
    std::string address;  // the final (expanded) recipient
    std::string domain;   // its domain (lower-case)
    std::string account;  // the account key for account-level filters; "" for remote recipients
};

// The combined outcome for one recipient.
struct RecipientVerdict {
    Verdict::Action action = Verdict::Action::pass;
    std::string status;
    std::string text;
    std::string filter;  // which filter decided (reject/discard), for the log
    std::vector<std::pair<std::string, std::string>> add_headers;
    std::vector<std::string> remove_headers;
    std::optional<std::string> mailbox;
};

struct ChainResult {
    std::vector<RecipientVerdict> recipients;  // parallel to the input recipients
    std::vector<std::string> trace;            // "server/spamd: pass", for the log
    // Server-level envelope changes. A removed recipient is discarded in `recipients`; an
    // added one is in `added_recipients` (no duplicates, none of the input recipients) and
    // was seen by no filter after the one that added it.
    std::optional<std::string> sender;
    std::vector<std::string> added_recipients;
    std::optional<std::string> body;  // a server-level filter's new body (Verdict::body)
};

class FilterChain {
  public:
    // `scope`: "" for server level, the domain for domain level, the account key for account
    // level; "*" at domain or account level: every domain or account, run once for each.
    void add(Level level, std::string scope, int priority, std::shared_ptr<Filter> filter);
    bool empty() const { return entries_.empty(); }

    // Runs the chain. A filter error fails the whole run (Errc::unavailable naming the
    // filter): the caller keeps the message queued and retries later; nothing is skipped.
    // A reject or discard at a level stops later levels for the recipients it covers.
    Result<ChainResult> run(const MessageView& message,
                            const std::vector<ChainRecipient>& recipients) const;

  private:
    struct Entry {
        Level level;
        std::string scope;
        int priority;
        std::shared_ptr<Filter> filter;
    };
    std::vector<Entry> entries_;  // sorted by (level, priority)
};

}  // namespace postern::filter
