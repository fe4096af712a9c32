// Sieve lexer and parser: RFC 5228 §2.2-§2.9 (lexical tokens), §8.1 (lexical grammar) and
// §8.2 (command/test grammar).
#include "filter/sieve/parser.h"

#include <cctype>

#include <fmt/format.h>

namespace postern::sieve {

std::string SyntaxError::to_string() const {
    return fmt::format("{}:{}: {}", pos.line, pos.column, message);
}

namespace {

struct ParseFailure {};

class Parser {
  public:
    Parser(std::string_view src, const ParseLimits& limits) : s_(src), limits_(limits) {}

    Script run(std::vector<SyntaxError>& errors) {
        Script script;
        try {
            if (s_.size() > limits_.max_script_bytes)
                fail({1, 1}, fmt::format("script is too large ({} bytes, limit {})", s_.size(),
                                         limits_.max_script_bytes));
            skip_space();
            while (i_ < s_.size()) {
                script.commands.push_back(command(0));
                skip_space();
            }
        } catch (const ParseFailure&) {
            errors.push_back(std::move(error_));
        }
        return script;
    }

  private:
    std::string_view s_;
    ParseLimits limits_;
    std::size_t i_ = 0;
    std::uint32_t line_ = 1;
    std::size_t line_start_ = 0;
    std::size_t nodes_ = 0;
    SyntaxError error_;

    Position here() const { return {line_, static_cast<std::uint32_t>(i_ - line_start_ + 1)}; }
    [[noreturn]] void fail(Position pos, std::string message) {
        error_ = {pos, std::move(message)};
        throw ParseFailure{};
    }
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

    void skip_space() {
        for (;;) {
            if (at_end())
                return;
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
                    if (at_end())
                        fail(start, "unterminated bracket comment");
                    if (s_[i_] == '*' && peek(1) == '/') {
                        advance();
                        advance();
                        break;
                    }
                    advance();
                }
            } else {
                return;
            }
        }
    }

    static bool ident_start(char c) {
        return std::isalpha(static_cast<unsigned char>(c)) || c == '_';
    }
    static bool ident_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
    }

    std::string identifier() {
        std::string out;
        while (!at_end() && ident_char(s_[i_])) {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(s_[i_]))));
            advance();
            if (out.size() > 256)
                fail(here(), "identifier is too long");
        }
        return out;
    }

    void count_node(Position pos) {
        if (++nodes_ > limits_.max_commands)
            fail(pos, fmt::format("too many commands and tests (limit {})", limits_.max_commands));
    }

    Node command(std::size_t depth) {
        Position pos = here();
        if (!ident_start(peek())) {
            if (peek() == '}')
                fail(pos, "unexpected '}' (no block to close)");
            fail(pos, fmt::format("expected a command, found {}", describe()));
        }
        count_node(pos);
        Node node;
        node.pos = pos;
        node.name = identifier();
        arguments(node, depth);
        skip_space();
        if (peek() == ';') {
            advance();
        } else if (peek() == '{') {
            if (depth + 1 > limits_.max_nesting)
                fail(here(),
                     fmt::format("blocks nested too deeply (limit {})", limits_.max_nesting));
            advance();
            node.has_block = true;
            skip_space();
            while (peek() != '}') {
                if (at_end())
                    fail(pos, fmt::format("block of '{}' is not closed", node.name));
                node.block.push_back(command(depth + 1));
                skip_space();
            }
            advance();
        } else {
            fail(here(), fmt::format("expected ';' or '{{' after command '{}', found {}", node.name,
                                     describe()));
        }
        return node;
    }

    std::string describe() const {
        if (at_end())
            return "end of script";
        char c = s_[i_];
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return fmt::format("byte 0x{:02x}", static_cast<unsigned char>(c));
        return fmt::format("'{}'", c);
    }

    // arguments = *argument [ test / test-list ]
    void arguments(Node& node, std::size_t depth) {
        for (;;) {
            skip_space();
            char c = peek();
            if (c == '"' || c == '[' || ((c == 't' || c == 'T') && is_text_start())) {
                node.args.push_back(string_list_arg());
            } else if (std::isdigit(static_cast<unsigned char>(c))) {
                node.args.push_back(number_arg());
            } else if (c == ':') {
                Argument a;
                a.pos = here();
                a.kind = Argument::Kind::tag;
                advance();
                if (!ident_start(peek()))
                    fail(a.pos, "expected a tag name after ':'");
                a.tag = identifier();
                node.args.push_back(std::move(a));
            } else {
                break;
            }
            if (node.args.size() > limits_.max_list_items)
                fail(here(), "too many arguments");
        }
        skip_space();
        if (peek() == '(') {
            if (depth + 1 > limits_.max_nesting)
                fail(here(),
                     fmt::format("tests nested too deeply (limit {})", limits_.max_nesting));
            Position open = here();
            advance();
            node.test_list = true;
            for (;;) {
                skip_space();
                node.tests.push_back(test(depth + 1));
                if (node.tests.size() > limits_.max_list_items)
                    fail(open, "test list is too long");
                skip_space();
                if (peek() == ',') {
                    advance();
                    continue;
                }
                if (peek() == ')') {
                    advance();
                    break;
                }
                fail(here(), fmt::format("expected ',' or ')' in test list, found {}", describe()));
            }
        } else if (ident_start(peek())) {
            if (depth + 1 > limits_.max_nesting)
                fail(here(),
                     fmt::format("tests nested too deeply (limit {})", limits_.max_nesting));
            node.tests.push_back(test(depth + 1));
        }
    }

    Node test(std::size_t depth) {
        Position pos = here();
        if (!ident_start(peek()))
            fail(pos, fmt::format("expected a test, found {}", describe()));
        count_node(pos);
        Node node;
        node.pos = pos;
        node.name = identifier();
        arguments(node, depth);
        return node;
    }

    bool is_text_start() const {
        if (s_.size() - i_ < 5)
            return false;
        std::string_view w = s_.substr(i_, 5);
        return (w[0] == 't' || w[0] == 'T') && (w[1] == 'e' || w[1] == 'E') &&
               (w[2] == 'x' || w[2] == 'X') && (w[3] == 't' || w[3] == 'T') && w[4] == ':';
    }

    Argument number_arg() {
        Argument a;
        a.pos = here();
        a.kind = Argument::Kind::number;
        std::uint64_t v = 0;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
            std::uint64_t d = static_cast<std::uint64_t>(peek() - '0');
            if (v > (UINT64_MAX - d) / 10)
                fail(a.pos, "number is too large");
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
                fail(a.pos, "number is too large");
            v *= mult;
        }
        if (ident_char(peek()))
            fail(here(), "invalid character after number");
        a.number = v;
        return a;
    }

    Argument string_list_arg() {
        Argument a;
        a.pos = here();
        a.kind = Argument::Kind::string_list;
        if (peek() == '[') {
            advance();
            for (;;) {
                skip_space();
                if (peek() != '"' && !is_text_start())
                    fail(here(),
                         fmt::format("expected a string in string list, found {}", describe()));
                a.strings.push_back(string());
                if (a.strings.size() > limits_.max_list_items)
                    fail(a.pos, "string list is too long");
                skip_space();
                if (peek() == ',') {
                    advance();
                    continue;
                }
                if (peek() == ']') {
                    advance();
                    break;
                }
                fail(here(),
                     fmt::format("expected ',' or ']' in string list, found {}", describe()));
            }
        } else {
            a.single = true;
            a.strings.push_back(string());
        }
        return a;
    }

    void check_length(const std::string& s, Position start) {
        if (s.size() > limits_.max_string_bytes)
            fail(start,
                 fmt::format("string is too long (limit {} bytes)", limits_.max_string_bytes));
    }

    std::string string() {
        Position start = here();
        std::string out;
        if (peek() == '"') {
            advance();
            for (;;) {
                if (at_end())
                    fail(start, "unterminated string");
                char c = s_[i_];
                if (c == '"') {
                    advance();
                    break;
                }
                if (c == '\\') {
                    advance();
                    if (at_end())
                        fail(start, "unterminated string");
                    c = s_[i_];
                }
                if (c == '\n' && (out.empty() || out.back() != '\r'))
                    out.push_back('\r');  // line breaks inside strings are CRLF
                out.push_back(c);
                advance();
                check_length(out, start);
            }
            return out;
        }
        // text: *(SP / HTAB) (hash-comment / CRLF) *(multiline-literal / multiline-dotstart) "."
        // CRLF
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
            fail(here(), "expected end of line after 'text:'");
        advance();
        for (;;) {
            if (at_end())
                fail(start, "unterminated multi-line string (no line with a single '.')");
            std::size_t eol = s_.find('\n', i_);
            std::string_view line =
                s_.substr(i_, eol == std::string_view::npos ? s_.size() - i_ : eol - i_);
            std::string_view content = line;
            if (!content.empty() && content.back() == '\r')
                content.remove_suffix(1);
            if (content == ".") {
                while (!at_end() && s_[i_] != '\n')
                    advance();
                if (at_end())
                    break;  // "." at end of script without a line break: accepted
                advance();
                break;
            }
            if (eol == std::string_view::npos)
                fail(start, "unterminated multi-line string (no line with a single '.')");
            std::string_view keep = line;
            if (keep.starts_with(".."))
                keep.remove_prefix(1);  // dot-stuffing: ".." -> "."
            if (keep.ends_with("\r"))
                keep.remove_suffix(1);
            out.append(keep);
            out.append("\r\n");  // lines of a multi-line string end in CRLF (RFC 5228 §2.4.2)
            check_length(out, start);
            i_ = eol;
            advance();
        }
        return out;
    }
};

}  // namespace

ParseResult parse_script(std::string_view source, const ParseLimits& limits) {
    ParseResult result;
    Parser parser(source, limits);
    result.script = parser.run(result.errors);
    return result;
}

}  // namespace postern::sieve
