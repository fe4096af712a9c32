// The actions a Sieve run produced, with RFC 5228 §4 action interaction: implicit keep and
// its cancellation (fileinto, redirect, discard, reject), duplicate fileinto/redirect collapsed
// (§4.1, §4.2), keep + fileinto "INBOX" stored once, :copy (RFC 3894), reject/ereject
// conflicts (RFC 5429 §2.1), one vacation (RFC 5230 §4.1), flags (RFC 5232 §5).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace postern::sieve {

struct VacationAction {
    std::string reason;
    std::string subject;  // "" = "Auto: " + original subject
    std::string from;     // "" = the recipient
    std::vector<std::string> addresses;
    std::string handle;  // "" = derived from the arguments
    bool mime = false;   // reason is a MIME entity
    std::uint64_t seconds = 7 * 86400;
};

// notify (RFC 5435 §3): the arguments as the script gave them, checked.
struct NotifyAction {
    std::string method;      // the notification URI ("mailto:...")
    std::string from;        // :from, "" = the recipient
    std::string importance;  // "1" high, "2" normal, "3" low
    std::vector<std::string> options;
    std::string message;  // :message, "" = a default text
};

struct Action {
    enum class Kind : std::uint8_t {
        keep,
        fileinto,
        redirect,
        discard,
        reject,
        ereject,
        vacation,
        notify
    };
    Kind kind = Kind::keep;
    std::string mailbox;             // keep ("INBOX") and fileinto
    std::vector<std::string> flags;  // keep/fileinto: IMAP flags to set (RFC 5232)
    bool copy = false;               // :copy
    bool create = false;             // :create (RFC 5490 §3.2)
    std::string special_use;         // :specialuse (RFC 8579)
    std::string address;             // redirect
    std::string reason;              // reject/ereject
    VacationAction vacation;
    NotifyAction notify;
    bool implicit = false;  // the implicit keep
    // Carried out already by an earlier script of a sequence (the test suite's multiscript):
    // a later script's action does not conflict with it (a reject after a delivered fileinto
    // is allowed, a second reject is dropped) and it is not carried out again.
    bool executed = false;
    std::uint32_t line = 0;
    // The message as editheader had left it when the action ran (RFC 5293 §5); null when the
    // script had not changed it yet.
    std::shared_ptr<const std::string> message;

    // Dovecot-compatible name: "keep", "store", "redirect", "discard", "reject", "vacation".
    std::string_view name() const;
};

class ActionList {
  public:
    // Adds with the interaction rules. Returns "" or the error text (conflict / limit).
    std::string add(Action action, std::size_t max_actions, std::size_t max_redirects);
    // Ends the run: adds the implicit keep (with `flags`) when nothing cancelled it.
    void finish(const std::vector<std::string>& flags);
    // After a runtime error: only the implicit keep remains (RFC 5228 §2.10.6).
    void fail_to_implicit_keep(const std::vector<std::string>& flags);

    const std::vector<Action>& actions() const { return actions_; }
    bool implicit_keep() const { return implicit_keep_; }
    bool cancelled() const { return !implicit_keep_; }
    void clear() {
        actions_.clear();
        implicit_keep_ = true;
    }
    bool has(Action::Kind kind) const;
    // Marks every action carried out (see Action::executed).
    void mark_executed() {
        for (auto& a : actions_)
            a.executed = true;
    }
    // Replace: for the level merge (server, domain, account).
    std::vector<Action>& mutable_actions() { return actions_; }
    void set_implicit_keep(bool keep) { implicit_keep_ = keep; }

  private:
    std::vector<Action> actions_;
    bool implicit_keep_ = true;
};

bool mailbox_is_inbox(std::string_view mailbox);

// A name a store can hold: non-empty UTF-8 without control characters or empty hierarchy
// levels ("a//b", "/a", "a/").
bool valid_mailbox_name(std::string_view mailbox);

}  // namespace postern::sieve
