// Lexical items of IMAP commands (RFC 9051 §4 data formats, §9 formal syntax: atom, quoted,
// literal, literal8 (RFC 3516), astring, nstring, number/nz-number/number64, sequence-set with
// "$" (RFC 5182), mailbox, list-mailbox, flag, date, date-time).
#include "proto/imap/parser/reader.h"

#include <algorithm>
#include <array>

#include "base/strings.h"
#include "base/utf8.h"

namespace postern::proto::imap::detail {
namespace {

constexpr std::uint64_t kMax32 = 0xFFFFFFFFull;
constexpr std::uint64_t kMax63 = 0x7FFFFFFFFFFFFFFFull;

constexpr std::array<std::string_view, 12> kMonths = {"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};

constexpr std::array<std::string_view, 6> kSystemFlags = {"\\Answered", "\\Flagged", "\\Deleted",
                                                          "\\Seen",     "\\Draft",   "\\Recent"};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool leap_year(unsigned y) {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

unsigned days_in_month(unsigned year, unsigned month) {
    static constexpr std::array<unsigned, 12> kDays = {31, 28, 31, 30, 31, 30,
                                                       31, 31, 30, 31, 30, 31};
    return month == 2 && leap_year(year) ? 29 : kDays[month - 1];
}

}  // namespace

bool is_list_char(char c) {
    return c == '%' || c == '*' || is_astring_char(c);
}

Reader::Reader(const FramedCommand& command, const ParserOptions& options)
    : text_(command.text), literals_(command.literals), options_(options) {}

bool Reader::accept(char c) {
    if (pos_ < text_.size() && text_[pos_] == c) {
        ++pos_;
        return true;
    }
    return false;
}

Step Reader::expect(char c, std::string_view what) {
    if (accept(c))
        return {};
    std::string reason = "Expected ";
    reason += c;
    if (!what.empty()) {
        reason += " in ";
        reason += what;
    }
    return syntax_error(std::move(reason));
}

Step Reader::sp() {
    if (accept(' '))
        return {};
    return syntax_error(at_end() ? "Missing arguments" : "Expected a single space");
}

Step Reader::end() {
    if (at_end())
        return {};
    return syntax_error("Unexpected extra arguments");
}

bool Reader::accept_keyword(std::string_view keyword) {
    if (text_.size() - pos_ < keyword.size() ||
        !iequals(text_.substr(pos_, keyword.size()), keyword))
        return false;
    const std::size_t after = pos_ + keyword.size();
    if (after < text_.size() && is_atom_char(text_[after]) && text_[after] != '[')
        return false;
    pos_ = after;
    return true;
}

Parsed<std::string_view> Reader::chars_while(bool (*pred)(char), std::string_view what) {
    const std::size_t start = pos_;
    while (pos_ < text_.size() && pred(text_[pos_]))
        ++pos_;
    if (pos_ == start) {
        return syntax_error(at_end() ? "Missing " + std::string(what)
                                     : "Invalid characters in " + std::string(what));
    }
    return text_.substr(start, pos_ - start);
}

Parsed<std::string_view> Reader::atom(std::string_view what) {
    return chars_while(is_atom_char, what);
}

Parsed<StringValue> Reader::quoted() {
    if (auto s = expect('"', "quoted string"); !s)
        return std::unexpected(s.error());
    StringValue out;
    out.form = StringForm::quoted;
    bool eight_bit = false;
    while (true) {
        if (pos_ >= text_.size())
            return syntax_error("Unterminated quoted string");
        char c = text_[pos_++];
        if (c == '"')
            break;
        if (c == '\\') {
            if (pos_ >= text_.size() || (text_[pos_] != '"' && text_[pos_] != '\\'))
                return syntax_error("Invalid escape in quoted string");
            out.value.push_back(text_[pos_++]);
            continue;
        }
        if (c == '\0' || c == '\r' || c == '\n')
            return syntax_error("Invalid character in quoted string");
        if (static_cast<unsigned char>(c) >= 0x80) {
            if (!options_.utf8_quoted)
                return syntax_error("8-bit character in quoted string");
            eight_bit = true;
        }
        out.value.push_back(c);
    }
    if (eight_bit && !is_valid_utf8(out.value))
        return syntax_error("Invalid UTF-8 in quoted string");
    return out;
}

Parsed<StringValue> Reader::literal(bool allow_binary) {
    auto it = std::lower_bound(literals_.begin(), literals_.end(), pos_,
                               [](const FramedLiteral& l, std::size_t p) { return l.marker < p; });
    if (it == literals_.end() || it->marker != pos_)
        return syntax_error("Invalid literal");
    if (it->binary && !allow_binary)
        return syntax_error("literal8 is only allowed for message data");
    StringValue out;
    out.form = it->binary ? StringForm::literal8 : StringForm::literal;
    out.literal = &*it;
    out.literal_index = static_cast<std::size_t>(it - literals_.begin());
    if (it->streamed) {
        pos_ = it->data;
        return out;
    }
    const auto size = static_cast<std::size_t>(it->size);
    out.value.assign(text_.substr(it->data, size));
    pos_ = it->data + size;
    if (!it->binary && !it->message && out.value.find('\0') != std::string::npos)
        return syntax_error("NUL in literal");
    return out;
}

Parsed<StringValue> Reader::string(std::string_view what) {
    char c = peek();
    if (c == '"')
        return quoted();
    if (c == '{')
        return literal(false);
    if (c == '~' && peek_at(1) == '{')
        return literal(false);
    return syntax_error(at_end() ? "Missing " + std::string(what)
                                 : "Expected a string for " + std::string(what));
}

Parsed<StringValue> Reader::astring(std::string_view what) {
    char c = peek();
    if (c == '"' || c == '{' || (c == '~' && peek_at(1) == '{'))
        return string(what);
    auto a = chars_while(is_astring_char, what);
    if (!a)
        return std::unexpected(a.error());
    return StringValue{std::string(*a), StringForm::atom, nullptr, 0};
}

Parsed<std::optional<StringValue>> Reader::nstring(std::string_view what) {
    if (accept_keyword("NIL"))
        return std::optional<StringValue>{};
    auto s = string(what);
    if (!s)
        return std::unexpected(s.error());
    return std::optional<StringValue>(std::move(*s));
}

Parsed<StringValue> Reader::message_literal() {
    char c = peek();
    if (c == '{' || (c == '~' && peek_at(1) == '{'))
        return literal(true);
    return syntax_error(at_end() ? "Missing message literal" : "Expected a message literal");
}

Parsed<std::uint64_t> Reader::digits(std::string_view what, std::uint64_t max) {
    const std::size_t start = pos_;
    std::uint64_t value = 0;
    bool overflow = false;
    while (pos_ < text_.size() && is_digit(text_[pos_])) {
        const auto d = static_cast<std::uint64_t>(text_[pos_] - '0');
        if (value > (max - d) / 10)
            overflow = true;
        else if (!overflow)
            value = value * 10 + d;
        ++pos_;
    }
    if (pos_ == start)
        return syntax_error("Expected a number for " + std::string(what));
    if (overflow)
        return syntax_error("Number too large for " + std::string(what));
    return value;
}

Parsed<std::uint32_t> Reader::number(std::string_view what) {
    auto v = digits(what, kMax32);
    if (!v)
        return std::unexpected(v.error());
    return static_cast<std::uint32_t>(*v);
}

Parsed<std::uint32_t> Reader::nz_number(std::string_view what) {
    auto v = digits(what, kMax32);
    if (!v)
        return std::unexpected(v.error());
    if (*v == 0)
        return syntax_error("Zero is not allowed for " + std::string(what));
    return static_cast<std::uint32_t>(*v);
}

Parsed<std::uint64_t> Reader::number64(std::string_view what) {
    return digits(what, kMax63);
}

Parsed<std::uint64_t> Reader::nz_number64(std::string_view what) {
    auto v = digits(what, kMax63);
    if (v && *v == 0)
        return syntax_error("Zero is not allowed for " + std::string(what));
    return v;
}

Parsed<SequenceSet> Reader::sequence_set(bool allow_saved) {
    SequenceSet set;
    if (peek() == '$') {
        if (!allow_saved)
            return syntax_error("$ is not allowed here");
        ++pos_;
        set.saved = true;
        return set;
    }
    auto seq_number = [this]() -> Parsed<std::uint32_t> {
        if (accept('*'))
            return kStar;
        if (!is_digit(peek()))
            return syntax_error("Invalid sequence set");
        return nz_number("sequence set");
    };
    while (true) {
        auto first = seq_number();
        if (!first)
            return std::unexpected(first.error());
        SeqRange range{*first, *first};
        if (accept(':')) {
            auto last = seq_number();
            if (!last)
                return std::unexpected(last.error());
            range.last = *last;
        }
        if (set.ranges.size() >= options_.limits.max_sequence_ranges)
            return limit_error("Sequence set too large");
        set.ranges.push_back(range);
        if (!accept(','))
            break;
    }
    return set;
}

Parsed<SequenceSet> Reader::uid_set() {
    auto set = sequence_set(false);
    if (!set)
        return set;
    for (const auto& r : set->ranges) {
        if (r.first == kStar || r.last == kStar)
            return syntax_error("* is not allowed in a UID set here");
    }
    return set;
}

Parsed<MailboxName> Reader::mailbox() {
    auto s = astring("mailbox name");
    if (!s)
        return std::unexpected(s.error());
    return MailboxName{std::move(s->value), s->form};
}

Parsed<MailboxName> Reader::list_mailbox() {
    char c = peek();
    if (c == '"' || c == '{' || (c == '~' && peek_at(1) == '{')) {
        auto s = string("mailbox pattern");
        if (!s)
            return std::unexpected(s.error());
        return MailboxName{std::move(s->value), s->form};
    }
    auto a = chars_while(is_list_char, "mailbox pattern");
    if (!a)
        return std::unexpected(a.error());
    return MailboxName{std::string(*a), StringForm::atom};
}

Parsed<std::string> Reader::flag() {
    const bool system = accept('\\');
    auto a = atom("flag");
    if (!a)
        return std::unexpected(a.error());
    if (!system)
        return std::string(*a);
    std::string f = "\\" + std::string(*a);
    for (auto known : kSystemFlags) {
        if (iequals(known, f))
            return std::string(known);
    }
    return f;
}

Parsed<std::vector<std::string>> Reader::flag_list() {
    std::vector<std::string> flags;
    auto s = list("flag list", true, [&]() -> Step {
        auto f = flag();
        if (!f)
            return std::unexpected(f.error());
        flags.push_back(std::move(*f));
        return {};
    });
    if (!s)
        return std::unexpected(s.error());
    return flags;
}

namespace {

// date-day "-" date-month "-" date-year; `fixed` allows a leading space (date-day-fixed).
Parsed<Date> read_date_text(std::string_view text, std::size_t& pos, bool fixed) {
    auto bad = [] { return syntax_error("Invalid date"); };
    unsigned day = 0;
    std::size_t digits = 0;
    if (fixed && pos < text.size() && text[pos] == ' ')
        ++pos;
    while (pos < text.size() && is_digit(text[pos]) && digits < 2) {
        day = day * 10 + static_cast<unsigned>(text[pos++] - '0');
        ++digits;
    }
    if (digits == 0 || pos >= text.size() || text[pos] != '-')
        return bad();
    ++pos;
    if (text.size() - pos < 4)
        return bad();
    unsigned month = 0;
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (iequals(text.substr(pos, 3), kMonths[i]))
            month = static_cast<unsigned>(i + 1);
    }
    pos += 3;
    if (month == 0 || text[pos] != '-')
        return bad();
    ++pos;
    unsigned year = 0;
    for (int i = 0; i < 4; ++i) {
        if (pos >= text.size() || !is_digit(text[pos]))
            return bad();
        year = year * 10 + static_cast<unsigned>(text[pos++] - '0');
    }
    if (day < 1 || day > days_in_month(year, month))
        return bad();
    return Date{static_cast<std::uint16_t>(year), static_cast<std::uint8_t>(month),
                static_cast<std::uint8_t>(day)};
}

bool read_2digits(std::string_view text, std::size_t& pos, unsigned& out) {
    if (text.size() - pos < 2 || !is_digit(text[pos]) || !is_digit(text[pos + 1]))
        return false;
    out = static_cast<unsigned>((text[pos] - '0') * 10 + (text[pos + 1] - '0'));
    pos += 2;
    return true;
}

}  // namespace

Parsed<Date> Reader::date() {
    const bool quoted_form = accept('"');
    auto d = read_date_text(text_, pos_, false);
    if (!d)
        return d;
    if (quoted_form && !accept('"'))
        return syntax_error("Invalid date");
    return d;
}

Parsed<DateTime> Reader::date_time() {
    auto bad = [] { return syntax_error("Invalid date-time"); };
    if (!accept('"'))
        return bad();
    auto d = read_date_text(text_, pos_, true);
    if (!d)
        return bad();
    DateTime out;
    out.date = *d;
    unsigned h = 0;
    unsigned m = 0;
    unsigned s = 0;
    if (!accept(' ') || !read_2digits(text_, pos_, h) || !accept(':') ||
        !read_2digits(text_, pos_, m) || !accept(':') || !read_2digits(text_, pos_, s) ||
        !accept(' '))
        return bad();
    if (h > 23 || m > 59 || s > 60)
        return bad();
    const char sign = peek();
    if (sign != '+' && sign != '-')
        return bad();
    ++pos_;
    unsigned zh = 0;
    unsigned zm = 0;
    if (!read_2digits(text_, pos_, zh) || !read_2digits(text_, pos_, zm) || zm > 59 || !accept('"'))
        return bad();
    out.hour = static_cast<std::uint8_t>(h);
    out.minute = static_cast<std::uint8_t>(m);
    out.second = static_cast<std::uint8_t>(s);
    const int zone = static_cast<int>(zh * 60 + zm);
    out.zone_minutes = static_cast<std::int16_t>(sign == '-' ? -zone : zone);
    return out;
}

}  // namespace postern::proto::imap::detail
