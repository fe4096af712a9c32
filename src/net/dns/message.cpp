// DNS response parsing: header, question skipping, resource records, compressed names
// (RFC 1035 §4.1.1–§4.1.4, §3.3, §3.4.1; RFC 3596 §2.2; RFC 2181 §8).
#include "net/dns/message.h"

#include <array>
#include <cstring>

#include "base/strings.h"

namespace postern::net::dns {

namespace {

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kRecordFixedSize = 10;  // type, class, ttl, rdlength
constexpr std::size_t kMaxWireName = 255;
constexpr std::uint16_t kClassIn = 1;
constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeCname = 5;
constexpr std::uint16_t kTypePtr = 12;
constexpr std::uint16_t kTypeMx = 15;
constexpr std::uint16_t kTypeTxt = 16;
constexpr std::uint16_t kTypeAaaa = 28;

class Reader {
  public:
    explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}

    std::size_t size() const { return bytes_.size(); }
    bool has(std::size_t pos, std::size_t n) const {
        return pos <= bytes_.size() && n <= bytes_.size() - pos;
    }
    std::uint8_t u8(std::size_t pos) const { return bytes_[pos]; }
    std::uint16_t u16(std::size_t pos) const {
        return static_cast<std::uint16_t>((bytes_[pos] << 8) | bytes_[pos + 1]);
    }
    std::uint32_t u32(std::size_t pos) const {
        return (std::uint32_t{bytes_[pos]} << 24) | (std::uint32_t{bytes_[pos + 1]} << 16) |
               (std::uint32_t{bytes_[pos + 2]} << 8) | std::uint32_t{bytes_[pos + 3]};
    }
    const std::uint8_t* at(std::size_t pos) const { return bytes_.data() + pos; }

    // Reads the name at `pos` into `out` and moves `pos` past it (past the first pointer if
    // compressed). Every pointer must point before the start of the labels it continues:
    // compressors only point at names already written, and the rule makes loops impossible.
    bool name(std::size_t& pos, std::string& out) const {
        out.clear();
        std::size_t p = pos;
        std::size_t segment_start = pos;
        std::size_t wire = 1;  // the terminating root label
        bool jumped = false;
        while (true) {
            if (!has(p, 1))
                return false;
            std::uint8_t len = u8(p);
            if ((len & 0xC0) == 0xC0) {
                if (!has(p, 2))
                    return false;
                std::size_t target = static_cast<std::size_t>(u16(p) & 0x3FFF);
                if (target >= segment_start)
                    return false;
                if (!jumped)
                    pos = p + 2;
                jumped = true;
                p = segment_start = target;
                continue;
            }
            if ((len & 0xC0) != 0)
                return false;  // extended label types (RFC 6891 §5) are gone
            if (len == 0) {
                if (!jumped)
                    pos = p + 1;
                if (!out.empty())
                    out.pop_back();  // the trailing dot
                return true;
            }
            wire += std::size_t{len} + 1;
            if (wire > kMaxWireName || !has(p + 1, len))
                return false;
            append_label(out, at(p + 1), len);
            out.push_back('.');
            p += 1 + std::size_t{len};
        }
    }

  private:
    static void append_label(std::string& out, const std::uint8_t* label, std::size_t len) {
        for (std::size_t i = 0; i < len; ++i) {
            auto c = static_cast<char>(label[i]);
            if (label[i] <= 0x20 || label[i] >= 0x7f || c == '.' || c == '\\') {
                char escaped[5];
                escaped[0] = '\\';
                escaped[1] = static_cast<char>('0' + label[i] / 100);
                escaped[2] = static_cast<char>('0' + label[i] / 10 % 10);
                escaped[3] = static_cast<char>('0' + label[i] % 10);
                escaped[4] = '\0';
                out += escaped;
            } else {
                out.push_back(ascii_lower(c));
            }
        }
    }

    std::span<const std::uint8_t> bytes_;
};

DnsResult<WireRecord> malformed(std::string what) {
    return dns_fail(DnsErrc::malformed, "malformed DNS answer: " + std::move(what));
}

// Decodes the rdata of the types the resolver uses; `end` is where the rdata stops.
bool decode_rdata(const Reader& r, std::size_t pos, std::size_t end, WireRecord& rec) {
    std::size_t len = end - pos;
    switch (rec.type) {
        case kTypeA: {
            if (len != 4)
                return false;
            rec.data = IpAddress::from_v4(r.u32(pos));
            return true;
        }
        case kTypeAaaa: {
            if (len != 16)
                return false;
            std::array<std::uint8_t, 16> bytes{};
            std::memcpy(bytes.data(), r.at(pos), 16);
            rec.data = IpAddress::from_bytes(bytes);
            return true;
        }
        case kTypeMx: {
            if (len < 3)
                return false;
            MxRecord mx;
            mx.preference = r.u16(pos);
            std::size_t p = pos + 2;
            if (!r.name(p, mx.exchange) || p != end)
                return false;
            rec.data = std::move(mx);
            return true;
        }
        case kTypeCname:
        case kTypePtr: {
            std::string target;
            std::size_t p = pos;
            if (!r.name(p, target) || p != end)
                return false;
            rec.data = std::move(target);
            return true;
        }
        case kTypeTxt: {
            TxtRecord txt;
            std::size_t p = pos;
            while (p < end) {
                std::size_t n = r.u8(p);
                if (n > end - p - 1)
                    return false;
                txt.strings.emplace_back(reinterpret_cast<const char*>(r.at(p + 1)), n);
                p += 1 + n;
            }
            rec.data = std::move(txt);
            return true;
        }
        case kTypeSoa: {
            std::string mname, rname;
            std::size_t p = pos;
            if (!r.name(p, mname) || !r.name(p, rname))
                return false;
            if (end < p || end - p != 20)
                return false;
            rec.data = SoaData{r.u32(p + 16)};
            return true;
        }
        default:
            return true;
    }
}

// Reads one record at `pos` and moves past it; `keep` is false for a record of another
// class, which the caller skips.
DnsResult<WireRecord> read_record(const Reader& r, std::size_t& pos, bool& keep) {
    WireRecord rec;
    if (!r.name(pos, rec.owner))
        return malformed("bad owner name");
    if (!r.has(pos, kRecordFixedSize))
        return malformed("record header runs past the end");
    rec.type = r.u16(pos);
    std::uint16_t klass = r.u16(pos + 2);
    std::uint32_t ttl = r.u32(pos + 4);
    rec.ttl = (ttl & 0x80000000u) != 0 ? 0 : ttl;
    std::size_t rdlength = r.u16(pos + 8);
    pos += kRecordFixedSize;
    if (!r.has(pos, rdlength))
        return malformed("record data runs past the end");
    std::size_t end = pos + rdlength;
    keep = klass == kClassIn;
    if (keep && !decode_rdata(r, pos, end, rec)) {
        return malformed("bad " + std::to_string(rec.type) + " record data for " + rec.owner);
    }
    pos = end;
    return rec;
}

}  // namespace

DnsResult<Message> parse_message(std::span<const std::uint8_t> bytes) {
    Reader r(bytes);
    if (!r.has(0, kHeaderSize))
        return dns_fail(DnsErrc::malformed, "DNS answer shorter than its header");
    Message m;
    m.id = r.u16(0);
    std::uint16_t flags = r.u16(2);
    bool response = (flags & 0x8000) != 0;
    unsigned opcode = (flags >> 11) & 0x0F;
    if (!response || opcode != 0) {
        return dns_fail(DnsErrc::malformed, "DNS message is not a standard query response");
    }
    m.truncated = (flags & 0x0200) != 0;
    m.rcode = static_cast<std::uint8_t>(flags & 0x000F);
    std::size_t qdcount = r.u16(4);
    std::size_t ancount = r.u16(6);
    std::size_t nscount = r.u16(8);

    std::size_t pos = kHeaderSize;
    std::string scratch;
    for (std::size_t i = 0; i < qdcount; ++i) {
        if (!r.name(pos, scratch) || !r.has(pos, 4)) {
            return dns_fail(DnsErrc::malformed, "malformed DNS answer: bad question section");
        }
        pos += 4;
    }
    // Each record takes at least 11 bytes: a count claiming more than fit is caught below
    // without reserving memory for it.
    for (std::size_t section = 0; section < 2; ++section) {
        std::size_t count = section == 0 ? ancount : nscount;
        auto& out = section == 0 ? m.answers : m.authority;
        for (std::size_t i = 0; i < count; ++i) {
            bool keep = false;
            auto rec = read_record(r, pos, keep);
            if (!rec)
                return std::unexpected(std::move(rec.error()));
            if (keep)
                out.push_back(std::move(*rec));
        }
    }
    return m;
}

}  // namespace postern::net::dns
