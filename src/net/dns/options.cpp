// Parsing of nameserver addresses for the resolver options ("IP", "IP:port", "[IPv6]:port").
#include "net/dns/options.h"

#include "base/strings.h"

namespace postern::net::dns {

std::string Nameserver::to_string() const {
    if (address.is_v4())
        return address.to_string() + ":" + std::to_string(port);
    return "[" + address.to_string() + "]:" + std::to_string(port);
}

std::optional<Nameserver> parse_nameserver(std::string_view raw) {
    auto text = trim(raw);
    if (text.empty())
        return std::nullopt;
    // A bare address first: an IPv6 address has colons of its own.
    if (auto address = IpAddress::parse(text))
        return Nameserver{*address, 53};
    auto hp = HostPort::parse(text);
    if (!hp)
        return std::nullopt;
    auto address = IpAddress::parse(hp->host);
    if (!address)
        return std::nullopt;
    return Nameserver{*address, hp->port};
}

Status validate(const ResolverOptions& o) {
    using std::chrono::milliseconds;
    if (o.timeout < milliseconds(10) || o.timeout > milliseconds(60000))
        return fail(Errc::invalid_argument, "dns.timeout must be between 10ms and 60s");
    if (o.tries < 1 || o.tries > 10)
        return fail(Errc::invalid_argument, "dns.tries must be between 1 and 10");
    if (o.edns_udp_size < 512 || o.edns_udp_size > 4096)
        return fail(Errc::invalid_argument, "dns.edns_udp_size must be between 512 and 4096");
    if (o.max_ttl.count() < 0 || o.negative_ttl_max.count() < 0 || o.failure_ttl.count() < 0)
        return fail(Errc::invalid_argument, "dns TTL limits must not be negative");
    if (o.max_answers < 1)
        return fail(Errc::invalid_argument, "dns.max_answers must be at least 1");
    if (o.max_txt_size < 255)
        return fail(Errc::invalid_argument, "dns.max_txt_size must be at least 255");
    if (o.max_name_length < 1 || o.max_name_length > 253)
        return fail(Errc::invalid_argument, "dns.max_name_length must be between 1 and 253");
    if (o.max_cname_chain > 32)
        return fail(Errc::invalid_argument, "dns.max_cname_chain must be at most 32");
    return ok();
}

}  // namespace postern::net::dns
