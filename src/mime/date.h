// Date-time field bodies (RFC 5322 §3.3 with the §4.3 obsolete forms: two- and three-digit
// years, alphabetic and military zones, comments and folding anywhere). Pure; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace postern::mime {

struct DateTime {
    int year = 0;   // four digits after RFC 5322 §4.3 year mapping
    int month = 0;  // 1..12
    int day = 0;    // 1..31
    int hour = 0;
    int minute = 0;
    int second = 0;        // 0..60
    int zone_minutes = 0;  // offset east of UTC (+0200 -> 120, -0330 -> -210)
    // False for "-0000", military letters and unknown names (RFC 5322 §3.3, §4.3): the time
    // is then read as UTC.
    bool zone_known = true;

    // Seconds since 1970-01-01T00:00:00Z.
    std::int64_t to_unix() const;
    bool operator==(const DateTime&) const = default;
};

// Leniently parses a Date (or Resent-Date, or the part of a Received field after its last
// ';'). Accepts "[dow,] d mon y hh:mm[:ss] zone", the asctime order "dow mon d hh:mm:ss
// [zone] y", numeric months ("20 11 79 05:34:27 -0300"), missing seconds and zones, and junk
// tokens around the date. nullopt when no day, month, year and time can be found or a field
// is out of range.
std::optional<DateTime> parse_date(std::string_view raw_value);

}  // namespace postern::mime
