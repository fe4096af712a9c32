// DMARC record syntax, discovery, alignment and disposition (RFC 7489 §3.1, §6.3, §6.6).
#include "filter/dmarc/dmarc.h"

#include "base/strings.h"

namespace postern::filter::dmarc {

namespace dns = net::dns;

std::string_view policy_name(Policy p) {
    switch (p) {
        case Policy::none:
            return "none";
        case Policy::quarantine:
            return "quarantine";
        case Policy::reject:
            return "reject";
    }
    return "none";
}

std::string_view result_name(Result r) {
    switch (r) {
        case Result::none:
            return "none";
        case Result::pass:
            return "pass";
        case Result::fail:
            return "fail";
        case Result::temperror:
            return "temperror";
        case Result::permerror:
            return "permerror";
    }
    return "none";
}

namespace {

std::optional<Policy> parse_policy(std::string_view v) {
    if (iequals(v, "none"))
        return Policy::none;
    if (iequals(v, "quarantine"))
        return Policy::quarantine;
    if (iequals(v, "reject"))
        return Policy::reject;
    return std::nullopt;
}

bool fail(std::string* error, std::string m) {
    if (error)
        *error = std::move(m);
    return false;
}

bool is_dmarc(std::string_view text) {
    auto t = trim(text);
    if (!istarts_with(t, "v"))
        return false;
    t.remove_prefix(1);
    t = trim(t);
    if (!t.starts_with('='))
        return false;
    t = trim(t.substr(1));
    if (!istarts_with(t, "DMARC1"))
        return false;
    t.remove_prefix(6);
    t = trim(t);
    return t.empty() || t.starts_with(';');
}

}  // namespace

std::optional<Record> parse_record(std::string_view text, std::string* error) {
    if (text.size() > 4096)
        return fail(error, "record too long"), std::nullopt;
    if (!is_dmarc(text))
        return fail(error, "not a DMARC1 record"), std::nullopt;
    Record r;
    bool have_p = false;
    bool first = true;
    for (auto part : split(text, ';')) {
        auto t = trim(part);
        if (t.empty())
            continue;
        auto eq = t.find('=');
        if (eq == std::string_view::npos)
            return fail(error, "bad tag " + std::string(t)), std::nullopt;
        auto name = to_lower(trim(t.substr(0, eq)));
        auto value = trim(t.substr(eq + 1));
        if (first) {
            first = false;
            continue;  // v=DMARC1, checked above
        }
        if (name == "p") {
            auto p = parse_policy(value);
            if (!p)
                return fail(error, "bad p="), std::nullopt;
            r.p = *p;
            have_p = true;
        } else if (name == "sp") {
            r.sp = parse_policy(value);  // an invalid sp= is ignored (§6.6.3 step 6 spirit)
        } else if (name == "adkim") {
            r.strict_dkim = iequals(value, "s");
        } else if (name == "aspf") {
            r.strict_spf = iequals(value, "s");
        } else if (name == "pct") {
            auto v = parse_uint(value);
            if (v && *v <= 100)
                r.pct = static_cast<int>(*v);
        } else if (name == "rua" || name == "ruf") {
            for (auto uri : split(value, ',')) {
                auto u = trim(uri);
                if (!u.empty())
                    (name == "rua" ? r.rua : r.ruf).emplace_back(u);
            }
        }
    }
    // §6.6.3: no valid p= but a rua= : treat as p=none; otherwise not a usable record.
    if (!have_p && r.rua.empty())
        return fail(error, "no p= tag"), std::nullopt;
    return r;
}

bool aligned(std::string_view a, std::string_view b, bool strict, const PublicSuffixList& psl) {
    auto la = to_lower(a), lb = to_lower(b);
    if (la == lb)
        return !la.empty();
    if (strict || la.empty() || lb.empty())
        return false;
    return psl.organizational_domain(la) == psl.organizational_domain(lb);
}

namespace {

// One DMARC record at _dmarc.<domain>: 1 = found, 0 = none, -1 = temporary error, 2 = missing.
int lookup(const std::string& domain, const dns::AnswerSource& source,
           std::optional<dns::Question>& missing, std::optional<Record>& record) {
    auto name = "_dmarc." + domain;
    auto* a = source.find(name, dns::RecordType::txt);
    if (!a) {
        missing = dns::Question{name, dns::RecordType::txt};
        return 2;
    }
    if (!*a)
        return dns::is_temporary(a->error().code) ? -1 : 0;
    auto* txt = std::get_if<std::vector<dns::TxtRecord>>(&(*a)->records);
    if (!txt)
        return 0;
    std::vector<Record> found;
    for (auto& t : *txt) {
        auto text = t.joined();
        if (!is_dmarc(text))
            continue;
        if (auto r = parse_record(text))
            found.push_back(*r);
    }
    if (found.size() != 1)
        return 0;  // §6.6.3: none, or more than one, is "no policy"
    record = found.front();
    return 1;
}

}  // namespace

Step evaluate(const Input& input, const PublicSuffixList& psl, const dns::AnswerSource& source) {
    Step step;
    Outcome out;
    out.from_domain = to_lower(input.from_domain);
    if (out.from_domain.empty() || out.from_domain.find('.') == std::string::npos) {
        out.reason = "no usable From: domain";
        step.outcome = out;
        return step;
    }
    std::optional<Record> record;
    std::optional<dns::Question> missing;
    auto org = psl.organizational_domain(out.from_domain);
    int found = lookup(out.from_domain, source, missing, record);
    std::string where = out.from_domain;
    if (found == 0 && org != out.from_domain) {
        found = lookup(org, source, missing, record);
        where = org;
    }
    if (found == 2) {
        step.question = missing;
        return step;
    }
    if (found == -1) {
        out.result = Result::temperror;
        out.reason = "DNS error looking up the DMARC record";
        step.outcome = out;
        return step;
    }
    if (found == 0) {
        out.reason = "no DMARC record";
        step.outcome = out;
        return step;
    }
    out.record_domain = where;
    out.pct = record->pct;
    // §6.6.3 step 3: sp= applies when the record came from the organizational domain for a
    // subdomain.
    out.requested = (where != out.from_domain && record->sp) ? *record->sp : record->p;
    out.spf_aligned =
        input.spf_pass && aligned(input.spf_domain, out.from_domain, record->strict_spf, psl);
    for (auto& d : input.dkim_pass_domains)
        if (aligned(d, out.from_domain, record->strict_dkim, psl))
            out.dkim_aligned = true;
    if (out.spf_aligned || out.dkim_aligned) {
        out.result = Result::pass;
        out.reason = out.dkim_aligned ? "aligned DKIM pass" : "aligned SPF pass";
        step.outcome = out;
        return step;
    }
    out.result = Result::fail;
    out.reason = "no aligned SPF or DKIM pass";
    out.disposition = out.requested;
    // §6.6.4: outside the sampled pct= the next weaker policy applies.
    if (input.sample >= record->pct) {
        if (out.disposition == Policy::reject)
            out.disposition = Policy::quarantine;
        else if (out.disposition == Policy::quarantine)
            out.disposition = Policy::none;
    }
    step.outcome = out;
    return step;
}

}  // namespace postern::filter::dmarc
