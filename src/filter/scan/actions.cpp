// Actions by score/result (docs/antivirus-antispam.md "Actions").
#include "filter/scan/actions.h"

#include <fmt/format.h>

#include "filter/scan/levels.h"

namespace postern::filter::scan {

namespace {

Verdict base() {
    Verdict v;
    v.remove_headers = scan_header_names();
    return v;
}

void add(Verdict& v, std::string_view name, std::string value) {
    v.add_headers.emplace_back(std::string(name), std::move(value));
}

// Keeps a header value to one line of printable text.
std::string clean(std::string_view s, std::size_t max = 900) {
    std::string out;
    for (char c : s) {
        if (out.size() >= max)
            break;
        auto u = static_cast<unsigned char>(c);
        out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
    }
    return out;
}

}  // namespace

Verdict spam_verdict(const config::ScannerConfig& config, std::string_view raw,
                     const SpamResult& r) {
    auto v = base();
    add(v, kSpamLevelHeader, std::to_string(spam_level(r.score, r.required)));
    add(v, kSpamScoreHeader, fmt::format("{:.1f}", r.score));
    std::string status =
        fmt::format("{}, score={:.1f} required={:.1f}", r.spam ? "Yes" : "No", r.score, r.required);
    if (!r.tests.empty())
        status += " tests=" + clean(r.tests);
    add(v, kSpamStatusHeader, std::move(status));
    if (config.reject_score > 0 && r.score >= config.reject_score) {
        v.action = Verdict::Action::reject;
        v.status = "5.7.1";
        v.text = fmt::format("message rejected as spam (score {:.1f})", r.score);
        return v;
    }
    if (config.discard_score > 0 && r.score >= config.discard_score) {
        v.action = Verdict::Action::discard;
        v.text = fmt::format("spam discarded (score {:.1f})", r.score);
        return v;
    }
    if (!r.spam)
        return v;
    if (!config.subject_prefix.empty()) {
        auto subject = header_value(raw, "Subject").value_or("");
        if (!subject.starts_with(config.subject_prefix)) {
            v.remove_headers.push_back("Subject");
            add(v, "Subject", config.subject_prefix + subject);
        }
    }
    const auto& a = config.spam_action;
    if (a == "junk") {
        v.mailbox = config.junk_folder;
    } else if (a == "quarantine") {
        v.mailbox = config.quarantine_folder;
    } else if (a == "reject") {
        v.action = Verdict::Action::reject;
        v.status = "5.7.1";
        v.text = fmt::format("message rejected as spam (score {:.1f})", r.score);
    } else if (a == "discard") {
        v.action = Verdict::Action::discard;
        v.text = fmt::format("spam discarded (score {:.1f})", r.score);
    }
    return v;
}

Verdict virus_verdict(const config::ScannerConfig& config, bool infected, std::string_view virus) {
    auto v = base();
    add(v, kVirusLevelHeader, std::to_string(infected ? kVirusInfected : kVirusClean));
    add(v, kVirusStatusHeader, infected ? "infected (" + clean(virus, 256) + ")" : "clean");
    if (!infected)
        return v;
    const auto& a = config.virus_action;
    if (a == "reject") {
        v.action = Verdict::Action::reject;
        v.status = "5.7.1";
        v.text = "message contains a virus: " + clean(virus, 256);
    } else if (a == "discard") {
        v.action = Verdict::Action::discard;
        v.text = "virus discarded: " + clean(virus, 256);
    } else if (a == "quarantine") {
        v.mailbox = config.quarantine_folder;
    }
    return v;
}

Verdict spam_not_scanned(std::string_view why) {
    auto v = base();
    add(v, kSpamLevelHeader, "0");
    add(v, kSpamStatusHeader, "not scanned: " + clean(why, 200));
    return v;
}

Verdict virus_not_scanned(std::string_view why) {
    auto v = base();
    add(v, kVirusLevelHeader, "0");
    add(v, kVirusStatusHeader, "not scanned: " + clean(why, 200));
    return v;
}

}  // namespace postern::filter::scan
