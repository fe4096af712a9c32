// Date parsing: RFC 5322 §3.3 date-time and the §4.3 obsolete syntax (zones "UT", "GMT",
// North American names, military letters; two/three-digit years), plus asctime order.
#include "mime/date.h"

#include <array>
#include <string>
#include <vector>

#include "base/strings.h"

namespace postern::mime {
namespace {

constexpr std::array<std::string_view, 12> kMonths = {
    "january", "february", "march",     "april",   "may",      "june",
    "july",    "august",   "september", "october", "november", "december"};

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char c : s) {
        if (!is_digit(c))
            return false;
    }
    return true;
}

// Comments removed (nested, with quoted-pairs); an unterminated comment runs to the end.
std::string strip_comments(std::string_view s) {
    std::string out;
    int depth = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
        char c = s[i];
        if (depth > 0) {
            if (c == '\\') {
                ++i;
            } else if (c == '(') {
                ++depth;
            } else if (c == ')') {
                --depth;
            }
            continue;
        }
        if (c == '(') {
            depth = 1;
            out += ' ';
            continue;
        }
        out += c;
    }
    return out;
}

std::vector<std::string_view> tokens_of(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() &&
               (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == ',')) {
            ++i;
        }
        std::size_t start = i;
        while (i < s.size() &&
               !(s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n' || s[i] == ',')) {
            ++i;
        }
        if (i > start)
            out.push_back(s.substr(start, i - start));
    }
    return out;
}

int month_of(std::string_view tok) {
    if (tok.size() < 3)
        return 0;
    std::string lower = to_lower(tok);
    if (lower.back() == '.')
        lower.pop_back();
    for (std::size_t m = 0; m < kMonths.size(); ++m) {
        if (lower.size() >= 3 && kMonths[m].starts_with(lower))
            return static_cast<int>(m) + 1;
    }
    return 0;
}

struct Time {
    int h = 0, m = 0, s = 0;
};

std::optional<Time> time_of(std::string_view tok) {
    // hh:mm[:ss[.fraction]]
    auto first = tok.find(':');
    if (first == std::string_view::npos)
        return std::nullopt;
    auto h = parse_uint(tok.substr(0, first));
    std::string_view rest = tok.substr(first + 1);
    auto second_colon = rest.find(':');
    auto m = parse_uint(rest.substr(0, second_colon));
    Time t;
    if (!h || !m || first > 2 || *h > 23 || *m > 59)
        return std::nullopt;
    t.h = static_cast<int>(*h);
    t.m = static_cast<int>(*m);
    if (second_colon != std::string_view::npos) {
        std::string_view sec = rest.substr(second_colon + 1);
        std::size_t digits = 0;
        while (digits < sec.size() && sec[digits] >= '0' && sec[digits] <= '9')
            ++digits;
        // "10:00:t" (damaged seconds) still gives the minute; "14:23:232" is no time at all.
        if (digits > 2)
            return std::nullopt;
        t.s = digits == 0 ? 0 : static_cast<int>(*parse_uint(sec.substr(0, digits)));
        if (t.s > 60)
            return std::nullopt;
    }
    return t;
}

struct Zone {
    int minutes = 0;
    bool known = true;
};

std::optional<Zone> zone_of(std::string_view tok) {
    if ((tok.front() == '+' || tok.front() == '-') && tok.size() == 5 &&
        all_digits(tok.substr(1))) {
        int hh = (tok[1] - '0') * 10 + (tok[2] - '0');
        int mm = (tok[3] - '0') * 10 + (tok[4] - '0');
        if (mm > 59)
            return std::nullopt;
        int minutes = hh * 60 + mm;
        if (tok == "-0000")
            return Zone{0, false};  // "no information about the local zone"
        return Zone{tok.front() == '-' ? -minutes : minutes, true};
    }
    std::size_t alpha = 0;
    while (alpha < tok.size() && is_alpha(tok[alpha]))
        ++alpha;
    if (alpha == 0)
        return std::nullopt;
    std::string name = to_upper(tok.substr(0, alpha));
    struct Named {
        std::string_view name;
        int hours;
    };
    static constexpr Named kNamed[] = {{"UT", 0},   {"UTC", 0},  {"GMT", 0},  {"Z", 0},
                                       {"EST", -5}, {"EDT", -4}, {"CST", -6}, {"CDT", -5},
                                       {"MST", -7}, {"MDT", -6}, {"PST", -8}, {"PDT", -7}};
    for (const auto& z : kNamed) {
        if (name == z.name)
            return Zone{z.hours * 60, true};
    }
    // Military letters were specified with the wrong sign in RFC 822; RFC 5322 §4.3 says to
    // treat them, like any unknown name, as "-0000".
    return Zone{0, false};
}

std::optional<int> full_year(std::string_view tok) {
    if (!all_digits(tok) || tok.size() > 4)
        return std::nullopt;
    int y = static_cast<int>(*parse_uint(tok));
    if (tok.size() <= 2)
        return y < 50 ? 2000 + y : 1900 + y;
    if (tok.size() == 3)
        return 1900 + y;
    return y;
}

std::optional<int> number_of(std::string_view tok) {
    if (!all_digits(tok) || tok.size() > 2)
        return std::nullopt;
    return static_cast<int>(*parse_uint(tok));
}

// Days since 1970-01-01 of a proleptic Gregorian date (shifting the year to start in March
// makes the leap day the last day of the year).
std::int64_t days_from_civil(int y, int m, int d) {
    y -= m <= 2 ? 1 : 0;
    std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    std::int64_t yoe = y - era * 400;
    std::int64_t mp = (m + 9) % 12;
    std::int64_t doy = (153 * mp + 2) / 5 + d - 1;
    std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

std::int64_t DateTime::to_unix() const {
    std::int64_t days = days_from_civil(year, month, day);
    return days * 86400 + hour * 3600 + minute * 60 + second - zone_minutes * 60;
}

std::optional<DateTime> parse_date(std::string_view raw_value) {
    std::string text = strip_comments(raw_value);
    std::string_view view = text;
    // Received: "... ; date" (RFC 5321 §4.4): the date follows the last ';'.
    if (auto semi = view.rfind(';'); semi != std::string_view::npos)
        view = view.substr(semi + 1);
    auto toks = tokens_of(view);

    std::size_t t_index = toks.size();
    Time time;
    for (std::size_t k = 0; k < toks.size(); ++k) {
        if (auto t = time_of(toks[k])) {
            time = *t;
            t_index = k;
            break;
        }
    }
    if (t_index == toks.size())
        return std::nullopt;

    DateTime dt;
    dt.hour = time.h;
    dt.minute = time.m;
    dt.second = time.s;

    std::size_t m_index = toks.size();
    for (std::size_t k = 0; k < toks.size(); ++k) {
        if (int m = month_of(toks[k])) {
            dt.month = m;
            m_index = k;
            break;
        }
    }
    std::optional<int> day, year;
    std::size_t day_index = toks.size();
    if (m_index < toks.size()) {
        if (m_index > 0 && (day = number_of(toks[m_index - 1]))) {
            day_index = m_index - 1;
        } else if (m_index + 1 < toks.size() && (day = number_of(toks[m_index + 1]))) {
            day_index = m_index + 1;
        }
        for (std::size_t k = m_index + 1; k < toks.size() && !year; ++k) {
            if (k == day_index || k == t_index)
                continue;
            if (k > t_index && (toks[k].front() == '+' || toks[k].front() == '-'))
                continue;
            year = full_year(toks[k]);
        }
    } else {
        // Numeric "day month year" before the time.
        std::vector<std::string_view> numbers;
        for (std::size_t k = 0; k < t_index; ++k) {
            if (all_digits(toks[k]))
                numbers.push_back(toks[k]);
        }
        if (numbers.size() < 3)
            return std::nullopt;
        auto n = numbers.size();
        day = number_of(numbers[n - 3]);
        auto month = number_of(numbers[n - 2]);
        year = full_year(numbers[n - 1]);
        if (!month)
            return std::nullopt;
        dt.month = *month;
    }
    if (!day || !year)
        return std::nullopt;
    dt.day = *day;
    dt.year = *year;
    if (dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > 31)
        return std::nullopt;

    dt.zone_known = false;
    for (std::size_t k = t_index + 1; k < toks.size(); ++k) {
        if (all_digits(toks[k]))
            continue;  // the year in asctime order
        if (auto z = zone_of(toks[k])) {
            dt.zone_minutes = z->minutes;
            dt.zone_known = z->known;
            break;
        }
    }
    return dt;
}

}  // namespace postern::mime
