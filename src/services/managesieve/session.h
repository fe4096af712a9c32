// One ManageSieve session (RFC 5804): capabilities, STARTTLS (§2.2), AUTHENTICATE with the
// authenticator's SASL mechanisms (§2.1), then script management on the account's ScriptStore
// (§2.3-§2.12). Scripts are compiled with Postern's Sieve validator before they are stored;
// an invalid one is refused with its line:column errors and never stored.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "auth/auth_result.h"
#include "proto/managesieve/command.h"
#include "services/error_control.h"
#include "services/managesieve/managesieve_service.h"
#include "services/tcp_service.h"

namespace postern::services::managesieve {

namespace wire = proto::managesieve;

class Session {
  public:
    Session(net::Connection connection, SessionContext context, const Deps& deps);
    ~Session();
    boost::asio::awaitable<void> run();

    enum class Flow { next, close };

  private:
    // The next framed command (or receive error); nullopt when the connection ended.
    struct Frame {
        std::optional<wire::FramedCommand> command;
        std::optional<wire::ReceiveError> error;
    };
    boost::asio::awaitable<std::optional<Frame>> next_frame();
    boost::asio::awaitable<bool> flush();
    boost::asio::awaitable<void> blocking(std::function<void()> job);

    void ok(std::string_view text = {}, std::string_view code = {});
    void no(std::string_view text, std::string_view code = {});
    void bye(std::string_view text, std::string_view code = {});
    // NO for a command the client got wrong: counts toward error control.
    Flow bad(std::string_view text);
    void capabilities();

    boost::asio::awaitable<Flow> execute(const wire::Command& c);
    boost::asio::awaitable<Flow> on_starttls();
    boost::asio::awaitable<Flow> on_authenticate(const wire::Command& c);
    Flow finish_login(const auth::AuthResult& result, const std::optional<std::string>& final);
    boost::asio::awaitable<Flow> on_havespace(const wire::Command& c);
    boost::asio::awaitable<Flow> on_putscript(const wire::Command& c, bool store);
    boost::asio::awaitable<Flow> on_listscripts();
    boost::asio::awaitable<Flow> on_setactive(const wire::Command& c);
    boost::asio::awaitable<Flow> on_getscript(const wire::Command& c);
    boost::asio::awaitable<Flow> on_deletescript(const wire::Command& c);
    boost::asio::awaitable<Flow> on_renamescript(const wire::Command& c);
    auth::ClientContext client_context() const;
    // False (after answering NO) when `name` is not a valid script name.
    bool check_name(std::string_view name);
    // Answers a store failure (io errors are logged, the client gets TRYLATER).
    void store_failed(std::string_view what, const Error& e);

    net::Connection conn_;
    SessionContext ctx_;
    Deps deps_;
    const config::ManageSieveConfig& cfg_;
    wire::Receiver receiver_;
    std::string in_;
    std::size_t in_pos_ = 0;
    std::string out_;
    ErrorControl errors_;

    // Set once authenticated.
    std::optional<std::int64_t> account_;
    std::string address_;
    std::filesystem::path account_dir_;
};

}  // namespace postern::services::managesieve
