// PROXY protocol v1 (text) and v2 (binary) header parsing, as sent by HAProxy and other load
// balancers in front of a listener (haproxy.org/download/2.8/doc/proxy-protocol.txt).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/ip_address.h"

namespace postern::net {

struct ProxyHeader {
    bool local = false;  // v2 LOCAL command or v1 UNKNOWN: keep the real peer address
    IpAddress source;
    std::uint16_t source_port = 0;
    IpAddress destination;
    std::uint16_t destination_port = 0;
};

struct ProxyParse {
    enum class Kind { need_more, done, invalid } kind = Kind::need_more;
    std::size_t consumed = 0;  // header length when done
    ProxyHeader header;
    std::string error;
};

// Parses a header at the start of `data`. need_more until the whole header is buffered;
// invalid for anything that is not a well-formed v1/v2 header (the connection is then closed).
// Never looks past 536 bytes (v1 max 107, v2 16 + up to 520 of addresses/TLVs we accept).
ProxyParse parse_proxy_header(std::string_view data);

}  // namespace postern::net
