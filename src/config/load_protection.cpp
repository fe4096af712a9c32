// The [protection] section of postern.toml: DNSBL/DNSWL zones, greylisting, DNS checks,
// country filtering, address lists and the automatic ban. docs/configuration.md lists the keys.
#include "config/load_protection.h"

#include <algorithm>
#include <cctype>

#include "base/strings.h"

namespace postern::config {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

std::vector<IpRange> read_ranges(Reader& r, std::string_view key) {
    std::vector<IpRange> out;
    for (auto& text : r.get_string_list(key, {})) {
        if (auto range = IpRange::parse(text)) {
            out.push_back(*range);
        } else {
            r.error(key, "not an IP, CIDR or range: " + text);
        }
    }
    return out;
}

std::chrono::seconds read_seconds(Reader& r, std::string_view key, std::chrono::seconds fallback) {
    auto ms = r.get_duration(key, milliseconds(fallback));
    return std::chrono::ceil<std::chrono::seconds>(ms);
}

bool valid_zone(std::string_view zone) {
    if (zone.empty() || zone.size() > 200 || zone.front() == '.' || zone.back() == '.')
        return false;
    return std::all_of(zone.begin(), zone.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '-' || c == '.' || c == '_';
    });
}

CheckAction read_action(Reader& r, std::string_view key, CheckAction fallback) {
    return static_cast<CheckAction>(
        r.get_choice(key, static_cast<std::size_t>(fallback), {"ignore", "tempfail", "reject"}));
}

std::vector<std::string> read_countries(Reader& r, std::string_view key) {
    std::vector<std::string> out;
    for (auto code : r.get_string_list(key, {})) {
        if (code.size() != 2 || !std::isalpha(static_cast<unsigned char>(code[0])) ||
            !std::isalpha(static_cast<unsigned char>(code[1]))) {
            r.error(key, "not a two-letter country code: " + code);
            continue;
        }
        for (auto& c : code)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        out.push_back(code);
    }
    return out;
}

void read_dnsbl(Reader& r, DnsblConfig& out) {
    out.enabled = r.get_bool("enabled", true);
    out.exclude = read_ranges(r, "exclude");
    out.reject_score = static_cast<int>(r.get_int("reject_score", out.reject_score, 0, 1000));
    out.timeout = r.get_duration("timeout", out.timeout);
    if (out.timeout < milliseconds(10) || out.timeout > milliseconds(60'000))
        r.error("timeout", "must be between 10ms and 60s");
    for (auto& z : r.tables("zone")) {
        DnsblZone zone;
        zone.zone = to_lower(z.get_string("zone", ""));
        if (!valid_zone(zone.zone))
            z.error("zone", "expected a DNS zone name like \"bl.example.org\"");
        zone.allow = z.get_bool("allow", false);
        zone.action =
            static_cast<DnsblAction>(z.get_choice("action", 0, {"reject", "score", "header"}));
        zone.weight = static_cast<int>(z.get_int("weight", 1, -1000, 1000));
        zone.message = z.get_string("message", "");
        if (zone.message.find_first_of("\r\n") != std::string::npos)
            z.error("message", "must be one line");
        zone.codes = read_ranges(z, "codes");
        for (auto& c : zone.codes) {
            if (!c.first.is_v4())
                z.error("codes", "answers are IPv4 addresses (127.0.0.x)");
        }
        z.finish();
        out.zones.push_back(std::move(zone));
    }
    if (out.zones.size() > 32)
        r.error("zone", "at most 32 zones");
}

void read_greylist(Reader& r, GreylistConfig& out, const Config& cfg, const fs::path& base) {
    out.enabled = r.get_bool("enabled", true);
    out.delay = read_seconds(r, "delay", out.delay);
    out.retry_window = read_seconds(r, "retry_window", out.retry_window);
    out.expiry = read_seconds(r, "expiry", out.expiry);
    if (out.retry_window <= out.delay)
        r.error("retry_window", "must be longer than delay");
    if (out.expiry < out.retry_window)
        r.error("expiry", "must be at least retry_window");
    out.auto_whitelist =
        static_cast<std::uint32_t>(r.get_int("auto_whitelist", out.auto_whitelist, 0, 1'000'000));
    out.exclude = read_ranges(r, "exclude");
    for (auto& d : r.get_string_list("exclude_domains", {}))
        out.exclude_domains.push_back(to_lower(d));
    out.max_entries = static_cast<std::uint64_t>(
        r.get_int("max_entries", static_cast<std::int64_t>(out.max_entries), 100, 100'000'000));
    out.database = r.get_path("database", cfg.server.data_dir / "greylist.db", base);
}

void read_dns_checks(Reader& r, DnsChecksConfig& out) {
    out.reverse_dns = read_action(r, "reverse_dns", out.reverse_dns);
    out.confirmed_reverse = read_action(r, "confirmed_reverse", out.confirmed_reverse);
    out.sender_domain = read_action(r, "sender_domain", out.sender_domain);
    out.exclude = read_ranges(r, "exclude");
}

void read_country(Reader& r, CountryConfig& out, const fs::path& base) {
    out.enabled = r.get_bool("enabled", true);
    out.database = r.get_path("database", {}, base);
    out.csv = r.get_path("csv", {}, base);
    if (out.enabled && out.database.empty() == out.csv.empty())
        r.error("database", "give exactly one of database (MaxMind .mmdb) and csv");
    out.allow = read_countries(r, "allow");
    out.deny = read_countries(r, "deny");
    if (!out.allow.empty() && !out.deny.empty())
        r.error("deny", "give an allow list or a deny list, not both");
    out.refuse_unknown = r.get_bool("refuse_unknown", out.refuse_unknown);
    out.skip = read_ranges(r, "skip");
}

void read_lists(Reader& r, AddressListsConfig& out, const Config& cfg, const fs::path& base) {
    out.enabled = r.get_bool("enabled", true);
    out.whitelist = r.get_string_list("whitelist", {});
    out.blacklist = r.get_string_list("blacklist", {});
    out.database = r.get_path("database", cfg.server.data_dir / "address_lists.db", base);
}

void read_auto_ban(Reader& r, AutoBanConfig& out) {
    out.enabled = r.get_bool("enabled", out.enabled);
    out.max_protocol_errors = static_cast<std::uint32_t>(
        r.get_int("max_protocol_errors", out.max_protocol_errors, 0, 1'000'000));
    out.window = r.get_duration("window", out.window);
    out.ban_time = r.get_duration("ban_time", out.ban_time);
    if (out.window < milliseconds(1000))
        r.error("window", "must be at least 1s");
    if (out.ban_time < milliseconds(1000))
        r.error("ban_time", "must be at least 1s");
    out.exclude = read_ranges(r, "exclude");
}

}  // namespace

void read_protection(Reader& root, Config& cfg, const fs::path& base) {
    auto& p = cfg.protection;
    p.greylist.database = cfg.server.data_dir / "greylist.db";
    p.lists.database = cfg.server.data_dir / "address_lists.db";
    auto r = root.table("protection");
    if (!r)
        return;
    if (auto t = r->table("dnsbl")) {
        read_dnsbl(*t, p.dnsbl);
        t->finish();
    }
    if (auto t = r->table("greylist")) {
        read_greylist(*t, p.greylist, cfg, base);
        t->finish();
    }
    if (auto t = r->table("dns_checks")) {
        read_dns_checks(*t, p.dns_checks);
        t->finish();
    }
    if (auto t = r->table("country")) {
        read_country(*t, p.country, base);
        t->finish();
    }
    if (auto t = r->table("lists")) {
        read_lists(*t, p.lists, cfg, base);
        t->finish();
    }
    if (auto t = r->table("auto_ban")) {
        read_auto_ban(*t, p.auto_ban);
        t->finish();
    }
    r->finish();
}

}  // namespace postern::config
