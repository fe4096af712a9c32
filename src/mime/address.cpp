// Address-list parsing: RFC 5322 §3.4 (mailbox, name-addr, group), §3.2.2 CFWS, §4.4
// obsolete routes and dotted forms, RFC 6532 §3.2 UTF-8 atoms, RFC 2047 §5(3) names.
#include "mime/address.h"

#include "base/strings.h"
#include "mime/charset.h"
#include "mime/header_text.h"

namespace postern::mime {
namespace {

enum class Tok { atom, quoted, comment, literal, lt, gt, colon, semicolon, at, comma };

struct Token {
    Tok kind;
    std::string text;
    bool space_before = false;
};

bool is_fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

bool is_special(char c) {
    switch (c) {
        case '(':
        case ')':
        case '<':
        case '>':
        case '[':
        case ']':
        case ':':
        case ';':
        case '@':
        case ',':
        case '"':
            return true;
        default:
            return false;
    }
}

std::vector<Token> tokenize(std::string_view s) {
    std::vector<Token> out;
    bool space = false;
    std::size_t i = 0;
    const std::size_t n = s.size();
    auto push = [&](Tok kind, std::string text) {
        out.push_back({kind, std::move(text), space});
        space = false;
    };
    while (i < n) {
        char c = s[i];
        if (is_fws(c)) {
            space = true;
            ++i;
            continue;
        }
        switch (c) {
            case '"': {
                std::string text;
                ++i;
                while (i < n && s[i] != '"') {
                    if (s[i] == '\\' && i + 1 < n) {
                        text += s[i + 1];
                        i += 2;
                        continue;
                    }
                    if (s[i] != '\r' && s[i] != '\n')
                        text += s[i];
                    ++i;
                }
                ++i;  // closing quote (or past the end when unterminated)
                push(Tok::quoted, std::move(text));
                continue;
            }
            case '(': {
                std::string text;
                int depth = 1;
                ++i;
                while (i < n) {
                    char d = s[i];
                    if (d == '\\' && i + 1 < n) {
                        text += s[i + 1];
                        i += 2;
                        continue;
                    }
                    if (d == '(')
                        ++depth;
                    if (d == ')' && --depth == 0)
                        break;
                    if (d != '\r' && d != '\n')
                        text += d;
                    ++i;
                }
                ++i;
                push(Tok::comment, std::move(text));
                space = true;  // a comment separates words like whitespace does
                continue;
            }
            case '[': {
                std::size_t start = i;
                while (i < n && s[i] != ']')
                    ++i;
                if (i < n)
                    ++i;
                std::string text;
                for (char d : s.substr(start, i - start)) {
                    if (!is_fws(d))
                        text += d;
                }
                push(Tok::literal, std::move(text));
                continue;
            }
            case '<':
                push(Tok::lt, "<");
                ++i;
                continue;
            case '>':
                push(Tok::gt, ">");
                ++i;
                continue;
            case ':':
                push(Tok::colon, ":");
                ++i;
                continue;
            case ';':
                push(Tok::semicolon, ";");
                ++i;
                continue;
            case '@':
                push(Tok::at, "@");
                ++i;
                continue;
            case ',':
                push(Tok::comma, ",");
                ++i;
                continue;
            case ')':
            case ']':
                ++i;  // stray closers carry no meaning
                continue;
            default:
                break;
        }
        std::size_t start = i;
        while (i < n && !is_fws(s[i]) && !is_special(s[i]) && s[i] != ')' && s[i] != ']')
            ++i;
        push(Tok::atom, std::string(s.substr(start, i - start)));
    }
    return out;
}

bool is_word(const Token& t) {
    return t.kind == Tok::atom || t.kind == Tok::quoted;
}

std::string decode_name(const std::string& text, NameDecoding names) {
    if (names == NameDecoding::raw)
        return text;
    return decode_encoded_words(text);
}

// Words (and stray specials) of a phrase, joined as written: one space where the source had
// whitespace or a comment, none where it had none ("phil@example.com <...>").
std::string phrase_text(const std::vector<Token>& toks, std::size_t from, std::size_t to) {
    std::string out;
    bool first = true;
    for (std::size_t k = from; k < to; ++k) {
        const Token& t = toks[k];
        if (t.kind == Tok::comment)
            continue;
        if (!first && t.space_before)
            out += ' ';
        out += t.text;
        first = false;
    }
    return out;
}

std::string first_comment(const std::vector<Token>& toks, std::size_t from, std::size_t to) {
    for (std::size_t k = from; k < to; ++k) {
        if (toks[k].kind == Tok::comment && !trim(toks[k].text).empty()) {
            return std::string(trim(toks[k].text));
        }
    }
    return {};
}

// local-part "@" domain from a token range: comments and whitespace dropped (they are not
// part of the address, RFC 5322 §3.2.2), the last '@' splits.
void fill_addr_spec(const std::vector<Token>& toks, std::size_t from, std::size_t to, Mailbox& m) {
    std::size_t at = to;
    for (std::size_t k = from; k < to; ++k) {
        if (toks[k].kind == Tok::at)
            at = k;
    }
    auto concat = [&](std::size_t a, std::size_t b) {
        std::string out;
        for (std::size_t k = a; k < b; ++k) {
            if (toks[k].kind != Tok::comment)
                out += toks[k].text;
        }
        return out;
    };
    m.local_part = concat(from, at);
    if (at < to)
        m.domain = concat(at + 1, to);
}

class Parser {
  public:
    Parser(std::vector<Token> toks, NameDecoding names) : t_(std::move(toks)), names_(names) {}

    std::vector<Address> run() {
        std::vector<Address> out;
        while (i_ < t_.size()) {
            Tok k = t_[i_].kind;
            if (k == Tok::comma || k == Tok::semicolon || k == Tok::gt) {
                ++i_;
                continue;
            }
            if (starts_group()) {
                out.push_back(group());
            } else if (auto m = mailbox(false)) {
                out.push_back(std::move(*m));
            }
        }
        return out;
    }

  private:
    // A group starts with a phrase and ':' before any '<', '@', ',' or ';'.
    bool starts_group() const {
        for (std::size_t k = i_; k < t_.size(); ++k) {
            switch (t_[k].kind) {
                case Tok::colon:
                    return k > i_;
                case Tok::lt:
                case Tok::at:
                case Tok::comma:
                case Tok::semicolon:
                    return false;
                default:
                    break;
            }
        }
        return false;
    }

    Group group() {
        Group g;
        std::size_t start = i_;
        while (t_[i_].kind != Tok::colon)
            ++i_;
        g.name = decode_name(phrase_text(t_, start, i_), names_);
        ++i_;
        while (i_ < t_.size()) {
            Tok k = t_[i_].kind;
            if (k == Tok::semicolon) {
                ++i_;
                break;
            }
            if (k == Tok::comma || k == Tok::gt || k == Tok::colon) {
                ++i_;
                continue;
            }
            if (auto m = mailbox(true))
                g.members.push_back(std::move(*m));
        }
        return g;
    }

    std::optional<Mailbox> mailbox(bool in_group) {
        std::size_t start = i_;
        std::size_t lt = kNone, gt = kNone;
        while (i_ < t_.size()) {
            Tok k = t_[i_].kind;
            if (lt != kNone && gt == kNone) {
                // Inside <...> a ',' belongs to a route and ':' ends it.
                if (k == Tok::gt)
                    gt = i_;
                ++i_;
                continue;
            }
            if (k == Tok::comma || (k == Tok::semicolon && in_group))
                break;
            if (k == Tok::semicolon)
                break;
            if (k == Tok::lt && lt == kNone)
                lt = i_;
            ++i_;
        }
        std::size_t end = i_;
        Mailbox m;
        if (lt != kNone) {
            std::size_t inner_end = gt == kNone ? end : gt;
            std::size_t a = lt + 1;
            while (a < inner_end && t_[a].kind == Tok::comment)
                ++a;
            if (a < inner_end && t_[a].kind == Tok::at) {
                // Obsolete route "@a,@b:" (RFC 5322 §4.4): kept for IMAP's adl field.
                std::size_t colon = a;
                while (colon < inner_end && t_[colon].kind != Tok::colon)
                    ++colon;
                if (colon < inner_end) {
                    for (std::size_t k = a; k < colon; ++k) {
                        if (t_[k].kind != Tok::comment)
                            m.route += t_[k].text;
                    }
                    a = colon + 1;
                }
            }
            fill_addr_spec(t_, a, inner_end, m);
            std::string phrase = phrase_text(t_, start, lt);
            if (phrase.empty() && gt != kNone)
                phrase = phrase_text(t_, gt + 1, end);
            if (!phrase.empty()) {
                m.name = decode_name(phrase, names_);
            } else {
                m.name = decode_name(first_comment(t_, start, end), names_);
            }
        } else {
            std::size_t words = 0;
            bool has_at = false;
            for (std::size_t k = start; k < end; ++k) {
                if (is_word(t_[k]) || t_[k].kind == Tok::literal)
                    ++words;
                if (t_[k].kind == Tok::at)
                    has_at = true;
            }
            if (words == 0 && !has_at) {
                std::string c = first_comment(t_, start, end);
                if (c.empty())
                    return std::nullopt;
                m.name = decode_name(c, names_);
                return m;
            }
            std::string comment = first_comment(t_, start, end);
            if (!has_at && (words > 1 || comment.empty())) {
                // "Mary Smith" or "Whomever" with no address: a name, not a local part. A word
                // with a comment ("NO (posting not allowed)") is the legacy "addr (Name)" form.
                m.name = decode_name(phrase_text(t_, start, end), names_);
                return m;
            }
            fill_addr_spec(t_, start, end, m);
            m.name = decode_name(comment, names_);
        }
        if (!m.has_address() && m.name.empty())
            return std::nullopt;
        return m;
    }

    static constexpr std::size_t kNone = static_cast<std::size_t>(-1);
    std::vector<Token> t_;
    NameDecoding names_;
    std::size_t i_ = 0;
};

}  // namespace

std::string Mailbox::addr_spec() const {
    if (domain.empty())
        return local_part;
    return local_part + "@" + domain;
}

std::vector<Address> parse_address_list(std::string_view raw_value, NameDecoding names) {
    return Parser(tokenize(raw_value), names).run();
}

std::vector<Mailbox> flatten(const std::vector<Address>& list) {
    std::vector<Mailbox> out;
    for (const auto& a : list) {
        if (const auto* m = std::get_if<Mailbox>(&a)) {
            out.push_back(*m);
        } else {
            const auto& g = std::get<Group>(a);
            out.insert(out.end(), g.members.begin(), g.members.end());
        }
    }
    return out;
}

}  // namespace postern::mime
