// Sieve lexer and parser: RFC 5228 §2.2-§2.9 (lexical tokens), §8.1 (lexical grammar) and
// §8.2 (command/test grammar). After a syntax error the parser recovers at the end of the
// broken structure (the next ';' or block of a command, the ']' of a string list, the ')' of a
// test list, the '}' of a block, counting nesting) and goes on, so one run reports every
// error, up to ParseLimits::max_errors.
#include "filter/sieve/parser.h"

#include <cctype>

#include <fmt/format.h>

namespace postern::sieve {

std::string SyntaxError::to_string() const {
    return fmt::format("{}:{}: {}", pos.line, pos.column, message);
}

namespace {

enum class Tok : std::uint8_t {
    eof,
    identifier,
    tag,
    string,
    number,
    lsquare,
    rsquare,
    lparen,
    rparen,
    lcurly,
    rcurly,
    semicolon,
    comma,
    colon,    // ':' not followed by a tag name
    slash,    // '/' not starting a comment
    garbage,  // a character that starts no token (reported once per run of them)
    error,    // a token the lexer rejected (already reported)
};

struct Token {
    Tok type = Tok::eof;
    Position pos;
    std::string text;  // identifier / tag (lower-case) / string value
    std::uint64_t number = 0;
};

// Thrown when the error limit is reached or a limit makes going on pointless; the errors are
// already recorded.
struct ParseAbort {};

// Result of a grammar rule: the parser is at a known place (ok), or must skip to the end of
// the enclosing structure first (recover).
enum class Step : std::uint8_t { ok, recover };

class Parser {
  public:
    Parser(std::string_view src, const ParseLimits& limits, std::vector<SyntaxError>& errors)
        : s_(src), limits_(limits), errors_(errors) {}

    Script run() {
        Script script;
        try {
            if (s_.size() > limits_.max_script_bytes) {
                report({1, 1}, fmt::format("script is too large ({} bytes, limit {})", s_.size(),
                                           limits_.max_script_bytes));
                return script;
            }
            next();
            bool resync = false;  // skipping junk after an error already reported
            for (;;) {
                std::size_t before = script.commands.size();
                Step step = commands(script.commands, 1);
                if (tok_.type == Tok::eof)
                    break;
                if (script.commands.size() != before)
                    resync = false;
                // A stray '}' or a token that starts no command: report it unless an error
                // before explains it, then skip it (and the rest of its command or block) and
                // go on with the next command.
                if (step == Step::ok && !resync) {
                    if (tok_.type == Tok::rcurly)
                        error("unexpected '}' (no block to close)");
                    else
                        error(fmt::format("expected a command, found {}", describe()));
                }
                resync = true;
                if (tok_.type == Tok::rcurly) {
                    next();
                } else if (recover(Tok::semicolon)) {
                    bool block = tok_.type == Tok::lcurly;
                    next();
                    if (block && recover(Tok::rcurly))
                        next();
                }
            }
        } catch (const ParseAbort&) {
        }
        return script;
    }

  private:
    std::string_view s_;
    ParseLimits limits_;
    std::vector<SyntaxError>& errors_;
    std::size_t i_ = 0;
    std::uint32_t line_ = 1;
    std::size_t line_start_ = 0;
    std::size_t nodes_ = 0;
    Token tok_;

    // ---- errors ----

    void report(Position pos, std::string message) {
        if (errors_.size() >= limits_.max_errors) {
            errors_.push_back(
                {pos, fmt::format("too many errors (limit {}), giving up", limits_.max_errors)});
            throw ParseAbort{};
        }
        errors_.push_back({pos, std::move(message)});
    }
    // A grammar error at the current token; not reported when the lexer already complained
    // about that token.
    void error(std::string message) {
        if (tok_.type != Tok::error)
            report(tok_.pos, std::move(message));
    }
    void lex_error(Position pos, std::string message) {
        report(pos, std::move(message));
        tok_.type = Tok::error;
    }

    // ---- lexer ----

    Position here() const { return {line_, static_cast<std::uint32_t>(i_ - line_start_ + 1)}; }
    bool at_end() const { return i_ >= s_.size(); }
    char peek(std::size_t ahead = 0) const {
        return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0';
    }
    void advance() {
        if (s_[i_] == '\n') {
            ++line_;
            line_start_ = i_ + 1;
        }
        ++i_;
    }
    static bool ident_start(char c) {
        return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
    }
    static bool ident_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    }

    // Skips white space and comments; false (after reporting) on an unterminated comment.
    bool skip_space() {
        for (;;) {
            if (at_end())
                return true;
            char c = s_[i_];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                advance();
            } else if (c == '#') {
                while (!at_end() && s_[i_] != '\n')
                    advance();
            } else if (c == '/' && peek(1) == '*') {
                Position start = here();
                advance();
                advance();
                for (;;) {
                    if (at_end()) {
                        lex_error(start, "unterminated bracket comment");
                        tok_.pos = start;
                        return false;
                    }
                    if (s_[i_] == '*' && peek(1) == '/') {
                        advance();
                        advance();
                        break;
                    }
                    advance();
                }
            } else {
                return true;
            }
        }
    }

    void next() {
        Tok previous = tok_.type;
        tok_.text.clear();
        tok_.number = 0;
        if (!skip_space())
            return;
        tok_.pos = here();
        if (at_end()) {
            tok_.type = Tok::eof;
            return;
        }
        char c = s_[i_];
        switch (c) {
            case '[':
                return single(Tok::lsquare);
            case ']':
                return single(Tok::rsquare);
            case '(':
                return single(Tok::lparen);
            case ')':
                return single(Tok::rparen);
            case '{':
                return single(Tok::lcurly);
            case '}':
                return single(Tok::rcurly);
            case ';':
                return single(Tok::semicolon);
            case ',':
                return single(Tok::comma);
            case '/':
                return single(Tok::slash);
            case '"':
                return quoted_string();
            case ':':
                advance();
                if (!ident_start(peek())) {
                    tok_.type = Tok::colon;
                    return;
                }
                return word(Tok::tag);
            default:
                break;
        }
        if (std::isdigit(static_cast<unsigned char>(c)))
            return number();
        if (ident_start(c)) {
            if (is_text_start())
                return text_string();
            return word(Tok::identifier);
        }
        // One error for a run of characters that start no token.
        if (previous != Tok::garbage)
            report(tok_.pos,
                   fmt::format("unexpected character(s) starting with {}", describe_char(c)));
        advance();
        tok_.type = Tok::garbage;
    }

    void single(Tok type) {
        advance();
        tok_.type = type;
    }

    void word(Tok type) {
        Position start = tok_.pos;
        std::string out;
        bool too_long = false;
        while (!at_end() && ident_char(s_[i_])) {
            if (out.size() < limits_.max_identifier)
                out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_]))));
            else
                too_long = true;
            advance();
        }
        if (too_long) {
            lex_error(start, fmt::format("{} '{}{}...' is too long (limit {} characters)",
                                         type == Tok::tag ? "tag" : "identifier",
                                         type == Tok::tag ? ":" : "", out, limits_.max_identifier));
            return;
        }
        tok_.type = type;
        tok_.text = std::move(out);
    }

    static std::string describe_char(char c) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f)
            return fmt::format("byte 0x{:02x}", u);
        return fmt::format("'{}'", c);
    }

    std::string describe() const {
        switch (tok_.type) {
            case Tok::eof:
                return "end of script";
            case Tok::identifier:
                return fmt::format("identifier '{}'", tok_.text);
            case Tok::tag:
                return fmt::format("tag ':{}'", tok_.text);
            case Tok::string:
                return "a string";
            case Tok::number:
                return "a number";
            case Tok::lsquare:
                return "'['";
            case Tok::rsquare:
                return "']'";
            case Tok::lparen:
                return "'('";
            case Tok::rparen:
                return "')'";
            case Tok::lcurly:
                return "'{'";
            case Tok::rcurly:
                return "'}'";
            case Tok::semicolon:
                return "';'";
            case Tok::comma:
                return "','";
            case Tok::colon:
                return "':'";
            case Tok::slash:
                return "'/'";
            case Tok::garbage:
                return "unknown characters";
            case Tok::error:
                return "an invalid token";
        }
        return "?";
    }

    bool is_text_start() const {
        if (s_.size() - i_ < 5)
            return false;
        std::string_view w = s_.substr(i_, 5);
        return (w[0] == 't' || w[0] == 'T') && (w[1] == 'e' || w[1] == 'E') &&
               (w[2] == 'x' || w[2] == 'X') && (w[3] == 't' || w[3] == 'T') && w[4] == ':';
    }

    void number() {
        Position start = tok_.pos;
        std::uint64_t v = 0;
        bool overflow = false;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
            auto d = static_cast<std::uint64_t>(peek() - '0');
            if (v > (UINT64_MAX - d) / 10)
                overflow = true;
            else
                v = v * 10 + d;
            advance();
        }
        std::uint64_t mult = 1;
        switch (peek()) {
            case 'k':
            case 'K':
                mult = 1024;
                break;
            case 'm':
            case 'M':
                mult = 1024 * 1024;
                break;
            case 'g':
            case 'G':
                mult = 1024ull * 1024 * 1024;
                break;
            default:
                break;
        }
        if (mult != 1) {
            advance();
            if (v > UINT64_MAX / mult)
                overflow = true;
            v *= mult;
        }
        if (overflow)
            return lex_error(start, fmt::format("number is too large (limit {})", UINT64_MAX));
        if (ident_char(peek())) {
            while (!at_end() && ident_char(s_[i_]))
                advance();
            return lex_error(start, "invalid character after number");
        }
        tok_.type = Tok::number;
        tok_.number = v;
    }

    bool check_length(const std::string& s, Position start) {
        if (s.size() <= limits_.max_string_bytes)
            return true;
        lex_error(start,
                  fmt::format("string is too long (limit {} bytes)", limits_.max_string_bytes));
        return false;
    }

    void quoted_string() {
        Position start = tok_.pos;
        std::string out;
        advance();
        for (;;) {
            if (at_end())
                return lex_error(start, "unterminated string");
            char c = s_[i_];
            if (c == '"') {
                advance();
                break;
            }
            if (c == '\\') {
                advance();
                if (at_end())
                    return lex_error(start, "unterminated string");
                c = s_[i_];
            }
            if (c == '\n' && (out.empty() || out.back() != '\r'))
                out.push_back('\r');  // line breaks inside strings are CRLF
            out.push_back(c);
            advance();
            if (out.size() > limits_.max_string_bytes) {
                // Skip to the end of the string so that parsing goes on after it.
                while (!at_end() && s_[i_] != '"') {
                    if (s_[i_] == '\\' && i_ + 1 < s_.size())
                        advance();
                    advance();
                }
                if (!at_end())
                    advance();
                check_length(out, start);
                return;
            }
        }
        tok_.type = Tok::string;
        tok_.text = std::move(out);
    }

    // text: *(SP / HTAB) (hash-comment / CRLF) *(multiline-literal / multiline-dotstart) "."
    // CRLF
    void text_string() {
        Position start = tok_.pos;
        std::string out;
        for (int k = 0; k < 5; ++k)
            advance();
        while (peek() == ' ' || peek() == '\t')
            advance();
        if (peek() == '#') {
            while (!at_end() && s_[i_] != '\n')
                advance();
        }
        if (peek() == '\r')
            advance();
        if (peek() != '\n')
            return lex_error(here(), "expected end of line after 'text:'");
        advance();
        bool too_long = false;
        for (;;) {
            if (at_end())
                return lex_error(start,
                                 "unterminated multi-line string (no line with a single '.')");
            std::size_t eol = s_.find('\n', i_);
            std::string_view line =
                s_.substr(i_, eol == std::string_view::npos ? s_.size() - i_ : eol - i_);
            std::string_view content = line;
            if (!content.empty() && content.back() == '\r')
                content.remove_suffix(1);
            if (content == ".") {
                while (!at_end() && s_[i_] != '\n')
                    advance();
                if (!at_end())
                    advance();  // "." at end of script without a line break: accepted
                break;
            }
            if (eol == std::string_view::npos)
                return lex_error(start,
                                 "unterminated multi-line string (no line with a single '.')");
            std::string_view keep = line;
            if (keep.starts_with(".."))
                keep.remove_prefix(1);  // dot-stuffing: ".." -> "."
            if (keep.ends_with("\r"))
                keep.remove_suffix(1);
            if (!too_long) {
                out.append(keep);
                out.append("\r\n");  // lines of a multi-line string end in CRLF (RFC 5228 §2.4.2)
                too_long = out.size() > limits_.max_string_bytes;
            }
            // Jump to the next line, keeping the line count.
            ++line_;
            i_ = eol + 1;
            line_start_ = i_;
        }
        if (too_long && !check_length(out, start))
            return;
        tok_.type = Tok::string;
        tok_.text = std::move(out);
    }

    // ---- grammar ----

    void count_node() {
        if (++nodes_ > limits_.max_commands) {
            report(tok_.pos,
                   fmt::format("too many commands and tests (limit {})", limits_.max_commands));
            throw ParseAbort{};
        }
    }

    // Skips tokens up to the one that ends the structure `end` belongs to (']' string list,
    // ')' test list, ';' command, '}' block), counting nested structures of the same kind and
    // stopping at a token of a stronger structure (a block brace ends a command, say). True
    // when `end` (or, for a command, the '{' of its block) is now the current token.
    bool recover(Tok end) {
        auto rank = [](Tok t) {
            switch (t) {
                case Tok::lcurly:
                case Tok::rcurly:
                    return 3;
                case Tok::semicolon:
                    return 2;
                case Tok::lparen:
                case Tok::rparen:
                    return 1;
                case Tok::lsquare:
                case Tok::rsquare:
                    return 0;
                default:
                    return -1;
            }
        };
        int level = rank(end);
        Tok open = end == Tok::rsquare  ? Tok::lsquare
                   : end == Tok::rparen ? Tok::lparen
                   : end == Tok::rcurly ? Tok::lcurly
                                        : Tok::eof;  // a command has no opening token
        std::size_t nesting = 1;
        while (tok_.type != Tok::eof && rank(tok_.type) <= level) {
            if (tok_.type == open && open != Tok::eof) {
                ++nesting;
            } else if (tok_.type == end && --nesting == 0) {
                return true;
            }
            next();
        }
        return end == Tok::semicolon && tok_.type == Tok::lcurly;
    }

    // commands = *command; command = identifier arguments (";" / block)
    Step commands(std::vector<Node>& out, std::size_t depth) {
        while (tok_.type == Tok::identifier) {
            count_node();
            Node& node = out.emplace_back();
            node.pos = tok_.pos;
            node.name = tok_.text;
            next();
            Step step = arguments(node, 1);
            if (step == Step::ok && tok_.type != Tok::semicolon && tok_.type != Tok::lcurly) {
                error(fmt::format("expected ';' or '{{' after command '{}', found {}", node.name,
                                  describe()));
                step = Step::recover;
            }
            if (step == Step::recover && !recover(Tok::semicolon))
                return Step::recover;
            if (tok_.type == Tok::semicolon) {
                next();
                continue;
            }
            // '{': the command's block.
            Position open = tok_.pos;
            next();
            if (depth + 1 > limits_.max_nesting) {
                report(open,
                       fmt::format("blocks nested too deeply (limit {})", limits_.max_nesting));
                if (!recover(Tok::rcurly))
                    return Step::recover;
                next();
                continue;
            }
            node.has_block = true;
            if (commands(node.block, depth + 1) == Step::ok) {
                if (tok_.type == Tok::rcurly) {
                    next();
                    continue;
                }
                if (tok_.type == Tok::eof)
                    report(open, fmt::format("block of '{}' is not closed", node.name));
                else
                    error(fmt::format("expected a command or '}}' in the block of '{}', found {}",
                                      node.name, describe()));
            }
            if (!recover(Tok::rcurly))
                return Step::recover;
            next();
        }
        return Step::ok;
    }

    // arguments = *argument [ test / test-list ]
    Step arguments(Node& node, std::size_t depth) {
        for (bool more = true; more;) {
            switch (tok_.type) {
                case Tok::lsquare:
                    if (string_list(node) == Step::recover)
                        return Step::recover;
                    break;
                case Tok::string: {
                    Argument& a = node.args.emplace_back();
                    a.pos = tok_.pos;
                    a.single = true;
                    a.strings.push_back(std::move(tok_.text));
                    next();
                    break;
                }
                case Tok::number: {
                    Argument& a = node.args.emplace_back();
                    a.pos = tok_.pos;
                    a.kind = Argument::Kind::number;
                    a.number = tok_.number;
                    next();
                    break;
                }
                case Tok::tag: {
                    Argument& a = node.args.emplace_back();
                    a.pos = tok_.pos;
                    a.kind = Argument::Kind::tag;
                    a.tag = std::move(tok_.text);
                    next();
                    break;
                }
                default:
                    more = false;
                    break;
            }
            if (more && node.args.size() > limits_.max_arguments) {
                error(fmt::format("too many arguments for '{}' (limit {})", node.name,
                                  limits_.max_arguments));
                return Step::recover;
            }
        }
        if (tok_.type == Tok::identifier) {
            if (depth + 1 > limits_.max_nesting) {
                error(fmt::format("tests nested too deeply (limit {})", limits_.max_nesting));
                return Step::recover;
            }
            return test(node, depth);
        }
        if (tok_.type != Tok::lparen)
            return Step::ok;
        Position open = tok_.pos;
        next();
        if (depth + 1 > limits_.max_nesting) {
            report(open, fmt::format("tests nested too deeply (limit {})", limits_.max_nesting));
            if (!recover(Tok::rparen))
                return Step::recover;
            next();
            return Step::ok;
        }
        node.test_list = true;
        bool in_place = true;  // at ',' or ')' after a test
        if (tok_.type != Tok::identifier) {
            error(fmt::format("expected a test after '(', found {}", describe()));
            in_place = recover(Tok::rparen);
        } else if (test(node, depth) == Step::recover) {
            in_place = recover(Tok::rparen);
        } else {
            while (tok_.type == Tok::comma) {
                next();
                if (tok_.type != Tok::identifier) {
                    error(fmt::format("expected a test after ',' in test list, found {}",
                                      describe()));
                    in_place = recover(Tok::rparen);
                    break;
                }
                if (node.tests.size() >= limits_.max_list_items) {
                    error(fmt::format("test list is too long (limit {})", limits_.max_list_items));
                    in_place = recover(Tok::rparen);
                    break;
                }
                if (test(node, depth) == Step::recover) {
                    in_place = recover(Tok::rparen);
                    break;
                }
            }
        }
        (void)in_place;
        if (tok_.type == Tok::rparen) {
            next();
            return Step::ok;
        }
        error(fmt::format("expected ',' or ')' in test list, found {}", describe()));
        if (!recover(Tok::rparen))
            return Step::recover;
        next();
        return Step::ok;
    }

    // test = identifier arguments; appended to parent.tests
    Step test(Node& parent, std::size_t depth) {
        count_node();
        Node& node = parent.tests.emplace_back();
        node.pos = tok_.pos;
        node.name = tok_.text;
        next();
        return arguments(node, depth + 1);
    }

    // string-list = "[" string *("," string) "]"
    Step string_list(Node& node) {
        Argument& a = node.args.emplace_back();
        a.pos = tok_.pos;
        next();
        if (tok_.type != Tok::string) {
            error(fmt::format("expected a string after '[', found {}", describe()));
            recover(Tok::rsquare);
        } else {
            a.strings.push_back(std::move(tok_.text));
            next();
            while (tok_.type == Tok::comma) {
                next();
                if (tok_.type != Tok::string) {
                    error(fmt::format("expected a string after ',' in string list, found {}",
                                      describe()));
                    recover(Tok::rsquare);
                    break;
                }
                if (a.strings.size() >= limits_.max_list_items) {
                    error(
                        fmt::format("string list is too long (limit {})", limits_.max_list_items));
                    recover(Tok::rsquare);
                    break;
                }
                a.strings.push_back(std::move(tok_.text));
                next();
            }
        }
        if (tok_.type == Tok::rsquare) {
            next();
            return Step::ok;
        }
        error(fmt::format("expected ',' or ']' in string list, found {}", describe()));
        if (!recover(Tok::rsquare))
            return Step::recover;
        next();
        return Step::ok;
    }
};

}  // namespace

ParseResult parse_script(std::string_view source, const ParseLimits& limits) {
    ParseResult result;
    Parser parser(source, limits, result.errors);
    result.script = parser.run();
    return result;
}

}  // namespace postern::sieve
