// The [scan] section of postern.toml: anti-spam/anti-virus scanners, socket filters and
// milters (docs/antivirus-antispam.md lists every key).
#include "config/load_scan.h"

#include <set>

#include "base/ip_address.h"
#include "base/strings.h"

namespace postern::config {

namespace {

std::string choice(Reader& r, std::string_view key, std::initializer_list<std::string_view> list,
                   std::size_t fallback = 0) {
    auto i = r.get_choice(key, fallback, list);
    return std::string(*(list.begin() + i));
}

bool valid_address(std::string_view a) {
    if (a.starts_with("unix:"))
        a.remove_prefix(5);
    if (a.starts_with("/"))
        return a.size() < 100;
    auto hp = HostPort::parse(a);
    return hp && hp->port != 0 && !hp->host.empty();
}

bool valid_folder(std::string_view f) {
    return !f.empty() && f.size() <= 255 && f.find_first_of("\r\n") == std::string_view::npos;
}

}  // namespace

void read_scan(Reader& root, Config& cfg) {
    auto r = root.table("scan");
    if (!r)
        return;
    auto& s = cfg.scan;
    s.ping_interval = r->get_duration("ping_interval", s.ping_interval);
    if (s.ping_interval < std::chrono::milliseconds(50) ||
        s.ping_interval > std::chrono::minutes(10)) {
        r->error("ping_interval", "must be between 50ms and 10m");
    }
    std::set<std::string> names;
    for (auto& t : r->tables("scanner")) {
        ScannerConfig c;
        c.name = t.get_string("name", "");
        if (c.name.empty() || c.name.size() > 64 ||
            c.name.find_first_of(" \t\r\n:/") != std::string::npos) {
            t.error("name", "a scanner needs a name of 1-64 characters without spaces, ':' or '/'");
        } else if (!names.insert(to_lower(c.name)).second) {
            t.error("name", "scanner name used twice: " + c.name);
        }
        c.type = choice(t, "type", {"spamd", "clamd", "socket", "milter"});
        if (!t.has("type"))
            t.error("type", "missing: spamd, clamd, socket or milter");
        c.enabled = t.get_bool("enabled", c.enabled);
        c.address = t.get_string("address", "");
        if (!valid_address(c.address))
            t.error("address", "expected \"host:port\", \"[v6]:port\" or \"unix:/path\"");
        c.level = choice(t, "level", {"server", "domain", "account"});
        c.scope = to_lower(t.get_string("scope", ""));
        if (c.level != "server" && c.scope.empty())
            t.error("scope", "level " + c.level + " needs a scope (the domain or account address)");
        if (c.level == "account" && c.scope.find('@') == std::string::npos)
            t.error("scope", "level account needs an account address");
        c.priority = static_cast<int>(t.get_int("priority", c.priority, -1'000'000, 1'000'000));
        c.connect_timeout = t.get_duration("connect_timeout", c.connect_timeout);
        c.timeout = t.get_duration("timeout", c.timeout);
        if (c.connect_timeout < std::chrono::milliseconds(10) ||
            c.timeout < std::chrono::milliseconds(10) || c.timeout > std::chrono::minutes(30)) {
            t.error("timeout", "timeouts must be between 10ms and 30m");
        }
        c.max_size = t.get_size("max_size", c.max_size);
        if (c.max_size < 1024 || c.max_size > (1ull << 30))
            t.error("max_size", "must be between 1K and 1G");
        c.max_concurrent =
            static_cast<unsigned>(t.get_int("max_concurrent", c.max_concurrent, 1, 1024));
        c.on_failure = choice(t, "on_failure", {"tempfail", "pass"});
        c.stage = choice(t, "stage", {"processing", "smtp"});
        if (c.stage == "smtp" && c.type != "milter")
            t.error("stage", "only milters run at SMTP time");
        if (c.stage == "smtp" && c.level != "server")
            t.error("stage", "a milter at SMTP time runs for every message: level must be server");
        c.spamd_command = choice(t, "spamd_command", {"symbols", "check", "report"});
        c.spamd_user = t.get_string("spamd_user", "");
        if (c.spamd_user.find_first_of("\r\n") != std::string::npos)
            t.error("spamd_user", "must be one line");
        c.spam_action =
            choice(t, "spam_action", {"tag", "junk", "quarantine", "reject", "discard"});
        c.reject_score = t.get_double("reject_score", 0, 0, 1e6);
        c.discard_score = t.get_double("discard_score", 0, 0, 1e6);
        c.subject_prefix = t.get_string("subject_prefix", "");
        if (c.subject_prefix.find_first_of("\r\n") != std::string::npos)
            t.error("subject_prefix", "must be one line");
        c.junk_folder = t.get_string("junk_folder", c.junk_folder);
        if (!valid_folder(c.junk_folder))
            t.error("junk_folder", "must be a folder name");
        c.quarantine_folder = t.get_string("quarantine_folder", c.quarantine_folder);
        if (!valid_folder(c.quarantine_folder))
            t.error("quarantine_folder", "must be a folder name");
        c.virus_action = choice(t, "virus_action", {"reject", "tag", "quarantine", "discard"});
        c.chunk_size = t.get_size("chunk_size", c.chunk_size);
        if (c.chunk_size < 512 || c.chunk_size > (16u << 20))
            t.error("chunk_size", "must be between 512 and 16M");
        t.finish();
        s.scanners.push_back(std::move(c));
    }
    r->finish();
}

}  // namespace postern::config
