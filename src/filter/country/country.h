// IP address → country (ISO 3166-1 alpha-2) for country filtering: a MaxMind DB file (the
// GeoIP2/GeoLite2 Country or City format, read with libmaxminddb) or a CSV of address ranges
// "first,last,CC" (one range a line; '#' comments). Both are loaded once and read-only after.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/ip_address.h"
#include "base/result.h"

namespace postern::filter::country {

// Limits on a CSV import (hostile or broken files fail with a line number).
inline constexpr std::size_t kMaxCsvBytes = 256ull << 20;
inline constexpr std::size_t kMaxCsvLine = 1024;
inline constexpr std::size_t kMaxCsvRanges = 5'000'000;

// Thread-safe for lookups after it was opened.
class CountryDb {
  public:
    virtual ~CountryDb() = default;
    // "DE", or nullopt when the address is in no range / has no country.
    virtual std::optional<std::string> lookup(const IpAddress& ip) const = 0;
    virtual std::size_t size() const = 0;  // ranges (CSV) or nodes (MaxMind), for the log

    static Result<std::unique_ptr<CountryDb>> open_mmdb(const std::filesystem::path& file);
    static Result<std::unique_ptr<CountryDb>> open_csv(const std::filesystem::path& file);
    // The CSV format from memory (tests, and open_csv).
    static Result<std::unique_ptr<CountryDb>> parse_csv(std::string_view text);
};

// The allow/deny decision: allowed unless the country is denied, or an allow list exists and
// the country is not on it (an unknown country passes an allow list only when !refuse_unknown).
bool country_allowed(const std::optional<std::string>& country,
                     const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                     bool refuse_unknown);

}  // namespace postern::filter::country
