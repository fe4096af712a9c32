// The [sender_auth] section of postern.toml: SPF actions, DKIM verification and signing keys,
// DMARC enforcement. docs/sender-authentication.md lists the keys.
#include "config/load_sender_auth.h"

#include "base/strings.h"

namespace postern::config {
namespace {

SpfAction read_action(Reader& r, std::string_view key, SpfAction fallback) {
    auto i =
        r.get_choice(key, static_cast<std::size_t>(fallback), {"accept", "reject", "tempfail"});
    return static_cast<SpfAction>(i);
}

}  // namespace

void read_sender_auth(Reader& root, Config& cfg, const std::filesystem::path& base) {
    auto& sa = cfg.sender_auth;
    sa.authserv_id = cfg.server.hostname;
    sa.dkim_key_dir = cfg.server.data_dir / "dkim";
    sa.dmarc_results = cfg.server.data_dir / "dmarc" / "results.jsonl";
    auto r = root.table("sender_auth");
    if (!r)
        return;
    sa.enabled = r->get_bool("enabled", sa.enabled);
    sa.authserv_id = r->get_string("authserv_id", sa.authserv_id);
    if (sa.authserv_id.empty() || sa.authserv_id.find_first_of(" \t\r\n;()") != std::string::npos)
        r->error("authserv_id", "must be a non-empty name without spaces, ';' or parentheses");
    if (auto spf = r->table("spf")) {
        sa.spf = spf->get_bool("enabled", sa.spf);
        sa.spf_helo = spf->get_bool("helo", sa.spf_helo);
        sa.spf_fail = read_action(*spf, "fail", sa.spf_fail);
        sa.spf_softfail = read_action(*spf, "softfail", sa.spf_softfail);
        sa.spf_neutral = read_action(*spf, "neutral", sa.spf_neutral);
        sa.spf_none = read_action(*spf, "none", sa.spf_none);
        sa.spf_temperror = read_action(*spf, "temperror", sa.spf_temperror);
        sa.spf_permerror = read_action(*spf, "permerror", sa.spf_permerror);
        spf->finish();
    }
    if (auto dkim = r->table("dkim")) {
        sa.dkim_verify = dkim->get_bool("verify", sa.dkim_verify);
        sa.dkim_max_signatures = static_cast<std::uint32_t>(
            dkim->get_int("max_signatures", sa.dkim_max_signatures, 1, 50));
        sa.dkim_min_rsa_bits = static_cast<std::uint32_t>(
            dkim->get_int("min_rsa_bits", sa.dkim_min_rsa_bits, 512, 16384));
        sa.dkim_allow_sha1 = dkim->get_bool("allow_sha1", sa.dkim_allow_sha1);
        sa.dkim_sign = dkim->get_bool("sign", sa.dkim_sign);
        sa.dkim_key_dir = dkim->get_path("key_dir", sa.dkim_key_dir, base);
        auto domains = dkim->get_string_list("sign_domains", {});
        for (auto& d : domains)
            sa.dkim_sign_domains.push_back(to_lower(d));
        dkim->finish();
    }
    if (auto dmarc = r->table("dmarc")) {
        sa.dmarc = dmarc->get_bool("enabled", sa.dmarc);
        sa.dmarc_enforce = dmarc->get_bool("enforce", sa.dmarc_enforce);
        sa.public_suffix_list = dmarc->get_path("public_suffix_list", sa.public_suffix_list, base);
        sa.dmarc_results = dmarc->get_path("results_log", sa.dmarc_results, base);
        dmarc->finish();
    }
    r->finish();
}

}  // namespace postern::config
