// One POP3 session (RFC 1939): AUTHORIZATION (USER/PASS, APOP, AUTH with SASL per RFC 5034,
// STLS per RFC 2595), then TRANSACTION on a snapshot of one mailbox, then UPDATE at QUIT.
// Pipelined commands (RFC 2449 §6.6) are answered in one write once no further command is
// waiting. \Seen for retrieved messages is stored in batches: at QUIT (for the messages that
// stay), when the session ends otherwise (all), and every 64 retrieved messages.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/auth_result.h"
#include "net/line_reader.h"
#include "proto/pop3/command.h"
#include "services/error_control.h"
#include "services/pop3/maildrops.h"
#include "services/pop3/pop3_service.h"
#include "services/tcp_service.h"
#include "store/api/types.h"

namespace postern::store {
class Account;
class Mailbox;
struct StoreError;
}  // namespace postern::store

namespace postern::auth {
struct AuthResult;
}

namespace postern::services::pop3 {

namespace wire = proto::pop3;

// One message of the maildrop as the session saw it when it opened (RFC 1939 §5: message
// numbers stay fixed for the session).
struct DropEntry {
    store::Uid uid = 0;
    std::uint64_t size = 0;
    std::string uidl;        // the store's stable message id (guid): never changes
    bool deleted = false;    // DELE'd in this session (a zombie until QUIT)
    bool retrieved = false;  // RETR'd in this session
    bool seen = false;       // \Seen is stored (was, or this session stored it)
};

// Splits "user+Folder@domain", "user@domain+Folder" or "user+Folder" at the first
// `separator` into the login and the folder ("" = INBOX). Pure; for tests.
struct FolderLogin {
    std::string login;
    std::string folder;
};
FolderLogin split_folder_login(std::string_view login, std::string_view separator);

class Session {
  public:
    Session(net::Connection connection, SessionContext context, const Deps& deps,
            std::shared_ptr<Maildrops> maildrops);
    ~Session();
    boost::asio::awaitable<void> run();

    enum class Flow { next, close };

  private:
    // --- I/O -------------------------------------------------------------------------------
    // The next line; nullopt when the connection ended (the reason is logged, and a goodbye
    // queued for timeouts and shutdown). `too_long` is set for an overlong line.
    struct Line {
        std::string text;
        bool too_long = false;
    };
    boost::asio::awaitable<std::optional<Line>> next_line();
    boost::asio::awaitable<bool> flush();
    boost::asio::awaitable<void> blocking(std::function<void()> job);

    // --- replies ---------------------------------------------------------------------------
    void ok(std::string_view text, std::string_view code = {});
    void err(std::string_view text, std::string_view code = {});
    // -ERR for a command the client got wrong: counts toward error control.
    Flow bad(std::string_view text);
    std::vector<std::string> capabilities() const;
    bool user_pass_allowed() const;

    // --- commands --------------------------------------------------------------------------
    boost::asio::awaitable<Flow> execute(const wire::Command& c);
    Flow on_capa();
    boost::asio::awaitable<Flow> on_stls();
    Flow on_user(const wire::Command& c);
    boost::asio::awaitable<Flow> on_pass(const wire::Command& c);
    boost::asio::awaitable<Flow> on_apop(const wire::Command& c);
    boost::asio::awaitable<Flow> on_auth(const wire::Command& c);
    // Sends a SASL challenge and reads the answer line; nullopt when the connection ended.
    boost::asio::awaitable<std::optional<Line>> sasl_answer(const std::string& data);
    auth::ClientContext client_context() const;
    // After a password, APOP or SASL check: refuses, delays, or opens `folder` ("" = INBOX).
    boost::asio::awaitable<Flow> finish_login(const auth::AuthResult& result,
                                              const std::string& folder);
    // Answers a failed check (and counts it for error control).
    Flow refuse_login(const auth::AuthResult& result);
    // LOGIN-DELAY: false (after answering) when the account logged in too recently.
    bool login_delay_passed(const auth::AuthResult& result);
    boost::asio::awaitable<bool> open_maildrop(std::int64_t account_id, const std::string& address,
                                               const std::string& folder);
    boost::asio::awaitable<Flow> on_quit();
    Flow on_stat();
    Flow on_list(const wire::Command& c, bool uidl);
    boost::asio::awaitable<Flow> on_retr(const wire::Command& c, bool top);
    Flow on_dele(const wire::Command& c);
    Flow on_rset();
    // The entry a message number names, or nullptr after answering -ERR (allow_deleted: the
    // entry even when DELE'd).
    DropEntry* entry(const std::optional<wire::MessageNumber>& n);

    // Stores \Seen for messages retrieved since the last call (only those still undeleted
    // unless `all`); errors are logged, not reported: the message was delivered.
    boost::asio::awaitable<void> store_seen(bool all);
    // UPDATE state (RFC 1939 §6): removes the DELE'd messages. False when some could not be.
    boost::asio::awaitable<bool> commit_deletes();
    void store_failed(std::string_view what, const store::StoreError& e);

    net::Connection conn_;
    SessionContext ctx_;
    Deps deps_;
    const config::Pop3Config& cfg_;
    std::shared_ptr<Maildrops> maildrops_;
    net::LineReader reader_;
    std::string out_;
    ErrorControl errors_;
    std::string apop_timestamp_;       // "<...>" of the greeting; empty when APOP is off
    std::optional<std::string> user_;  // USER given, PASS expected next

    // TRANSACTION state: set once logged in.
    bool transaction_ = false;
    std::string address_;
    std::shared_ptr<store::Account> account_;
    std::shared_ptr<store::Mailbox> mailbox_;
    Maildrops::Lock lock_;
    std::vector<DropEntry> drop_;
    std::vector<std::size_t> unseen_retrieved_;  // indexes into drop_ awaiting store_seen
    std::size_t seen_threshold_ = 64;            // store_seen when unseen_retrieved_ reaches it
    // Bodies RETR read ahead, in maildrop order; a RETR of anything else drops them.
    std::deque<std::pair<store::Uid, std::string>> prefetched_;
};

}  // namespace postern::services::pop3
