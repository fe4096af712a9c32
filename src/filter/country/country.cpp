// Country lookups: libmaxminddb over a .mmdb file, or sorted ranges from a CSV import.
#include "filter/country/country.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>

#include <maxminddb.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "base/strings.h"

namespace postern::filter::country {

namespace {

class MaxMindDb final : public CountryDb {
  public:
    MaxMindDb() = default;
    ~MaxMindDb() override {
        if (open_)
            MMDB_close(&db_);
    }
    MaxMindDb(const MaxMindDb&) = delete;
    MaxMindDb& operator=(const MaxMindDb&) = delete;

    Status open(const std::filesystem::path& file) {
        int rc = MMDB_open(file.c_str(), MMDB_MODE_MMAP, &db_);
        if (rc != MMDB_SUCCESS)
            return fail(Errc::io_error,
                        "country database " + file.string() + ": " + MMDB_strerror(rc));
        open_ = true;
        return ok();
    }

    std::optional<std::string> lookup(const IpAddress& ip) const override {
        sockaddr_in6 sa6{};
        sockaddr_in sa4{};
        const sockaddr* sa = nullptr;
        const auto& b = ip.bytes();
        if (ip.is_v4() && db_.metadata.ip_version == 4) {
            sa4.sin_family = AF_INET;
            std::memcpy(&sa4.sin_addr, b.data() + 12, 4);
            sa = reinterpret_cast<const sockaddr*>(&sa4);
        } else if (ip.is_v4()) {
            // An IPv6 tree holds IPv4 at ::a.b.c.d (MaxMind DB spec "IPv4 addresses in an
            // IPv6 tree"); libmaxminddb maps AF_INET lookups there itself.
            sa4.sin_family = AF_INET;
            std::memcpy(&sa4.sin_addr, b.data() + 12, 4);
            sa = reinterpret_cast<const sockaddr*>(&sa4);
        } else {
            sa6.sin6_family = AF_INET6;
            std::memcpy(&sa6.sin6_addr, b.data(), 16);
            sa = reinterpret_cast<const sockaddr*>(&sa6);
        }
        int error = 0;
        auto result = MMDB_lookup_sockaddr(&db_, sa, &error);
        if (error != MMDB_SUCCESS || !result.found_entry)
            return std::nullopt;
        MMDB_entry_data_s data{};
        // GeoIP2 Country/City: country.iso_code; fall back to registered_country.
        for (const char* top : {"country", "registered_country"}) {
            int rc = MMDB_get_value(&result.entry, &data, top, "iso_code", nullptr);
            if (rc == MMDB_SUCCESS && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING &&
                data.data_size == 2) {
                std::string code(data.utf8_string, 2);
                for (auto& c : code)
                    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                return code;
            }
        }
        return std::nullopt;
    }

    std::size_t size() const override { return db_.metadata.node_count; }

  private:
    MMDB_s db_{};
    bool open_ = false;
};

struct Range {
    IpAddress first;
    IpAddress last;
    std::array<char, 2> code{};
};

class CsvDb final : public CountryDb {
  public:
    explicit CsvDb(std::vector<Range> ranges) : ranges_(std::move(ranges)) {}

    std::optional<std::string> lookup(const IpAddress& ip) const override {
        // Ranges are sorted by first and do not overlap: the candidate is the last one
        // starting at or before ip.
        auto it = std::upper_bound(ranges_.begin(), ranges_.end(), ip,
                                   [](const IpAddress& a, const Range& r) { return a < r.first; });
        if (it == ranges_.begin())
            return std::nullopt;
        --it;
        if (ip > it->last)
            return std::nullopt;
        return std::string(it->code.data(), 2);
    }
    std::size_t size() const override { return ranges_.size(); }

  private:
    std::vector<Range> ranges_;
};

std::string_view unquote(std::string_view s) {
    s = trim(s);
    if (s.size() >= 2 && s.front() == '"' && s.back() == '"')
        s = s.substr(1, s.size() - 2);
    return trim(s);
}

}  // namespace

Result<std::unique_ptr<CountryDb>> CountryDb::open_mmdb(const std::filesystem::path& file) {
    auto db = std::make_unique<MaxMindDb>();
    if (auto st = db->open(file); !st)
        return fail(st.error());
    return std::unique_ptr<CountryDb>(std::move(db));
}

Result<std::unique_ptr<CountryDb>> CountryDb::open_csv(const std::filesystem::path& file) {
    std::error_code ec;
    auto size = std::filesystem::file_size(file, ec);
    if (ec)
        return fail(Errc::io_error, "country CSV " + file.string() + ": " + ec.message());
    if (size > kMaxCsvBytes)
        return fail(Errc::limit_exceeded,
                    "country CSV " + file.string() + " is larger than 256 MiB");
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return fail(Errc::io_error, "country CSV " + file.string() + ": cannot open");
    std::ostringstream ss;
    ss << in.rdbuf();
    auto db = parse_csv(ss.str());
    if (!db)
        return fail(db.error().code, "country CSV " + file.string() + ": " + db.error().message);
    return db;
}

Result<std::unique_ptr<CountryDb>> CountryDb::parse_csv(std::string_view text) {
    if (text.size() > kMaxCsvBytes)
        return fail(Errc::limit_exceeded, "larger than 256 MiB");
    std::vector<Range> ranges;
    std::size_t line_no = 0;
    while (!text.empty()) {
        auto eol = text.find('\n');
        std::string_view line = text.substr(0, eol);
        text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
        ++line_no;
        auto where = [&] { return "line " + std::to_string(line_no) + ": "; };
        if (line.size() > kMaxCsvLine)
            return fail(Errc::limit_exceeded, where() + "longer than 1024 bytes");
        line = trim(line);
        if (line.empty() || line.front() == '#')
            continue;
        std::vector<std::string_view> cols;
        while (true) {
            auto comma = line.find(',');
            cols.push_back(unquote(line.substr(0, comma)));
            if (comma == std::string_view::npos || cols.size() > 8)
                break;
            line.remove_prefix(comma + 1);
        }
        if (cols.size() < 3)
            return fail(Errc::invalid_argument, where() + "expected first,last,country");
        auto first = IpAddress::parse(cols[0]);
        auto last = IpAddress::parse(cols[1]);
        auto cc = cols[2];
        if (!first || !last) {
            if (line_no == 1)
                continue;  // a header line
            return fail(Errc::invalid_argument, where() + "not an IP address");
        }
        if (first->is_v4() != last->is_v4() || *last < *first)
            return fail(Errc::invalid_argument, where() + "the range is empty or mixes families");
        if (cc.size() != 2 || !std::isalpha(static_cast<unsigned char>(cc[0])) ||
            !std::isalpha(static_cast<unsigned char>(cc[1])))
            return fail(Errc::invalid_argument, where() + "not a two-letter country code");
        if (ranges.size() >= kMaxCsvRanges)
            return fail(Errc::limit_exceeded, where() + "more than 5,000,000 ranges");
        Range r{*first, *last, {}};
        r.code[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(cc[0])));
        r.code[1] = static_cast<char>(std::toupper(static_cast<unsigned char>(cc[1])));
        ranges.push_back(r);
    }
    std::sort(ranges.begin(), ranges.end(),
              [](const Range& a, const Range& b) { return a.first < b.first; });
    for (std::size_t i = 1; i < ranges.size(); ++i) {
        if (ranges[i].first <= ranges[i - 1].last)
            return fail(Errc::invalid_argument,
                        "ranges overlap: " + ranges[i - 1].first.to_string() + " and " +
                            ranges[i].first.to_string());
    }
    return std::unique_ptr<CountryDb>(std::make_unique<CsvDb>(std::move(ranges)));
}

bool country_allowed(const std::optional<std::string>& country,
                     const std::vector<std::string>& allow, const std::vector<std::string>& deny,
                     bool refuse_unknown) {
    if (!country)
        return !refuse_unknown;
    if (std::find(deny.begin(), deny.end(), *country) != deny.end())
        return false;
    if (!allow.empty())
        return std::find(allow.begin(), allow.end(), *country) != allow.end();
    return true;
}

}  // namespace postern::filter::country
