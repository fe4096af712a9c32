// IMAP session loop (RFC 9051 §2.2, §5.4, §5.5, §7.5): greeting, framing with literals and
// continuation requests, parse, the command table's state rules, error control, autologout,
// untagged updates at command boundaries, and the mapping of store errors to response codes.
#include "services/imap/session.h"

#include "auth/authenticator.h"
#include "base/strings.h"
#include "base/utf8.h"
#include "proto/imap/command_table.h"
#include "proto/imap/mutf7.h"
#include "services/runtime.h"
#include "store/api/store.h"

namespace postern::services::imap {

namespace asio = boost::asio;

namespace {

wire::ReceiverOptions receiver_options(const config::ImapConfig& c) {
    wire::ReceiverOptions o;
    o.limits.max_line = c.max_line_length;
    o.limits.max_literal = c.max_literal;
    o.limits.max_message_literal = c.append_limit;
    // MULTIAPPEND: a few messages at the limit, never unbounded.
    o.limits.max_message_total = std::max<std::uint64_t>(c.append_limit * 4, 64ull << 20);
    o.limits.max_command = std::max<std::size_t>(c.max_line_length * 4, 1 << 20);
    o.limits.max_literals = std::max<std::size_t>(c.max_append_messages + 16, 64);
    o.non_sync = c.literal_plus ? wire::NonSyncLiterals::plus : wire::NonSyncLiterals::minus;
    return o;
}

}  // namespace

Session::Session(net::Connection connection, SessionContext context, const Deps& deps)
    : conn_(std::move(connection)),
      ctx_(std::move(context)),
      deps_(deps),
      cfg_(static_cast<const config::ImapConfig&>(*ctx_.service)),
      receiver_(receiver_options(cfg_)),
      errors_(ctx_, conn_.client.ip) {}

Session::~Session() = default;

// --- state ---------------------------------------------------------------------------------

User* Session::user() {
    if (auto* a = std::get_if<Authenticated>(&state_))
        return &a->user;
    if (auto* s = std::get_if<Selected>(&state_))
        return &s->user;
    return nullptr;
}

SelectedMailbox* Session::selected() {
    auto* s = std::get_if<Selected>(&state_);
    return s ? s->mailbox.get() : nullptr;
}

std::uint8_t Session::state_bit() const {
    if (std::holds_alternative<Selected>(state_))
        return wire::state::selected;
    if (std::holds_alternative<Authenticated>(state_))
        return wire::state::authenticated;
    return wire::state::not_authenticated;
}

namespace {

// Keywords of `metas` the view's table lacks: another session committed them after this
// FETCH checked the table, and the rows read since already carry them.
std::vector<std::string> unannounced_keywords(const std::vector<std::string>& table,
                                              const std::vector<store::MessageMeta>& metas) {
    std::vector<std::string> out;
    for (const auto& mm : metas)
        for (const auto& k : mm.flags.keywords)
            if (std::find(table.begin(), table.end(), k) == table.end() &&
                std::find(out.begin(), out.end(), k) == out.end())
                out.push_back(k);
    return out;
}

}  // namespace

void Session::announce_flags(SelectedMailbox& box, const std::vector<std::string>& extra) {
    static constexpr std::string_view kSystemFlags[] = {"\\Answered", "\\Flagged", "\\Deleted",
                                                        "\\Seen", "\\Draft"};
    auto keywords = box.view().view()->keywords();
    std::vector<std::string> flags(std::begin(kSystemFlags), std::end(kSystemFlags));
    for (auto& k : keywords)
        if (!k.empty())
            flags.push_back(k);
    for (auto& k : extra)
        if (std::find(flags.begin(), flags.end(), k) == flags.end())
            flags.push_back(k);
    wire::append_flags(out_, flags);
    const bool ro = box.read_only();
    std::vector<std::string> permanent = ro ? std::vector<std::string>{} : flags;
    wire::append_untagged(out_, wire::ResponseCondition::ok,
                          wire::codes::permanent_flags(permanent, !ro),
                          ro ? "No permanent flags permitted" : "Flags permitted", mode_);
    box.set_announced_keywords(keyword_count(keywords));
}

void Session::announce_new_keywords(SelectedMailbox& box,
                                    const std::vector<store::MessageMeta>& metas) {
    auto table = box.view().view()->keywords();
    auto extra = unannounced_keywords(table, metas);
    if (!extra.empty() || keyword_count(table) > box.announced_keywords())
        announce_flags(box, extra);
}

void Session::leave_mailbox() {
    if (auto* s = std::get_if<Selected>(&state_)) {
        User u = std::move(s->user);
        state_ = Authenticated{std::move(u)};
    }
}

std::vector<std::string> Session::capabilities() const {
    std::vector<std::string> caps{"IMAP4rev1", "IMAP4rev2"};
    const bool tls = conn_.stream->tls_active();
    const bool authed = !std::holds_alternative<NotAuthenticated>(state_);
    if (!authed) {
        if (conn_.listener->tls == config::TlsMode::starttls && conn_.tls && !tls)
            caps.emplace_back("STARTTLS");
        if (!tls && !cfg_.allow_plaintext_auth)
            caps.emplace_back("LOGINDISABLED");
        if (deps_.authenticator)
            for (auto& m : deps_.authenticator->mechanisms_for(tls, cfg_.allow_plaintext_auth))
                caps.push_back("AUTH=" + m);
    }
    caps.emplace_back(cfg_.literal_plus ? "LITERAL+" : "LITERAL-");
    for (const char* c :
         {"SASL-IR", "ID", "ENABLE", "IDLE", "NAMESPACE", "UNSELECT", "UIDPLUS", "CHILDREN",
          "MULTIAPPEND", "SPECIAL-USE", "CREATE-SPECIAL-USE", "LIST-EXTENDED", "LIST-STATUS",
          "STATUS=SIZE", "UTF8=ACCEPT", "REPLACE", "UNAUTHENTICATE", "MOVE", "METADATA"})
        caps.emplace_back(c);
    caps.emplace_back("NOTIFY");  // commands/notify.cpp (RFC 5465)
    // commands/acl.cpp: every right of RFC 4314 works, "t", "e", "x" and "k" on their own.
    for (const char* c : {"ACL", "RIGHTS=texk"})
        caps.emplace_back(c);
    caps.push_back("APPENDLIMIT=" + std::to_string(cfg_.append_limit));
    if (cfg_.compress && !deflate_)
        caps.emplace_back("COMPRESS=DEFLATE");
    // commands/search.cpp
    for (const char* c : {"ESEARCH", "SEARCHRES", "WITHIN", "SORT", "SORT=DISPLAY", "ESORT",
                          "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES"})
        caps.emplace_back(c);
    // commands/fetch.cpp, commands/store.cpp; OBJECTID: MAILBOXID in CREATE and STATUS,
    // EMAILID and THREADID in FETCH and SEARCH.
    for (const char* c : {"CONDSTORE", "QRESYNC", "BINARY", "SAVEDATE", "PREVIEW", "OBJECTID"})
        caps.emplace_back(c);
    return caps;
}

wire::ParserOptions Session::parser_options() const {
    wire::ParserOptions o;
    o.utf8_quoted = true;  // RFC 9051 §4.3; ill-formed UTF-8 is still refused
    return o;
}

std::optional<std::string> Session::mailbox_name(const wire::MailboxName& name) const {
    if (name.is_inbox())
        return std::string("INBOX");
    std::string utf8;
    if (mode_.utf8()) {
        if (!is_valid_utf8(name.raw))
            return std::nullopt;
        utf8 = name.raw;
    } else {
        auto decoded = wire::decode_mutf7(name.raw);
        if (!decoded)
            return std::nullopt;
        utf8 = std::move(*decoded);
    }
    // "INBOX/Sub" keeps the canonical spelling of its first component (RFC 9051 §5.1).
    if (utf8.size() > 6 && utf8[5] == '/' && iequals(std::string_view(utf8).substr(0, 5), "INBOX"))
        utf8.replace(0, 5, "INBOX");
    return utf8;
}

Access Session::access() {
    return Access(*deps_.store, deps_.directory, *user());
}

// --- responses -----------------------------------------------------------------------------

void Session::log_out_buffer(std::size_t from) {
    if (!ctx_.logger.enabled(log::kProtocol))
        return;
    std::string_view text(out_.data() + from, out_.size() - from);
    if (text.size() > 512)
        text = text.substr(0, 512);
    while (text.ends_with("\r\n"))
        text.remove_suffix(2);
    ctx_.logger.proto(">> {}", text);
}

void Session::ok(const wire::Command& c, std::string_view text,
                 std::optional<wire::ResponseCode> code) {
    auto before = out_.size();
    wire::append_tagged(out_, c.tag, wire::ResponseCondition::ok, code, text, mode_);
    log_out_buffer(before);
}

void Session::no(const wire::Command& c, std::string_view text,
                 std::optional<wire::ResponseCode> code) {
    auto before = out_.size();
    wire::append_tagged(out_, c.tag, wire::ResponseCondition::no, code, text, mode_);
    log_out_buffer(before);
}

Session::Flow Session::bad(std::string_view tag, std::string_view text,
                           std::optional<wire::ResponseCode> code) {
    auto before = out_.size();
    if (tag.empty())
        wire::append_untagged(out_, wire::ResponseCondition::bad, code, text, mode_);
    else
        wire::append_tagged(out_, tag, wire::ResponseCondition::bad, code, text, mode_);
    log_out_buffer(before);
    if (errors_.bad_command()) {
        ctx_.logger.info("too many errors ({}), closing", errors_.bad_commands());
        wire::append_bye(out_, "Too many invalid commands", mode_);
        return Flow::close;
    }
    return Flow::next;
}

Session::Flow Session::invalid_name(const wire::Command& c) {
    no(c,
       mode_.utf8() ? "Mailbox name is not valid UTF-8"
                    : "Mailbox name is not valid modified UTF-7",
       wire::codes::cannot());
    return Flow::next;
}

void Session::store_failed(const wire::Command& c, const store::StoreError& e) {
    using store::StoreErrc;
    std::optional<wire::ResponseCode> code;
    std::string text = "Operation failed";
    switch (e.code) {
        case StoreErrc::not_found:
            code = wire::codes::nonexistent();
            text = "No such mailbox or message";
            break;
        case StoreErrc::expunged:
            code = wire::codes::expunge_issued();
            text = "Some messages were expunged";
            break;
        case StoreErrc::exists:
            code = wire::codes::already_exists();
            text = "Mailbox already exists";
            break;
        case StoreErrc::invalid_name:
            code = wire::codes::cannot();
            text = "Invalid mailbox name";
            break;
        case StoreErrc::invalid_argument:
            code = wire::codes::cannot();
            text = "Invalid request";
            break;
        case StoreErrc::not_empty:
            code = wire::codes::has_children();
            text = "Mailbox has children";
            break;
        case StoreErrc::over_quota:
            code = wire::codes::over_quota();
            text = "Quota exceeded";
            break;
        case StoreErrc::too_large:
            code = wire::codes::too_big();
            text = "Message too large";
            break;
        case StoreErrc::limit:
            code = wire::codes::limit();
            text = "Limit reached";
            break;
        case StoreErrc::denied:
            code = wire::codes::no_perm();
            text = "Permission denied";
            break;
        case StoreErrc::store_full:
        case StoreErrc::busy:
        case StoreErrc::io:
            code = wire::codes::unavailable();
            text = "Temporary failure, try again later";
            break;
        case StoreErrc::corrupt:
            code = wire::codes::corruption();
            text = "Stored data is damaged; the administrator has been told";
            break;
        case StoreErrc::modseq_conflict:
        case StoreErrc::internal:
            code = wire::codes::server_bug();
            text = "Internal error";
            break;
    }
    ctx_.logger.warn("{} {}: {}", c.tag, wire::command_keyword(c.name), e.to_string());
    no(c, text, code);
}

// --- I/O -----------------------------------------------------------------------------------

asio::awaitable<bool> Session::flush() {
    if (out_.empty())
        co_return true;
    if (deflate_) {
        std::string packed;
        if (!deflate_->compress(out_, packed)) {
            out_.clear();
            co_return false;
        }
        out_.swap(packed);
    }
    auto st = co_await conn_.stream->write(out_);
    out_.clear();
    if (out_.capacity() > 256 * 1024)
        std::string().swap(out_);  // a big FETCH must not stay with the session
    co_return st.has_value();
}

asio::awaitable<void> Session::blocking(std::function<void()> job) {
    co_await run_blocking(*ctx_.blocking, std::move(job));
}

asio::awaitable<bool> Session::read_more() {
    // Between commands a small read is enough and keeps an idle session light (10,000 idle
    // IDLE sessions are the goal); inside a command (literals, APPEND) read big.
    constexpr std::size_t kIdleRead = 2048;
    constexpr std::size_t kBusyRead = 64 * 1024;
    if (in_pos_ == in_.size()) {
        if (in_.capacity() > kBusyRead * 2)
            std::string().swap(in_);  // give back what a big APPEND left behind
        in_.clear();
        in_pos_ = 0;
    }
    const std::size_t want = receiver_.idle() ? kIdleRead : kBusyRead;
    std::string compressed;
    for (;;) {
        if (deflate_) {
            // Decompressed bytes come out at most `want` at a time, however well the client's
            // data compresses.
            auto got = deflate_->take(in_, want);
            if (!got) {
                ctx_.logger.info("COMPRESS: {}", got.error().message);
                co_return false;
            }
            if (*got > 0)
                co_return true;
        }
        // Plain bytes go straight behind in_; compressed ones to the inflater.
        std::string& target = deflate_ ? compressed : in_;
        const std::size_t had = target.size();
        target.resize(had + want);
        auto n = co_await conn_.stream->read_some(std::span<char>(target.data() + had, want));
        target.resize(had + (n ? *n : 0));
        if (!n || *n == 0) {
            if (!n && n.error().code == Errc::timeout) {
                ctx_.logger.info(
                    "autologout after {} s idle",
                    std::chrono::duration_cast<std::chrono::seconds>(cfg_.idle_timeout).count());
                wire::append_bye(out_, "Autologout; idle for too long", mode_);
            } else if (!n && n.error().code == Errc::cancelled) {
                wire::append_bye(out_, "Server shutting down", mode_);
            } else if (!n) {
                ctx_.logger.info("connection ended: {}", n.error().message);
            }
            co_return false;
        }
        if (!deflate_)
            co_return true;
        deflate_->feed(compressed);
        compressed.clear();
    }
}

asio::awaitable<std::optional<Session::Frame>> Session::next_frame() {
    for (;;) {
        if (in_pos_ < in_.size()) {
            auto p = receiver_.feed(std::string_view(in_).substr(in_pos_));
            in_pos_ += p.consumed;
            switch (p.event) {
                case wire::Receiver::Event::continuation: {
                    wire::append_continuation(out_, "Ready for literal data", mode_);
                    if (!co_await flush())
                        co_return std::nullopt;
                    continue;
                }
                case wire::Receiver::Event::command: {
                    Frame f;
                    f.command = receiver_.take_command();
                    co_return f;
                }
                case wire::Receiver::Event::error: {
                    Frame f;
                    f.error = receiver_.take_error();
                    co_return f;
                }
                case wire::Receiver::Event::literal_data:  // not streamed: never happens
                case wire::Receiver::Event::need_more:
                    break;
            }
        }
        // Waiting for a new command (not in the middle of one): a stop may interrupt, and
        // NOTIFY may write (RFC 5465 §3).
        const bool between = receiver_.idle();
        conn_.stream->set_interruptible(between);
        if (between)
            notify_open_window();
        bool more = co_await read_more();
        if (between)
            co_await notify_close_window();
        conn_.stream->set_interruptible(false);
        if (!more)
            co_return std::nullopt;
    }
}

// --- the loop ------------------------------------------------------------------------------

asio::awaitable<void> Session::run() {
    auto caps = capabilities();
    wire::append_greeting(out_, false, wire::codes::capability(caps), cfg_.greeting, mode_);
    if (!co_await flush())
        co_return;
    while (true) {
        if (conn_.stopping && conn_.stopping->load()) {
            wire::append_bye(out_, "Server shutting down", mode_);
            break;
        }
        auto frame = co_await next_frame();
        if (!frame)
            break;
        if (frame->error) {
            auto& e = *frame->error;
            ctx_.logger.info("command refused: {}", e.reason);
            auto code = e.too_big ? std::optional(wire::codes::too_big()) : std::nullopt;
            Flow flow = Flow::next;
            if (e.reply_no && !e.tag.empty()) {
                auto before = out_.size();
                wire::append_tagged(out_, e.tag, wire::ResponseCondition::no, code, e.reason,
                                    mode_);
                log_out_buffer(before);
            } else {
                flow = bad(e.tag, e.reason, code);
            }
            if (e.close) {
                wire::append_bye(out_, "Cannot continue after this error", mode_);
                break;
            }
            if (flow == Flow::close)
                break;
            if (!co_await flush())
                break;
            continue;
        }
        auto& framed = *frame->command;
        auto parsed = wire::parse_command(framed, parser_options());
        if (ctx_.logger.enabled(log::kProtocol)) {
            // Never log credentials or message bodies.
            std::string_view text(framed.text);
            bool secret = parsed && (parsed->name == wire::CommandName::login ||
                                     parsed->name == wire::CommandName::authenticate);
            if (secret)
                ctx_.logger.proto("<< {} {} ***", parsed->tag, wire::command_keyword(parsed->name));
            else if (!framed.literals.empty())  // literal data (message bodies) stays out
                ctx_.logger.proto(
                    "<< {} ...({} literal(s))",
                    text.substr(0, std::min<std::size_t>(framed.literals[0].data, 512)),
                    framed.literals.size());
            else
                ctx_.logger.proto("<< {}", text.substr(0, std::min<std::size_t>(text.size(), 512)));
        }
        if (!parsed) {
            auto& e = parsed.error();
            if (bad(e.tag, e.reason) == Flow::close)
                break;
            if (!co_await flush())
                break;
            continue;
        }
        // RFC 4314: an ACL change reaches a session with the mailbox open at its next command.
        bool revoked = false;
        if (auto* box = selected(); box && box->rights_stale())
            revoked = co_await recheck_rights();
        const auto& rule = wire::rule_for(parsed->name);
        if (revoked && !(rule.states & state_bit())) {
            // Not the client's error: no BAD, no error count.
            no(*parsed, "Access to the mailbox was revoked", wire::codes::no_perm());
            if (!co_await flush())
                break;
            continue;
        }
        if (!(rule.states & state_bit())) {
            const char* why =
                std::holds_alternative<NotAuthenticated>(state_)
                    ? "Log in first"
                    : (std::holds_alternative<Selected>(state_) ? "Not valid in the selected state"
                                                                : "Select a mailbox first");
            if (bad(parsed->tag, why) == Flow::close)
                break;
            if (!co_await flush())
                break;
            continue;
        }
        if (co_await execute(*parsed) == Flow::close)
            break;
        if (!co_await flush())
            break;
        if (compress_next_)
            start_compression();
    }
    co_await stop_notify();
    co_await flush();
    conn_.stream->close();
}

asio::awaitable<void> Session::report_updates(bool allow_expunge,
                                              std::vector<store::Uid>* new_uids) {
    auto* box = selected();
    if (!box)
        co_return;
    // Flag changes and new messages go out after any command; expunges wait for one that
    // may send them (RFC 2180 §4.1.2), while EXISTS still counts the held-back messages.
    store::ViewSync sync =
        box->view().sync(allow_expunge ? store::ExpungeReport::send : store::ExpungeReport::hold);
    if (sync.mailbox_deleted) {
        // Another session deleted it (RFC 9051 §7.1 CLOSED is for our own leaving; say BYE-less
        // NO and return to the authenticated state).
        wire::append_untagged(out_, wire::ResponseCondition::ok, wire::codes::closed(),
                              "Mailbox was deleted", mode_);
        leave_mailbox();
        co_return;
    }
    if (!sync.expunged_uids.empty()) {
        if (qresync_) {
            wire::append_vanished(out_, std::span<const std::uint32_t>(sync.expunged_uids), false);
        } else {
            for (auto seq : sync.expunged_seqs)
                wire::append_expunge(out_, seq);
        }
    }
    if (new_uids)
        new_uids->insert(new_uids->end(), sync.new_uids.begin(), sync.new_uids.end());
    if (!sync.new_uids.empty()) {
        store::UidSet claimed;
        auto& mailbox = box->mailbox();
        co_await blocking([&] {
            if (auto r = mailbox.claim_recent())
                claimed = std::move(*r);
        });
        box->add_recent(claimed);
    }
    if (!sync.new_uids.empty() || !sync.expunged_uids.empty()) {
        wire::append_exists(out_, sync.exists);
        if (!mode_.imap4rev2)
            wire::append_recent(out_, box->recent_count());
    }
    // Another session (or a delivery) may have used a keyword new to the mailbox.
    announce_new_keywords(*box, {});
    for (const auto& e : sync.flag_changes) {
        if (box->already_reported(e.uid, e.modseq))
            continue;
        auto seq = box->seq_of(e.uid);
        if (seq == 0)
            continue;
        auto names = flag_names(e.flags, box->keyword_names(e.keywords), box->is_recent(e.uid));
        out_ += "* " + std::to_string(seq) + " FETCH (";
        if (condstore_) {
            out_ += "MODSEQ (" + std::to_string(e.modseq) + ") ";
        }
        out_ += "UID " + std::to_string(e.uid) + " FLAGS ";
        wire::append_flag_list(out_, names);
        out_ += ")\r\n";
    }
}

asio::awaitable<Session::Flow> Session::execute(const wire::Command& c) {
    using N = wire::CommandName;
    Flow flow = Flow::next;
    switch (c.name) {
        case N::capability:
            flow = on_capability(c);
            break;
        case N::noop:
        case N::check:
            co_return co_await on_noop(c);
        case N::logout:
            co_return on_logout(c);
        case N::id:
            flow = on_id(c, std::get<wire::Id>(c.args));
            break;
        case N::enable:
            flow = on_enable(c, std::get<wire::Enable>(c.args));
            break;
        case N::starttls:
            co_return co_await on_starttls(c);
        case N::login:
            co_return co_await on_login(c, std::get<wire::Login>(c.args));
        case N::authenticate:
            co_return co_await on_authenticate(c, std::get<wire::Authenticate>(c.args));
        case N::unauthenticate:
            co_return co_await on_unauthenticate(c);
        case N::namespace_:
            flow = on_namespace(c);
            break;
        case N::create:
            flow = co_await on_create(c, std::get<wire::Create>(c.args));
            break;
        case N::delete_:
            flow = co_await on_delete(c, std::get<wire::Delete>(c.args));
            break;
        case N::rename:
            flow = co_await on_rename(c, std::get<wire::Rename>(c.args));
            break;
        case N::subscribe:
            flow = co_await on_subscribe(c, std::get<wire::Subscribe>(c.args).mailbox, true);
            break;
        case N::unsubscribe:
            flow = co_await on_subscribe(c, std::get<wire::Unsubscribe>(c.args).mailbox, false);
            break;
        case N::status:
            flow = co_await on_status(c, std::get<wire::Status>(c.args));
            break;
        case N::list:
            flow = co_await on_list(c, std::get<wire::List>(c.args));
            break;
        case N::lsub:
            flow = co_await on_lsub(c, std::get<wire::Lsub>(c.args));
            break;
        case N::select:
        case N::examine:
            co_return co_await on_select(c, std::get<wire::Select>(c.args));
        case N::close:
            co_return co_await on_close(c, true);
        case N::unselect:
            co_return co_await on_close(c, false);
        case N::expunge:
            co_return co_await on_expunge(c, std::get<wire::Expunge>(c.args));
        case N::append:
            flow = co_await on_append(c, std::get<wire::Append>(c.args));
            break;
        case N::idle:
            co_return co_await on_idle(c);
        case N::getmetadata:
            co_return co_await on_getmetadata(c, std::get<wire::GetMetadata>(c.args));
        case N::setmetadata:
            co_return co_await on_setmetadata(c, std::get<wire::SetMetadata>(c.args));
        case N::compress:
            co_return on_compress(c, std::get<wire::Compress>(c.args));
        case N::replace:
            co_return co_await on_replace(c, std::get<wire::Replace>(c.args));
        case N::fetch:
            co_return co_await on_fetch(c, std::get<wire::Fetch>(c.args));
        case N::store:
            co_return co_await on_store(c, std::get<wire::Store>(c.args));
        case N::copy:
            flow = co_await on_copy(c, std::get<wire::Copy>(c.args).set,
                                    std::get<wire::Copy>(c.args).mailbox, false);
            break;
        case N::move:
            co_return co_await on_copy(c, std::get<wire::Move>(c.args).set,
                                       std::get<wire::Move>(c.args).mailbox, true);
        case N::search:
            co_return co_await on_search(c, std::get<wire::Search>(c.args));
        case N::sort:
            co_return co_await on_sort(c, std::get<wire::Sort>(c.args));
        case N::thread:
            co_return co_await on_thread(c, std::get<wire::Thread>(c.args));
        case N::setacl:
            co_return co_await on_setacl(c, std::get<wire::SetAcl>(c.args));
        case N::deleteacl:
            co_return co_await on_deleteacl(c, std::get<wire::DeleteAcl>(c.args));
        case N::getacl:
            co_return co_await on_getacl(c, std::get<wire::GetAcl>(c.args));
        case N::listrights:
            co_return co_await on_listrights(c, std::get<wire::ListRights>(c.args));
        case N::myrights:
            co_return co_await on_myrights(c, std::get<wire::MyRights>(c.args));
        case N::getquota:
            flow = co_await on_getquota(c, std::get<wire::GetQuota>(c.args));
            break;
        case N::notify:
            co_return co_await on_notify(c, std::get<wire::Notify>(c.args));
        case N::getquotaroot:
            flow = co_await on_getquotaroot(c, std::get<wire::GetQuotaRoot>(c.args));
            break;
        default:
            co_return bad(c.tag, std::string("Command not supported: ") +
                                     std::string(wire::command_keyword(c.name)));
    }
    co_return flow;
}

}  // namespace postern::services::imap
