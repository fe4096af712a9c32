// POP3 command parsing (RFC 1939 §5-§7, RFC 2449 §5, RFC 2595 §4, RFC 5034 §4).
#include "proto/pop3/command.h"

#include <array>
#include <vector>

#include "base/strings.h"

namespace postern::proto::pop3 {

namespace {

struct Entry {
    CommandName name;
    std::string_view keyword;
    std::uint8_t states;
};

constexpr std::uint8_t kAuthz = state::authorization;
constexpr std::uint8_t kTrans = state::transaction;

constexpr std::array<Entry, 15> kTable{{
    {CommandName::user, "USER", kAuthz},
    {CommandName::pass, "PASS", kAuthz},
    {CommandName::apop, "APOP", kAuthz},
    {CommandName::auth, "AUTH", kAuthz},
    {CommandName::stls, "STLS", kAuthz},
    {CommandName::capa, "CAPA", kAuthz | kTrans},
    {CommandName::quit, "QUIT", kAuthz | kTrans},
    {CommandName::stat, "STAT", kTrans},
    {CommandName::list, "LIST", kTrans},
    {CommandName::retr, "RETR", kTrans},
    {CommandName::dele, "DELE", kTrans},
    {CommandName::noop, "NOOP", kTrans},
    {CommandName::rset, "RSET", kTrans},
    {CommandName::top, "TOP", kTrans},
    {CommandName::uidl, "UIDL", kTrans},
}};

std::unexpected<ParseError> syntax(std::string reason) {
    return std::unexpected(ParseError{std::move(reason), false});
}

// Splits at spaces, skipping empty fields.
std::vector<std::string_view> words(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && s[i] == ' ')
            ++i;
        if (i == s.size())
            break;
        std::size_t j = s.find(' ', i);
        if (j == std::string_view::npos)
            j = s.size();
        out.push_back(s.substr(i, j - i));
        i = j;
    }
    return out;
}

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s)
        if (c < '0' || c > '9')
            return false;
    return true;
}

std::optional<MessageNumber> message_number(std::string_view s) {
    if (!all_digits(s))
        return std::nullopt;
    auto v = parse_uint(s.size() > 19 ? std::string_view("99999999999") : s);
    if (!v || *v > 0xFFFFFFFFull)
        return MessageNumber{0};
    return MessageNumber{static_cast<std::uint32_t>(*v)};
}

bool printable(std::string_view s) {
    for (unsigned char c : s)
        if (c < 0x20 || c == 0x7F)
            return false;
    return true;
}

}  // namespace

std::string_view command_keyword(CommandName name) {
    for (const auto& e : kTable)
        if (e.name == name)
            return e.keyword;
    return "?";
}

std::uint8_t allowed_states(CommandName name) {
    for (const auto& e : kTable)
        if (e.name == name)
            return e.states;
    return 0;
}

std::expected<Command, ParseError> parse_command(std::string_view line) {
    std::size_t sp = line.find(' ');
    std::string_view keyword = line.substr(0, sp);
    std::string_view rest = sp == std::string_view::npos ? std::string_view{} : line.substr(sp + 1);
    const Entry* entry = nullptr;
    for (const auto& e : kTable)
        if (iequals(e.keyword, keyword))
            entry = &e;
    if (!entry)
        return std::unexpected(ParseError{"Unknown command", true});
    Command c;
    c.name = entry->name;
    if (!printable(rest))
        return syntax("Control characters in the command");
    // PASS keeps its argument as sent: passwords may contain (even end in) spaces.
    if (c.name == CommandName::pass) {
        if (rest.empty())
            return syntax("PASS needs a password");
        c.text = std::string(rest);
        return c;
    }
    auto args = words(rest);
    auto want = [&](std::size_t lo, std::size_t hi) {
        return args.size() >= lo && args.size() <= hi;
    };
    auto number_at = [&](std::size_t i) -> std::expected<MessageNumber, ParseError> {
        auto n = message_number(args[i]);
        if (!n)
            return syntax("Invalid message number");
        return *n;
    };
    switch (c.name) {
        case CommandName::user:
            if (args.size() != 1)
                return syntax("USER needs one name");
            c.text = std::string(args[0]);
            break;
        case CommandName::apop: {
            if (args.size() != 2)
                return syntax("APOP needs a name and a digest");
            std::string digest = to_lower(args[1]);
            if (digest.size() != 32 ||
                digest.find_first_not_of("0123456789abcdef") != std::string::npos)
                return syntax("APOP digest must be 32 hex digits");
            c.text = std::string(args[0]);
            c.digest = std::move(digest);
            break;
        }
        case CommandName::auth:
            if (!want(0, 2))
                return syntax("AUTH takes a mechanism and an optional initial response");
            if (!args.empty())
                c.text = to_upper(args[0]);
            if (args.size() == 2)
                c.initial = std::string(args[1]);
            break;
        case CommandName::stls:
        case CommandName::capa:
        case CommandName::quit:
        case CommandName::stat:
        case CommandName::noop:
        case CommandName::rset:
            if (!args.empty())
                return syntax(std::string(entry->keyword) + " takes no arguments");
            break;
        case CommandName::list:
        case CommandName::uidl:
            if (!want(0, 1))
                return syntax(std::string(entry->keyword) + " takes at most one message number");
            if (args.size() == 1) {
                auto n = number_at(0);
                if (!n)
                    return std::unexpected(n.error());
                c.message = *n;
            }
            break;
        case CommandName::retr:
        case CommandName::dele: {
            if (args.size() != 1)
                return syntax(std::string(entry->keyword) + " needs one message number");
            auto n = number_at(0);
            if (!n)
                return std::unexpected(n.error());
            c.message = *n;
            break;
        }
        case CommandName::top: {
            if (args.size() != 2)
                return syntax("TOP needs a message number and a line count");
            auto n = number_at(0);
            if (!n)
                return std::unexpected(n.error());
            c.message = *n;
            if (!all_digits(args[1]))
                return syntax("Invalid line count");
            auto lines = args[1].size() > 19 ? std::optional<std::uint64_t>(UINT64_MAX)
                                             : parse_uint(args[1]);
            c.lines = lines ? *lines : UINT64_MAX;
            break;
        }
        case CommandName::pass:
            break;
    }
    return c;
}

}  // namespace postern::proto::pop3
