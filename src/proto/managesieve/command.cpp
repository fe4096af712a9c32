// ManageSieve command framing and parsing (RFC 5804 §2 commands, §4 formal syntax: quoted
// strings, "{n+}" literals — "{n}" is accepted from clients too, without a continuation).
#include "proto/managesieve/command.h"

#include <array>

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::proto::managesieve {

namespace {

struct Entry {
    CommandName name;
    std::string_view keyword;
    std::uint8_t states;
};

constexpr std::uint8_t kUnauth = state::unauthenticated;
constexpr std::uint8_t kAuth = state::authenticated;

constexpr std::array<Entry, 14> kTable{{
    {CommandName::authenticate, "AUTHENTICATE", kUnauth},
    {CommandName::starttls, "STARTTLS", kUnauth},
    {CommandName::logout, "LOGOUT", kUnauth | kAuth},
    {CommandName::capability, "CAPABILITY", kUnauth | kAuth},
    {CommandName::havespace, "HAVESPACE", kAuth},
    {CommandName::putscript, "PUTSCRIPT", kAuth},
    {CommandName::listscripts, "LISTSCRIPTS", kAuth},
    {CommandName::setactive, "SETACTIVE", kAuth},
    {CommandName::getscript, "GETSCRIPT", kAuth},
    {CommandName::deletescript, "DELETESCRIPT", kAuth},
    {CommandName::renamescript, "RENAMESCRIPT", kAuth},
    {CommandName::checkscript, "CHECKSCRIPT", kAuth},
    {CommandName::noop, "NOOP", kUnauth | kAuth},
    {CommandName::unauthenticate, "UNAUTHENTICATE", kAuth},
}};

// A literal marker at the end of `line`: "{123+}" or "{123}". nullopt: no marker; a size of
// UINT64_MAX: a marker that is not a valid size.
std::optional<std::pair<std::size_t, std::uint64_t>> literal_marker(std::string_view line) {
    if (line.empty() || line.back() != '}')
        return std::nullopt;
    auto open = line.rfind('{');
    if (open == std::string_view::npos)
        return std::make_pair(std::size_t{0}, UINT64_MAX);
    std::string_view inner = line.substr(open + 1, line.size() - open - 2);
    if (!inner.empty() && inner.back() == '+')
        inner.remove_suffix(1);
    if (inner.empty() || inner.size() > 18 ||
        inner.find_first_not_of("0123456789") != std::string_view::npos)
        return std::make_pair(open, UINT64_MAX);
    auto v = parse_uint(inner);
    return std::make_pair(open, v ? *v : UINT64_MAX);
}

enum class ArgKind : std::uint8_t { string, number };
struct Arg {
    ArgKind kind = ArgKind::string;
    std::string text;
    std::uint64_t number = 0;
};

class Tokens {
  public:
    Tokens(const FramedCommand& f, std::size_t pos, std::size_t max_quoted)
        : f_(f), pos_(pos), max_quoted_(max_quoted) {}

    bool at_end() const { return pos_ >= f_.text.size(); }

    // One argument at the cursor (no leading space).
    std::expected<Arg, std::string> argument() {
        const std::string& t = f_.text;
        if (at_end())
            return std::unexpected("Missing argument");
        char c = t[pos_];
        if (c == '"') {
            Arg a;
            ++pos_;
            while (true) {
                if (pos_ >= t.size())
                    return std::unexpected("Unterminated quoted string");
                char q = t[pos_];
                if (q == '"') {
                    ++pos_;
                    break;
                }
                if (q == '\\') {
                    if (pos_ + 1 >= t.size() || (t[pos_ + 1] != '"' && t[pos_ + 1] != '\\'))
                        return std::unexpected("Invalid escape in quoted string");
                    q = t[pos_ + 1];
                    pos_ += 2;
                } else {
                    if (q == '\0' || q == '\r' || q == '\n')
                        return std::unexpected("Invalid character in quoted string");
                    ++pos_;
                }
                if (a.text.size() >= max_quoted_)
                    return std::unexpected("Quoted string too long; use a literal");
                a.text += q;
            }
            return a;
        }
        if (c == '{') {
            if (lit_ >= f_.literals.size() || f_.literals[lit_].marker != pos_)
                return std::unexpected("Invalid literal");
            const auto& l = f_.literals[lit_++];
            Arg a;
            a.text = t.substr(l.data, static_cast<std::size_t>(l.size));
            pos_ = l.data + static_cast<std::size_t>(l.size);
            return a;
        }
        if (c >= '0' && c <= '9') {
            std::size_t end = pos_;
            while (end < t.size() && t[end] >= '0' && t[end] <= '9')
                ++end;
            std::string_view digits(t.data() + pos_, end - pos_);
            auto v = digits.size() > 18 ? std::nullopt : parse_uint(digits);
            if (!v)
                return std::unexpected("Number too large");
            pos_ = end;
            Arg a;
            a.kind = ArgKind::number;
            a.number = *v;
            return a;
        }
        return std::unexpected("Expected a string or a number");
    }

    // Arguments until the end, each after one space.
    std::expected<std::vector<Arg>, std::string> rest() {
        std::vector<Arg> out;
        while (!at_end()) {
            if (f_.text[pos_] != ' ')
                return std::unexpected("Expected a space between arguments");
            ++pos_;
            if (out.size() >= 8)
                return std::unexpected("Too many arguments");
            auto a = argument();
            if (!a)
                return std::unexpected(a.error());
            out.push_back(std::move(*a));
        }
        return out;
    }

  private:
    const FramedCommand& f_;
    std::size_t pos_;
    std::size_t lit_ = 0;
    std::size_t max_quoted_;
};

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

// --- Receiver --------------------------------------------------------------------------------

void Receiver::fail(ReceiveErrorKind kind, std::string reason, bool close, std::uint64_t size) {
    error_ = ReceiveError{kind, std::move(reason), close, size};
    if (!close)
        skipping_ = true;
}

Receiver::Progress Receiver::feed(std::string_view in) {
    std::size_t i = 0;
    while (i < in.size()) {
        if (skipping_) {
            if (skip_literal_ > 0) {
                auto n =
                    static_cast<std::size_t>(std::min<std::uint64_t>(skip_literal_, in.size() - i));
                i += n;
                skip_literal_ -= n;
                continue;
            }
            auto lf = in.find('\n', i);
            auto end = lf == std::string_view::npos ? in.size() : lf;
            skip_line_.append(in.substr(i, end - i));
            if (skip_line_.size() > limits_.max_line + 1) {
                error_ = ReceiveError{ReceiveErrorKind::line_too_long, "Line too long", true, 0};
                return {end, Event::error};
            }
            if (lf == std::string_view::npos) {
                i = in.size();
                continue;
            }
            i = lf + 1;
            if (!skip_line_.empty() && skip_line_.back() == '\r')
                skip_line_.pop_back();
            auto marker = literal_marker(skip_line_);
            skip_line_.clear();
            if (!marker)
                return {i, Event::error};  // the command's end: report the error now
            if (marker->second == UINT64_MAX || marker->second > limits_.max_skip) {
                error_->close = true;
                return {i, Event::error};
            }
            skip_literal_ = marker->second;
            continue;
        }
        if (in_literal_) {
            auto n =
                static_cast<std::size_t>(std::min<std::uint64_t>(literal_left_, in.size() - i));
            current_.text.append(in.substr(i, n));
            i += n;
            literal_left_ -= n;
            if (literal_left_ == 0) {
                in_literal_ = false;
                line_start_ = current_.text.size();
            }
            continue;
        }
        auto lf = in.find('\n', i);
        auto end = lf == std::string_view::npos ? in.size() : lf;
        // +1: the CR before the LF is not part of the line.
        if (current_.text.size() - line_start_ + (end - i) > limits_.max_line + 1) {
            fail(ReceiveErrorKind::line_too_long, "Line too long", true);
            return {end, Event::error};
        }
        current_.text.append(in.substr(i, end - i));
        if (lf == std::string_view::npos) {
            i = in.size();
            continue;
        }
        i = lf + 1;
        if (current_.text.size() > line_start_ && current_.text.back() == '\r')
            current_.text.pop_back();
        std::string_view line = std::string_view(current_.text).substr(line_start_);
        auto marker = literal_marker(line);
        if (!marker)
            return {i, Event::command};
        if (marker->second == UINT64_MAX) {
            fail(ReceiveErrorKind::bad_literal, "Invalid literal size", true);
            return {i, Event::error};
        }
        std::uint64_t size = marker->second;
        if (current_.literals.size() >= limits_.max_literals) {
            fail(ReceiveErrorKind::too_many_literals, "Too many literals in one command",
                 size > limits_.max_skip, size);
            if (error_->close)
                return {i, Event::error};
            skip_literal_ = size;
            continue;
        }
        if (size > limits_.max_literal) {
            fail(ReceiveErrorKind::literal_too_large,
                 "Literal of " + std::to_string(size) + " octets is over the limit of " +
                     std::to_string(limits_.max_literal),
                 size > limits_.max_skip, size);
            if (error_->close)
                return {i, Event::error};
            skip_literal_ = size;
            continue;
        }
        current_.literals.push_back(
            FramedLiteral{line_start_ + marker->first, current_.text.size(), size});
        literal_left_ = size;
        in_literal_ = size > 0;
        line_start_ = current_.text.size();
    }
    return {i, Event::need_more};
}

FramedCommand Receiver::take_command() {
    FramedCommand out = std::move(current_);
    reset();
    return out;
}

ReceiveError Receiver::take_error() {
    ReceiveError out = error_ ? std::move(*error_) : ReceiveError{};
    reset();
    return out;
}

void Receiver::reset() {
    current_ = FramedCommand{};
    line_start_ = 0;
    literal_left_ = 0;
    in_literal_ = false;
    skipping_ = false;
    skip_literal_ = 0;
    skip_line_.clear();
    error_.reset();
}

// --- parsing ---------------------------------------------------------------------------------

std::expected<Command, ParseError> parse_command(const FramedCommand& framed,
                                                 std::size_t max_quoted) {
    const std::string& t = framed.text;
    std::size_t end = 0;
    while (end < t.size() && ((t[end] >= 'A' && t[end] <= 'Z') || (t[end] >= 'a' && t[end] <= 'z')))
        ++end;
    std::string_view keyword(t.data(), end);
    if (keyword.empty())
        return std::unexpected(ParseError{"Expected a command", true});
    const Entry* entry = nullptr;
    for (const auto& e : kTable)
        if (iequals(e.keyword, keyword))
            entry = &e;
    if (!entry || (end < t.size() && t[end] != ' '))
        return std::unexpected(ParseError{"Unknown command", true});
    Tokens tokens(framed, end, max_quoted);
    auto args = tokens.rest();
    if (!args)
        return std::unexpected(ParseError{args.error(), false});
    Command c;
    c.name = entry->name;
    // Argument shapes: 's' string, 'n' number; upper-case letters are required, lower optional.
    std::string_view shape;
    switch (c.name) {
        case CommandName::authenticate:
            shape = "Ss";
            break;
        case CommandName::havespace:
            shape = "SN";
            break;
        case CommandName::putscript:
        case CommandName::renamescript:
            shape = "SS";
            break;
        case CommandName::setactive:
        case CommandName::getscript:
        case CommandName::deletescript:
        case CommandName::checkscript:
            shape = "S";
            break;
        case CommandName::noop:
            shape = "s";
            break;
        default:
            shape = "";
            break;
    }
    std::size_t required = 0;
    for (char s : shape)
        if (s == 'S' || s == 'N')
            ++required;
    if (args->size() < required || args->size() > shape.size())
        return std::unexpected(
            ParseError{std::string(entry->keyword) +
                           (shape.empty() ? " takes no arguments" : ": wrong number of arguments"),
                       false});
    for (std::size_t i = 0; i < args->size(); ++i) {
        bool want_number = shape[i] == 'N' || shape[i] == 'n';
        auto& a = (*args)[i];
        if (want_number != (a.kind == ArgKind::number))
            return std::unexpected(
                ParseError{std::string(entry->keyword) + ": argument " + std::to_string(i + 1) +
                               (want_number ? " must be a number" : " must be a string"),
                           false});
        if (want_number)
            c.number = a.number;
        else
            c.strings.push_back(std::move(a.text));
    }
    return c;
}

std::optional<std::string> parse_sasl_response(const FramedCommand& framed,
                                               std::size_t max_quoted) {
    Tokens tokens(framed, 0, max_quoted);
    auto a = tokens.argument();
    if (!a || a->kind != ArgKind::string || !tokens.at_end())
        return std::nullopt;
    return std::move(a->text);
}

bool valid_script_name(std::string_view name) {
    if (name.empty() || name.size() > 128 || name.front() == '.' || !is_valid_utf8(name))
        return false;
    std::size_t i = 0;
    while (i < name.size()) {
        char32_t cp = 0;
        std::size_t n = utf8_sequence(name, i, cp);
        if (n == 0)
            return false;
        if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 || cp == '/')
            return false;
        i += n;
    }
    return true;
}

}  // namespace postern::proto::managesieve
