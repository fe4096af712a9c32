// posternctl dkim keygen / record (see dkim_keys.h).
#include "tools/dkim_keys.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

#include "base/strings.h"
#include "config/load.h"
#include "filter/dkim/crypto.h"
#include "filter/dkim/sign.h"
#include "tools/output.h"

namespace postern::tools {

namespace {

namespace fs = std::filesystem;
namespace dkim = filter::dkim;
using json = nlohmann::json;

struct DkimArgs {
    std::string domain;
    std::string selector;
    std::string type = "rsa";
    int bits = 2048;
};

int fail(const std::string& code, const std::string& message) {
    std::cerr << "posternctl: " << message << "\n";
    return exit_code_for(code);
}

// A selector from today's date: s20261123.
std::string default_selector() {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "s%Y%m%d", &tm);
    return buf;
}

bool valid_label(const std::string& s) {
    if (s.empty() || s.size() > 63)
        return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'))
            return false;
    return true;
}

// The record in zone-file form: character-strings of at most 255 octets (RFC 1035 §3.3.14).
std::string zone_line(const std::string& name, const std::string& record) {
    std::string out = name + ". IN TXT (";
    for (std::size_t i = 0; i < record.size(); i += 250)
        out += " \"" + record.substr(i, 250) + "\"";
    return out + " )";
}

int print(bool json_output, const std::string& domain, const std::string& selector,
          const fs::path& file, const std::string& record) {
    std::string name = selector + "._domainkey." + domain;
    if (json_output) {
        std::cout << json{{"domain", domain},
                          {"selector", selector},
                          {"key_file", file.string()},
                          {"dns_name", name},
                          {"dns_txt", record}}
                         .dump(2)
                  << "\n";
    } else {
        std::cout << "key file: " << file.string() << "\n"
                  << "publish this TXT record:\n"
                  << zone_line(name, record) << "\n";
    }
    return 0;
}

std::optional<fs::path> key_dir(const std::string& config) {
    auto cfg = config::load_file(config);
    if (!cfg) {
        std::cerr << cfg.error().to_string() << "\n";
        return std::nullopt;
    }
    return (*cfg)->sender_auth.dkim_key_dir;
}

int keygen(const std::string& config, bool json_output, const DkimArgs& a) {
    auto domain = to_lower(a.domain);
    if (domain.empty() || domain.find('.') == std::string::npos ||
        domain.find('/') != std::string::npos)
        return fail("invalid_argument", "not a domain name: " + a.domain);
    auto selector = a.selector.empty() ? default_selector() : a.selector;
    if (!valid_label(selector))
        return fail("invalid_argument", "a selector is one DNS label: " + selector);
    auto dir = key_dir(config);
    if (!dir)
        return fail("invalid_argument", "cannot read the configuration " + config);
    auto file = *dir / domain / (selector + ".pem");
    std::error_code ec;
    if (fs::exists(file, ec))
        return fail("already_exists", file.string() + " exists; choose another --selector");
    auto key = dkim::generate_key(a.type == "ed25519", a.bits);
    if (!key)
        return fail("internal", "key generation failed");
    fs::create_directories(file.parent_path(), ec);
    if (ec)
        return fail("internal",
                    "cannot create " + file.parent_path().string() + ": " + ec.message());
    {
        auto old = ::umask(077);
        std::ofstream out(file, std::ios::binary);
        out << key->private_pem;
        ::umask(old);
        if (!out)
            return fail("internal", "cannot write " + file.string());
    }
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write, ec);
    return print(json_output, domain, selector, file,
                 dkim::key_record_text(key->key_type, key->public_b64));
}

int record(const std::string& config, bool json_output, const DkimArgs& a) {
    auto domain = to_lower(a.domain);
    auto dir = key_dir(config);
    if (!dir)
        return fail("invalid_argument", "cannot read the configuration " + config);
    auto key = a.selector.empty()
                   ? dkim::newest_signing_key(*dir / domain, domain)
                   : dkim::load_signing_key(*dir / domain / (a.selector + ".pem"), domain);
    if (!key)
        return fail("not_found", key.error().message);
    auto type = key->algorithm == dkim::Algorithm::ed25519_sha256 ? "ed25519" : "rsa";
    return print(json_output, domain, key->selector, *dir / domain / (key->selector + ".pem"),
                 dkim::key_record_text(type, dkim::public_key_b64(key->key.get())));
}

}  // namespace

void add_dkim_commands(CLI::App& app, const std::string& config, const bool& json_output,
                       std::function<int()>& local) {
    auto args = std::make_shared<DkimArgs>();
    auto* cmd = app.add_subcommand("dkim", "DKIM signing keys")->require_subcommand(1);
    auto* gen =
        cmd->add_subcommand("keygen", "make a signing key for DOMAIN and print its DNS record");
    gen->add_option("domain", args->domain, "the signing domain (d=)")->required();
    gen->add_option("--selector", args->selector, "key selector (s=); default s<YYYYMMDD>");
    gen->add_option("--type", args->type, "rsa or ed25519")
        ->check(CLI::IsMember({"rsa", "ed25519"}))
        ->capture_default_str();
    gen->add_option("--bits", args->bits, "RSA key size")
        ->check(CLI::Range(1024, 4096))
        ->capture_default_str();
    gen->callback([&config, &json_output, &local, args] {
        local = [&config, &json_output, args] { return keygen(config, json_output, *args); };
    });
    auto* rec =
        cmd->add_subcommand("record", "the DNS TXT record of DOMAIN's signing key (newest)");
    rec->add_option("domain", args->domain)->required();
    rec->add_option("--selector", args->selector, "this key instead of the newest");
    rec->callback([&config, &json_output, &local, args] {
        local = [&config, &json_output, args] { return record(config, json_output, *args); };
    });
}

}  // namespace postern::tools
