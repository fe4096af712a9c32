// Typed server configuration: one immutable snapshot per load, swapped whole on reload.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/ip_address.h"
#include "config/protection.h"

namespace postern::config {

using Seconds = std::chrono::seconds;
using Millis = std::chrono::milliseconds;

enum class TlsMode { none, starttls, implicit };
enum class ClientCertMode { none, optional, required };
enum class LogType { internal, system, remote };
enum class Rotation { none, daily, monthly, yearly };

// At most `count` events per `interval`; count 0 means unlimited.
struct RateLimit {
    std::uint32_t count = 0;
    Millis interval{0};
    bool operator==(const RateLimit&) const = default;
};

// Flow control for one scope (a rule, a listener or a whole service). 0 = unlimited.
struct FlowLimits {
    std::uint32_t max_connections = 0;
    std::uint32_t max_connections_per_ip = 0;
    RateLimit new_connections;
    RateLimit new_connections_per_ip;
    bool operator==(const FlowLimits&) const = default;
};

enum class RuleAction { allow, deny };

struct AccessRule {
    RuleAction action = RuleAction::allow;
    std::string match;  // as written: "10.0.0.0/8", "1.2.3.4-1.2.3.9", "::1"
    IpRange range;
    int priority = 100;  // lower value = higher priority
    bool enabled = true;
    FlowLimits limits;  // applied when this allow rule is the one chosen
    bool operator==(const AccessRule& o) const {
        return action == o.action && match == o.match && priority == o.priority &&
               enabled == o.enabled && limits == o.limits;
    }
};

struct TlsSettings {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    std::string min_version = "1.2";  // "1.2" or "1.3"
    std::string ciphers;              // TLS 1.2 cipher list; empty = OpenSSL's secure default
    std::string ciphersuites;         // TLS 1.3 suites; empty = default
    ClientCertMode client_cert = ClientCertMode::none;
    std::filesystem::path ca_file;  // CAs for client certificates
    int verify_depth = 9;
    bool operator==(const TlsSettings&) const = default;
    bool has_certificate() const { return !cert_file.empty() && !key_file.empty(); }
};

struct ListenerConfig {
    HostPort address;
    bool enabled = true;
    TlsMode tls = TlsMode::none;
    TlsSettings tls_settings;  // resolved: listener keys over service keys over [tls]
    bool proxy_protocol = false;
    std::vector<IpRange> proxy_trusted;
    FlowLimits limits;
    // Protocol duties of this listener (SMTP: submission ports require both).
    bool require_tls = false;   // only greeting, EHLO/HELO, STARTTLS, NOOP, RSET, QUIT before TLS
    bool require_auth = false;  // every transaction must be authenticated
    bool operator==(const ListenerConfig& o) const {
        return address.to_string() == o.address.to_string() && enabled == o.enabled &&
               tls == o.tls && tls_settings == o.tls_settings &&
               proxy_protocol == o.proxy_protocol &&
               proxy_trusted.size() == o.proxy_trusted.size() && limits == o.limits &&
               require_tls == o.require_tls && require_auth == o.require_auth;
    }
};

struct LogSettings {
    std::uint8_t level = 15;  // bitmask: 1 crit, 2 err, 4 warn, 8 info, 16 protocol
    LogType type = LogType::internal;
    std::optional<HostPort> remote;  // for type = remote
    bool operator==(const LogSettings&) const = default;
};

// What every TCP service shares: threads, logging, listeners, rules, limits, timeouts.
struct TcpServiceConfig {
    bool enabled = false;
    unsigned threads_min = 1;
    unsigned threads_max = 4;
    LogSettings log;
    std::vector<ListenerConfig> listeners;
    std::vector<AccessRule> rules;
    FlowLimits limits;
    Millis idle_timeout{std::chrono::minutes(5)};
    Millis session_timeout{std::chrono::hours(2)};
    std::uint32_t max_bad_commands = 10;  // then the session is dropped; 0 = unlimited
    std::uint32_t max_auth_failures = 3;  // then the session is dropped; 0 = unlimited
    std::size_t max_line_length = 8192;
    bool allow_plaintext_auth = false;  // auth on an unencrypted connection
};

enum class LineEndings { reject, normalize };

// SMTP-IN (and LMTP, which shares the receiving path).
struct SmtpConfig : TcpServiceConfig {
    std::string greeting = "ESMTP Postern";        // after "220 <hostname> "
    std::uint64_t max_message_size = 50ull << 20;  // advertised in SIZE; bigger → 552 5.3.4
    std::uint32_t max_recipients = 1000;           // per transaction (RFC 5321: at least 100)
    std::uint32_t max_received_headers = 30;       // more → 554 5.4.6 (a mail loop)
    std::uint64_t max_header_size = 1ull << 20;    // the header block of one message
    std::vector<IpRange> relay_networks;           // may relay without authenticating
    LineEndings bare_line_endings =
        LineEndings::reject;               // bare CR/LF in DATA: 550 5.6.0, or repair
    std::uint32_t max_message_line = 998;  // longer lines are accepted unless reject_long_lines
    bool reject_long_lines = false;
    bool strict_helo = false;       // HELO names must be a domain or an address literal
    bool strict_addresses = false;  // RFC 5321 §4.5.3.1 lengths (local part 64)
    bool pipelining = true;
    bool eight_bit_mime = true;
    bool dsn = true;
    bool chunking = true;
    bool smtputf8 = true;
    bool vrfy = false;
    bool expn = false;
    bool help = true;
    bool anti_impersonation = true;        // authenticated senders may only use their own addresses
    bool forbid_unauth_pipelining = true;  // commands sent ahead without PIPELINING → 554, close
    bool reverse_lookup = true;  // forward-confirmed rDNS of the client at connect (Received, ctx.rdns)
};

// IMAP (RFC 9051 / RFC 3501; docs/imap.md). Sessions idle for long (IDLE, mail clients left
// open): autologout after 30 minutes without a command (RFC 9051 §5.4 asks for at least 30).
struct ImapConfig : TcpServiceConfig {
    ImapConfig() {
        idle_timeout = std::chrono::minutes(30);
        session_timeout = std::chrono::hours(24);
        max_line_length = 64 * 1024;
    }
    std::string greeting = "Postern IMAP ready";  // after "* OK [CAPABILITY ...] "
    std::uint64_t max_literal = 64 * 1024;        // one literal other than an APPEND message
    std::uint64_t append_limit = 50ull << 20;     // APPENDLIMIT (RFC 7889): one message
    std::uint32_t max_append_messages = 1000;     // MULTIAPPEND messages in one command
    bool compress = true;                         // COMPRESS=DEFLATE (RFC 4978)
    bool literal_plus = true;                     // LITERAL+ (else LITERAL-, RFC 7888)
};

// What a second POP3 session on a maildrop already open in POP3 gets (docs/pop3.md).
enum class Pop3InUse { refuse, allow };

// POP3 (RFC 1939 / RFC 2449; docs/pop3.md). RFC 1939 §3: the autologout timer is at least
// 10 minutes.
struct Pop3Config : TcpServiceConfig {
    Pop3Config() {
        idle_timeout = std::chrono::minutes(10);
        session_timeout = std::chrono::hours(2);
        max_line_length = 4096;  // SASL responses; command lines stay within RFC 2449's 255
    }
    std::string greeting = "Postern POP3 ready";  // after "+OK "
    bool apop = false;  // APOP: a timestamp in the greeting; only accounts with apop = true
    Pop3InUse in_use = Pop3InUse::refuse;  // a second POP3 session: -ERR [IN-USE] or share
    std::string folder_separator = "+";    // "user+Folder" logs in to Folder; "" = off
    std::uint32_t login_delay = 0;         // seconds between logins (LOGIN-DELAY); 0 = none
    // EXPIRE (RFC 2449 §6.7): nullopt = NEVER; 0 = messages are deleted once retrieved
    // (at QUIT, even without DELE).
    std::optional<std::uint32_t> expire;
};

// ManageSieve (RFC 5804; docs/sieve.md): clients upload, check and activate Sieve scripts.
struct ManageSieveConfig : TcpServiceConfig {
    ManageSieveConfig() {
        idle_timeout = std::chrono::minutes(10);
        session_timeout = std::chrono::hours(2);
        max_line_length = 8192;
    }
    std::string implementation = "Postern";      // the IMPLEMENTATION capability
    std::uint32_t max_scripts = 16;              // per account: QUOTA/MAXSCRIPTS beyond
    std::uint64_t max_script_size = 512 * 1024;  // one script: QUOTA/MAXSIZE beyond
};

struct LogRule {
    int priority = 100;
    std::string host = "*";
    std::string module = "*";
    std::uint8_t level = 31;
    std::string file = "postern.log";  // relative to [log] directory
    std::uint64_t max_size = 100ull << 20;
    Millis max_age{0};   // 0 = no age limit
    unsigned keep = 10;  // rotated files kept
    Rotation rotation = Rotation::daily;
    bool operator==(const LogRule&) const = default;
};

struct LogConfig {
    LogSettings defaults;             // for services that do not set their own
    std::filesystem::path directory;  // where internal log files go
    std::vector<LogRule> rules;       // sorted by priority
    bool also_stderr = false;         // mirror lines to stderr (foreground runs)
};

// The UDP log collector: other nodes (or this one, with type = remote) send lines here.
struct LogServiceConfig {
    bool enabled = false;
    std::vector<HostPort> listen;
    std::vector<AccessRule> rules;
    std::size_t max_datagram = 8192;
};

struct AuthConfig {
    std::vector<std::string> mechanisms = {"PLAIN", "LOGIN", "SCRAM-SHA-256"};
    Millis cache_ttl{std::chrono::seconds(60)};
    std::size_t cache_size = 10000;
    std::uint32_t ip_max_failures = 10;       // in failure_window, then the IP is banned
    std::uint32_t account_max_failures = 20;  // in failure_window, then the account is locked
    Millis failure_window{std::chrono::minutes(10)};
    Millis ban_time{std::chrono::minutes(15)};
    std::uint32_t argon2_memory_kib = 19456;  // OWASP's argon2id baseline
    std::uint32_t argon2_iterations = 2;
    std::uint32_t argon2_parallelism = 1;
    unsigned scram_iterations = 4096;
    unsigned hash_threads = 2;  // password hashing pool, off event loops
};

// The directory database (domains, accounts); see docs/directory.md.
struct DirectoryConfig {
    std::string recipient_delimiters = "+";        // "user+tag@domain" → user; "" turns it off
    unsigned max_readers = 8;                      // concurrent read connections
    Millis busy_timeout{std::chrono::seconds(5)};  // wait for another process's write lock
    unsigned expand_max_depth = 10;                // nested groups/forwarders followed
    std::size_t expand_max_recipients = 10000;     // final recipients of one expansion
};

struct ServerConfig {
    std::string hostname;
    std::filesystem::path data_dir;
    std::filesystem::path admin_socket;
    std::string user;  // drop to this user after binding ports; empty = keep
    std::string group;
    Millis shutdown_grace{std::chrono::seconds(30)};
    Millis restart_backoff_min{std::chrono::milliseconds(500)};
    Millis restart_backoff_max{std::chrono::seconds(30)};
};

// The DNS resolver (docs/dns.md).
struct DnsConfig {
    std::vector<std::string> nameservers;  // "IP", "IP:port", "[v6]:port"; empty = /etc/resolv.conf
    Millis timeout{std::chrono::seconds(3)};
    unsigned tries = 2;
    bool rotate = false;
    std::string tcp = "fallback";  // fallback | always | never
    bool edns = true;
    std::uint64_t cache_size = 16ull << 20;
    Millis max_ttl{std::chrono::hours(24)};
    Millis negative_ttl_max{std::chrono::minutes(15)};
    Millis failure_ttl{std::chrono::seconds(5)};
};

// [queue] (docs/queue.md "Configuration"); daemon/data_options.cpp maps it onto
// queue::QueueOptions, whose comments say what each value does.
struct QueueRetryConfig {
    Seconds first{300};              // first retry after a temporary failure
    Seconds max_interval{3600};      // retries stop doubling here
    std::uint32_t max_attempts = 0;  // 0: only max_age limits
    Seconds max_age{5 * 24 * 3600};  // give up on messages older than this (0: never)
};

struct QueueDestinationConfig {
    std::uint32_t failure_threshold = 3;  // unreachable in a row → unavailable (0: never)
    Seconds first_retry{60};
    Seconds max_retry_interval{1800};
};

// [[queue.delay_rule]]: hold matching messages at commit. Every criterion given must match.
struct QueueDelayRule {
    std::string name;
    std::string sender;            // glob; "<>" is the null sender
    std::string recipient;         // glob on any recipient
    std::string recipient_domain;  // any recipient's domain
    std::uint64_t min_size = 0;
    Seconds hold_for{0};
    std::optional<int> until_minute;  // "HH:MM" local time as minute of the day
};

enum class DsnAttach { none, headers, full };

struct QueueDsnConfig {
    bool enabled = true;
    std::string reporting_mta;  // empty: [server] hostname
    std::string sender = "MAILER-DAEMON";
    std::string from_name = "Mail Delivery System";
    std::string failure_subject = "Undelivered Mail Returned to Sender";
    std::string delay_subject = "Delayed Mail (still being retried)";
    std::string success_subject = "Successful Mail Delivery Report";
    std::string failure_text;  // empty: built-in text
    std::string delay_text;
    std::string success_text;
    std::string footer_text;
    DsnAttach attach = DsnAttach::headers;
    std::uint64_t max_full_attach = 10ull << 20;
    Seconds delay_after{4 * 3600};  // 0: no delay notices
    bool delay_by_default = true;
};

struct QueueConfig {
    std::filesystem::path directory;  // empty: <server.data_dir>/queue
    std::uint32_t subdirectories = 64;
    bool fsync = true;  // false only for tests: nothing is durable
    std::uint32_t sync_threads = 8;
    std::uint32_t max_batch = 128;
    std::uint64_t buffer_bytes = 256 * 1024;
    std::uint64_t max_message_size = 1ull << 30;
    std::uint32_t compact_after = 32;
    Seconds lease_timeout{1800};
    Seconds maintenance_interval{10};
    QueueRetryConfig retry;
    QueueRetryConfig processing_retry{Seconds(60), Seconds(900), 0, Seconds(5 * 24 * 3600)};
    QueueDestinationConfig destination;
    QueueDsnConfig dsn;
    std::vector<QueueDelayRule> delay_rules;
};

// Lua policy scripts (docs/policy.md): SMTP-IN, SMTP-OUT and PROCESSING call the script's
// events. The limits mirror filter::policy::PolicyLimits (config does not depend on filter/).
struct PolicyConfig {
    bool enabled = true;           // false: the script is not loaded (as if none were named)
    std::filesystem::path script;  // empty: no policy
    std::uint64_t max_memory = 16ull << 20;   // per interpreter, 256K..1G
    Millis max_time{50};                      // per event call, 1ms..10s
    std::string failure_action = "tempfail";  // tempfail | reject | ignore
    unsigned states = 16;                     // interpreters for concurrent calls, 1..1024
    bool active() const { return enabled && !script.empty(); }
};

enum class OutboundTls {
    none,           // never STARTTLS
    opportunistic,  // STARTTLS when offered; plain otherwise (the default for MX delivery)
    required,       // TLS or no delivery (certificate not verified)
    verify,         // TLS with a certificate valid for the host name
    implicit,       // TLS from the first byte (smarthosts on port 465), verified
};

// One routing rule for SMTP-OUT: mail for `domains` goes through a smarthost and/or with a
// TLS policy and source address. The first rule whose domains match applies.
struct DeliveryRoute {
    std::vector<std::string> domains = {"*"};  // globs on the recipient domain
    std::vector<std::string> sender_domains;   // globs on the envelope sender's domain; empty: any
    std::optional<HostPort> smarthost;         // none: MX lookup
    OutboundTls tls = OutboundTls::opportunistic;
    std::string auth_user;  // SMTP AUTH at the smarthost
    std::string auth_password;
    std::optional<IpAddress> source_ip;  // bind outgoing connections to this address
};

// [sender_auth]: SPF, DKIM, DMARC and the Authentication-Results field
// (docs/sender-authentication.md).
enum class SpfAction { accept, reject, tempfail };

struct SenderAuthConfig {
    bool enabled = true;      // checks on unauthenticated SMTP-IN transactions
    std::string authserv_id;  // Authentication-Results authserv-id; default [server] hostname
    // SPF (RFC 7208): what each result of the MAIL FROM check does at MAIL FROM.
    bool spf = true;
    bool spf_helo = true;  // also check the HELO identity (reported in the header)
    SpfAction spf_fail = SpfAction::accept;
    SpfAction spf_softfail = SpfAction::accept;
    SpfAction spf_neutral = SpfAction::accept;
    SpfAction spf_none = SpfAction::accept;
    SpfAction spf_temperror = SpfAction::accept;
    SpfAction spf_permerror = SpfAction::accept;
    // DKIM (RFC 6376): verification of incoming mail, signing of authenticated submissions.
    bool dkim_verify = true;
    std::uint32_t dkim_max_signatures = 5;
    std::uint32_t dkim_min_rsa_bits = 1024;
    bool dkim_allow_sha1 = true;
    bool dkim_sign = true;
    std::filesystem::path dkim_key_dir;  // <dir>/<domain>/<selector>.pem; default <data_dir>/dkim
    std::vector<std::string> dkim_sign_domains;  // empty: every domain with a key directory
    // DMARC (RFC 7489).
    bool dmarc = true;
    bool dmarc_enforce = true;  // p=reject -> 550 5.7.1, p=quarantine -> marked; false: report only
    std::filesystem::path public_suffix_list = "/usr/share/publicsuffix/public_suffix_list.dat";
    std::filesystem::path dmarc_results;  // JSON lines for aggregate reports; default
                                          // <data_dir>/dmarc/results.jsonl
};

// SMTP-OUT.
struct DeliveryConfig {
    bool enabled = true;
    unsigned max_connections = 100;     // concurrent outgoing sessions
    unsigned max_per_destination = 10;  // concurrent sessions to one domain/smarthost
    Millis connect_timeout{std::chrono::seconds(30)};
    Millis command_timeout{std::chrono::minutes(5)};  // RFC 5321 §4.5.3.2
    Millis data_timeout{std::chrono::minutes(10)};    // the reply to the final dot
    std::string helo_name;                            // default: [server] hostname
    std::uint16_t port = 25;                          // MX port (change only for tests)
    bool ipv6 = true;
    Millis reuse_idle{std::chrono::seconds(30)};  // keep a finished connection for the next message
    unsigned reuse_messages = 100;                // messages per connection before a new one
    std::filesystem::path ca_file;  // CAs for tls = "verify"/"implicit" (system store when empty)
    std::vector<DeliveryRoute> routes;
};

// PROCESSING: recipient expansion, filters, local delivery.
struct ProcessingConfig {
    bool enabled = true;
    unsigned threads = 2;                              // concurrent messages in filters/delivery
    unsigned batch = 64;                               // jobs taken from the queue at once
    std::vector<unsigned> quota_warnings = {90, 100};  // percent; a notice once per crossing
};

// Anti-spam/anti-virus scanners, socket filters and milters run by PROCESSING
// (docs/antivirus-antispam.md). One [[scan.scanner]] per connection to a scanner.
struct ScannerConfig {
    std::string name;              // unique; names the filter in logs and queue errors
    std::string type;              // spamd | clamd | socket | milter
    bool enabled = true;
    std::string address;           // "host:port", "[v6]:port", "unix:/path"
    std::string level = "server";  // server | domain | account
    std::string scope;             // the domain (level domain) or account address (level account)
    int priority = 100;            // lower runs first within a level
    Millis connect_timeout{std::chrono::seconds(5)};
    Millis timeout{std::chrono::seconds(60)};  // the whole exchange for one message
    std::uint64_t max_size = 10ull << 20;      // larger messages are not scanned (level 0)
    unsigned max_concurrent = 8;               // scans at once through this scanner
    std::string on_failure = "tempfail";       // tempfail | pass
    // milter: "processing" (PROCESSING's chain) or "smtp" (SMTP-IN, during the SMTP dialogue)
    std::string stage = "processing";
    // spam verdicts (spamd, socket)
    std::string spamd_command = "symbols";  // check | symbols | report
    std::string spamd_user;
    std::string spam_action = "tag";  // tag | junk | quarantine | reject | discard
    double reject_score = 0;          // 0: off; reject at or above this score
    double discard_score = 0;         // 0: off
    std::string subject_prefix;       // put before Subject of spam; empty: off
    std::string junk_folder = "Junk";
    std::string quarantine_folder = "Quarantine";
    // virus verdicts (clamd)
    std::string virus_action = "reject";   // tag | quarantine | reject | discard
    std::uint64_t chunk_size = 64u << 10;  // INSTREAM chunk
};

struct ScanConfig {
    Millis ping_interval{std::chrono::seconds(5)};  // how often a failed scanner is pinged
    std::vector<ScannerConfig> scanners;
};

// The storage engine (docs/storage.md): where mailboxes and message bodies live, and how.
// One [[storage.message_store]] per store directory (ideally one per disk); none means a
// single store at <data_root>/stores/default.
struct MessageStoreConfig {
    std::filesystem::path path;
    std::vector<std::string> domains;  // domains that write here; empty = every domain
    std::uint64_t max_file_size = 256ull << 20;
    std::uint32_t max_files = 128;
};

struct StorageConfig {
    std::filesystem::path data_root;  // empty = <server.data_dir>/store
    std::vector<MessageStoreConfig> message_stores;
    std::uint64_t max_file_size = 256ull << 20;  // default for stores that do not set it
    std::uint32_t max_files = 128;               // default for stores that do not set it
    bool compression = true;
    std::uint64_t compression_threshold = 1024;
    int compression_level = 1;
    bool fsync = true;  // false only for tests: appends are not durable
    Millis view_grace{std::chrono::seconds(30)};
    std::uint64_t compact_io_rate = 32ull << 20;  // bytes/s read + written by compaction
    std::uint64_t max_message_size = 1ull << 30;
    Millis orphan_grace{std::chrono::hours(1)};
    std::uint32_t max_batch = 512;
    std::uint32_t view_change_log = 20'000;
    std::uint32_t max_open_accounts = 2000;
    std::uint64_t body_cache = 32ull << 20;  // decoded bodies kept in RAM for repeated FETCHes
    Millis checkpoint_interval{std::chrono::seconds(1)};
};

struct Config {
    std::filesystem::path source;  // the file this came from
    ServerConfig server;
    TlsSettings tls;  // server-wide default certificate
    LogConfig log;
    AuthConfig auth;
    PolicyConfig policy;
    DirectoryConfig directory;
    LogServiceConfig log_service;
    SmtpConfig smtp;  // SMTP-IN: MX, submission and implicit-TLS submission
    SmtpConfig lmtp;  // LMTP (RFC 2033) for deliveries from a front-end proxy
    ImapConfig imap;
    Pop3Config pop3;
    ManageSieveConfig managesieve;
    QueueConfig queue;
    ProcessingConfig processing;
    ScanConfig scan;
    DeliveryConfig delivery;
    DnsConfig dns;
    StorageConfig storage;
    SenderAuthConfig sender_auth;
    ProtectionConfig protection;  // [protection] (config/protection.h)

    // Every TCP service by its config name, for code that treats them alike.
    std::vector<std::pair<std::string, const TcpServiceConfig*>> tcp_services() const {
        return {{"smtp", &smtp},
                {"lmtp", &lmtp},
                {"imap", &imap},
                {"pop3", &pop3},
                {"managesieve", &managesieve}};
    }
};

using ConfigPtr = std::shared_ptr<const Config>;

}  // namespace postern::config
