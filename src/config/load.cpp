// The schema of postern.toml: every section and key, its default and its checks.
// docs/configuration.md documents the same keys; keep the two in step.
#include "config/load.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "base/strings.h"
#include "base/units.h"
#include "config/load_protection.h"
#include "config/load_queue.h"
#include "config/load_scan.h"
#include "config/load_sender_auth.h"
#include "config/reader.h"

namespace postern::config {
namespace {

namespace fs = std::filesystem;

std::string default_hostname() {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0 || buf[0] == '\0') return "localhost";
    return buf;
}

// "100/1m": at most 100 per minute. A bare number is per second.
void read_rate(Reader& r, std::string_view key, RateLimit& out) {
    if (!r.has(key)) return;
    auto text = r.get_string(key, "");
    auto slash = text.find('/');
    auto count = parse_uint(trim(std::string_view(text).substr(0, slash)));
    std::optional<std::chrono::milliseconds> interval = std::chrono::seconds(1);
    if (slash != std::string::npos) {
        interval = parse_duration(std::string_view(text).substr(slash + 1));
    }
    if (!count || *count > 0xffffffffULL || !interval || interval->count() <= 0) {
        r.error(key, "expected \"COUNT/INTERVAL\", for example \"100/1m\"");
        return;
    }
    out = RateLimit{static_cast<std::uint32_t>(*count), *interval};
}

void read_limits(Reader& r, FlowLimits& out) {
    out.max_connections = static_cast<std::uint32_t>(r.get_int("max_connections", out.max_connections, 0, 10'000'000));
    out.max_connections_per_ip =
        static_cast<std::uint32_t>(r.get_int("max_connections_per_ip", out.max_connections_per_ip, 0, 10'000'000));
    read_rate(r, "new_connections", out.new_connections);
    read_rate(r, "new_connections_per_ip", out.new_connections_per_ip);
}

void read_tls(Reader& r, TlsSettings& out, const fs::path& base) {
    out.cert_file = r.get_path("cert", out.cert_file, base);
    out.key_file = r.get_path("key", out.key_file, base);
    auto v = r.get_choice("min_version", out.min_version == "1.3" ? 1 : 0, {"1.2", "1.3"});
    out.min_version = v == 1 ? "1.3" : "1.2";
    out.ciphers = r.get_string("ciphers", out.ciphers);
    out.ciphersuites = r.get_string("ciphersuites", out.ciphersuites);
    out.client_cert = static_cast<ClientCertMode>(
        r.get_choice("client_cert", static_cast<std::size_t>(out.client_cert), {"none", "optional", "required"}));
    out.ca_file = r.get_path("ca_file", out.ca_file, base);
    out.verify_depth = static_cast<int>(r.get_int("verify_depth", out.verify_depth, 0, 100));
}

void check_tls_files(Reader& r, std::string_view key, const TlsSettings& tls) {
    if (!tls.has_certificate()) {
        r.error(key, "TLS needs a certificate: set cert and key here, in the service or in [tls]");
        return;
    }
    std::error_code ec;
    if (!fs::exists(tls.cert_file, ec)) r.error(key, "certificate file not found: " + tls.cert_file.string());
    if (!fs::exists(tls.key_file, ec)) r.error(key, "key file not found: " + tls.key_file.string());
    if (tls.client_cert != ClientCertMode::none && tls.ca_file.empty()) {
        r.error(key, "client_cert needs ca_file");
    }
}

std::uint8_t read_level(Reader& r, std::string_view key, std::uint8_t fallback) {
    return static_cast<std::uint8_t>(r.get_int(key, fallback, 0, 31));
}

void read_log_settings(Reader& r, LogSettings& out, std::string_view prefix) {
    std::string p(prefix);
    out.level = read_level(r, p + "level", out.level);
    out.type = static_cast<LogType>(
        r.get_choice(p + "type", static_cast<std::size_t>(out.type), {"internal", "system", "remote"}));
    if (r.has(p + "remote")) {
        auto text = r.get_string(p + "remote", "");
        if (auto hp = HostPort::parse(text)) {
            out.remote = *hp;
        } else {
            r.error(p + "remote", "expected host:port");
        }
    }
    if (out.type == LogType::remote && !out.remote) {
        r.error(p + "type", "log type \"remote\" needs " + p + "remote = \"host:port\"");
    }
}

std::vector<AccessRule> read_rules(Reader& parent, bool with_limits) {
    std::vector<AccessRule> rules;
    for (auto& r : parent.tables("rule")) {
        AccessRule rule;
        rule.action = static_cast<RuleAction>(r.get_choice("action", 0, {"allow", "deny"}));
        rule.match = r.get_string("match", "");
        if (auto range = IpRange::parse(rule.match)) {
            rule.range = *range;
        } else {
            r.error("match", "expected an IP address, CIDR (10.0.0.0/8) or range (10.0.0.1-10.0.0.9)");
        }
        rule.priority = static_cast<int>(r.get_int("priority", rule.priority, 0, 1'000'000));
        rule.enabled = r.get_bool("enabled", true);
        if (with_limits) read_limits(r, rule.limits);
        if (rule.action == RuleAction::deny && !(rule.limits == FlowLimits{})) {
            r.error("action", "limits only apply to allow rules");
        }
        r.finish();
        rules.push_back(std::move(rule));
    }
    return rules;
}

void read_tcp_service(Reader& r, TcpServiceConfig& svc, const Config& cfg, const fs::path& base,
                      std::set<std::string>& addresses, bool finish = true) {
    svc.enabled = r.get_bool("enabled", svc.enabled);
    svc.threads_min = static_cast<unsigned>(r.get_int("threads_min", svc.threads_min, 1, 256));
    svc.threads_max = static_cast<unsigned>(r.get_int("threads_max", svc.threads_max, 1, 1024));
    if (svc.threads_max < svc.threads_min) r.error("threads_max", "must be at least threads_min");
    svc.log = cfg.log.defaults;
    read_log_settings(r, svc.log, "log_");
    svc.idle_timeout = r.get_duration("idle_timeout", svc.idle_timeout);
    svc.session_timeout = r.get_duration("session_timeout", svc.session_timeout);
    svc.max_bad_commands = static_cast<std::uint32_t>(r.get_int("max_bad_commands", svc.max_bad_commands, 0, 1'000'000));
    svc.max_auth_failures = static_cast<std::uint32_t>(r.get_int("max_auth_failures", svc.max_auth_failures, 0, 1'000'000));
    svc.max_line_length = r.get_size("max_line_length", svc.max_line_length);
    if (svc.max_line_length < 512) r.error("max_line_length", "must be at least 512 (RFC 5321 §4.5.3.1.6)");
    svc.allow_plaintext_auth = r.get_bool("allow_plaintext_auth", svc.allow_plaintext_auth);
    read_limits(r, svc.limits);

    TlsSettings service_tls = cfg.tls;
    read_tls(r, service_tls, base);

    for (auto& l : r.tables("listener")) {
        ListenerConfig lc;
        auto address = l.get_string("address", "");
        if (auto hp = HostPort::parse(address)) {
            lc.address = *hp;
            if (hp->host != "*" && !IpAddress::parse(hp->host)) {
                l.error("address", "expected an IP address or * before the port");
            }
            if (!addresses.insert(hp->to_string()).second) {
                l.error("address", "address " + hp->to_string() + " is used by another listener");
            }
        } else {
            l.error("address", "expected \"IP:PORT\", \"[IPv6]:PORT\" or \"*:PORT\"");
        }
        lc.enabled = l.get_bool("enabled", true);
        lc.tls = static_cast<TlsMode>(l.get_choice("tls", 0, {"none", "starttls", "implicit"}));
        lc.tls_settings = service_tls;
        read_tls(l, lc.tls_settings, base);
        if (lc.tls != TlsMode::none) check_tls_files(l, "tls", lc.tls_settings);
        lc.proxy_protocol = l.get_bool("proxy_protocol", false);
        for (auto& text : l.get_string_list("proxy_trusted", {})) {
            if (auto range = IpRange::parse(text)) {
                lc.proxy_trusted.push_back(*range);
            } else {
                l.error("proxy_trusted", "not an IP, CIDR or range: " + text);
            }
        }
        if (lc.proxy_protocol && lc.proxy_trusted.empty()) {
            l.error("proxy_trusted", "proxy_protocol needs the load balancers' addresses in proxy_trusted");
        }
        read_limits(l, lc.limits);
        lc.require_tls = l.get_bool("require_tls", false);
        lc.require_auth = l.get_bool("require_auth", false);
        if (lc.require_tls && lc.tls == TlsMode::none) {
            l.error("require_tls", "a listener without TLS cannot require it: set tls = \"starttls\" or \"implicit\"");
        }
        l.finish();
        svc.listeners.push_back(std::move(lc));
    }
    svc.rules = read_rules(r, true);
    if (finish) r.finish();
}

// The SMTP-only keys; the common TCP keys are read by read_tcp_service.
void read_smtp(Reader& r, SmtpConfig& smtp, const Config& cfg, const fs::path& base,
               std::set<std::string>& addresses, bool lmtp) {
    read_tcp_service(r, smtp, cfg, base, addresses, false);
    smtp.greeting = r.get_string("greeting", smtp.greeting);
    if (smtp.greeting.find_first_of("\r\n") != std::string::npos) r.error("greeting", "must be one line");
    smtp.max_message_size = r.get_size("max_message_size", smtp.max_message_size);
    smtp.max_recipients = static_cast<std::uint32_t>(r.get_int("max_recipients", smtp.max_recipients, 1, 1'000'000));
    smtp.max_received_headers =
        static_cast<std::uint32_t>(r.get_int("max_received_headers", smtp.max_received_headers, 1, 1000));
    smtp.max_header_size = r.get_size("max_header_size", smtp.max_header_size);
    for (auto& text : r.get_string_list("relay_networks", {})) {
        if (auto range = IpRange::parse(text)) {
            smtp.relay_networks.push_back(*range);
        } else {
            r.error("relay_networks", "not an IP, CIDR or range: " + text);
        }
    }
    smtp.bare_line_endings = static_cast<LineEndings>(
        r.get_choice("bare_line_endings", static_cast<std::size_t>(smtp.bare_line_endings), {"reject", "normalize"}));
    smtp.max_message_line = static_cast<std::uint32_t>(r.get_int("max_message_line", smtp.max_message_line, 78, 1'000'000));
    smtp.reject_long_lines = r.get_bool("reject_long_lines", smtp.reject_long_lines);
    smtp.strict_helo = r.get_bool("strict_helo", smtp.strict_helo);
    smtp.strict_addresses = r.get_bool("strict_addresses", smtp.strict_addresses);
    smtp.pipelining = r.get_bool("pipelining", smtp.pipelining);
    smtp.eight_bit_mime = r.get_bool("eight_bit_mime", smtp.eight_bit_mime);
    smtp.dsn = r.get_bool("dsn", smtp.dsn);
    smtp.chunking = r.get_bool("chunking", smtp.chunking);
    smtp.smtputf8 = r.get_bool("smtputf8", smtp.smtputf8);
    smtp.vrfy = r.get_bool("vrfy", smtp.vrfy);
    smtp.expn = r.get_bool("expn", smtp.expn);
    smtp.help = r.get_bool("help", smtp.help);
    smtp.anti_impersonation = r.get_bool("anti_impersonation", smtp.anti_impersonation);
    // LMTP clients are our own front ends: their names say nothing, so no lookup by default.
    smtp.reverse_lookup = r.get_bool("reverse_lookup", lmtp ? false : smtp.reverse_lookup);
    smtp.forbid_unauth_pipelining = r.get_bool("forbid_unauth_pipelining", smtp.forbid_unauth_pipelining);
    if (!lmtp && smtp.enabled && !r.has("listener")) {
        // The usual three: MX on 25, submission on 587 (STARTTLS, auth), submissions on 465.
        auto add = [&](std::uint16_t port, TlsMode tls, bool submission) {
            ListenerConfig lc;
            lc.address = HostPort{"*", port};
            lc.tls = tls;
            lc.tls_settings = cfg.tls;
            lc.require_tls = submission;
            lc.require_auth = submission;
            smtp.listeners.push_back(lc);
            addresses.insert(lc.address.to_string());
        };
        add(25, TlsMode::none, false);
        if (cfg.tls.has_certificate()) {
            add(587, TlsMode::starttls, true);
            add(465, TlsMode::implicit, true);
            smtp.listeners.front().tls = TlsMode::starttls;  // port 25 offers STARTTLS too
        }
    }
    r.finish();
}

// The IMAP-only keys; without listeners, 143 (STARTTLS when a certificate exists) and 993.
void read_imap(Reader& r, ImapConfig& imap, const Config& cfg, const fs::path& base,
               std::set<std::string>& addresses) {
    read_tcp_service(r, imap, cfg, base, addresses, false);
    imap.greeting = r.get_string("greeting", imap.greeting);
    if (imap.greeting.find_first_of("\r\n[") != std::string::npos)
        r.error("greeting", "must be one line without '['");
    imap.max_literal = r.get_size("max_literal", imap.max_literal);
    if (imap.max_literal < 1024) r.error("max_literal", "must be at least 1K");
    imap.append_limit = r.get_size("append_limit", imap.append_limit);
    if (imap.append_limit < 1024) r.error("append_limit", "must be at least 1K");
    imap.max_append_messages =
        static_cast<std::uint32_t>(r.get_int("max_append_messages", imap.max_append_messages, 1, 100'000));
    imap.compress = r.get_bool("compress", imap.compress);
    imap.literal_plus = r.get_bool("literal_plus", imap.literal_plus);
    if (imap.enabled && !r.has("listener")) {
        auto add = [&](std::uint16_t port, TlsMode tls) {
            ListenerConfig lc;
            lc.address = HostPort{"*", port};
            lc.tls = tls;
            lc.tls_settings = cfg.tls;
            imap.listeners.push_back(lc);
            addresses.insert(lc.address.to_string());
        };
        bool tls = cfg.tls.has_certificate();
        add(143, tls ? TlsMode::starttls : TlsMode::none);
        if (tls) add(993, TlsMode::implicit);
    }
    r.finish();
}

// The POP3-only keys; without listeners, 110 (STARTTLS when a certificate exists) and 995.
void read_pop3(Reader& r, Pop3Config& pop3, const Config& cfg, const fs::path& base,
               std::set<std::string>& addresses) {
    read_tcp_service(r, pop3, cfg, base, addresses, false);
    pop3.greeting = r.get_string("greeting", pop3.greeting);
    if (pop3.greeting.find_first_of("\r\n<[") != std::string::npos)
        r.error("greeting", "must be one line without '<' or '['");
    pop3.apop = r.get_bool("apop", pop3.apop);
    pop3.in_use = static_cast<Pop3InUse>(
        r.get_choice("in_use", static_cast<std::size_t>(pop3.in_use), {"refuse", "allow"}));
    pop3.folder_separator = r.get_string("folder_separator", pop3.folder_separator);
    if (pop3.folder_separator.size() > 1 ||
        (pop3.folder_separator.size() == 1 &&
         std::string_view("+#%!~:").find(pop3.folder_separator[0]) == std::string_view::npos))
        r.error("folder_separator", "must be one of + # % ! ~ : or \"\" (off)");
    pop3.login_delay = static_cast<std::uint32_t>(r.get_int("login_delay", pop3.login_delay, 0, 86'400));
    if (r.has("expire")) {
        auto text = r.get_string("expire", "never");
        if (text == "never") {
            pop3.expire.reset();
        } else if (text == "0") {
            pop3.expire = 0;
        } else {
            r.error("expire", "must be \"never\" or \"0\" (delete messages once retrieved)");
        }
    }
    if (pop3.max_line_length < 512) r.error("max_line_length", "must be at least 512 for POP3");
    if (pop3.enabled && !r.has("listener")) {
        auto add = [&](std::uint16_t port, TlsMode tls) {
            ListenerConfig lc;
            lc.address = HostPort{"*", port};
            lc.tls = tls;
            lc.tls_settings = cfg.tls;
            pop3.listeners.push_back(lc);
            addresses.insert(lc.address.to_string());
        };
        bool tls = cfg.tls.has_certificate();
        add(110, tls ? TlsMode::starttls : TlsMode::none);
        if (tls) add(995, TlsMode::implicit);
    }
    r.finish();
}

void read_server(Reader& root, Config& cfg, const fs::path& base) {
    auto& s = cfg.server;
    s.hostname = default_hostname();
    s.data_dir = base / "data";
    if (auto r = root.table("server")) {
        s.hostname = r->get_string("hostname", s.hostname);
        s.data_dir = r->get_path("data_dir", s.data_dir, base);
        s.admin_socket = r->get_path("admin_socket", {}, base);
        s.user = r->get_string("user", "");
        s.group = r->get_string("group", "");
        s.shutdown_grace = r->get_duration("shutdown_grace", s.shutdown_grace);
        s.restart_backoff_min = r->get_duration("restart_backoff_min", s.restart_backoff_min);
        s.restart_backoff_max = r->get_duration("restart_backoff_max", s.restart_backoff_max);
        if (s.hostname.empty()) r->error("hostname", "must not be empty");
        if (s.restart_backoff_max < s.restart_backoff_min) {
            r->error("restart_backoff_max", "must be at least restart_backoff_min");
        }
        r->finish();
    }
    if (s.admin_socket.empty()) s.admin_socket = s.data_dir / "run" / "admin.sock";
}

void read_log(Reader& root, Config& cfg, const fs::path& base) {
    auto& log = cfg.log;
    log.directory = base / "log";
    auto r = root.table("log");
    if (r) {
        read_log_settings(*r, log.defaults, "");
        log.directory = r->get_path("directory", log.directory, base);
        log.also_stderr = r->get_bool("stderr", false);
        for (auto& t : r->tables("rule")) {
            LogRule rule;
            rule.priority = static_cast<int>(t.get_int("priority", rule.priority, 0, 1'000'000));
            rule.host = t.get_string("host", rule.host);
            rule.module = t.get_string("module", rule.module);
            rule.level = read_level(t, "level", rule.level);
            rule.file = t.get_string("file", rule.file);
            if (rule.file.empty() || rule.file.find("..") != std::string::npos || rule.file.front() == '/') {
                t.error("file", "must be a file name inside [log] directory");
            }
            rule.max_size = t.get_size("max_size", rule.max_size);
            rule.max_age = t.get_duration("max_age", rule.max_age);
            rule.keep = static_cast<unsigned>(t.get_int("keep", rule.keep, 0, 100'000));
            rule.rotation = static_cast<Rotation>(
                t.get_choice("rotation", static_cast<std::size_t>(rule.rotation), {"none", "daily", "monthly", "yearly"}));
            t.finish();
            log.rules.push_back(std::move(rule));
        }
        r->finish();
    }
    if (log.rules.empty()) log.rules.push_back(LogRule{});
    std::stable_sort(log.rules.begin(), log.rules.end(),
                     [](const LogRule& a, const LogRule& b) { return a.priority < b.priority; });
}

void read_auth(Reader& root, Config& cfg) {
    auto r = root.table("auth");
    if (!r) return;
    auto& a = cfg.auth;
    a.mechanisms = r->get_string_list("mechanisms", a.mechanisms);
    static const std::set<std::string> kKnown = {"PLAIN", "LOGIN", "CRAM-MD5", "SCRAM-SHA-256"};
    for (auto& m : a.mechanisms) {
        m = to_upper(m);
        if (!kKnown.contains(m)) r->error("mechanisms", "unknown SASL mechanism " + m);
    }
    a.cache_ttl = r->get_duration("cache_ttl", a.cache_ttl);
    a.cache_size = static_cast<std::size_t>(r->get_int("cache_size", static_cast<std::int64_t>(a.cache_size), 0, 10'000'000));
    a.ip_max_failures = static_cast<std::uint32_t>(r->get_int("ip_max_failures", a.ip_max_failures, 0, 1'000'000));
    a.account_max_failures =
        static_cast<std::uint32_t>(r->get_int("account_max_failures", a.account_max_failures, 0, 1'000'000));
    a.failure_window = r->get_duration("failure_window", a.failure_window);
    a.ban_time = r->get_duration("ban_time", a.ban_time);
    a.argon2_memory_kib = static_cast<std::uint32_t>(r->get_int("argon2_memory_kib", a.argon2_memory_kib, 1024, 4 << 20));
    a.argon2_iterations = static_cast<std::uint32_t>(r->get_int("argon2_iterations", a.argon2_iterations, 1, 100));
    a.argon2_parallelism = static_cast<std::uint32_t>(r->get_int("argon2_parallelism", a.argon2_parallelism, 1, 64));
    a.scram_iterations = static_cast<unsigned>(r->get_int("scram_iterations", a.scram_iterations, 4096, 10'000'000));
    a.hash_threads = static_cast<unsigned>(r->get_int("hash_threads", a.hash_threads, 1, 256));
    r->finish();
}

void read_directory(Reader& root, Config& cfg) {
    auto r = root.table("directory");
    if (!r) return;
    auto& d = cfg.directory;
    d.recipient_delimiters = r->get_string("recipient_delimiters", d.recipient_delimiters);
    for (char c : d.recipient_delimiters) {
        if (c == '@' || static_cast<unsigned char>(c) <= ' ' || static_cast<unsigned char>(c) >= 0x7f) {
            r->error("recipient_delimiters", "delimiters must be printable ASCII other than @");
            break;
        }
    }
    d.max_readers = static_cast<unsigned>(r->get_int("max_readers", d.max_readers, 1, 256));
    d.busy_timeout = r->get_duration("busy_timeout", d.busy_timeout);
    d.expand_max_depth = static_cast<unsigned>(r->get_int("expand_max_depth", d.expand_max_depth, 1, 100));
    d.expand_max_recipients = static_cast<std::size_t>(
        r->get_int("expand_max_recipients", static_cast<std::int64_t>(d.expand_max_recipients), 1, 10'000'000));
    r->finish();
}

void read_processing(Reader& root, Config& cfg) {
    auto r = root.table("processing");
    if (!r) return;
    auto& p = cfg.processing;
    p.enabled = r->get_bool("enabled", p.enabled);
    p.threads = static_cast<unsigned>(r->get_int("threads", p.threads, 1, 256));
    p.batch = static_cast<unsigned>(r->get_int("batch", p.batch, 1, 10000));
    if (r->has("quota_warnings")) {
        p.quota_warnings.clear();
        for (auto v : r->get_int_list("quota_warnings", {}, 1, 100)) p.quota_warnings.push_back(static_cast<unsigned>(v));
        std::sort(p.quota_warnings.begin(), p.quota_warnings.end());
    }
    r->finish();
}

void read_dns(Reader& root, Config& cfg) {
    auto r = root.table("dns");
    if (!r) return;
    auto& d = cfg.dns;
    d.nameservers = r->get_string_list("nameservers", {});
    for (auto& ns : d.nameservers) {
        bool ok = IpAddress::parse(ns).has_value();
        if (!ok) {
            auto hp = HostPort::parse(ns);
            ok = hp && IpAddress::parse(hp->host).has_value();
        }
        if (!ok) r->error("nameservers", "expected \"IP\", \"IP:port\" or \"[IPv6]:port\": " + ns);
    }
    d.timeout = r->get_duration("timeout", d.timeout);
    if (d.timeout < std::chrono::milliseconds(10) || d.timeout > std::chrono::seconds(60)) {
        r->error("timeout", "must be between 10ms and 60s");
    }
    d.tries = static_cast<unsigned>(r->get_int("tries", d.tries, 1, 10));
    d.rotate = r->get_bool("rotate", d.rotate);
    static constexpr std::string_view kTcp[] = {"fallback", "always", "never"};
    d.tcp = std::string(kTcp[r->get_choice("tcp", 0, {"fallback", "always", "never"})]);
    d.edns = r->get_bool("edns", d.edns);
    d.cache_size = r->get_size("cache_size", d.cache_size);
    d.max_ttl = r->get_duration("max_ttl", d.max_ttl);
    d.negative_ttl_max = r->get_duration("negative_ttl_max", d.negative_ttl_max);
    d.failure_ttl = r->get_duration("failure_ttl", d.failure_ttl);
    r->finish();
}

void read_policy(Reader& root, Config& cfg, const fs::path& base) {
    auto r = root.table("policy");
    if (!r) return;
    auto& p = cfg.policy;
    p.enabled = r->get_bool("enabled", p.enabled);
    p.script = r->get_path("script", {}, base);
    p.max_memory = r->get_size("max_memory", p.max_memory);
    if (p.max_memory < (256u << 10) || p.max_memory > (1ull << 30)) r->error("max_memory", "must be between 256K and 1G");
    p.max_time = r->get_duration("max_time", p.max_time);
    if (p.max_time < std::chrono::milliseconds(1) || p.max_time > std::chrono::seconds(10)) {
        r->error("max_time", "must be between 1ms and 10s");
    }
    static constexpr std::string_view kActions[] = {"tempfail", "reject", "ignore"};
    p.failure_action = std::string(kActions[r->get_choice("failure_action", 0, {"tempfail", "reject", "ignore"})]);
    p.states = static_cast<unsigned>(r->get_int("states", p.states, 1, 1024));
    r->finish();
}

void read_delivery(Reader& root, Config& cfg, const fs::path& base) {
    auto& d = cfg.delivery;
    d.helo_name = cfg.server.hostname;
    auto r = root.table("delivery");
    if (!r) return;
    d.enabled = r->get_bool("enabled", d.enabled);
    d.max_connections = static_cast<unsigned>(r->get_int("max_connections", d.max_connections, 1, 100000));
    d.max_per_destination = static_cast<unsigned>(r->get_int("max_per_destination", d.max_per_destination, 1, 10000));
    d.connect_timeout = r->get_duration("connect_timeout", d.connect_timeout);
    d.command_timeout = r->get_duration("command_timeout", d.command_timeout);
    d.data_timeout = r->get_duration("data_timeout", d.data_timeout);
    d.helo_name = r->get_string("helo_name", d.helo_name);
    d.port = static_cast<std::uint16_t>(r->get_int("port", d.port, 1, 65535));
    d.ipv6 = r->get_bool("ipv6", d.ipv6);
    d.reuse_idle = r->get_duration("reuse_idle", d.reuse_idle);
    d.reuse_messages = static_cast<unsigned>(r->get_int("reuse_messages", d.reuse_messages, 1, 100000));
    d.ca_file = r->get_path("ca_file", {}, base);
    for (auto& t : r->tables("route")) {
        DeliveryRoute route;
        route.domains = t.get_string_list("domains", route.domains);
        if (route.domains.empty()) t.error("domains", "needs at least one domain glob (\"*\" for all)");
        route.sender_domains = t.get_string_list("sender_domains", {});
        if (t.has("smarthost")) {
            auto text = t.get_string("smarthost", "");
            auto hp = HostPort::parse(text);
            if (!hp) {
                // A bare host name means port 25.
                if (!text.empty() && text.find(':') == std::string::npos) hp = HostPort{text, 25};
            }
            if (!hp) t.error("smarthost", "expected \"host\" or \"host:port\"");
            route.smarthost = hp;
        }
        route.tls = static_cast<OutboundTls>(
            t.get_choice("tls", 1, {"none", "opportunistic", "required", "verify", "implicit"}));
        route.auth_user = t.get_string("auth_user", "");
        route.auth_password = t.get_string("auth_password", "");
        if (!route.auth_user.empty() && !route.smarthost) t.error("auth_user", "SMTP AUTH needs a smarthost");
        if (!route.auth_user.empty() && route.tls != OutboundTls::verify && route.tls != OutboundTls::implicit &&
            route.tls != OutboundTls::required) {
            t.error("tls", "sending a password needs tls = \"required\", \"verify\" or \"implicit\"");
        }
        if (t.has("source_ip")) {
            auto ip = IpAddress::parse(t.get_string("source_ip", ""));
            if (!ip) t.error("source_ip", "expected an IP address");
            route.source_ip = ip;
        }
        t.finish();
        d.routes.push_back(std::move(route));
    }
    r->finish();
}

std::uint32_t read_max_files(Reader& r, std::uint32_t fallback) {
    return static_cast<std::uint32_t>(r.get_int("max_files", fallback, 1, 100'000));
}

std::uint64_t read_max_file_size(Reader& r, std::uint64_t fallback) {
    auto size = r.get_size("max_file_size", fallback);
    if (size < (1ull << 20) || size > (1ull << 40)) r.error("max_file_size", "must be between 1M and 1T");
    return size;
}

// [storage] and its [[storage.message_store]] tables (docs/storage.md, "Settings").
void read_storage(Reader& root, Config& cfg, const fs::path& base) {
    auto r = root.table("storage");
    if (!r) return;
    auto& st = cfg.storage;
    st.data_root = r->get_path("data_root", {}, base);
    st.max_file_size = read_max_file_size(*r, st.max_file_size);
    st.max_files = read_max_files(*r, st.max_files);
    st.compression = r->get_bool("compression", st.compression);
    st.compression_threshold = r->get_size("compression_threshold", st.compression_threshold);
    st.compression_level = static_cast<int>(r->get_int("compression_level", st.compression_level, 1, 19));
    st.fsync = r->get_bool("fsync", st.fsync);
    st.view_grace = r->get_duration("view_grace", st.view_grace);
    st.compact_io_rate = r->get_size("compact_io_rate", st.compact_io_rate);
    if (st.compact_io_rate < (64u << 10)) r->error("compact_io_rate", "must be at least 64K (bytes per second)");
    st.max_message_size = r->get_size("max_message_size", st.max_message_size);
    if (st.max_message_size < (64u << 10)) r->error("max_message_size", "must be at least 64K");
    st.orphan_grace = r->get_duration("orphan_grace", st.orphan_grace);
    st.max_batch = static_cast<std::uint32_t>(r->get_int("max_batch", st.max_batch, 1, 100'000));
    st.view_change_log = static_cast<std::uint32_t>(r->get_int("view_change_log", st.view_change_log, 100, 10'000'000));
    st.max_open_accounts = static_cast<std::uint32_t>(r->get_int("max_open_accounts", st.max_open_accounts, 1, 10'000'000));
    st.body_cache = r->get_size("body_cache", st.body_cache);
    st.checkpoint_interval = r->get_duration("checkpoint_interval", st.checkpoint_interval);
    if (st.checkpoint_interval < std::chrono::milliseconds(10) || st.checkpoint_interval > std::chrono::minutes(10)) {
        r->error("checkpoint_interval", "must be between 10ms and 10m");
    }
    std::set<std::string> paths;
    for (auto& t : r->tables("message_store")) {
        MessageStoreConfig ms;
        ms.path = t.get_path("path", {}, base);
        if (ms.path.empty()) {
            t.error("path", "every message store needs a path");
        } else if (!paths.insert(ms.path.has_filename() ? ms.path.string() : ms.path.parent_path().string()).second) {
            t.error("path", "message store " + ms.path.string() + " is listed twice");
        }
        ms.domains = t.get_string_list("domains", {});
        for (auto& d : ms.domains) {
            d = to_lower(d);
            if (d.empty() || d.find_first_of("@ /") != std::string::npos) t.error("domains", "not a domain name: " + d);
        }
        ms.max_file_size = read_max_file_size(t, st.max_file_size);
        ms.max_files = read_max_files(t, st.max_files);
        t.finish();
        st.message_stores.push_back(std::move(ms));
    }
    // Mail of domains that no store names (and appends whose domain is unknown) must have
    // somewhere to go: some store must take every domain.
    bool catch_all = st.message_stores.empty();
    for (auto& ms : st.message_stores) catch_all = catch_all || ms.domains.empty();
    if (!catch_all) r->error("message_store", "at least one message store must serve every domain (no domains list)");
    r->finish();
}

void read_log_service(Reader& services, Config& cfg, std::set<std::string>& addresses) {
    auto r = services.table("log");
    auto& ls = cfg.log_service;
    ls.listen = {HostPort{"127.0.0.1", 2000}};
    if (!r) return;
    ls.enabled = r->get_bool("enabled", ls.enabled);
    if (r->has("listen")) {
        ls.listen.clear();
        for (auto& text : r->get_string_list("listen", {})) {
            auto hp = HostPort::parse(text);
            if (!hp || (hp->host != "*" && !IpAddress::parse(hp->host))) {
                r->error("listen", "expected \"IP:PORT\": " + text);
                continue;
            }
            if (!addresses.insert("udp:" + hp->to_string()).second) {
                r->error("listen", "address used twice: " + text);
            }
            ls.listen.push_back(*hp);
        }
    }
    ls.max_datagram = r->get_size("max_datagram", ls.max_datagram);
    ls.rules = read_rules(*r, false);
    r->finish();
}

}  // namespace

std::string Problem::to_string() const {
    std::string out = file.string();
    if (line) out += ":" + std::to_string(line);
    out += ": ";
    if (!key.empty()) out += key + ": ";
    out += message;
    return out;
}

std::string LoadError::to_string() const {
    std::string out;
    for (auto& p : problems) {
        if (!out.empty()) out += '\n';
        out += p.to_string();
    }
    return out;
}
namespace {

// The ManageSieve keys; without listeners, 4190 (STARTTLS when a certificate exists, RFC 5804
// §1.8: there is no implicit-TLS port).
void read_managesieve(Reader& r, ManageSieveConfig& ms, const Config& cfg, const fs::path& base,
                      std::set<std::string>& addresses) {
    read_tcp_service(r, ms, cfg, base, addresses, false);
    ms.implementation = r.get_string("implementation", ms.implementation);
    if (ms.implementation.empty() ||
        ms.implementation.find_first_of("\r\n\"\\") != std::string::npos)
        r.error("implementation", "must be one non-empty line without quotes or backslashes");
    ms.max_scripts =
        static_cast<std::uint32_t>(r.get_int("max_scripts", ms.max_scripts, 1, 10'000));
    ms.max_script_size = r.get_size("max_script_size", ms.max_script_size);
    if (ms.max_script_size < 1024 || ms.max_script_size > 512 * 1024)
        r.error("max_script_size", "must be between 1K and 512K (the interpreter's limit)");
    if (ms.max_line_length < 1024)
        r.error("max_line_length", "must be at least 1024 for ManageSieve");
    if (ms.enabled && !r.has("listener")) {
        ListenerConfig lc;
        lc.address = HostPort{"*", 4190};
        lc.tls = cfg.tls.has_certificate() ? TlsMode::starttls : TlsMode::none;
        lc.tls_settings = cfg.tls;
        ms.listeners.push_back(lc);
        addresses.insert(lc.address.to_string());
    }
    r.finish();
}

}  // namespace

std::expected<ConfigPtr, LoadError> load_string(std::string_view text, const fs::path& as_file) {
    toml::table doc;
    try {
        doc = toml::parse(text, as_file.string());
    } catch (const toml::parse_error& e) {
        return std::unexpected(LoadError{{Problem{as_file, e.source().begin.line, "", std::string(e.description())}}});
    }

    auto base = as_file.has_parent_path() ? as_file.parent_path() : fs::path(".");
    base = fs::absolute(base).lexically_normal();
    Problems problems(as_file);
    auto cfg = std::make_shared<Config>();
    cfg->source = fs::absolute(as_file).lexically_normal();
    Reader root(doc, "", problems);

    read_server(root, *cfg, base);
    if (auto r = root.table("tls")) {
        read_tls(*r, cfg->tls, base);
        r->finish();
    }
    read_log(root, *cfg, base);
    read_delivery(root, *cfg, base);
    read_auth(root, *cfg);
    read_directory(root, *cfg);
    read_processing(root, *cfg);
    read_dns(root, *cfg);
    read_policy(root, *cfg, base);
    read_queue(root, *cfg, base);
    read_scan(root, *cfg);
    read_storage(root, *cfg, base);
    read_sender_auth(root, *cfg, base);
    read_protection(root, *cfg, base);

    cfg->smtp.log = cfg->log.defaults;
    cfg->lmtp.log = cfg->log.defaults;
    cfg->imap.log = cfg->log.defaults;
    cfg->pop3.log = cfg->log.defaults;
    cfg->managesieve.log = cfg->log.defaults;
    std::set<std::string> addresses;
    if (auto services = root.table("services")) {
        read_log_service(*services, *cfg, addresses);
        if (auto r = services->table("smtp")) read_smtp(*r, cfg->smtp, *cfg, base, addresses, false);
        if (auto r = services->table("lmtp")) read_smtp(*r, cfg->lmtp, *cfg, base, addresses, true);
        if (auto r = services->table("imap")) read_imap(*r, cfg->imap, *cfg, base, addresses);
        if (auto r = services->table("pop3")) read_pop3(*r, cfg->pop3, *cfg, base, addresses);
        if (auto r = services->table("managesieve"))
            read_managesieve(*r, cfg->managesieve, *cfg, base, addresses);
        services->finish();
    } else {
        cfg->log_service.listen = {HostPort{"127.0.0.1", 2000}};
    }
    root.finish();

    if (!problems.empty()) return std::unexpected(LoadError{problems.take()});
    return ConfigPtr(std::move(cfg));
}

std::expected<ConfigPtr, LoadError> load_file(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::unexpected(LoadError{{Problem{file, 0, "", "cannot open file"}}});
    std::ostringstream ss;
    ss << in.rdbuf();
    return load_string(ss.str(), file);
}

}  // namespace postern::config
