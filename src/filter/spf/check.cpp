// check_host() (RFC 7208 §4, §5, §6) over an AnswerSource; see check.h.
#include "filter/spf/check.h"

#include <algorithm>

#include "base/strings.h"
#include "net/dns/name.h"

namespace postern::filter::spf {

namespace dns = net::dns;

namespace {

// §4.3: a domain that is not a multi-label FQDN with labels of 1..63 octets gives "none".
bool usable_domain(std::string_view d) {
    if (!d.empty() && d.back() == '.')
        d.remove_suffix(1);
    if (d.empty() || d.size() > 253 || d.find('.') == std::string_view::npos)
        return false;
    if (d.front() == '[')
        return false;
    for (auto label : split(d, '.'))
        if (label.empty() || label.size() > 63)
            return false;
    return true;
}

bool in_network(const IpAddress& ip, const IpAddress& net, int prefix_bits) {
    auto& a = ip.bytes();
    auto& b = net.bytes();
    int full = prefix_bits / 8;
    for (int i = 0; i < full; ++i)
        if (a[static_cast<std::size_t>(i)] != b[static_cast<std::size_t>(i)])
            return false;
    int rest = prefix_bits % 8;
    if (rest == 0)
        return true;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
    return (a[static_cast<std::size_t>(full)] & mask) == (b[static_cast<std::size_t>(full)] & mask);
}

bool cidr_match(const IpAddress& ip, const IpAddress& net, const Directive& d) {
    if (ip.is_v4())
        return net.is_v4() && in_network(ip, net, 96 + d.cidr4);
    return !net.is_v4() && in_network(ip, net, d.cidr6);
}

enum class Match { yes, no, temperror, permerror };

class Evaluator {
  public:
    Evaluator(const Request& req, const dns::AnswerSource& dns, const Limits& limits)
        : req_(req), dns_(dns), limits_(limits) {
        auto at = req.sender.rfind('@');
        ctx_.sender = req.sender;
        ctx_.local_part = req.sender.substr(0, at);
        ctx_.sender_domain = at == std::string::npos ? req.sender : req.sender.substr(at + 1);
        ctx_.ip = req.ip;
        ctx_.helo = req.helo;
        ctx_.receiver = req.receiver;
        ctx_.timestamp = req.timestamp;
    }

    std::optional<dns::Question> missing;
    std::string reason;

    // check_host() for `domain`; `explain` fetches the exp= text on fail.
    Result check(const std::string& domain, bool explain, std::string& explanation) {
        auto answer = ask(domain, dns::RecordType::txt);
        if (!answer)
            return Result::none;
        if (!*answer) {
            if (dns::is_temporary(answer->error().code)) {
                reason = "DNS error for the SPF record of " + domain;
                return Result::temperror;
            }
            reason = "no SPF record at " + domain;
            return Result::none;
        }
        std::vector<std::string> records;
        if (auto* txt = std::get_if<std::vector<dns::TxtRecord>>(&(*answer)->records)) {
            for (auto& t : *txt) {
                auto joined = t.joined();
                if (is_spf_record(joined))
                    records.push_back(std::move(joined));
            }
        }
        if (records.empty()) {
            reason = "no SPF record at " + domain;
            return Result::none;
        }
        if (records.size() > 1) {
            reason = "more than one SPF record at " + domain;
            return Result::permerror;
        }
        std::string error;
        auto record = parse_record(records.front(), &error);
        if (!record) {
            reason = "SPF record of " + domain + ": " + error;
            return Result::permerror;
        }
        std::string saved_domain = ctx_.domain;
        ctx_.domain = domain;
        auto result = evaluate(*record, domain, explain, explanation);
        ctx_.domain = saved_domain;
        return result;
    }

  private:
    // The answer, or nullptr (sets `missing`) when the source does not know it yet.
    const dns::DnsResult<dns::RecordSet>* ask(const std::string& name, dns::RecordType type) {
        if (missing)
            return nullptr;
        auto* a = dns_.find(name, type);
        if (!a)
            missing = dns::Question{name, type};
        return a;
    }

    bool count_term() { return ++terms_ <= limits_.dns_terms; }
    // A void answer; false when past the limit.
    bool count_void() { return ++voids_ <= limits_.void_lookups; }

    // Target domain of a term: its domain-spec expanded, or the current domain.
    std::optional<std::string> target(const std::string& spec, const std::string& current) {
        if (spec.empty())
            return current;
        if (uses_p_macro(spec) && !fill_validated_name(current))
            return std::string();
        auto expanded = expand_macros(spec, ctx_, false);
        if (!expanded)
            return std::nullopt;
        return finish_domain(*expanded);
    }

    // %{p} (§7.3): a validated name of the client, preferring `domain` or its subdomains.
    // False while answers are missing.
    bool fill_validated_name(const std::string& domain) {
        auto names = validated_names(domain);
        if (missing)
            return false;
        std::string best = "unknown";
        for (auto& n : names) {
            if (n == domain) {
                best = n;
                break;
            }
            if (best == "unknown" ||
                (dns::is_subdomain(n, domain) && !dns::is_subdomain(best, domain)))
                best = n;
        }
        ctx_.validated_name = best;
        return true;
    }

    // PTR names of the client whose A/AAAA records include it (§5.5). Errors skip a name.
    std::vector<std::string> validated_names(const std::string& domain) {
        std::vector<std::string> out;
        auto ptr = ask(dns::reverse_name(req_.ip), dns::RecordType::ptr);
        if (!ptr || !*ptr)
            return out;
        auto* names = std::get_if<std::vector<std::string>>(&(*ptr)->records);
        if (!names)
            return out;
        std::vector<std::string> sorted = *names;
        for (auto& n : sorted)
            n = to_lower(n);
        // Names in the target domain first, so the 10-name cap drops the others (§5.5).
        std::stable_partition(sorted.begin(), sorted.end(),
                              [&](const std::string& n) { return dns::is_subdomain(n, domain); });
        if (sorted.size() > limits_.ptr_names)
            sorted.resize(limits_.ptr_names);
        auto type = req_.ip.is_v4() ? dns::RecordType::a : dns::RecordType::aaaa;
        for (auto& n : sorted) {
            auto a = ask(n, type);
            if (!a)
                return out;
            if (!*a)
                continue;
            auto* ips = std::get_if<std::vector<IpAddress>>(&(*a)->records);
            if (ips && std::find(ips->begin(), ips->end(), req_.ip) != ips->end())
                out.push_back(n);
        }
        return out;
    }

    // Address records of `name` matched against the client with the directive's CIDR.
    // `void_counts`: an empty answer counts as a void lookup.
    Match match_addresses(const std::string& name, const Directive& d, bool void_counts) {
        auto type = req_.ip.is_v4() ? dns::RecordType::a : dns::RecordType::aaaa;
        auto a = ask(name, type);
        if (!a)
            return Match::no;
        if (!*a) {
            auto code = a->error().code;
            if (dns::is_temporary(code)) {
                reason = "DNS error looking up " + name;
                return Match::temperror;
            }
            if (void_counts && (code == dns::DnsErrc::nxdomain || code == dns::DnsErrc::nodata) &&
                !count_void()) {
                reason = "more than " + std::to_string(limits_.void_lookups) + " void lookups";
                return Match::permerror;
            }
            return Match::no;
        }
        if (auto* ips = std::get_if<std::vector<IpAddress>>(&(*a)->records)) {
            for (auto& ip : *ips)
                if (cidr_match(req_.ip, ip, d))
                    return Match::yes;
        }
        return Match::no;
    }

    Match too_many() {
        reason = "more than " + std::to_string(limits_.dns_terms) + " DNS-querying terms";
        return Match::permerror;
    }

    Match match(const Directive& d, const std::string& current) {
        switch (d.mechanism) {
            case Mechanism::all:
                return Match::yes;
            case Mechanism::ip4:
            case Mechanism::ip6:
                return cidr_match(req_.ip, d.network, d) ? Match::yes : Match::no;
            case Mechanism::a: {
                if (!count_term())
                    return too_many();
                auto t = target(d.domain_spec, current);
                if (missing)
                    return Match::no;
                if (!t)
                    return Match::permerror;
                return match_addresses(*t, d, true);
            }
            case Mechanism::mx: {
                if (!count_term())
                    return too_many();
                auto t = target(d.domain_spec, current);
                if (missing)
                    return Match::no;
                if (!t)
                    return Match::permerror;
                auto mx = ask(*t, dns::RecordType::mx);
                if (!mx)
                    return Match::no;
                if (!*mx) {
                    auto code = mx->error().code;
                    if (dns::is_temporary(code)) {
                        reason = "DNS error looking up MX of " + *t;
                        return Match::temperror;
                    }
                    if ((code == dns::DnsErrc::nxdomain || code == dns::DnsErrc::nodata) &&
                        !count_void()) {
                        reason =
                            "more than " + std::to_string(limits_.void_lookups) + " void lookups";
                        return Match::permerror;
                    }
                    return Match::no;
                }
                auto* records = std::get_if<std::vector<dns::MxRecord>>(&(*mx)->records);
                if (!records)
                    return Match::no;
                if (records->size() > limits_.mx_names) {
                    reason =
                        "more than " + std::to_string(limits_.mx_names) + " MX records at " + *t;
                    return Match::permerror;
                }
                for (auto& r : *records) {
                    if (r.exchange.empty())
                        continue;  // null MX
                    auto m = match_addresses(r.exchange, d, false);
                    if (missing || m != Match::no)
                        return m;
                }
                return Match::no;
            }
            case Mechanism::ptr: {
                if (!count_term())
                    return too_many();
                auto t = target(d.domain_spec, current);
                if (missing)
                    return Match::no;
                if (!t)
                    return Match::permerror;
                for (auto& n : validated_names(*t)) {
                    if (dns::is_subdomain(n, *t))
                        return Match::yes;
                }
                return Match::no;
            }
            case Mechanism::exists: {
                if (!count_term())
                    return too_many();
                auto t = target(d.domain_spec, current);
                if (missing)
                    return Match::no;
                if (!t)
                    return Match::permerror;
                auto a = ask(*t, dns::RecordType::a);
                if (!a)
                    return Match::no;
                if (!*a) {
                    auto code = a->error().code;
                    if (dns::is_temporary(code)) {
                        reason = "DNS error looking up " + *t;
                        return Match::temperror;
                    }
                    if ((code == dns::DnsErrc::nxdomain || code == dns::DnsErrc::nodata) &&
                        !count_void()) {
                        reason =
                            "more than " + std::to_string(limits_.void_lookups) + " void lookups";
                        return Match::permerror;
                    }
                    return Match::no;
                }
                return Match::yes;
            }
            case Mechanism::include: {
                if (!count_term())
                    return too_many();
                auto t = target(d.domain_spec, current);
                if (missing)
                    return Match::no;
                if (!t)
                    return Match::permerror;
                std::string ignored;
                auto r = check(*t, false, ignored);
                if (missing)
                    return Match::no;
                switch (r) {
                    case Result::pass:
                        return Match::yes;
                    case Result::fail:
                    case Result::softfail:
                    case Result::neutral:
                        return Match::no;
                    case Result::temperror:
                        return Match::temperror;
                    case Result::none:
                        reason = "include:" + *t + " has no SPF record";
                        return Match::permerror;
                    case Result::permerror:
                        return Match::permerror;
                }
                return Match::permerror;
            }
        }
        return Match::no;
    }

    Result evaluate(const Record& record, const std::string& domain, bool explain,
                    std::string& explanation) {
        for (auto& d : record.directives) {
            auto m = match(d, domain);
            if (missing)
                return Result::none;
            if (m == Match::temperror)
                return Result::temperror;
            if (m == Match::permerror) {
                if (reason.empty())
                    reason = "bad domain-spec in the SPF record of " + domain;
                return Result::permerror;
            }
            if (m == Match::yes) {
                reason = "matched a mechanism of " + domain;
                if (d.qualifier == Result::fail && explain && record.exp)
                    explain_fail(*record.exp, domain, explanation);
                return d.qualifier;
            }
        }
        if (record.redirect) {
            if (!count_term()) {
                too_many();
                return Result::permerror;
            }
            auto t = target(*record.redirect, domain);
            if (missing)
                return Result::none;
            if (!t) {
                reason = "bad redirect domain in the SPF record of " + domain;
                return Result::permerror;
            }
            auto r = check(*t, explain, explanation);
            if (missing)
                return Result::none;
            if (r == Result::none) {
                reason = "redirect=" + *t + " has no SPF record";
                return Result::permerror;
            }
            return r;
        }
        reason = "no mechanism of " + domain + " matched";
        return Result::neutral;
    }

    // §6.2: errors of any kind leave the explanation empty.
    void explain_fail(const std::string& exp, const std::string& domain, std::string& explanation) {
        auto t = target(exp, domain);
        if (missing || !t || t->empty())
            return;
        auto answer = ask(*t, dns::RecordType::txt);
        if (!answer || !*answer)
            return;
        auto* txt = std::get_if<std::vector<dns::TxtRecord>>(&(*answer)->records);
        if (!txt || txt->size() != 1)
            return;
        auto text = txt->front().joined();
        if (uses_p_macro(text) && !fill_validated_name(domain))
            return;
        auto expanded = expand_macros(text, ctx_, true);
        if (!expanded)
            return;
        for (unsigned char c : *expanded)
            if (c < 0x20 || c > 0x7e)
                return;
        explanation = *expanded;
    }

    const Request& req_;
    const dns::AnswerSource& dns_;
    Limits limits_;
    MacroContext ctx_;
    int terms_ = 0;
    int voids_ = 0;
};

}  // namespace

Step check_host(const Request& request, const dns::AnswerSource& dns, const Limits& limits) {
    Step step;
    Outcome out;
    auto at = request.sender.rfind('@');
    std::string domain = at == std::string::npos ? request.sender : request.sender.substr(at + 1);
    if (!usable_domain(domain)) {
        out.result = Result::none;
        out.domain = domain;
        out.reason = "not a usable domain name: " + domain;
        step.outcome = std::move(out);
        return step;
    }
    domain = to_lower(domain);
    if (domain.back() == '.')
        domain.pop_back();
    Evaluator ev(request, dns, limits);
    std::string explanation;
    auto result = ev.check(domain, true, explanation);
    if (ev.missing) {
        step.question = std::move(ev.missing);
        return step;
    }
    out.result = result;
    out.domain = domain;
    out.explanation = std::move(explanation);
    out.reason = std::move(ev.reason);
    step.outcome = std::move(out);
    return step;
}

Request mail_from_request(const IpAddress& ip, std::string_view mail_from, std::string_view helo) {
    Request r;
    r.ip = ip;
    r.helo = std::string(helo);
    if (mail_from.empty()) {
        r.sender = "postmaster@" + std::string(helo);
    } else if (mail_from.front() == '@' || mail_from.find('@') == std::string_view::npos) {
        auto at = mail_from.rfind('@');
        r.sender = "postmaster@" +
                   std::string(at == std::string_view::npos ? mail_from : mail_from.substr(at + 1));
    } else {
        r.sender = std::string(mail_from);
    }
    return r;
}

Request helo_request(const IpAddress& ip, std::string_view helo) {
    return mail_from_request(ip, "", helo);
}

}  // namespace postern::filter::spf
