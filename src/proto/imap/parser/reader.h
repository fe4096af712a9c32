// Internal to the IMAP parser: a cursor over a framed command that reads the lexical items of
// RFC 9051 §9 (atom, quoted, literal, astring, nstring, numbers, sequence-set, mailbox,
// list-mailbox, flag, date, date-time). Not part of the public API.
#pragma once

#include <cstddef>
#include <cstdint>
#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proto/imap/command.h"
#include "proto/imap/parser.h"
#include "proto/imap/receiver.h"
#include "proto/imap/response_writer.h"

namespace postern::proto::imap::detail {

struct Failure {
    ParseErrorKind kind = ParseErrorKind::syntax;
    std::string reason;
};

template <class T>
using Parsed = std::expected<T, Failure>;
using Step = std::expected<void, Failure>;

inline std::unexpected<Failure> syntax_error(std::string reason) {
    return std::unexpected(Failure{ParseErrorKind::syntax, std::move(reason)});
}
inline std::unexpected<Failure> limit_error(std::string reason) {
    return std::unexpected(Failure{ParseErrorKind::limit, std::move(reason)});
}

// A string argument: its octets and how it was written.
struct StringValue {
    std::string value;
    StringForm form = StringForm::atom;
    const FramedLiteral* literal = nullptr;  // set for literal / literal8
    std::size_t literal_index = 0;
};

// ATOM-CHAR and ASTRING-CHAR are the writer's (response_writer.h): one definition of the
// RFC 9051 §9 character classes for both directions.
using imap::is_astring_char;
using imap::is_atom_char;
bool is_list_char(char c);  // list-char: ASTRING-CHAR, "%" or "*"

class Reader {
  public:
    Reader(const FramedCommand& command, const ParserOptions& options);

    const ParserOptions& options() const { return options_; }
    const ParserLimits& limits() const { return options_.limits; }
    std::size_t position() const { return pos_; }
    // Back to an earlier position() (for a look-ahead that did not match).
    void rewind(std::size_t pos) { pos_ = pos; }
    bool at_end() const { return pos_ >= text_.size(); }
    char peek() const { return at_end() ? '\0' : text_[pos_]; }
    char peek_at(std::size_t ahead) const {
        return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
    }
    // Consumes `c` when it is next.
    bool accept(char c);
    Step expect(char c, std::string_view what);
    Step sp();   // exactly one SP
    Step end();  // nothing left

    // Case-insensitive keyword: consumed only when followed by a character that cannot
    // continue an atom (SP, "(", ")", "[", "]"... or the end).
    bool accept_keyword(std::string_view keyword);

    // 1*ATOM-CHAR; `extra` characters are also allowed (e.g. "]" for astring, "[" for fetch).
    Parsed<std::string_view> atom(std::string_view what);
    Parsed<std::string_view> chars_while(bool (*pred)(char), std::string_view what);

    Parsed<StringValue> quoted();
    Parsed<StringValue> literal(bool allow_binary);
    Parsed<StringValue> string(std::string_view what);                  // quoted / literal
    Parsed<StringValue> astring(std::string_view what);                 // 1*ASTRING-CHAR / string
    Parsed<std::optional<StringValue>> nstring(std::string_view what);  // NIL / string
    // A literal8 or literal of APPEND message data.
    Parsed<StringValue> message_literal();

    Parsed<std::uint32_t> number(std::string_view what);     // 32-bit
    Parsed<std::uint32_t> nz_number(std::string_view what);  // 1..2^32-1
    Parsed<std::uint64_t> number64(std::string_view what);   // 0..2^63-1
    Parsed<std::uint64_t> nz_number64(std::string_view what);

    Parsed<SequenceSet> sequence_set(bool allow_saved = true);
    // A sequence set that must not contain "*" or "$" (known-uids of QRESYNC is a uid-set).
    Parsed<SequenceSet> uid_set();

    Parsed<MailboxName> mailbox();
    Parsed<MailboxName> list_mailbox();

    Parsed<std::string> flag();                    // ["\"] atom, system flags in canonical case
    Parsed<std::vector<std::string>> flag_list();  // "(" [flag *(SP flag)] ")"

    Parsed<Date> date();           // date-text or quoted date-text
    Parsed<DateTime> date_time();  // quoted date-time

    // Shared list helper: "(" item *(SP item) ")" with at most max_list_items items.
    template <class F>
    Step list(std::string_view what, bool allow_empty, F&& item) {
        if (auto s = expect('(', what); !s)
            return s;
        if (accept(')')) {
            if (allow_empty)
                return {};
            return syntax_error(std::string("Empty ") + std::string(what));
        }
        std::size_t count = 0;
        while (true) {
            if (++count > options_.limits.max_list_items)
                return limit_error(std::string("Too many items in ") + std::string(what));
            if (auto s = item(); !s)
                return s;
            if (accept(')'))
                return {};
            if (auto s = sp(); !s)
                return syntax_error(std::string("Expected SP or ) in ") + std::string(what));
        }
    }

  private:
    Parsed<std::uint64_t> digits(std::string_view what, std::uint64_t max);

    std::string_view text_;
    const std::vector<FramedLiteral>& literals_;
    const ParserOptions& options_;
    std::size_t pos_ = 0;
};

}  // namespace postern::proto::imap::detail
