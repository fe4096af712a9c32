// Helpers of the typed IMAP commands (command.h): INBOX (RFC 9051 §5.1), STATUS item names
// (§6.3.11) and dates to instants (§9 date, date-time).
#include "proto/imap/command.h"

#include <array>

#include "base/strings.h"

namespace postern::proto::imap {

bool MailboxName::is_inbox() const {
    return iequals(raw, "INBOX");
}

std::string_view status_item_name(StatusItem item) {
    static constexpr std::array<std::string_view, 10> kNames = {
        "MESSAGES", "UIDNEXT", "UIDVALIDITY",   "UNSEEN",      "DELETED",
        "SIZE",     "RECENT",  "HIGHESTMODSEQ", "APPENDLIMIT", "MAILBOXID"};
    return kNames[static_cast<std::size_t>(item)];
}

std::int64_t to_unix_day(const Date& value) {
    // Days from 1970-01-01 in the proleptic Gregorian calendar (era arithmetic on 400 years).
    std::int64_t y = value.year;
    const unsigned m = value.month;
    const unsigned d = value.day;
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    const std::int64_t days = era * 146097 + static_cast<std::int64_t>(doe) - 719468;
    return days * 86400;
}

std::int64_t to_unix_time(const DateTime& value) {
    return to_unix_day(value.date) + value.hour * 3600 + value.minute * 60 + value.second -
           static_cast<std::int64_t>(value.zone_minutes) * 60;
}

}  // namespace postern::proto::imap
