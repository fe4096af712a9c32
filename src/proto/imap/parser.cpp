// IMAP command dispatch (RFC 9051 §2.2.1 tag and command, §6.4.9 UID prefix, §9 "command"): reads
// the tag, the optional UID and the command word, then hands the arguments to the family parser
// in parser/ chosen from a table indexed by CommandName.
#include "proto/imap/parser.h"

#include <array>

#include "base/strings.h"
#include "proto/imap/command_table.h"
#include "proto/imap/parser/parsers.h"

namespace postern::proto::imap {
namespace {

using namespace detail;

constexpr std::size_t kMaxKeywordShown = 32;

constexpr std::array<CommandParser, kCommandNameCount> kParsers = [] {
    std::array<CommandParser, kCommandNameCount> t{};
    auto set = [&t](CommandName n, CommandParser p) { t[static_cast<std::size_t>(n)] = p; };
    set(CommandName::capability, parse_no_arguments);
    set(CommandName::noop, parse_no_arguments);
    set(CommandName::logout, parse_no_arguments);
    set(CommandName::starttls, parse_no_arguments);
    set(CommandName::authenticate, parse_authenticate);
    set(CommandName::login, parse_login);
    set(CommandName::enable, parse_enable);
    set(CommandName::select, parse_select);
    set(CommandName::examine, parse_select);
    set(CommandName::create, parse_create);
    set(CommandName::delete_, parse_one_mailbox);
    set(CommandName::rename, parse_rename);
    set(CommandName::subscribe, parse_one_mailbox);
    set(CommandName::unsubscribe, parse_one_mailbox);
    set(CommandName::list, parse_list);
    set(CommandName::lsub, parse_lsub);
    set(CommandName::namespace_, parse_no_arguments);
    set(CommandName::status, parse_status);
    set(CommandName::append, parse_append);
    set(CommandName::idle, parse_no_arguments);
    set(CommandName::check, parse_no_arguments);
    set(CommandName::close, parse_no_arguments);
    set(CommandName::unselect, parse_no_arguments);
    set(CommandName::expunge, parse_expunge);
    set(CommandName::search, parse_search);
    set(CommandName::fetch, parse_fetch);
    set(CommandName::store, parse_store);
    set(CommandName::copy, parse_copy_move);
    set(CommandName::move, parse_copy_move);
    set(CommandName::sort, parse_sort);
    set(CommandName::thread, parse_thread);
    set(CommandName::getquota, parse_getquota);
    set(CommandName::getquotaroot, parse_getquotaroot);
    set(CommandName::setquota, parse_setquota);
    set(CommandName::setacl, parse_acl);
    set(CommandName::deleteacl, parse_acl);
    set(CommandName::getacl, parse_acl);
    set(CommandName::listrights, parse_acl);
    set(CommandName::myrights, parse_acl);
    set(CommandName::getmetadata, parse_getmetadata);
    set(CommandName::setmetadata, parse_setmetadata);
    set(CommandName::notify, parse_notify);
    set(CommandName::compress, parse_compress);
    set(CommandName::id, parse_id);
    set(CommandName::replace, parse_replace);
    set(CommandName::unauthenticate, parse_no_arguments);
    return t;
}();

bool is_tag_char(char c) {
    return c != '+' && is_astring_char(c);
}

std::string shown(std::string_view keyword) {
    std::string out = to_upper(keyword.substr(0, kMaxKeywordShown));
    for (char& c : out) {
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7F)
            c = '?';
    }
    return out;
}

}  // namespace

ParseResult parse_command(const FramedCommand& command, const ParserOptions& options) {
    Reader r(command, options);
    ParseError error;
    auto tag = r.chars_while(is_tag_char, "tag");
    if (!tag || (!r.at_end() && r.peek() != ' ')) {
        error.kind = ParseErrorKind::no_tag;
        error.reason = "Missing or invalid tag";
        return std::unexpected(std::move(error));
    }
    error.tag = std::string(*tag);
    auto keyword_of = [&]() -> std::optional<std::string_view> {
        if (!r.sp())
            return std::nullopt;
        auto word = r.atom("command");
        if (!word)
            return std::nullopt;
        return *word;
    };
    auto keyword = keyword_of();
    if (!keyword) {
        error.reason = "Missing or invalid command";
        return std::unexpected(std::move(error));
    }
    bool uid = false;
    if (iequals(*keyword, "UID")) {
        uid = true;
        keyword = keyword_of();
        if (!keyword) {
            error.reason = "Missing command after UID";
            return std::unexpected(std::move(error));
        }
    }
    error.keyword = shown(*keyword);
    const CommandName name = find_command(*keyword);
    if (name == CommandName::unknown) {
        error.kind = ParseErrorKind::unknown_command;
        error.reason = "Unknown command " + error.keyword;
        return std::unexpected(std::move(error));
    }
    error.name = name;
    if (uid && !rule_for(name).uid_prefix) {
        error.reason = "UID " + error.keyword + " is not a command";
        return std::unexpected(std::move(error));
    }
    auto args = kParsers[static_cast<std::size_t>(name)](r, CommandContext{name, uid});
    Step tail = args ? r.end() : Step{};
    if (!args || !tail) {
        const Failure& f = args ? tail.error() : args.error();
        error.kind = f.kind;
        error.reason = f.reason;
        return std::unexpected(std::move(error));
    }
    return Command{std::string(*tag), name, uid, std::move(*args)};
}

ParseResult parse_command_text(std::string_view text, const ParserOptions& options,
                               const ReceiverOptions& receiver_options) {
    Receiver receiver(receiver_options);
    std::string input(text);
    if (input.empty() || input.back() != '\n')
        input += "\r\n";
    std::string_view rest = input;
    while (true) {
        auto progress = receiver.feed(rest);
        rest.remove_prefix(progress.consumed);
        if (progress.event == Receiver::Event::command) {
            if (!rest.empty())
                break;
            return parse_command(receiver.take_command(), options);
        }
        if (progress.event == Receiver::Event::error) {
            ReceiveError e = receiver.take_error();
            ParseError error;
            error.kind = e.tag.empty() ? ParseErrorKind::no_tag : ParseErrorKind::limit;
            error.tag = e.tag;
            error.reason = e.reason;
            return std::unexpected(std::move(error));
        }
        if (progress.event == Receiver::Event::need_more && rest.empty())
            break;
    }
    ParseError error;
    error.kind = ParseErrorKind::syntax;
    error.reason = "Not exactly one command";
    return std::unexpected(std::move(error));
}

}  // namespace postern::proto::imap
