// Decision helpers: the reply of a refusal, a one-line description, and applying header and
// recipient changes to plain lists.
#include "filter/policy/decision.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::filter::policy {

std::string_view verdict_name(Verdict verdict) {
    switch (verdict) {
        case Verdict::none:
            return "none";
        case Verdict::accept:
            return "accept";
        case Verdict::reject:
            return "reject";
        case Verdict::tempfail:
            return "tempfail";
        case Verdict::discard:
            return "discard";
    }
    return "none";
}

std::string_view relay_tls_name(RelayTls tls) {
    switch (tls) {
        case RelayTls::opportunistic:
            return "opportunistic";
        case RelayTls::required:
            return "required";
        case RelayTls::implicit:
            return "implicit";
        case RelayTls::none:
            return "none";
    }
    return "opportunistic";
}

std::optional<proto::smtp::Reply> PolicyDecision::reply() const {
    if (verdict != Verdict::reject && verdict != Verdict::tempfail)
        return std::nullopt;
    proto::smtp::Reply r;
    r.code = code;
    r.enhanced = enhanced;
    r.lines.push_back(text);
    return r;
}

std::string describe(const PolicyDecision& d) {
    std::string out(verdict_name(d.verdict));
    if (d.code != 0) {
        out += ' ';
        out += std::to_string(d.code);
        if (d.enhanced) {
            out += ' ';
            out += d.enhanced->to_string();
        }
    }
    if (!d.text.empty()) {
        out += d.code != 0 ? " " : " reply text \"";
        out += d.text;
        if (d.code == 0)
            out += '"';
    }
    for (const auto& h : d.header_changes) {
        out += h.kind == HeaderChange::Kind::add ? "; +header " : "; -header ";
        out += h.name;
        if (h.kind == HeaderChange::Kind::add) {
            out += ": ";
            out += h.value;
        }
    }
    for (const auto& r : d.recipient_changes) {
        switch (r.kind) {
            case RecipientChange::Kind::clear:
                out += "; recipients cleared";
                break;
            case RecipientChange::Kind::add:
                out += "; +rcpt " + r.address;
                break;
            case RecipientChange::Kind::remove:
                out += "; -rcpt " + r.address;
                break;
        }
    }
    if (d.relay) {
        out += "; relay " + d.relay->host + ":" + std::to_string(d.relay->port) + " tls " +
               std::string(relay_tls_name(d.relay->tls));
    }
    if (d.ndr_text)
        out += "; NDR text set (" + std::to_string(d.ndr_text->size()) + " bytes)";
    if (d.failed)
        out += "; script failed: " + d.error;
    return out;
}

void apply_recipient_changes(std::vector<std::string>& recipients,
                             std::span<const RecipientChange> changes) {
    for (const auto& c : changes) {
        switch (c.kind) {
            case RecipientChange::Kind::clear:
                recipients.clear();
                break;
            case RecipientChange::Kind::add:
                if (std::find(recipients.begin(), recipients.end(), c.address) == recipients.end())
                    recipients.push_back(c.address);
                break;
            case RecipientChange::Kind::remove:
                std::erase(recipients, c.address);
                break;
        }
    }
}

void apply_header_changes(std::vector<HeaderField>& headers,
                          std::span<const HeaderChange> changes) {
    std::size_t added = 0;  // the next add goes after the ones before it: call order is kept
    for (const auto& c : changes) {
        if (c.kind == HeaderChange::Kind::add) {
            headers.insert(headers.begin() + static_cast<std::ptrdiff_t>(added),
                           HeaderField{c.name, " " + c.value});
            ++added;
            continue;
        }
        auto removed_before =
            std::count_if(headers.begin(), headers.begin() + static_cast<std::ptrdiff_t>(added),
                          [&](const HeaderField& h) { return iequals(h.name, c.name); });
        std::erase_if(headers, [&](const HeaderField& h) { return iequals(h.name, c.name); });
        added -= static_cast<std::size_t>(removed_before);
    }
}

}  // namespace postern::filter::policy
