// DNSBL/DNSWL lookups and verdicts (RFC 5782 §2: query names, answers, TXT reasons).
#include "filter/dnsbl/dnsbl.h"

#include <utility>

namespace postern::filter::dnsbl {

namespace dns = net::dns;

namespace {

constexpr char kHex[] = "0123456789abcdef";
constexpr std::size_t kMaxReason = 200;  // the TXT reason goes into a reply line

// A TXT reason as one printable line (it is sent to the client).
std::string clean_reason(std::string text) {
    std::string out;
    for (char c : text) {
        if (out.size() >= kMaxReason)
            break;
        auto u = static_cast<unsigned char>(c);
        out.push_back(u >= 0x20 && u < 0x7f ? c : ' ');
    }
    return out;
}

}  // namespace

std::string query_name(const IpAddress& client, std::string_view zone) {
    const auto& b = client.bytes();
    std::string out;
    if (client.is_v4()) {
        for (int i = 15; i >= 12; --i)
            out.append(std::to_string(b[static_cast<std::size_t>(i)])).push_back('.');
    } else {
        for (int i = 15; i >= 0; --i) {
            auto byte = b[static_cast<std::size_t>(i)];
            out.push_back(kHex[byte & 0x0f]);
            out.push_back('.');
            out.push_back(kHex[byte >> 4]);
            out.push_back('.');
        }
    }
    out.append(zone);
    return out;
}

bool is_listing(const config::DnsblZone& zone, const IpAddress& answer) {
    if (!answer.is_v4())
        return false;
    if (zone.codes.empty())
        return answer.bytes()[12] == 127;
    for (const auto& range : zone.codes) {
        if (range.contains(answer))
            return true;
    }
    return false;
}

std::string Verdict::summary() const {
    std::string out;
    switch (kind) {
        case Kind::pass:
            out = listed.empty() ? "pass" : "listed";
            break;
        case Kind::allowed:
            out = "allowed";
            break;
        case Kind::reject:
            out = "reject";
            break;
    }
    for (std::size_t i = 0; i < listed.size(); ++i)
        out.append(i == 0 ? " " : ",").append(listed[i]);
    if (score != 0)
        out.append(" (score ").append(std::to_string(score)).append(")");
    if (!complete)
        out.append(" (incomplete)");
    return out;
}

Verdict evaluate(const std::vector<config::DnsblZone>& zones, int reject_score,
                 const std::vector<ZoneResult>& results) {
    Verdict v;
    const ZoneResult* rejecting = nullptr;
    const config::DnsblZone* rejecting_zone = nullptr;
    bool allowed = false;
    for (std::size_t i = 0; i < zones.size() && i < results.size(); ++i) {
        const auto& r = results[i];
        const auto& z = zones[i];
        if (r.state == ZoneResult::State::pending)
            v.complete = false;
        if (r.state != ZoneResult::State::listed)
            continue;
        v.listed.push_back(z.zone);
        if (z.allow) {
            allowed = true;
            continue;
        }
        if (z.action == config::DnsblAction::score)
            v.score += z.weight;
        if (z.action == config::DnsblAction::reject && !rejecting) {
            rejecting = &r;
            rejecting_zone = &z;
        }
    }
    if (allowed) {
        v.kind = Verdict::Kind::allowed;
        return v;
    }
    if (rejecting) {
        v.kind = Verdict::Kind::reject;
        if (!rejecting_zone->message.empty()) {
            v.reply_text = rejecting_zone->message;
        } else if (!rejecting->reason.empty()) {
            v.reply_text = rejecting->reason;
        } else {
            v.reply_text = "Client address listed by " + rejecting_zone->zone;
        }
        return v;
    }
    if (reject_score > 0 && v.score >= reject_score) {
        v.kind = Verdict::Kind::reject;
        v.reply_text =
            "Client address listed by too many block lists (score " + std::to_string(v.score) + ")";
    }
    return v;
}

Lookup::Lookup(std::vector<config::DnsblZone> zones) : zones_(std::move(zones)) {
    results_.resize(zones_.size());
    for (std::size_t i = 0; i < zones_.size(); ++i)
        results_[i].zone = zones_[i].zone;
    remaining_ = zones_.size();
}

std::shared_ptr<Lookup> Lookup::start(dns::Resolver& resolver, std::vector<config::DnsblZone> zones,
                                      const IpAddress& client) {
    auto self = std::make_shared<Lookup>(std::move(zones));
    dns::Resolver* r = &resolver;
    for (std::size_t i = 0; i < self->zones_.size(); ++i) {
        auto name = query_name(client, self->zones_[i].zone);
        r->lookup_a(name, [self, i, r, name](dns::DnsResult<dns::AddressAnswer> answer) {
            const auto& zone = self->zones_[i];
            bool want_reason = false;
            {
                std::lock_guard lock(self->mutex_);
                auto& result = self->results_[i];
                if (answer) {
                    result.state = ZoneResult::State::clear;
                    for (const auto& ip : answer->records) {
                        if (is_listing(zone, ip)) {
                            result.state = ZoneResult::State::listed;
                            result.code = ip.to_string();
                            break;
                        }
                    }
                } else if (dns::is_temporary(answer.error().code)) {
                    result.state = ZoneResult::State::error;
                    result.error = answer.error().to_string();
                } else {
                    result.state = ZoneResult::State::clear;  // NXDOMAIN: not listed
                }
                want_reason = result.state == ZoneResult::State::listed && !zone.allow &&
                              zone.action == config::DnsblAction::reject && zone.message.empty();
            }
            if (!want_reason) {
                self->finish_one();
                return;
            }
            r->lookup_txt(name, [self, i](dns::DnsResult<dns::TxtAnswer> txt) {
                if (txt && !txt->records.empty()) {
                    auto reason = clean_reason(txt->records.front().joined());
                    std::lock_guard lock(self->mutex_);
                    self->results_[i].reason = std::move(reason);
                }
                self->finish_one();
            });
        });
    }
    return self;
}

void Lookup::finish_one() {
    std::move_only_function<void()> ready;
    {
        std::lock_guard lock(mutex_);
        if (remaining_ > 0)
            --remaining_;
        if (remaining_ == 0 && ready_)
            ready = std::exchange(ready_, nullptr);
    }
    if (ready)
        ready();
}

bool Lookup::done() const {
    std::lock_guard lock(mutex_);
    return remaining_ == 0;
}

void Lookup::when_done(std::move_only_function<void()> ready) {
    {
        std::lock_guard lock(mutex_);
        if (remaining_ != 0) {
            ready_ = std::move(ready);
            return;
        }
    }
    ready();
}

std::vector<ZoneResult> Lookup::results() const {
    std::lock_guard lock(mutex_);
    return results_;
}

}  // namespace postern::filter::dnsbl
