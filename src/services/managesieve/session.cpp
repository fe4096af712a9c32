// ManageSieve session loop and commands (RFC 5804 §1.7 capabilities, §2.1 AUTHENTICATE,
// §2.2 STARTTLS, §2.3 LOGOUT, §2.5 HAVESPACE, §2.6 PUTSCRIPT, §2.7 LISTSCRIPTS, §2.8
// SETACTIVE, §2.9 GETSCRIPT, §2.10 DELETESCRIPT, §2.11 RENAMESCRIPT, §2.12 CHECKSCRIPT,
// §2.13 NOOP, §2.14 UNAUTHENTICATE). Failed logins say the same whatever the reason; they
// count toward error control and the authenticator's bans.
#include "services/managesieve/session.h"

#include "auth/authenticator.h"
#include "auth/login_name.h"
#include "auth/sasl/wire.h"
#include "base/strings.h"
#include "base/utf8.h"
#include "filter/sieve/compile.h"
#include "filter/sieve/script_store.h"
#include "proto/managesieve/responses.h"
#include "services/auth_bridge.h"
#include "services/processing/sieve_delivery.h"
#include "services/runtime.h"

namespace postern::services::managesieve {

namespace asio = boost::asio;
using wire::CommandName;

namespace {

wire::ReceiverLimits receiver_limits(const config::ManageSieveConfig& cfg) {
    wire::ReceiverLimits l;
    l.max_line = cfg.max_line_length;
    // A script literal may be as big as a script; a bigger one is refused (and skipped).
    l.max_literal = cfg.max_script_size;
    return l;
}

std::string compile_errors(const sieve::CompileResult& r) {
    std::string out;
    for (const auto& e : r.errors) {
        if (!out.empty())
            out += "\r\n";
        out += "line " + e.to_string();
    }
    return out;
}

}  // namespace

Session::Session(net::Connection connection, SessionContext context, const Deps& deps)
    : conn_(std::move(connection)),
      ctx_(std::move(context)),
      deps_(deps),
      cfg_(static_cast<const config::ManageSieveConfig&>(*ctx_.service)),
      receiver_(receiver_limits(cfg_)),
      errors_(ctx_, conn_.client.ip) {}

Session::~Session() = default;

// --- replies -------------------------------------------------------------------------------

void Session::ok(std::string_view text, std::string_view code) {
    auto before = out_.size();
    wire::append_ok(out_, text, code);
    if (ctx_.logger.enabled(log::kProtocol))
        ctx_.logger.proto(">> {}", std::string_view(out_).substr(before, out_.size() - before - 2));
}

void Session::no(std::string_view text, std::string_view code) {
    auto before = out_.size();
    wire::append_no(out_, text, code);
    if (ctx_.logger.enabled(log::kProtocol))
        ctx_.logger.proto(">> {}", std::string_view(out_).substr(before, out_.size() - before - 2));
}

void Session::bye(std::string_view text, std::string_view code) {
    auto before = out_.size();
    wire::append_bye(out_, text, code);
    if (ctx_.logger.enabled(log::kProtocol))
        ctx_.logger.proto(">> {}", std::string_view(out_).substr(before, out_.size() - before - 2));
}

Session::Flow Session::bad(std::string_view text) {
    no(text);
    if (errors_.bad_command()) {
        ctx_.logger.info("too many bad commands ({}), closing", errors_.bad_commands());
        bye("Too many bad commands");
        return Flow::close;
    }
    return Flow::next;
}

void Session::store_failed(std::string_view what, const Error& e) {
    ctx_.logger.error("{} for {}: {}", what, address_, e.to_string());
    no("Script storage is unavailable, try again later", wire::code::trylater);
}

void Session::capabilities() {
    const bool tls = conn_.stream->tls_active();
    wire::append_capability(out_, "IMPLEMENTATION", cfg_.implementation);
    std::string mechanisms;
    if (deps_.authenticator && !account_)
        mechanisms = join(deps_.authenticator->mechanisms_for(tls, cfg_.allow_plaintext_auth), " ");
    wire::append_capability(out_, "SASL", mechanisms);
    std::vector<std::string> extensions(sieve::Registry::standard().extensions().begin(),
                                        sieve::Registry::standard().extensions().end());
    wire::append_capability(out_, "SIEVE", join(extensions, " "));
    // RFC 5804 §1.7: the enotify methods.
    if (sieve::Registry::standard().has_extension("enotify"))
        wire::append_capability(out_, "NOTIFY", "mailto");
    if (!account_ && !tls && conn_.tls && conn_.listener->tls == config::TlsMode::starttls)
        wire::append_capability_flag(out_, "STARTTLS");
    auto settings = processing::SieveSettings::from(*ctx_.config);
    wire::append_capability(out_, "MAXREDIRECTS", std::to_string(settings.max_redirects));
    if (account_)
        wire::append_capability(out_, "OWNER", address_);
    wire::append_capability(out_, "VERSION", "1.0");
    wire::append_capability_flag(out_, "UNAUTHENTICATE");
}

// --- I/O -----------------------------------------------------------------------------------

asio::awaitable<bool> Session::flush() {
    if (out_.empty())
        co_return true;
    auto st = co_await conn_.stream->write(out_);
    out_.clear();
    if (out_.capacity() > (1u << 20))
        std::string().swap(out_);  // a big GETSCRIPT must not stay with the session
    co_return st.has_value();
}

asio::awaitable<void> Session::blocking(std::function<void()> job) {
    co_await run_blocking(*ctx_.blocking, std::move(job));
}

asio::awaitable<std::optional<Session::Frame>> Session::next_frame() {
    for (;;) {
        if (in_pos_ < in_.size()) {
            auto p = receiver_.feed(std::string_view(in_).substr(in_pos_));
            in_pos_ += p.consumed;
            if (p.event == wire::Receiver::Event::command) {
                Frame f;
                f.command = receiver_.take_command();
                co_return f;
            }
            if (p.event == wire::Receiver::Event::error) {
                Frame f;
                f.error = receiver_.take_error();
                co_return f;
            }
        }
        in_.clear();
        in_pos_ = 0;
        if (!co_await flush())
            co_return std::nullopt;
        in_.resize(16 * 1024);
        conn_.stream->set_interruptible(true);
        auto n = co_await conn_.stream->read_some(std::span<char>(in_.data(), in_.size()));
        conn_.stream->set_interruptible(false);
        if (!n || *n == 0) {
            in_.clear();
            if (!n && n.error().code == Errc::timeout) {
                ctx_.logger.info(
                    "autologout after {} s idle",
                    std::chrono::duration_cast<std::chrono::seconds>(cfg_.idle_timeout).count());
                bye("Disconnected for inactivity");
            } else if (!n && n.error().code == Errc::cancelled) {
                bye("Server shutting down", wire::code::trylater);
            } else {
                ctx_.logger.info("connection ended{}", n ? "" : ": " + n.error().message);
            }
            co_return std::nullopt;
        }
        in_.resize(*n);
    }
}

// --- the loop ------------------------------------------------------------------------------

asio::awaitable<void> Session::run() {
    capabilities();
    ok("Postern ManageSieve ready");
    while (true) {
        if (conn_.stopping && conn_.stopping->load()) {
            bye("Server shutting down", wire::code::trylater);
            break;
        }
        auto frame = co_await next_frame();
        if (!frame)
            break;
        if (frame->error) {
            auto& e = *frame->error;
            ctx_.logger.info("command refused: {}", e.reason);
            if (e.close) {
                bye(e.reason);
                break;
            }
            // A script literal over the size limit: the quota answer (RFC 5804 §2.6).
            if (e.kind == wire::ReceiveErrorKind::literal_too_large) {
                no("Script too large: the limit is " + std::to_string(cfg_.max_script_size) +
                       " octets",
                   wire::code::quota_maxsize);
                continue;
            }
            if (bad(e.reason) == Flow::close)
                break;
            continue;
        }
        auto parsed = wire::parse_command(*frame->command);
        if (ctx_.logger.enabled(log::kProtocol)) {
            // Never log credentials or whole scripts.
            if (parsed && parsed->name == CommandName::authenticate)
                ctx_.logger.proto("<< AUTHENTICATE {} ***",
                                  auth::loggable(parsed->strings[0].substr(0, 32)));
            else if (parsed && (parsed->name == CommandName::putscript ||
                                parsed->name == CommandName::checkscript))
                ctx_.logger.proto("<< {} ({} octets of script)",
                                  wire::command_keyword(parsed->name),
                                  parsed->strings.back().size());
            else
                ctx_.logger.proto(
                    "<< {}", auth::loggable(std::string_view(frame->command->text).substr(0, 128)));
        }
        if (!parsed) {
            if (bad(parsed.error().reason) == Flow::close)
                break;
            continue;
        }
        const auto bit = account_ ? wire::state::authenticated : wire::state::unauthenticated;
        if (!(wire::allowed_states(parsed->name) & bit)) {
            if (bad(account_ ? "Already authenticated" : "Authenticate first") == Flow::close)
                break;
            continue;
        }
        if (co_await execute(*parsed) == Flow::close)
            break;
    }
    co_await flush();
    conn_.stream->close();
}

asio::awaitable<Session::Flow> Session::execute(const wire::Command& c) {
    switch (c.name) {
        case CommandName::capability:
            capabilities();
            ok("Capability completed");
            co_return Flow::next;
        case CommandName::logout:
            ok("Logout completed");
            co_return Flow::close;
        case CommandName::noop:
            if (c.strings.empty())
                ok("Done");
            else
                ok("Done", wire::code_with_string("TAG", c.strings[0]));
            co_return Flow::next;
        case CommandName::starttls: {
            auto flow = co_await on_starttls();
            co_return flow;
        }
        case CommandName::authenticate: {
            auto flow = co_await on_authenticate(c);
            co_return flow;
        }
        case CommandName::unauthenticate:
            ctx_.logger.info("{} unauthenticated", address_);
            account_.reset();
            address_.clear();
            account_dir_.clear();
            ok("Unauthenticated");
            co_return Flow::next;
        case CommandName::havespace: {
            auto flow = co_await on_havespace(c);
            co_return flow;
        }
        case CommandName::putscript: {
            auto flow = co_await on_putscript(c, true);
            co_return flow;
        }
        case CommandName::checkscript: {
            auto flow = co_await on_putscript(c, false);
            co_return flow;
        }
        case CommandName::listscripts: {
            auto flow = co_await on_listscripts();
            co_return flow;
        }
        case CommandName::setactive: {
            auto flow = co_await on_setactive(c);
            co_return flow;
        }
        case CommandName::getscript: {
            auto flow = co_await on_getscript(c);
            co_return flow;
        }
        case CommandName::deletescript: {
            auto flow = co_await on_deletescript(c);
            co_return flow;
        }
        case CommandName::renamescript: {
            auto flow = co_await on_renamescript(c);
            co_return flow;
        }
    }
    co_return bad("Unknown command");
}

// --- STARTTLS and AUTHENTICATE ---------------------------------------------------------------

asio::awaitable<Session::Flow> Session::on_starttls() {
    if (conn_.stream->tls_active() || !conn_.tls ||
        conn_.listener->tls != config::TlsMode::starttls)
        co_return bad("STARTTLS is not available here");
    ok("Begin TLS negotiation now");
    if (!co_await flush())
        co_return Flow::close;
    // Plaintext pipelined behind STARTTLS must never be read as if it came over TLS.
    in_.clear();
    in_pos_ = 0;
    receiver_.reset();
    auto st = co_await conn_.stream->start_tls_server(conn_.tls);
    if (!st) {
        ctx_.logger.info("TLS handshake failed: {}", st.error().message);
        co_return Flow::close;
    }
    ctx_.logger.info("TLS established: {}", conn_.stream->tls_summary());
    // RFC 5804 §2.2: the capabilities again, as they are over TLS.
    capabilities();
    ok("TLS negotiation successful");
    co_return Flow::next;
}

auth::ClientContext Session::client_context() const {
    return auth::ClientContext{"managesieve", conn_.client.ip, conn_.stream->tls_active(),
                               cfg_.allow_plaintext_auth, ctx_.logger};
}

asio::awaitable<Session::Flow> Session::on_authenticate(const wire::Command& c) {
    if (!deps_.authenticator)
        co_return bad("AUTHENTICATE is not available");
    auth::SaslRequest request;
    request.mechanism = to_upper(c.strings[0]);
    request.client = client_context();
    auto started = deps_.authenticator->start_sasl(std::move(request));
    if (!started) {
        if (started.error().code == Errc::permission_denied) {
            no("Use STARTTLS before authenticating", wire::code::encrypt_needed);
            co_return Flow::next;
        }
        co_return bad("Unsupported authentication mechanism");
    }
    auto& exchange = **started;
    std::optional<std::string> response;
    if (c.strings.size() == 2) {
        auto decoded = auth::sasl::decode_initial_response(c.strings[1]);
        if (decoded.kind != auth::sasl::ClientResponse::Kind::data) {
            exchange.cancel();
            co_return bad(decoded.kind == auth::sasl::ClientResponse::Kind::cancel
                              ? "Authentication cancelled"
                              : "Malformed initial response");
        }
        response = std::move(decoded.data);
    }
    while (true) {
        auto reply = co_await sasl_step(exchange, std::move(response));
        response.reset();
        if (auto* challenge = std::get_if<auth::SaslChallenge>(&reply)) {
            wire::append_challenge(out_, auth::sasl::encode_server_data(challenge->data));
            auto frame = co_await next_frame();
            if (!frame) {
                exchange.cancel();
                co_return Flow::close;
            }
            if (frame->error) {
                exchange.cancel();
                if (frame->error->close) {
                    bye(frame->error->reason);
                    co_return Flow::close;
                }
                co_return bad("Malformed response");
            }
            auto text = wire::parse_sasl_response(*frame->command);
            if (!text) {
                exchange.cancel();
                co_return bad("Malformed response");
            }
            auto decoded = auth::sasl::decode_client_response(*text);
            if (decoded.kind != auth::sasl::ClientResponse::Kind::data) {
                exchange.cancel();
                co_return bad(decoded.kind == auth::sasl::ClientResponse::Kind::cancel
                                  ? "Authentication cancelled"
                                  : "Malformed response");
            }
            response = std::move(decoded.data);
            continue;
        }
        auto& outcome = std::get<auth::SaslOutcome>(reply);
        if (outcome.result.status == auth::AuthStatus::malformed ||
            outcome.result.status == auth::AuthStatus::aborted)
            co_return bad("Authentication exchange failed");
        co_return finish_login(outcome.result, outcome.server_final);
    }
}

Session::Flow Session::finish_login(const auth::AuthResult& result,
                                    const std::optional<std::string>& final) {
    if (!result.ok()) {
        ctx_.logger.info("authentication failed: {}", result.reason);
        switch (result.status) {
            case auth::AuthStatus::temporary_failure:
                no("Temporary authentication failure, try again later", wire::code::trylater);
                return Flow::next;
            case auth::AuthStatus::encryption_required:
                no("Use STARTTLS before authenticating", wire::code::encrypt_needed);
                return Flow::next;
            default:
                no("Authentication failed");
                break;
        }
        if (errors_.auth_failure()) {
            bye("Too many failed authentications");
            return Flow::close;
        }
        return Flow::next;
    }
    account_ = result.account_id;
    address_ = result.address;
    account_dir_ = processing::SieveSettings::from(*ctx_.config).account_dir(result.account_id);
    ctx_.logger.info("authenticated as {}", address_);
    // Success data goes in the SASL response code (RFC 5804 §2.1).
    if (final)
        ok("Authentication successful",
           wire::code_with_string("SASL", auth::sasl::encode_server_data(*final)));
    else
        ok("Authentication successful");
    return Flow::next;
}

// --- scripts -------------------------------------------------------------------------------

bool Session::check_name(std::string_view name) {
    if (wire::valid_script_name(name))
        return true;
    no("Invalid script name");
    return false;
}

asio::awaitable<Session::Flow> Session::on_havespace(const wire::Command& c) {
    if (!check_name(c.strings[0]))
        co_return Flow::next;
    if (c.number > cfg_.max_script_size) {
        no("Script too large: the limit is " + std::to_string(cfg_.max_script_size) + " octets",
           wire::code::quota_maxsize);
        co_return Flow::next;
    }
    sieve::ScriptStore store(account_dir_);
    std::optional<Result<std::vector<sieve::ScriptStore::Entry>>> listed;
    co_await blocking([&] { listed = store.list(); });
    if (!*listed) {
        store_failed("listing scripts", (*listed).error());
        co_return Flow::next;
    }
    bool replaces = false;
    for (const auto& e : **listed)
        replaces = replaces || e.name == c.strings[0];
    if (!replaces && (**listed).size() >= cfg_.max_scripts) {
        no("Too many scripts: the limit is " + std::to_string(cfg_.max_scripts),
           wire::code::quota_maxscripts);
        co_return Flow::next;
    }
    ok("Putscript would succeed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_putscript(const wire::Command& c, bool store_it) {
    const std::string& text = c.strings.back();
    std::string name = store_it ? c.strings[0] : std::string();
    if (store_it && !check_name(name))
        co_return Flow::next;
    if (text.size() > cfg_.max_script_size) {
        no("Script too large: the limit is " + std::to_string(cfg_.max_script_size) + " octets",
           wire::code::quota_maxsize);
        co_return Flow::next;
    }
    if (!is_valid_utf8(text)) {
        no("A script must be UTF-8 (RFC 5804 §1.6)");
        co_return Flow::next;
    }
    sieve::ScriptStore store(account_dir_);
    enum class Outcome { ok, invalid, too_many, failed } outcome = Outcome::ok;
    sieve::CompileResult compiled;
    std::optional<Error> failure;
    const auto max_scripts = cfg_.max_scripts;
    const auto max_size = cfg_.max_script_size;
    co_await blocking([&] {
        sieve::CompileOptions options;
        options.parse.max_script_bytes = max_size;
        compiled = sieve::compile(text, options);
        if (!compiled.program) {
            outcome = Outcome::invalid;
            return;
        }
        if (name.empty())
            return;
        if (!store.exists(name)) {
            auto listed = store.list();
            if (!listed) {
                failure = listed.error();
                outcome = Outcome::failed;
                return;
            }
            if (listed->size() >= max_scripts) {
                outcome = Outcome::too_many;
                return;
            }
        }
        auto st = store.put(name, text);
        if (!st) {
            failure = st.error();
            outcome = Outcome::failed;
        }
    });
    switch (outcome) {
        case Outcome::invalid:
            ctx_.logger.info("{} {}: script has errors, not stored", address_,
                             store_it ? "PUTSCRIPT " + auth::loggable(name) : "CHECKSCRIPT");
            no(compile_errors(compiled));
            co_return Flow::next;
        case Outcome::too_many:
            no("Too many scripts: the limit is " + std::to_string(cfg_.max_scripts),
               wire::code::quota_maxscripts);
            co_return Flow::next;
        case Outcome::failed:
            store_failed("storing a script", *failure);
            co_return Flow::next;
        case Outcome::ok:
            break;
    }
    if (store_it)
        ctx_.logger.info("{} stored script {} ({} octets)", address_, auth::loggable(name),
                         text.size());
    if (!compiled.warnings.empty()) {
        std::string w;
        for (const auto& e : compiled.warnings)
            w += (w.empty() ? "line " : "\r\nline ") + e.to_string();
        ok(w, wire::code::warnings);
    } else {
        ok(store_it ? "Script stored" : "Script is valid");
    }
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_listscripts() {
    sieve::ScriptStore store(account_dir_);
    std::optional<Result<std::vector<sieve::ScriptStore::Entry>>> listed;
    std::optional<Result<std::optional<std::string>>> adopted;
    co_await blocking([&] {
        // A script an admin placed by hand as active.sieve shows up as "main".
        adopted = store.adopt_plain_active("main");
        listed = store.list();
    });
    if (*adopted && **adopted)
        ctx_.logger.info("{}: the plain active.sieve became the script {}", address_, ***adopted);
    if (!*listed) {
        store_failed("listing scripts", (*listed).error());
        co_return Flow::next;
    }
    for (const auto& e : **listed)
        wire::append_script_line(out_, e.name, e.active);
    ok("Listscripts completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_setactive(const wire::Command& c) {
    const std::string& name = c.strings[0];
    if (!name.empty() && !check_name(name))
        co_return Flow::next;
    sieve::ScriptStore store(account_dir_);
    std::optional<Status> st;
    co_await blocking([&] {
        (void)store.adopt_plain_active("main");
        st = store.set_active(name);
    });
    if (!*st) {
        if ((*st).error().code == Errc::not_found)
            no("There is no script by that name", wire::code::nonexistent);
        else
            store_failed("activating a script", (*st).error());
        co_return Flow::next;
    }
    if (name.empty())
        ctx_.logger.info("{} deactivated the active script", address_);
    else
        ctx_.logger.info("{} activated script {}", address_, auth::loggable(name));
    ok(name.empty() ? "No script is active" : "Script activated");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_getscript(const wire::Command& c) {
    const std::string& name = c.strings[0];
    if (!check_name(name))
        co_return Flow::next;
    sieve::ScriptStore store(account_dir_);
    std::optional<Result<std::string>> text;
    co_await blocking([&] {
        (void)store.adopt_plain_active("main");
        text = store.get(name);
    });
    if (!*text) {
        if ((*text).error().code == Errc::not_found)
            no("There is no script by that name", wire::code::nonexistent);
        else
            store_failed("reading a script", (*text).error());
        co_return Flow::next;
    }
    // RFC 5804 §2.9: always a literal, then CRLF.
    out_ += "{" + std::to_string((**text).size()) + "}\r\n";
    out_ += **text;
    out_ += "\r\n";
    ok("Getscript completed");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_deletescript(const wire::Command& c) {
    const std::string& name = c.strings[0];
    if (!check_name(name))
        co_return Flow::next;
    sieve::ScriptStore store(account_dir_);
    std::optional<Status> st;
    co_await blocking([&] {
        (void)store.adopt_plain_active("main");
        st = store.remove(name);
    });
    if (!*st) {
        auto code = (*st).error().code;
        if (code == Errc::not_found)
            no("There is no script by that name", wire::code::nonexistent);
        else if (code == Errc::permission_denied)
            no("The active script cannot be deleted", wire::code::active);
        else
            store_failed("deleting a script", (*st).error());
        co_return Flow::next;
    }
    ctx_.logger.info("{} deleted script {}", address_, auth::loggable(name));
    ok("Script deleted");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_renamescript(const wire::Command& c) {
    const std::string& from = c.strings[0];
    const std::string& to = c.strings[1];
    if (!check_name(from) || !check_name(to))
        co_return Flow::next;
    sieve::ScriptStore store(account_dir_);
    std::optional<Status> st;
    co_await blocking([&] {
        (void)store.adopt_plain_active("main");
        st = store.rename(from, to);
    });
    if (!*st) {
        auto code = (*st).error().code;
        if (code == Errc::not_found)
            no("There is no script by that name", wire::code::nonexistent);
        else if (code == Errc::already_exists)
            no("A script by the new name exists", wire::code::alreadyexists);
        else
            store_failed("renaming a script", (*st).error());
        co_return Flow::next;
    }
    ctx_.logger.info("{} renamed script {} to {}", address_, auth::loggable(from),
                     auth::loggable(to));
    ok("Script renamed");
    co_return Flow::next;
}

}  // namespace postern::services::managesieve
