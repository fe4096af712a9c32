#include "config/load.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace postern::config {
namespace {

namespace fs = std::filesystem;

std::expected<ConfigPtr, LoadError> load(std::string_view text) {
    return load_string(text, "/etc/postern/postern.toml");
}

// Finds the problem about `key`, so tests can check its line and message.
const Problem* problem_for(const LoadError& e, std::string_view key) {
    for (auto& p : e.problems) {
        if (p.key == key)
            return &p;
    }
    return nullptr;
}

TEST(ConfigLoad, EmptyFileGivesDefaults) {
    auto cfg = load("");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& c = **cfg;
    EXPECT_EQ(c.server.data_dir, "/etc/postern/data");
    EXPECT_EQ(c.server.admin_socket, "/etc/postern/data/run/admin.sock");
    EXPECT_FALSE(c.server.hostname.empty());
    EXPECT_EQ(c.log.defaults.level, 15);
    ASSERT_EQ(c.log.rules.size(), 1u);
    EXPECT_EQ(c.log.rules[0].file, "postern.log");
    EXPECT_FALSE(c.smtp.enabled);
    EXPECT_EQ(c.auth.mechanisms.size(), 3u);
    EXPECT_EQ(c.log_service.listen.at(0).port, 2000);
}

TEST(ConfigLoad, FullServiceSection) {
    auto cfg = load(R"(
[server]
hostname = "mx.example.test"
data_dir = "/var/lib/postern"

[log]
level = 31
[[log.rule]]
priority = 20
module = "SMTP*"
file = "smtp.log"
max_size = "10M"
rotation = "monthly"
[[log.rule]]
priority = 5
file = "all.log"

[services.smtp]
enabled = true
threads_min = 2
threads_max = 8
idle_timeout = "30s"
max_connections = 100
new_connections_per_ip = "5/10s"
log_level = 8

[[services.smtp.listener]]
address = "127.0.0.1:2525"
max_connections_per_ip = 3

[[services.smtp.listener]]
address = "[::1]:2525"
enabled = false

[[services.smtp.rule]]
action = "deny"
match = "192.0.2.0/24"
priority = 10

[[services.smtp.rule]]
action = "allow"
match = "192.0.2.5"
priority = 5
max_connections = 2
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& c = **cfg;
    EXPECT_EQ(c.server.hostname, "mx.example.test");
    EXPECT_EQ(c.server.data_dir, "/var/lib/postern");
    ASSERT_EQ(c.log.rules.size(), 2u);
    EXPECT_EQ(c.log.rules[0].file, "all.log");  // sorted by priority
    EXPECT_EQ(c.log.rules[1].rotation, Rotation::monthly);
    EXPECT_EQ(c.log.rules[1].max_size, 10u << 20);
    auto& t = c.smtp;
    EXPECT_TRUE(t.enabled);
    EXPECT_EQ(t.threads_min, 2u);
    EXPECT_EQ(t.idle_timeout, std::chrono::seconds(30));
    EXPECT_EQ(t.limits.max_connections, 100u);
    EXPECT_EQ(t.limits.new_connections_per_ip.count, 5u);
    EXPECT_EQ(t.limits.new_connections_per_ip.interval, std::chrono::seconds(10));
    EXPECT_EQ(t.log.level, 8);
    ASSERT_EQ(t.listeners.size(), 2u);
    EXPECT_EQ(t.listeners[0].limits.max_connections_per_ip, 3u);
    EXPECT_FALSE(t.listeners[1].enabled);
    ASSERT_EQ(t.rules.size(), 2u);
    EXPECT_EQ(t.rules[1].limits.max_connections, 2u);
    EXPECT_TRUE(t.rules[0].range.contains(*IpAddress::parse("192.0.2.77")));
}

TEST(ConfigLoad, UnknownKeyNamesFileLineAndKey) {
    auto cfg = load("[server]\nhostname = \"a\"\nhostnme = \"b\"\n");
    ASSERT_FALSE(cfg);
    auto* p = problem_for(cfg.error(), "server.hostnme");
    ASSERT_NE(p, nullptr) << cfg.error().to_string();
    EXPECT_EQ(p->line, 3u);
    EXPECT_EQ(p->message, "unknown key");
    EXPECT_EQ(p->to_string(), "/etc/postern/postern.toml:3: server.hostnme: unknown key");
}

TEST(ConfigLoad, ReportsEveryBadValue) {
    auto cfg = load(R"(
[services.smtp]
threads_min = 0
idle_timeout = "soon"
new_connections = "lots"

[[services.smtp.listener]]
address = "localhost:25"
tls = "sometimes"

[[services.smtp.rule]]
match = "10.0.0.0/40"
)");
    ASSERT_FALSE(cfg);
    auto& e = cfg.error();
    EXPECT_TRUE(problem_for(e, "services.smtp.threads_min"));
    EXPECT_TRUE(problem_for(e, "services.smtp.idle_timeout"));
    EXPECT_TRUE(problem_for(e, "services.smtp.new_connections"));
    EXPECT_TRUE(problem_for(e, "services.smtp.listener[0].address"));
    EXPECT_TRUE(problem_for(e, "services.smtp.listener[0].tls"));
    auto* rule = problem_for(e, "services.smtp.rule[0].match");
    ASSERT_TRUE(rule);
    EXPECT_EQ(rule->line, 12u);
}

TEST(ConfigLoad, SyntaxErrorHasLine) {
    auto cfg = load("[server]\nhostname = \n");
    ASSERT_FALSE(cfg);
    ASSERT_EQ(cfg.error().problems.size(), 1u);
    EXPECT_EQ(cfg.error().problems[0].line, 2u);
}

TEST(ConfigLoad, TlsListenerNeedsCertificate) {
    auto cfg = load(R"(
[[services.smtp.listener]]
address = "127.0.0.1:993"
tls = "implicit"
)");
    ASSERT_FALSE(cfg);
    auto* p = problem_for(cfg.error(), "services.smtp.listener[0].tls");
    ASSERT_TRUE(p);
    EXPECT_NE(p->message.find("certificate"), std::string::npos);
}

TEST(ConfigLoad, TlsFilesMustExist) {
    auto dir = fs::temp_directory_path() / "postern-config-test";
    fs::create_directories(dir);
    std::ofstream(dir / "c.pem") << "x";
    std::ofstream(dir / "k.pem") << "x";
    auto ok = load_string(R"(
[tls]
cert = "c.pem"
key = "k.pem"
[[services.smtp.listener]]
address = "127.0.0.1:993"
tls = "implicit"
)",
                          dir / "postern.toml");
    ASSERT_TRUE(ok) << ok.error().to_string();
    EXPECT_EQ((*ok)->smtp.listeners[0].tls_settings.cert_file, dir / "c.pem");
    auto missing = load_string(R"(
[tls]
cert = "nope.pem"
key = "k.pem"
[[services.smtp.listener]]
address = "127.0.0.1:993"
tls = "starttls"
)",
                               dir / "postern.toml");
    ASSERT_FALSE(missing);
    fs::remove_all(dir);
}

TEST(ConfigLoad, DuplicateListenerAddress) {
    auto cfg = load(R"(
[[services.smtp.listener]]
address = "127.0.0.1:25"
[[services.smtp.listener]]
address = "127.0.0.1:25"
)");
    ASSERT_FALSE(cfg);
    EXPECT_TRUE(problem_for(cfg.error(), "services.smtp.listener[1].address"));
}

TEST(ConfigLoad, DenyRuleWithLimitsIsAnError) {
    auto cfg = load(R"(
[[services.smtp.rule]]
action = "deny"
match = "10.0.0.1"
max_connections = 4
)");
    ASSERT_FALSE(cfg);
}

TEST(ConfigLoad, RemoteLogNeedsAddress) {
    EXPECT_FALSE(load("[log]\ntype = \"remote\"\n"));
    auto cfg = load("[log]\ntype = \"remote\"\nremote = \"10.0.0.2:2000\"\n");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_EQ((*cfg)->log.defaults.remote->port, 2000);
    EXPECT_EQ((*cfg)->smtp.log.type, LogType::remote);  // services inherit [log]
}

TEST(ConfigLoad, ProxyProtocolNeedsTrustedAddresses) {
    auto cfg = load(R"(
[[services.smtp.listener]]
address = "127.0.0.1:25"
proxy_protocol = true
)");
    ASSERT_FALSE(cfg);
    EXPECT_TRUE(problem_for(cfg.error(), "services.smtp.listener[0].proxy_trusted"));
}

TEST(ConfigLoad, AuthMechanisms) {
    auto cfg = load("[auth]\nmechanisms = [\"plain\", \"cram-md5\"]\n");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    EXPECT_EQ((*cfg)->auth.mechanisms.at(1), "CRAM-MD5");
    EXPECT_FALSE(load("[auth]\nmechanisms = [\"NTLM\"]\n"));
}

TEST(ConfigLoad, HostileInputDoesNotCrash) {
    EXPECT_FALSE(load(std::string(100000, '[')));
    EXPECT_FALSE(load("a = \"" + std::string(1 << 20, 'x')));
    EXPECT_FALSE(load("[services]\ntest = 5\n"));
    EXPECT_FALSE(load("services = []\n"));
}

}  // namespace
}  // namespace postern::config

namespace postern::config {
namespace {

TEST(ConfigLoadSmtp, DefaultListenersWhenEnabled) {
    auto dir = fs::temp_directory_path() / "postern-config-smtp";
    fs::create_directories(dir);
    std::ofstream(dir / "c.pem") << "x";
    std::ofstream(dir / "k.pem") << "x";
    auto cfg =
        load_string("[tls]\ncert = \"c.pem\"\nkey = \"k.pem\"\n[services.smtp]\nenabled = true\n",
                    dir / "postern.toml");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& l = (*cfg)->smtp.listeners;
    ASSERT_EQ(l.size(), 3u);
    EXPECT_EQ(l[0].address.port, 25);
    EXPECT_EQ(l[0].tls, TlsMode::starttls);
    EXPECT_FALSE(l[0].require_auth);
    EXPECT_EQ(l[1].address.port, 587);
    EXPECT_TRUE(l[1].require_auth && l[1].require_tls);
    EXPECT_EQ(l[2].tls, TlsMode::implicit);
    // Without a certificate: only port 25, plain.
    auto plain = load_string("[services.smtp]\nenabled = true\n", dir / "postern.toml");
    ASSERT_TRUE(plain);
    ASSERT_EQ((*plain)->smtp.listeners.size(), 1u);
    EXPECT_EQ((*plain)->smtp.listeners[0].tls, TlsMode::none);
    fs::remove_all(dir);
}

TEST(ConfigLoadSmtp, Keys) {
    auto cfg = load(R"(
[services.smtp]
enabled = true
max_message_size = "20M"
max_recipients = 50
relay_networks = ["10.0.0.0/8", "192.0.2.1"]
bare_line_endings = "normalize"
vrfy = true
[[services.smtp.listener]]
address = "127.0.0.1:2525"
)");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& s = (*cfg)->smtp;
    EXPECT_EQ(s.max_message_size, 20u << 20);
    EXPECT_EQ(s.max_recipients, 50u);
    ASSERT_EQ(s.relay_networks.size(), 2u);
    EXPECT_EQ(s.bare_line_endings, LineEndings::normalize);
    EXPECT_TRUE(s.vrfy);
    EXPECT_EQ(s.listeners.size(), 1u);  // explicit listeners replace the defaults
}

TEST(ConfigLoadSmtp, ReverseLookupOnForSmtpOffForLmtp) {
    auto defaults = load("[services.smtp]\nenabled = true\n[services.lmtp]\nenabled = false\n");
    ASSERT_TRUE(defaults) << defaults.error().to_string();
    EXPECT_TRUE((*defaults)->smtp.reverse_lookup);
    EXPECT_FALSE((*defaults)->lmtp.reverse_lookup);  // front-end proxies: their names say nothing
    auto set = load("[services.smtp]\nreverse_lookup = false\n[services.lmtp]\nreverse_lookup = true\n");
    ASSERT_TRUE(set) << set.error().to_string();
    EXPECT_FALSE((*set)->smtp.reverse_lookup);
    EXPECT_TRUE((*set)->lmtp.reverse_lookup);
    EXPECT_FALSE(load("[services.smtp]\nreverse_lookup = \"yes\"\n"));
}

TEST(ConfigLoadSmtp, Errors) {
    EXPECT_FALSE(load("[services.smtp]\nrelay_networks = [\"nonsense\"]\n"));
    EXPECT_FALSE(load("[services.smtp]\nbare_line_endings = \"fix\"\n"));
    EXPECT_FALSE(load("[services.smtp]\ngreeting = \"a\\r\\nb\"\n"));
    EXPECT_FALSE(
        load("[[services.smtp.listener]]\naddress = \"127.0.0.1:25\"\nrequire_tls = true\n"));
    EXPECT_FALSE(load("[services.smtp]\nmax_recipients = 0\n"));
}

}  // namespace
}  // namespace postern::config

namespace postern::config {
namespace {

TEST(ConfigLoadManageSieve, DefaultListenerAndKeys) {
    auto cfg = load_string("[services.managesieve]\nenabled = true\nmax_scripts = 5\n"
                           "max_script_size = \"64K\"\nimplementation = \"Example\"\n",
                           "/etc/postern/postern.toml");
    ASSERT_TRUE(cfg) << cfg.error().to_string();
    auto& ms = (*cfg)->managesieve;
    EXPECT_TRUE(ms.enabled);
    ASSERT_EQ(ms.listeners.size(), 1u);
    EXPECT_EQ(ms.listeners[0].address.port, 4190);
    EXPECT_EQ(ms.listeners[0].tls, TlsMode::none);  // no certificate in [tls]
    EXPECT_EQ(ms.max_scripts, 5u);
    EXPECT_EQ(ms.max_script_size, 64u * 1024);
    EXPECT_EQ(ms.implementation, "Example");
    bool listed = false;
    for (auto& [name, svc] : (*cfg)->tcp_services())
        listed = listed || (name == "managesieve" && svc == &ms);
    EXPECT_TRUE(listed);
}

TEST(ConfigLoadManageSieve, Errors) {
    auto cfg = load_string("[services.managesieve]\nmax_scripts = 0\nmax_script_size = \"1M\"\n"
                           "implementation = \"a\\\"b\"\nmax_line_length = 100\n",
                           "/etc/postern/postern.toml");
    ASSERT_FALSE(cfg);
    auto text = cfg.error().to_string();
    for (auto key : {"max_scripts", "max_script_size", "implementation", "max_line_length"})
        EXPECT_NE(text.find(key), std::string::npos) << key << "\n" << text;
}

}  // namespace
}  // namespace postern::config
