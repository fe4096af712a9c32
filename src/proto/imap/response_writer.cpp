// IMAP data encoding for responses (RFC 9051 §4.1-§4.4 and §9 formal syntax, RFC 3501 §4 and
// §9, RFC 3516 §4.2 literal8, RFC 6855 §3 UTF-8 strings, RFC 3501 §5.1.3 mailbox names).
#include "proto/imap/response_writer.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <vector>

#include "base/strings.h"
#include "base/utf8.h"
#include "proto/imap/mutf7.h"

namespace postern::proto::imap {
namespace {

bool is_ctl(unsigned char c) {
    return c < 0x20 || c == 0x7F;
}

// Appends the decimal digits of `n` (std::to_string would allocate).
void append_decimal(std::string& out, std::uint64_t n, int min_width = 1) {
    char buf[24];
    int len = 0;
    do {
        buf[len++] = static_cast<char>('0' + n % 10);
        n /= 10;
    } while (n != 0);
    for (; len < min_width; ++len)
        buf[len] = '0';
    while (len > 0)
        out += buf[--len];
}

bool has_nul(std::string_view s) {
    return s.find('\0') != std::string_view::npos;
}

std::string without_nul(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (char c : s) {
        if (c != '\0')
            out += c;
    }
    return out;
}

// The choice for a string already free of NUL.
StringChoice choose(std::string_view s, const SessionMode& mode) {
    if (s.size() > kMaxQuotedLength)
        return StringChoice::literal;
    bool eight_bit = false;
    for (char c : s) {
        if (c == '\r' || c == '\n')
            return StringChoice::literal;
        eight_bit |= static_cast<unsigned char>(c) >= 0x80;
    }
    if (eight_bit && (!mode.utf8() || !is_valid_utf8(s)))
        return StringChoice::literal;
    return StringChoice::quoted;
}

void append_quoted_raw(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
}

void write_string(std::string& out, std::string_view s, const SessionMode& mode) {
    if (choose(s, mode) == StringChoice::quoted) {
        append_quoted_raw(out, s);
    } else {
        append_literal_header(out, s.size(), false);
        out += s;
    }
}

// Replaces what a one-line text must not hold: controls other than TAB become spaces, and 8-bit
// bytes become '?' unless they are well-formed UTF-8 and `allow_utf8`.
void append_line_safe(std::string& out, std::string_view s, bool allow_utf8) {
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            out += is_ctl(c) && c != '\t' ? ' ' : static_cast<char>(c);
            ++i;
            continue;
        }
        char32_t cp = 0;
        std::size_t n = allow_utf8 ? utf8_sequence(s, i, cp) : 0;
        if (n == 0) {
            out += '?';
            ++i;
            continue;
        }
        out.append(s.substr(i, n));
        i += n;
    }
}

// flag-keyword / flag-extension bodies: ATOM-CHARs only.
bool atom_chars_only(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), is_atom_char);
}

}  // namespace

bool is_atom_char(char ch) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x80 || is_ctl(c))
        return false;
    switch (c) {
        case ' ':
        case '(':
        case ')':
        case '{':
        case '%':
        case '*':
        case '"':
        case '\\':
        case ']':
            return false;
        default:
            return true;
    }
}

bool is_astring_char(char c) {
    return c == ']' || is_atom_char(c);
}

bool is_atom(std::string_view s) {
    return atom_chars_only(s);
}

StringChoice choose_string_form(std::string_view s, const SessionMode& mode) {
    if (has_nul(s))
        return choose(without_nul(s), mode);
    return choose(s, mode);
}

void append_nil(std::string& out) {
    out += "NIL";
}

void append_number(std::string& out, std::uint64_t n) {
    append_decimal(out, n);
}

void append_string(std::string& out, std::string_view s, const SessionMode& mode) {
    if (has_nul(s)) {
        write_string(out, without_nul(s), mode);
        return;
    }
    write_string(out, s, mode);
}

void append_nstring(std::string& out, std::optional<std::string_view> s, const SessionMode& mode) {
    if (!s) {
        append_nil(out);
        return;
    }
    append_string(out, *s, mode);
}

void append_astring(std::string& out, std::string_view s, const SessionMode& mode) {
    if (!s.empty() && std::all_of(s.begin(), s.end(), is_astring_char) && !iequals(s, "NIL")) {
        out += s;
        return;
    }
    append_string(out, s, mode);
}

void append_quoted_only(std::string& out, std::string_view s, const SessionMode& mode) {
    std::string safe;
    safe.reserve(s.size());
    append_line_safe(safe, s, mode.utf8());
    append_quoted_raw(out, safe);
}

void append_literal_header(std::string& out, std::uint64_t size, bool literal8) {
    if (literal8)
        out += '~';
    out += '{';
    append_decimal(out, size);
    out += "}\r\n";
}

void append_literal(std::string& out, std::string_view data, bool literal8) {
    append_literal_header(out, data.size(), literal8);
    append_literal_data(out, data, literal8);
}

void append_literal_data(std::string& out, std::string_view data, bool literal8) {
    const std::size_t start = out.size();
    out += data;
    if (literal8)
        return;
    // memchr-speed scan; bodies with NUL are rare.
    for (std::size_t i = start; (i = out.find('\0', i)) != std::string::npos; ++i)
        out[i] = static_cast<char>(0x80);
}

bool contains_nul(std::string_view data) {
    return has_nul(data);
}

void append_text(std::string& out, std::string_view text, const SessionMode& mode) {
    // RFC 6855 extends only quoted strings; resp-text takes UTF-8 in IMAP4rev2 (RFC 9051 §9).
    append_line_safe(out, text, mode.imap4rev2);
}

void append_number_set(std::string& out, std::span<const std::uint32_t> numbers) {
    if (numbers.empty())
        return;
    std::vector<NumberRange> ranges;
    ranges.reserve(numbers.size());
    for (auto n : numbers)
        ranges.push_back({n, n});
    append_range_set(out, ranges);
}

void append_range_set(std::string& out, std::span<const NumberRange> input) {
    std::vector<NumberRange> ranges;
    ranges.reserve(input.size());
    for (auto r : input) {
        if (r.first > r.last)
            std::swap(r.first, r.last);
        if (r.last == 0)
            continue;
        r.first = std::max<std::uint32_t>(r.first, 1);
        ranges.push_back(r);
    }
    if (ranges.empty())
        return;
    if (!std::is_sorted(ranges.begin(), ranges.end(),
                        [](const auto& a, const auto& b) { return a.first < b.first; })) {
        std::sort(ranges.begin(), ranges.end(),
                  [](const auto& a, const auto& b) { return a.first < b.first; });
    }
    bool first = true;
    auto write = [&](NumberRange r) {
        if (!first)
            out += ',';
        first = false;
        append_decimal(out, r.first);
        if (r.last != r.first) {
            out += ':';
            append_decimal(out, r.last);
        }
    };
    NumberRange cur = ranges.front();
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        const auto& r = ranges[i];
        // Adjacent or overlapping (cur.last + 1 cannot overflow past a uint32 range here).
        if (static_cast<std::uint64_t>(r.first) <= static_cast<std::uint64_t>(cur.last) + 1) {
            cur.last = std::max(cur.last, r.last);
            continue;
        }
        write(cur);
        cur = r;
    }
    write(cur);
}

void append_ordered_number_set(std::string& out, std::span<const std::uint32_t> numbers) {
    for (std::size_t i = 0; i < numbers.size();) {
        std::size_t j = i;
        while (j + 1 < numbers.size() && numbers[j] != UINT32_MAX &&
               numbers[j + 1] == numbers[j] + 1)
            ++j;
        if (i)
            out += ',';
        append_decimal(out, numbers[i]);
        if (j > i) {
            out += ':';
            append_decimal(out, numbers[j]);
        }
        i = j + 1;
    }
}

bool is_valid_flag(std::string_view flag, bool allow_wildcard) {
    if (flag.starts_with('\\')) {
        if (flag == "\\*")
            return allow_wildcard;
        return atom_chars_only(flag.substr(1));
    }
    return atom_chars_only(flag);
}

void append_flag_list(std::string& out, std::span<const std::string> flags, bool allow_wildcard) {
    out += '(';
    bool first = true;
    for (const auto& f : flags) {
        if (!is_valid_flag(f, allow_wildcard))
            continue;
        if (!first)
            out += ' ';
        first = false;
        out += f;
    }
    out += ')';
}

void append_atom_list(std::string& out, std::span<const std::string> atoms) {
    out += '(';
    bool first = true;
    for (const auto& a : atoms) {
        if (!is_atom(a))
            continue;
        if (!first)
            out += ' ';
        first = false;
        out += a;
    }
    out += ')';
}

void append_date_time(std::string& out, std::int64_t unix_seconds, int zone_minutes) {
    static constexpr std::array<const char*, 12> kMonths = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    using namespace std::chrono;
    zone_minutes = std::clamp(zone_minutes, -1439, 1439);
    // Keep the arithmetic inside years 1..9999 (date-year is 4DIGIT).
    constexpr std::int64_t kMin = -62135596800;  // 0001-01-01T00:00:00Z
    constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
    std::int64_t local = std::clamp<std::int64_t>(
        std::clamp(unix_seconds, kMin, kMax) + std::int64_t{zone_minutes} * 60, kMin, kMax);
    const sys_seconds tp{seconds{local}};
    const auto day = floor<days>(tp);
    const year_month_day ymd{day};
    const hh_mm_ss hms{tp - day};
    out += '"';
    append_decimal(out, static_cast<unsigned>(ymd.day()), 2);
    out += '-';
    out += kMonths[static_cast<unsigned>(ymd.month()) - 1];
    out += '-';
    append_decimal(out, static_cast<std::uint64_t>(static_cast<int>(ymd.year())), 4);
    out += ' ';
    append_decimal(out, static_cast<std::uint64_t>(hms.hours().count()), 2);
    out += ':';
    append_decimal(out, static_cast<std::uint64_t>(hms.minutes().count()), 2);
    out += ':';
    append_decimal(out, static_cast<std::uint64_t>(hms.seconds().count()), 2);
    out += ' ';
    out += zone_minutes < 0 ? '-' : '+';
    const int abs_zone = zone_minutes < 0 ? -zone_minutes : zone_minutes;
    append_decimal(out, static_cast<std::uint64_t>(abs_zone / 60), 2);
    append_decimal(out, static_cast<std::uint64_t>(abs_zone % 60), 2);
    out += '"';
}

std::string mailbox_wire_name(std::string_view utf8_name, const SessionMode& mode) {
    if (iequals(utf8_name, "INBOX"))
        return "INBOX";
    if (mode.utf8())
        return std::string(utf8_name);
    auto encoded = encode_mutf7(utf8_name);
    if (!encoded)
        return std::string(utf8_name);
    return std::move(*encoded);
}

void append_mailbox(std::string& out, std::string_view utf8_name, const SessionMode& mode) {
    append_string(out, mailbox_wire_name(utf8_name, mode), mode);
}

}  // namespace postern::proto::imap
