// Parses DNS response messages (RFC 1035 §4.1, name compression §4.1.4, TTLs RFC 2181 §8) into
// the answer and authority records a stub resolver needs. Pure: no I/O, no c-ares.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <variant>
#include <vector>

#include "net/dns/types.h"

namespace postern::net::dns {

namespace rcode {
inline constexpr std::uint8_t kNoError = 0;
inline constexpr std::uint8_t kFormErr = 1;
inline constexpr std::uint8_t kServFail = 2;
inline constexpr std::uint8_t kNxDomain = 3;
inline constexpr std::uint8_t kNotImp = 4;
inline constexpr std::uint8_t kRefused = 5;
}  // namespace rcode

inline constexpr std::uint16_t kTypeSoa = 6;

// The one SOA field negative caching needs (RFC 2308 §5).
struct SoaData {
    std::uint32_t minimum = 0;
};

// One resource record of class IN. Names are lower case without the trailing dot; a label
// byte that is not printable ASCII, or is '.', '\' or a space, appears as \DDD (RFC 1035
// §5.1), so such a name can never equal a valid one.
struct WireRecord {
    std::string owner;
    std::uint16_t type = 0;
    std::uint32_t ttl = 0;  // values with the top bit set read as 0 (RFC 2181 §8)
    // A: IpAddress, AAAA: IpAddress, MX: MxRecord, TXT: TxtRecord, CNAME/PTR: std::string,
    // SOA: SoaData; any other type: monostate (kept so that counts stay honest).
    std::variant<std::monostate, IpAddress, MxRecord, TxtRecord, std::string, SoaData> data;
};

struct Message {
    std::uint16_t id = 0;
    std::uint8_t rcode = 0;
    bool truncated = false;
    std::vector<WireRecord> answers;
    std::vector<WireRecord> authority;  // the additional section is never read: nothing in it
                                        // is trusted or cached
};

// Fails with malformed for anything RFC 1035 does not allow: short buffers, counts larger
// than the records present, rdata overruns, compression pointers that do not point strictly
// backwards (so loops are impossible), names over 255 octets, a message that is not a
// standard-query response. Records of classes other than IN are skipped.
DnsResult<Message> parse_message(std::span<const std::uint8_t> bytes);

}  // namespace postern::net::dns
