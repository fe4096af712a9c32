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

}  // namespace postern::net::dns
