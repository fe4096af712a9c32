// POP3 session loop and commands (RFC 1939, RFC 2449 CAPA and response codes, RFC 2595 STLS,
// RFC 3206 SYS/AUTH codes, RFC 5034 SASL). Failures of USER/PASS, APOP and AUTH say the same
// whatever the reason, so no reply tells whether an account exists; they count toward error
// control and the authenticator's bans.
#include "services/pop3/session.h"

#include <atomic>

#include <unistd.h>

#include "auth/authenticator.h"
#include "auth/login_name.h"
#include "auth/sasl/wire.h"
#include "base/random.h"
#include "base/strings.h"
#include "directory/directory.h"
#include "proto/pop3/responses.h"
#include "services/auth_bridge.h"
#include "services/runtime.h"
#include "store/api/store.h"

namespace postern::services::pop3 {

namespace asio = boost::asio;
using wire::CommandName;

namespace {

// Replies bigger than this go out before the next command is read even when the client
// pipelines: a client that sends 200 RETRs at once must not make us buffer 200 messages.
constexpr std::size_t kFlushAt = 256 * 1024;
// Retrieved messages whose \Seen is stored together before the session ends.
constexpr std::size_t kSeenBatch = 64;
// RETR reads ahead at most this many following messages, this many bytes in all.
constexpr std::size_t kPrefetchCount = 16;
constexpr std::uint64_t kPrefetchBytes = 256 * 1024;

std::string apop_timestamp(std::string_view hostname) {
    static std::atomic<std::uint64_t> counter{0};
    return "<" + std::to_string(::getpid()) + "." + std::to_string(++counter) + "." +
           random_token(8) + "." +
           std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count()) +
           "@" + std::string(hostname) + ">";
}

}  // namespace

FolderLogin split_folder_login(std::string_view login, std::string_view separator) {
    if (separator.empty())
        return {std::string(login), ""};
    auto sep = login.find(separator);
    if (sep == std::string_view::npos || sep == 0)
        return {std::string(login), ""};
    auto at = login.rfind('@');
    if (at != std::string_view::npos && sep < at) {
        // user+Folder@domain
        return {std::string(login.substr(0, sep)) + std::string(login.substr(at)),
                std::string(login.substr(sep + separator.size(), at - sep - separator.size()))};
    }
    // user@domain+Folder, or user+Folder
    return {std::string(login.substr(0, sep)), std::string(login.substr(sep + separator.size()))};
}

Session::Session(net::Connection connection, SessionContext context, const Deps& deps,
                 std::shared_ptr<Maildrops> maildrops)
    : conn_(std::move(connection)),
      ctx_(std::move(context)),
      deps_(deps),
      cfg_(static_cast<const config::Pop3Config&>(*ctx_.service)),
      maildrops_(std::move(maildrops)),
      reader_(*conn_.stream, cfg_.max_line_length),
      errors_(ctx_, conn_.client.ip) {}

Session::~Session() = default;

// --- replies -------------------------------------------------------------------------------

void Session::ok(std::string_view text, std::string_view code) {
    auto before = out_.size();
    wire::append_ok(out_, text, code);
    if (ctx_.logger.enabled(log::kProtocol))
        ctx_.logger.proto(">> {}", std::string_view(out_).substr(before, out_.size() - before - 2));
}

void Session::err(std::string_view text, std::string_view code) {
    auto before = out_.size();
    wire::append_err(out_, text, code);
    if (ctx_.logger.enabled(log::kProtocol))
        ctx_.logger.proto(">> {}", std::string_view(out_).substr(before, out_.size() - before - 2));
}

Session::Flow Session::bad(std::string_view text) {
    err(text);
    if (errors_.bad_command()) {
        ctx_.logger.info("too many bad commands ({}), closing", errors_.bad_commands());
        err("Too many bad commands, closing");
        return Flow::close;
    }
    return Flow::next;
}

void Session::store_failed(std::string_view what, const store::StoreError& e) {
    ctx_.logger.warn("{}: {}", what, e.to_string());
}

bool Session::user_pass_allowed() const {
    return conn_.stream->tls_active() || cfg_.allow_plaintext_auth;
}

std::vector<std::string> Session::capabilities() const {
    std::vector<std::string> caps{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING"};
    if (!transaction_) {
        const bool tls = conn_.stream->tls_active();
        if (conn_.listener->tls == config::TlsMode::starttls && conn_.tls && !tls)
            caps.emplace_back("STLS");
        if (user_pass_allowed())
            caps.emplace_back("USER");
        if (deps_.authenticator) {
            auto mechanisms = deps_.authenticator->mechanisms_for(tls, cfg_.allow_plaintext_auth);
            if (!mechanisms.empty())
                caps.push_back("SASL " + join(mechanisms, " "));
        }
    }
    caps.emplace_back(cfg_.expire ? "EXPIRE " + std::to_string(*cfg_.expire) : "EXPIRE NEVER");
    if (cfg_.login_delay > 0)
        caps.push_back("LOGIN-DELAY " + std::to_string(cfg_.login_delay));
    caps.emplace_back("IMPLEMENTATION Postern");
    return caps;
}

// --- I/O -----------------------------------------------------------------------------------

asio::awaitable<bool> Session::flush() {
    if (out_.empty())
        co_return true;
    auto st = co_await conn_.stream->write(out_);
    out_.clear();
    if (out_.capacity() > 4 * kFlushAt)
        std::string().swap(out_);  // a big RETR must not stay with the session
    co_return st.has_value();
}

asio::awaitable<void> Session::blocking(std::function<void()> job) {
    co_await run_blocking(*ctx_.blocking, std::move(job));
}

asio::awaitable<std::optional<Session::Line>> Session::next_line() {
    auto& buffer = reader_.buffer();
    if (!buffer.has_line()) {
        // Nothing more is pipelined: the replies of the batch go out. \Seen flags wait for the
        // end of the session (most clients DELE what they RETR, and those are not flagged at
        // all), unless many are pending.
        if (unseen_retrieved_.size() >= seen_threshold_)
            co_await store_seen(false);
        if (!co_await flush())
            co_return std::nullopt;
        buffer.shrink();
    }
    conn_.stream->set_interruptible(true);
    auto line = co_await reader_.read_line();
    conn_.stream->set_interruptible(false);
    if (!line) {
        auto code = line.error().code;
        if (code == Errc::timeout) {
            ctx_.logger.info(
                "autologout after {} s idle",
                std::chrono::duration_cast<std::chrono::seconds>(cfg_.idle_timeout).count());
            err("Disconnected for inactivity");
        } else if (code == Errc::cancelled) {
            err("Server shutting down", wire::code::sys_temp);
        } else {
            ctx_.logger.info("connection ended: {}", line.error().message);
        }
        co_return std::nullopt;
    }
    if (line->kind == net::LineBuffer::Kind::too_long)
        co_return Line{{}, true};
    co_return Line{std::string(line->text), false};
}

// --- the loop ------------------------------------------------------------------------------

asio::awaitable<void> Session::run() {
    if (cfg_.apop && deps_.authenticator)
        apop_timestamp_ = apop_timestamp(ctx_.config->server.hostname);
    std::string greeting = cfg_.greeting;
    if (!apop_timestamp_.empty())
        greeting += " " + apop_timestamp_;
    ok(greeting);
    while (true) {
        if (conn_.stopping && conn_.stopping->load()) {
            err("Server shutting down", wire::code::sys_temp);
            break;
        }
        if (out_.size() >= kFlushAt && !co_await flush())
            break;
        auto line = co_await next_line();
        if (!line)
            break;
        if (line->too_long) {
            ctx_.logger.info("command line longer than {} octets", cfg_.max_line_length);
            if (bad("Line too long") == Flow::close)
                break;
            continue;
        }
        auto parsed = wire::parse_command(line->text);
        if (ctx_.logger.enabled(log::kProtocol)) {
            // Never log credentials.
            std::string_view text = line->text;
            if (parsed && (parsed->name == CommandName::pass || parsed->name == CommandName::auth ||
                           parsed->name == CommandName::apop))
                ctx_.logger.proto("<< {} ***", wire::command_keyword(parsed->name));
            else
                ctx_.logger.proto("<< {}", auth::loggable(text.substr(0, 128)));
        }
        if (!parsed) {
            if (bad(parsed.error().reason) == Flow::close)
                break;
            continue;
        }
        const auto bit = transaction_ ? wire::state::transaction : wire::state::authorization;
        if (!(wire::allowed_states(parsed->name) & bit)) {
            if (bad(transaction_ ? "Already logged in" : "Log in first") == Flow::close)
                break;
            continue;
        }
        if (co_await execute(*parsed) == Flow::close)
            break;
    }
    // Without QUIT nothing is deleted (RFC 1939 §6), but what was retrieved was seen.
    if (!unseen_retrieved_.empty())
        co_await store_seen(true);
    lock_.release();
    co_await flush();
    conn_.stream->close();
}

asio::awaitable<Session::Flow> Session::execute(const wire::Command& c) {
    switch (c.name) {
        case CommandName::capa:
            co_return on_capa();
        case CommandName::quit: {
            auto flow = co_await on_quit();
            co_return flow;
        }
        case CommandName::stls: {
            auto flow = co_await on_stls();
            co_return flow;
        }
        case CommandName::user:
            co_return on_user(c);
        case CommandName::pass: {
            auto flow = co_await on_pass(c);
            co_return flow;
        }
        case CommandName::apop: {
            auto flow = co_await on_apop(c);
            co_return flow;
        }
        case CommandName::auth: {
            auto flow = co_await on_auth(c);
            co_return flow;
        }
        case CommandName::stat:
            co_return on_stat();
        case CommandName::list:
            co_return on_list(c, false);
        case CommandName::uidl:
            co_return on_list(c, true);
        case CommandName::retr: {
            auto flow = co_await on_retr(c, false);
            co_return flow;
        }
        case CommandName::top: {
            auto flow = co_await on_retr(c, true);
            co_return flow;
        }
        case CommandName::dele:
            co_return on_dele(c);
        case CommandName::noop:
            ok("");
            co_return Flow::next;
        case CommandName::rset:
            co_return on_rset();
    }
    co_return bad("Unknown command");
}

// --- AUTHORIZATION -------------------------------------------------------------------------

Session::Flow Session::on_capa() {
    ok("Capability list follows");
    for (const auto& cap : capabilities())
        wire::append_line(out_, cap);
    wire::append_end(out_);
    return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_stls() {
    if (conn_.stream->tls_active() || !conn_.tls ||
        conn_.listener->tls != config::TlsMode::starttls)
        co_return bad("STLS not available here");
    user_.reset();
    ok("Begin TLS negotiation");
    if (!co_await flush())
        co_return Flow::close;
    // Plaintext pipelined behind STLS must never be read as if it came over TLS (RFC 2595 §4).
    reader_.buffer().clear();
    auto st = co_await conn_.stream->start_tls_server(conn_.tls);
    if (!st) {
        ctx_.logger.info("TLS handshake failed: {}", st.error().message);
        co_return Flow::close;
    }
    ctx_.logger.info("TLS established: {}", conn_.stream->tls_summary());
    co_return Flow::next;
}

Session::Flow Session::on_user(const wire::Command& c) {
    if (!user_pass_allowed()) {
        err("Plaintext authentication is disabled on unencrypted connections; use STLS first",
            wire::code::auth);
        return Flow::next;
    }
    user_ = c.text;
    ok("Send your password");
    return Flow::next;
}

auth::ClientContext Session::client_context() const {
    return auth::ClientContext{"pop3", conn_.client.ip, conn_.stream->tls_active(),
                               cfg_.allow_plaintext_auth, ctx_.logger};
}

asio::awaitable<Session::Flow> Session::finish_login(const auth::AuthResult& result,
                                                     const std::string& folder) {
    if (!result.ok())
        co_return refuse_login(result);
    if (!login_delay_passed(result))
        co_return Flow::next;
    bool opened = co_await open_maildrop(result.account_id, result.address, folder);
    if (opened)
        ok("Logged in, " + std::to_string(drop_.size()) + " messages");
    co_return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_pass(const wire::Command& c) {
    if (!user_)
        co_return bad("Send USER first");
    auto split = split_folder_login(*user_, cfg_.folder_separator);
    user_.reset();
    auth::PasswordRequest request;
    request.login = std::move(split.login);
    request.password = c.text;
    request.client = client_context();
    auto result = co_await check_password(*deps_.authenticator, std::move(request));
    co_return co_await finish_login(result, split.folder);
}

asio::awaitable<Session::Flow> Session::on_apop(const wire::Command& c) {
    if (apop_timestamp_.empty())
        co_return bad("APOP is not available");
    user_.reset();
    auto split = split_folder_login(c.text, cfg_.folder_separator);
    auth::ApopRequest request;
    request.login = std::move(split.login);
    request.timestamp = apop_timestamp_;
    request.digest = c.digest;
    request.client = client_context();
    auto result = co_await check_apop(*deps_.authenticator, std::move(request));
    co_return co_await finish_login(result, split.folder);
}

asio::awaitable<Session::Flow> Session::on_auth(const wire::Command& c) {
    if (!deps_.authenticator)
        co_return bad("AUTH is not available");
    if (c.text.empty()) {
        // RFC 1734 (before CAPA): the bare AUTH lists the mechanisms.
        ok("Mechanisms follow");
        for (auto& m : deps_.authenticator->mechanisms_for(conn_.stream->tls_active(),
                                                           cfg_.allow_plaintext_auth))
            wire::append_line(out_, m);
        wire::append_end(out_);
        co_return Flow::next;
    }
    user_.reset();
    auth::SaslRequest request;
    request.mechanism = c.text;
    request.client = client_context();
    auto started = deps_.authenticator->start_sasl(std::move(request));
    if (!started) {
        if (started.error().code == Errc::permission_denied) {
            err("Use STLS before authenticating", wire::code::auth);
            co_return Flow::next;
        }
        co_return bad("Unsupported authentication mechanism");
    }
    auto& exchange = **started;
    std::optional<std::string> response;
    if (c.initial) {
        auto decoded = auth::sasl::decode_initial_response(*c.initial);
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
            auto line = co_await sasl_answer(challenge->data);
            if (!line) {
                exchange.cancel();
                co_return Flow::close;
            }
            if (line->too_long) {
                exchange.cancel();
                co_return bad("Response line too long");
            }
            auto decoded = auth::sasl::decode_client_response(line->text);
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
        if (outcome.result.ok() && outcome.server_final) {
            // POP3 has no success data in +OK (RFC 5034 §4): send it as one more challenge
            // and expect an empty answer.
            auto line = co_await sasl_answer(*outcome.server_final);
            if (!line)
                co_return Flow::close;
            if (line->too_long || !line->text.empty())
                co_return bad("Authentication cancelled");
        }
        if (outcome.result.status == auth::AuthStatus::malformed ||
            outcome.result.status == auth::AuthStatus::aborted)
            co_return bad("Authentication exchange failed");
        co_return co_await finish_login(outcome.result, std::string());
    }
}

asio::awaitable<std::optional<Session::Line>> Session::sasl_answer(const std::string& data) {
    wire::append_challenge(out_, auth::sasl::encode_server_data(data));
    if (!co_await flush())
        co_return std::nullopt;
    {
        auto flow = co_await next_line();
        co_return flow;
    }
}

Session::Flow Session::refuse_login(const auth::AuthResult& result) {
    switch (result.status) {
        case auth::AuthStatus::temporary_failure:
            err("Temporary authentication failure, try again later", wire::code::sys_temp);
            return Flow::next;
        case auth::AuthStatus::encryption_required:
            err("Use STLS before logging in", wire::code::auth);
            return Flow::next;
        default:
            err("Authentication failed", wire::code::auth);
            break;
    }
    if (errors_.auth_failure()) {
        err("Too many failed logins, closing");
        return Flow::close;
    }
    return Flow::next;
}

bool Session::login_delay_passed(const auth::AuthResult& result) {
    if (maildrops_->admit_login(result.account_id, std::chrono::seconds(cfg_.login_delay),
                                Maildrops::Clock::now()))
        return true;
    ctx_.logger.info("{} logged in again within {} s (LOGIN-DELAY)", result.address,
                     cfg_.login_delay);
    err("Logged in too recently; wait " + std::to_string(cfg_.login_delay) + " s",
        wire::code::login_delay);
    return false;
}

asio::awaitable<bool> Session::open_maildrop(std::int64_t account_id, const std::string& address,
                                             const std::string& folder) {
    std::string name = folder.empty() || iequals(folder, "INBOX") ? std::string("INBOX") : folder;
    enum class Outcome { ok, unavailable, no_folder, in_use };
    Outcome outcome = Outcome::ok;
    std::string error;
    std::shared_ptr<store::Account> account;
    std::shared_ptr<store::Mailbox> mailbox;
    std::vector<store::MessageMeta> metas;
    Maildrops::Lock lock;
    auto exclusive = cfg_.in_use == config::Pop3InUse::refuse;
    auto maildrops = maildrops_;
    co_await blocking([&] {
        auto a = deps_.store->account(std::to_string(account_id));
        if (!a) {
            outcome = Outcome::unavailable;
            error = a.error().to_string();
            return;
        }
        account = std::move(*a);
        if (name == "INBOX" && !account->mailbox_info("INBOX"))
            (void)account->create_mailbox("INBOX");
        auto info = account->mailbox_info(name);
        if (!info) {
            outcome = info.error().code == store::StoreErrc::not_found ||
                              info.error().code == store::StoreErrc::invalid_name
                          ? Outcome::no_folder
                          : Outcome::unavailable;
            error = info.error().to_string();
            return;
        }
        if (exclusive) {
            lock = maildrops->try_lock({account_id, info->id});
            if (!lock) {
                outcome = Outcome::in_use;
                return;
            }
        }
        auto m = account->open_mailbox(name);
        if (!m) {
            outcome = Outcome::unavailable;
            error = m.error().to_string();
            return;
        }
        mailbox = std::move(*m);
        auto listed = mailbox->messages(store::UidSet::all());
        if (!listed) {
            outcome = Outcome::unavailable;
            error = listed.error().to_string();
            return;
        }
        metas = std::move(*listed);
    });
    switch (outcome) {
        case Outcome::ok:
            break;
        case Outcome::unavailable:
            ctx_.logger.error("cannot open the maildrop {} of {}: {}", name, address, error);
            err("Maildrop unavailable, try again later", wire::code::sys_temp);
            co_return false;
        case Outcome::no_folder:
            ctx_.logger.info("{} asked for folder {}: {}", address, auth::loggable(name), error);
            err("No such folder", wire::code::sys_perm);
            co_return false;
        case Outcome::in_use:
            ctx_.logger.info("maildrop {} of {} is open in another POP3 session", name, address);
            err("Maildrop is in use by another POP3 session", wire::code::in_use);
            co_return false;
    }
    drop_.clear();
    drop_.reserve(metas.size());
    for (auto& m : metas) {
        // Messages another client marked for deletion are on their way out: not offered.
        if (m.flags.system & store::kDeleted)
            continue;
        drop_.push_back(DropEntry{m.uid, m.size, std::move(m.guid), false, false,
                                  (m.flags.system & store::kSeen) != 0});
    }
    account_ = std::move(account);
    mailbox_ = std::move(mailbox);
    lock_ = std::move(lock);
    address_ = address;
    transaction_ = true;
    ctx_.logger.info("authenticated as {}, maildrop {} with {} messages", address, name,
                     drop_.size());
    co_return true;
}

// --- TRANSACTION ---------------------------------------------------------------------------

DropEntry* Session::entry(const std::optional<wire::MessageNumber>& n) {
    if (!n || n->number == 0 || n->number > drop_.size()) {
        err("No such message");
        return nullptr;
    }
    auto& e = drop_[n->number - 1];
    if (e.deleted) {
        err("Message " + std::to_string(n->number) + " already deleted");
        return nullptr;
    }
    return &e;
}

Session::Flow Session::on_stat() {
    std::uint64_t count = 0, size = 0;
    for (const auto& e : drop_)
        if (!e.deleted) {
            ++count;
            size += e.size;
        }
    ok(std::to_string(count) + " " + std::to_string(size));
    return Flow::next;
}

Session::Flow Session::on_list(const wire::Command& c, bool uidl) {
    auto value = [&](const DropEntry& e) { return uidl ? e.uidl : std::to_string(e.size); };
    if (c.message) {
        if (auto* e = entry(c.message))
            ok(std::to_string(c.message->number) + " " + value(*e));
        return Flow::next;
    }
    std::uint64_t count = 0, size = 0;
    for (const auto& e : drop_)
        if (!e.deleted) {
            ++count;
            size += e.size;
        }
    ok(uidl ? std::string("Unique-ID listing follows")
            : std::to_string(count) + " messages (" + std::to_string(size) + " octets)");
    std::string line;
    for (std::size_t i = 0; i < drop_.size(); ++i) {
        if (drop_[i].deleted)
            continue;
        line = std::to_string(i + 1);
        line += ' ';
        line += value(drop_[i]);
        wire::append_line(out_, line);
    }
    wire::append_end(out_);
    return Flow::next;
}

asio::awaitable<Session::Flow> Session::on_retr(const wire::Command& c, bool top) {
    auto* e = entry(c.message);
    if (!e)
        co_return Flow::next;
    std::optional<store::StoreResult<std::string>> body;
    auto uid = e->uid;
    if (!prefetched_.empty() && prefetched_.front().first == uid) {
        body = std::move(prefetched_.front().second);
        prefetched_.pop_front();
    } else {
        // Clients download in order: read this message and the next few undeleted ones in the
        // same trip to the blocking pool (up to kPrefetchBytes), so a client that waits for
        // each reply costs one trip per batch instead of one per message.
        prefetched_.clear();
        std::vector<store::Uid> more;
        std::uint64_t bytes = e->size;
        for (auto i = static_cast<std::size_t>(e - drop_.data()) + 1;
             !top && i < drop_.size() && more.size() < kPrefetchCount; ++i) {
            if (drop_[i].deleted)
                continue;
            if (bytes + drop_[i].size > kPrefetchBytes)
                break;
            bytes += drop_[i].size;
            more.push_back(drop_[i].uid);
        }
        auto& mailbox = *mailbox_;
        auto& prefetched = prefetched_;
        co_await blocking([&] {
            body = mailbox.fetch_body(uid);
            for (auto u : more) {
                auto b = mailbox.fetch_body(u);
                if (!b)
                    break;  // read again (and answered properly) when asked for
                prefetched.emplace_back(u, std::move(*b));
            }
        });
    }
    if (!*body) {
        auto code = (*body).error().code;
        if (code == store::StoreErrc::not_found || code == store::StoreErrc::expunged) {
            err("Message " + std::to_string(c.message->number) + " was removed by another session");
        } else {
            store_failed("RETR", (*body).error());
            err("Cannot read the message, try again later", wire::code::sys_temp);
        }
        co_return Flow::next;
    }
    const std::string& raw = **body;
    if (top) {
        ok("Top of message follows");
        wire::append_message(out_, raw, c.lines);
        co_return Flow::next;
    }
    ok(std::to_string(e->size) + " octets");
    wire::append_message(out_, raw);
    if (!e->retrieved) {
        e->retrieved = true;
        if (!e->seen)
            unseen_retrieved_.push_back(static_cast<std::size_t>(e - drop_.data()));
    }
    co_return Flow::next;
}

Session::Flow Session::on_dele(const wire::Command& c) {
    auto* e = entry(c.message);
    if (!e)
        return Flow::next;
    e->deleted = true;
    ok("Message " + std::to_string(c.message->number) + " deleted");
    return Flow::next;
}

Session::Flow Session::on_rset() {
    std::uint64_t size = 0;
    for (auto& e : drop_) {
        e.deleted = false;
        size += e.size;
    }
    ok("Maildrop has " + std::to_string(drop_.size()) + " messages (" + std::to_string(size) +
       " octets)");
    return Flow::next;
}

asio::awaitable<void> Session::store_seen(bool all) {
    store::UidSet uids;
    std::vector<std::size_t> keep;
    for (auto i : unseen_retrieved_) {
        auto& e = drop_[i];
        // A message DELE'd in this session goes at QUIT; flag it only if it stays.
        if (e.deleted && !all) {
            keep.push_back(i);
            continue;
        }
        if (!e.seen)
            uids.add(e.uid);
        e.seen = true;
    }
    unseen_retrieved_ = std::move(keep);
    // What stays pending was deleted in this session: it waits for the session's end, and
    // the next batch is counted on top of it.
    seen_threshold_ = unseen_retrieved_.size() + kSeenBatch;
    if (uids.empty() || !mailbox_)
        co_return;
    std::optional<store::StoreResult<store::StoreFlagsResult>> r;
    auto& mailbox = *mailbox_;
    co_await blocking([&] {
        r = mailbox.store_flags(uids, store::FlagOp::add, store::Flags{store::kSeen, {}});
    });
    if (!*r)
        store_failed("storing \\Seen", (*r).error());
}

asio::awaitable<bool> Session::commit_deletes() {
    store::UidSet uids;
    std::size_t count = 0;
    for (const auto& e : drop_) {
        // EXPIRE 0: what was retrieved goes too (RFC 2449 §6.7).
        if (e.deleted || (cfg_.expire && *cfg_.expire == 0 && e.retrieved)) {
            uids.add(e.uid);
            ++count;
        }
    }
    if (uids.empty())
        co_return true;
    std::optional<store::StoreError> failure;
    auto& mailbox = *mailbox_;
    co_await blocking([&] {
        auto flagged =
            mailbox.store_flags(uids, store::FlagOp::add, store::Flags{store::kDeleted, {}});
        if (!flagged) {
            failure = flagged.error();
            return;
        }
        auto expunged = mailbox.expunge(uids);
        if (!expunged)
            failure = expunged.error();
    });
    if (failure) {
        store_failed("QUIT: removing deleted messages", *failure);
        co_return false;
    }
    ctx_.logger.info("{}: {} messages deleted", address_, count);
    co_return true;
}

asio::awaitable<Session::Flow> Session::on_quit() {
    if (!transaction_) {
        ok("Bye");
        co_return Flow::close;
    }
    // UPDATE state (RFC 1939 §6).
    co_await store_seen(false);
    bool removed = co_await commit_deletes();
    unseen_retrieved_.clear();  // the rest were deleted
    lock_.release();
    transaction_ = false;
    if (removed)
        ok("Bye");
    else
        err("Some deleted messages were not removed", wire::code::sys_temp);
    co_return Flow::close;
}

}  // namespace postern::services::pop3
