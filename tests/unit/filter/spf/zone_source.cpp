// ZoneSource: zonedata of the SPF suites as DNS answers (zone_source.h).
#include "spf/zone_source.h"

#include "base/strings.h"

namespace postern::filter::spf::testing {

namespace dns = net::dns;

const dns::DnsResult<dns::RecordSet>* ZoneSource::find(std::string_view name,
                                                       dns::RecordType type) const {
    auto key = std::make_pair(std::string(name), type);
    auto it = memo_.find(key);
    if (it == memo_.end())
        it = memo_.emplace(key, resolve(std::string(name), type, 0)).first;
    return &it->second;
}

dns::DnsResult<dns::RecordSet> ZoneSource::resolve(const std::string& name, dns::RecordType type,
                                                   int depth) const {
    if (depth > 8)
        return dns::dns_fail(dns::DnsErrc::malformed, "CNAME loop at " + name);
    std::string key = to_lower(name);
    if (!key.empty() && key.back() == '.')
        key.pop_back();
    if (!zone_.contains(key))
        return dns::dns_fail(dns::DnsErrc::nxdomain, name);
    const auto& entries = zone_[key];
    bool has_txt = false;
    for (const auto& e : entries)
        if (e[0] == "TXT")
            has_txt = true;
    dns::RecordSet set;
    set.name = key;
    set.type = type;
    set.canonical_name = key;
    set.ttl = 300;
    std::vector<IpAddress> ips;
    std::vector<dns::MxRecord> mx;
    std::vector<dns::TxtRecord> txt;
    std::vector<std::string> names;
    for (const auto& e : entries) {
        std::string t = e[0];
        const auto& v = e[1];
        if (t == "TIMEOUT") {
            bool found = !ips.empty() || !mx.empty() || !txt.empty() || !names.empty();
            if (!found)
                return dns::dns_fail(dns::DnsErrc::timeout, "timeout at " + name);
            break;
        }
        if (t == "CNAME" && type != dns::RecordType::cname)
            return resolve(v.get<std::string>(), type, depth + 1);
        if ((t == "A" && type == dns::RecordType::a) ||
            (t == "AAAA" && type == dns::RecordType::aaaa)) {
            if (auto ip = IpAddress::parse(v.get<std::string>())) {
                if (ip->is_v4() == (type == dns::RecordType::a))
                    ips.push_back(*ip);
            }
        } else if (t == "MX" && type == dns::RecordType::mx) {
            std::string host = to_lower(v[1].get<std::string>());
            if (!host.empty() && host.back() == '.')
                host.pop_back();
            mx.push_back({static_cast<std::uint16_t>(v[0].get<int>()), host});
        } else if (type == dns::RecordType::txt &&
                   ((has_txt && t == "TXT") || (!has_txt && t == "SPF"))) {
            if (v.is_null())
                continue;
            dns::TxtRecord r;
            for (const auto& s : v)
                r.strings.push_back(s.get<std::string>());
            txt.push_back(std::move(r));
        } else if ((t == "PTR" && type == dns::RecordType::ptr) ||
                   (t == "CNAME" && type == dns::RecordType::cname)) {
            std::string n = v.get<std::string>();
            if (!n.empty() && n.back() == '.')
                n.pop_back();
            names.push_back(n);
        }
    }
    if (!ips.empty())
        set.records = std::move(ips);
    else if (!mx.empty())
        set.records = std::move(mx);
    else if (!txt.empty())
        set.records = std::move(txt);
    else if (!names.empty())
        set.records = std::move(names);
    else
        return dns::dns_fail(dns::DnsErrc::nodata, name);
    return set;
}

}  // namespace postern::filter::spf::testing
