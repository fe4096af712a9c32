// One IMAP session (RFC 9051 IMAP4rev2, RFC 3501 IMAP4rev1): frame commands with the codec's
// receiver, parse them, check them against the command table, execute them on the store and
// write the responses. Commands live one family per file under commands/; session.cpp has the
// loop, the I/O and the state.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "proto/imap/command.h"
#include "proto/imap/parser.h"
#include "proto/imap/receiver.h"
#include "proto/imap/responses.h"
#include "services/error_control.h"
#include "services/imap/access.h"
#include "services/imap/deflate_stream.h"
#include "services/imap/imap_service.h"
#include "services/imap/selected.h"
#include "services/tcp_service.h"
#include "store/api/store_error.h"
#include "store/api/types.h"

namespace postern::store {
class Account;
}

namespace postern::services::imap {

namespace wire = proto::imap;

// The authenticated user: the directory account and its store account.
struct User {
    std::int64_t id = 0;
    std::string address;
    std::shared_ptr<store::Account> account;
};

// Connection states (RFC 9051 §3). Logout is not a state here: the loop just ends.
struct NotAuthenticated {};
struct Authenticated {
    User user;
};
struct Selected {
    User user;
    std::unique_ptr<SelectedMailbox> mailbox;
};
using State = std::variant<NotAuthenticated, Authenticated, Selected>;

// NOTIFY settings and the notifier's mailbox of bus events (commands/notify.cpp).
struct NotifyState;

// The STATUS items asked for (RFC 9051 §6.3.11), for STATUS and LIST-STATUS.
wire::MailboxStatus status_data(const std::vector<wire::StatusItem>& items,
                                const store::MailboxStatus& status, const store::MailboxInfo& info,
                                std::uint64_t append_limit);

class Session {
  public:
    Session(net::Connection connection, SessionContext context, const Deps& deps);
    ~Session();
    boost::asio::awaitable<void> run();

    enum class Flow { next, close };

  private:
    // --- I/O (session.cpp) ----------------------------------------------------------------
    // One framed command, or a receive error, or nothing when the connection ended.
    struct Frame {
        std::optional<wire::FramedCommand> command;
        std::optional<wire::ReceiveError> error;
    };
    boost::asio::awaitable<std::optional<Frame>> next_frame();
    boost::asio::awaitable<bool> read_more();
    // Writes everything buffered in out_. Takes no arguments on purpose: GCC 12 mishandles
    // temporaries inside co_await expressions.
    boost::asio::awaitable<bool> flush();
    // Runs `job` on the blocking pool (store and directory calls block).
    boost::asio::awaitable<void> blocking(std::function<void()> job);

    // --- responses -----------------------------------------------------------------------
    void ok(const wire::Command& c, std::string_view text,
            std::optional<wire::ResponseCode> code = std::nullopt);
    void no(const wire::Command& c, std::string_view text,
            std::optional<wire::ResponseCode> code = std::nullopt);
    // BAD for a command the client got wrong: counts toward error control.
    Flow bad(std::string_view tag, std::string_view text,
             std::optional<wire::ResponseCode> code = std::nullopt);
    // NO [CANNOT] for a mailbox name that does not decode (modified UTF-7 or UTF-8).
    Flow invalid_name(const wire::Command& c);
    // The NO for a store failure, with the RFC 5530 code that fits it.
    void store_failed(const wire::Command& c, const store::StoreError& error);
    void log_out_buffer(std::size_t from);

    // --- state ---------------------------------------------------------------------------
    User* user();
    SelectedMailbox* selected();
    std::uint8_t state_bit() const;
    std::vector<std::string> capabilities() const;
    wire::ParserOptions parser_options() const;
    // Untagged updates of the selected mailbox (RFC 9051 §7.5.2: no EXPUNGE while answering
    // FETCH, STORE or SEARCH by sequence number, so those pass allow_expunge = false: flag
    // changes and EXISTS are sent, expunges are held back until a command that may send them).
    // `new_uids`, when given, receives the UIDs reported new (NOTIFY's MessageNew FETCH).
    boost::asio::awaitable<void> report_updates(bool allow_expunge,
                                                std::vector<store::Uid>* new_uids = nullptr);
    void leave_mailbox();
    // The selected mailbox's rights again after an ACL change (commands/acl.cpp): READ-ONLY /
    // READ-WRITE when that changed, and OK [CLOSED] plus the authenticated state when the "r"
    // right is gone (then true).
    boost::asio::awaitable<bool> recheck_rights();
    // FLAGS and PERMANENTFLAGS of the selected mailbox (RFC 9051 §7.3.5), sent at SELECT and
    // again whenever a keyword new to the mailbox appears, before any FETCH that shows it.
    // FLAGS and PERMANENTFLAGS with the view's keywords, plus `extra` (keywords a store read
    // returned before the view's table had them).
    void announce_flags(SelectedMailbox& box, const std::vector<std::string>& extra = {});
    // Announces FLAGS when the view has keywords FLAGS has not shown yet, or `metas` (rows
    // just read) carry one the view lacks.
    void announce_new_keywords(SelectedMailbox& box, const std::vector<store::MessageMeta>& metas);
    // A mailbox name from the client as the store's UTF-8 name ("INBOX" canonical).
    std::optional<std::string> mailbox_name(const wire::MailboxName& name) const;
    // Namespaces and rights of the user (access.h); only while authenticated.
    Access access();

    boost::asio::awaitable<Flow> execute(const wire::Command& command);

    // --- commands (commands/*.cpp) -------------------------------------------------------
    // Each writes its own tagged response; one that may carry untagged updates of the selected
    // mailbox awaits report_updates() just before it.
    // any_state.cpp
    Flow on_capability(const wire::Command& c);
    boost::asio::awaitable<Flow> on_noop(const wire::Command& c);
    Flow on_logout(const wire::Command& c);
    Flow on_id(const wire::Command& c, const wire::Id& id);
    Flow on_enable(const wire::Command& c, const wire::Enable& enable);
    // auth.cpp
    boost::asio::awaitable<Flow> on_starttls(const wire::Command& c);
    boost::asio::awaitable<Flow> on_login(const wire::Command& c, const wire::Login& login);
    boost::asio::awaitable<Flow> on_authenticate(const wire::Command& c,
                                                 const wire::Authenticate& a);
    boost::asio::awaitable<Flow> on_unauthenticate(const wire::Command& c);
    boost::asio::awaitable<bool> become_user(std::int64_t id, std::string address);
    // mailboxes.cpp
    boost::asio::awaitable<Flow> on_create(const wire::Command& c, const wire::Create& a);
    boost::asio::awaitable<Flow> on_delete(const wire::Command& c, const wire::Delete& a);
    boost::asio::awaitable<Flow> on_rename(const wire::Command& c, const wire::Rename& a);
    boost::asio::awaitable<Flow> on_subscribe(const wire::Command& c, const wire::MailboxName& m,
                                              bool subscribe);
    boost::asio::awaitable<Flow> on_status(const wire::Command& c, const wire::Status& a);
    Flow on_namespace(const wire::Command& c);
    // list.cpp
    boost::asio::awaitable<Flow> on_list(const wire::Command& c, const wire::List& a);
    boost::asio::awaitable<Flow> on_lsub(const wire::Command& c, const wire::Lsub& a);
    // select.cpp
    boost::asio::awaitable<Flow> on_select(const wire::Command& c, const wire::Select& a);
    boost::asio::awaitable<Flow> on_close(const wire::Command& c, bool expunge);
    boost::asio::awaitable<Flow> on_expunge(const wire::Command& c, const wire::Expunge& a);
    // append.cpp
    boost::asio::awaitable<Flow> on_append(const wire::Command& c, const wire::Append& a);
    // replace.cpp
    boost::asio::awaitable<Flow> on_replace(const wire::Command& c, const wire::Replace& a);
    // idle.cpp
    struct IdleState;
    boost::asio::awaitable<Flow> on_idle(const wire::Command& c);
    boost::asio::awaitable<void> idle_notifier(std::shared_ptr<IdleState> state);
    // notify.cpp (RFC 5465). The session's coroutine opens the window while it waits for a
    // command and closes it (waiting for a write in progress) before it goes on; stop_notify
    // ends NOTIFY (NOTIFY NONE, a new NOTIFY SET, logout); notify_watch_selected makes sure
    // the bus delivers the selected mailbox's events (after SELECT).
    boost::asio::awaitable<Flow> on_notify(const wire::Command& c, const wire::Notify& a);
    void notify_open_window();
    boost::asio::awaitable<void> notify_close_window();
    boost::asio::awaitable<void> stop_notify();
    void notify_watch_selected();
    void notify_idle(bool on);
    bool notify_active() const;  // NOTIFY SET in effect and not overflowed
    boost::asio::awaitable<void> notify_loop(std::shared_ptr<NotifyState> st);
    boost::asio::awaitable<void> notify_send(NotifyState& st);
    boost::asio::awaitable<void> notify_fetch_new(NotifyState& st,
                                                  const std::vector<store::Uid>& uids);
    // fetch.cpp
    boost::asio::awaitable<Flow> on_fetch(const wire::Command& c, const wire::Fetch& a);
    // store.cpp
    boost::asio::awaitable<Flow> on_store(const wire::Command& c, const wire::Store& a);
    // copy_move.cpp
    boost::asio::awaitable<Flow> on_copy(const wire::Command& c, const wire::SequenceSet& set,
                                         const wire::MailboxName& to, bool move);
    // search.cpp
    boost::asio::awaitable<Flow> on_search(const wire::Command& c, const wire::Search& a);
    boost::asio::awaitable<Flow> on_sort(const wire::Command& c, const wire::Sort& a);
    boost::asio::awaitable<Flow> on_thread(const wire::Command& c, const wire::Thread& a);
    // metadata.cpp
    boost::asio::awaitable<Flow> on_getmetadata(const wire::Command& c, const wire::GetMetadata& a);
    boost::asio::awaitable<Flow> on_setmetadata(const wire::Command& c, const wire::SetMetadata& a);
    // compress.cpp
    Flow on_compress(const wire::Command& c, const wire::Compress& a);
    void start_compression();
    // acl.cpp
    boost::asio::awaitable<Flow> on_setacl(const wire::Command& c, const wire::SetAcl& a);
    boost::asio::awaitable<Flow> on_deleteacl(const wire::Command& c, const wire::DeleteAcl& a);
    boost::asio::awaitable<Flow> on_getacl(const wire::Command& c, const wire::GetAcl& a);
    boost::asio::awaitable<Flow> on_listrights(const wire::Command& c, const wire::ListRights& a);
    boost::asio::awaitable<Flow> on_myrights(const wire::Command& c, const wire::MyRights& a);
    // quota.cpp
    boost::asio::awaitable<Flow> on_getquota(const wire::Command& c, const wire::GetQuota& a);
    boost::asio::awaitable<Flow> on_getquotaroot(const wire::Command& c,
                                                 const wire::GetQuotaRoot& a);

    net::Connection conn_;
    SessionContext ctx_;
    Deps deps_;
    const config::ImapConfig& cfg_;
    wire::Receiver receiver_;
    std::string in_;  // bytes read and not yet fed to the receiver
    std::size_t in_pos_ = 0;
    std::string out_;  // responses not yet written
    wire::SessionMode mode_;
    ErrorControl errors_;
    State state_;
    bool condstore_ = false;  // CONDSTORE enabled (RFC 7162 §3.1: ENABLE or a CONDSTORE use)
    bool qresync_ = false;    // ENABLE QRESYNC (RFC 7162 §3.2.3)
    // COMPRESS=DEFLATE active: everything read and written passes through it (RFC 4978).
    std::unique_ptr<DeflateStream> deflate_;
    bool compress_next_ = false;           // COMPRESS answered OK: switch once that reply is out
    std::shared_ptr<NotifyState> notify_;  // NOTIFY SET in effect (RFC 5465)
};

}  // namespace postern::services::imap
