// Authentication-Results (RFC 8601) writing and stripping; the DMARC results log line.
#include "filter/sender_auth/auth_results.h"

#include <nlohmann/json.hpp>

#include "base/strings.h"

namespace postern::filter::sender_auth {

std::string MessageAuth::dkim_summary() const {
    if (!dkim_checked)
        return "";
    if (dkim.empty())
        return "none";
    for (auto& r : dkim)
        if (r.status == dkim::Status::pass)
            return "pass";
    return std::string(dkim::status_name(dkim.front().status));
}

std::vector<std::string> MessageAuth::dkim_pass_domains() const {
    std::vector<std::string> out;
    for (auto& r : dkim)
        if (r.status == dkim::Status::pass)
            out.push_back(r.domain);
    return out;
}

namespace {

// A pvalue (§2.2): written as is when it is a dot-atom or local@domain of plain characters,
// else as a quoted-string.
std::string pvalue(std::string_view v) {
    bool plain = !v.empty();
    for (unsigned char c : v) {
        if (!(std::isalnum(c) ||
              std::string_view("!#$%&'*+-/=?^_`{|}~.@").find(static_cast<char>(c)) !=
                  std::string_view::npos))
            plain = false;
    }
    if (plain)
        return std::string(v);
    std::string out = "\"";
    for (unsigned char c : v) {
        if (c < 0x20 || c == 0x7f)
            continue;
        if (c == '"' || c == '\\')
            out += '\\';
        out += static_cast<char>(c);
    }
    return out + "\"";
}

// A comment (§2.2 CFWS) from free text: parentheses and backslashes escaped, bounded.
std::string comment(std::string_view text) {
    std::string out = "(";
    for (unsigned char c : text.substr(0, 200)) {
        if (c < 0x20 || c == 0x7f)
            continue;
        if (c == '(' || c == ')' || c == '\\')
            out += '\\';
        out += static_cast<char>(c);
    }
    return out + ")";
}

}  // namespace

std::string authentication_results_field(std::string_view authserv_id, const MessageAuth& auth) {
    std::vector<std::string> results;
    if (auth.spf_mail) {
        auto& s = *auth.spf_mail;
        std::string r = "spf=" + std::string(spf::result_name(s.result));
        if (!s.reason.empty() && s.result != spf::Result::pass)
            r += " " + comment(s.reason);
        r += auth.null_sender ? " smtp.helo=" + pvalue(s.identity)
                              : " smtp.mailfrom=" + pvalue(s.identity);
        results.push_back(std::move(r));
    }
    if (auth.spf_helo && !auth.null_sender) {
        auto& s = *auth.spf_helo;
        std::string r = "spf=" + std::string(spf::result_name(s.result));
        if (!s.reason.empty() && s.result != spf::Result::pass)
            r += " " + comment(s.reason);
        r += " smtp.helo=" + pvalue(s.identity);
        results.push_back(std::move(r));
    }
    if (auth.dkim_checked) {
        if (auth.dkim.empty())
            results.emplace_back("dkim=none");
        for (auto& d : auth.dkim) {
            std::string r = "dkim=" + std::string(dkim::status_name(d.status));
            if (!d.reason.empty())
                r += " " + comment(d.reason);
            if (d.testing)
                r += " (test key)";
            if (!d.domain.empty())
                r += " header.d=" + pvalue(d.domain);
            if (!d.identity.empty())
                r += " header.i=" + pvalue(d.identity);
            if (!d.selector.empty())
                r += " header.s=" + pvalue(d.selector);
            if (!d.algorithm.empty())
                r += " header.a=" + pvalue(d.algorithm);
            if (!d.header_b.empty())
                r += " header.b=" + pvalue(d.header_b);
            results.push_back(std::move(r));
        }
    }
    if (auth.dmarc) {
        auto& m = *auth.dmarc;
        std::string r = "dmarc=" + std::string(dmarc::result_name(m.result));
        if (m.result == dmarc::Result::pass || m.result == dmarc::Result::fail) {
            r += " (p=" + std::string(dmarc::policy_name(m.requested)) +
                 " dis=" + std::string(dmarc::policy_name(m.disposition)) + ")";
        }
        if (!m.from_domain.empty())
            r += " header.from=" + pvalue(m.from_domain);
        results.push_back(std::move(r));
    }
    std::string out = "Authentication-Results: " + std::string(authserv_id);
    if (results.empty())
        return out + "; none\r\n";
    for (auto& r : results)
        out += ";\r\n\t" + r;
    return out + "\r\n";
}

std::string authserv_id_of(std::string_view v) {
    std::size_t i = 0;
    while (i < v.size()) {
        char c = v[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ++i;
        } else if (c == '(') {
            int depth = 0;
            for (; i < v.size(); ++i) {
                if (v[i] == '\\') {
                    ++i;
                    continue;
                }
                if (v[i] == '(')
                    ++depth;
                if (v[i] == ')' && --depth == 0) {
                    ++i;
                    break;
                }
            }
        } else {
            break;
        }
    }
    auto end = v.find_first_of(" \t\r\n;(", i);
    auto id = v.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i);
    if (id.size() >= 2 && id.front() == '"' && id.back() == '"')
        id = id.substr(1, id.size() - 2);
    return std::string(id);
}

std::string strip_our_results(std::string_view block, std::string_view authserv_id, int& removed) {
    removed = 0;
    std::string out;
    bool dropping = false;
    while (!block.empty()) {
        auto eol = block.find("\r\n");
        auto line = block.substr(0, eol == std::string_view::npos ? block.size() : eol + 2);
        block.remove_prefix(line.size());
        bool continuation = !line.empty() && (line[0] == ' ' || line[0] == '\t');
        if (!continuation) {
            dropping = false;
            auto colon = line.find(':');
            if (colon != std::string_view::npos &&
                iequals(trim(line.substr(0, colon)), "Authentication-Results")) {
                // The authserv-id may sit on a continuation line: look at the whole field.
                std::string value(line.substr(colon + 1));
                std::string_view rest = block;
                while (!rest.empty() && (rest[0] == ' ' || rest[0] == '\t')) {
                    auto e = rest.find("\r\n");
                    auto l = rest.substr(0, e == std::string_view::npos ? rest.size() : e + 2);
                    value += l;
                    rest.remove_prefix(l.size());
                }
                if (iequals(authserv_id_of(value), authserv_id)) {
                    dropping = true;
                    ++removed;
                }
            }
        }
        if (!dropping)
            out.append(line);
    }
    return out;
}

std::string dmarc_log_line(const ReportFacts& facts, const MessageAuth& auth) {
    nlohmann::json j;
    j["time"] = facts.time;
    j["queue_id"] = facts.queue_id;
    j["source_ip"] = facts.source_ip;
    j["envelope_from"] = facts.envelope_from;
    if (auth.dmarc) {
        auto& m = *auth.dmarc;
        j["header_from"] = m.from_domain;
        j["policy_domain"] = m.record_domain;
        j["dmarc"] = dmarc::result_name(m.result);
        j["p"] = dmarc::policy_name(m.requested);
        j["pct"] = m.pct;
        j["disposition"] = dmarc::policy_name(m.disposition);
        j["spf_aligned"] = m.spf_aligned;
        j["dkim_aligned"] = m.dkim_aligned;
    }
    if (auth.spf_mail) {
        j["spf"] = {{"domain", auth.spf_mail->domain},
                    {"scope", auth.null_sender ? "helo" : "mfrom"},
                    {"result", spf::result_name(auth.spf_mail->result)}};
    }
    auto dk = nlohmann::json::array();
    for (auto& d : auth.dkim)
        dk.push_back({{"domain", d.domain},
                      {"selector", d.selector},
                      {"result", dkim::status_name(d.status)}});
    j["dkim"] = dk;
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace postern::filter::sender_auth
