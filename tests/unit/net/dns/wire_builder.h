// Builds DNS messages byte by byte for parser tests (RFC 1035 §4.1), including broken ones.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace postern::net::dns::testing {

class WireBuilder {
  public:
    // A response header: QR set, the given RCODE and flags (TC = 0x0200).
    WireBuilder& header(std::uint16_t qd, std::uint16_t an, std::uint16_t ns, std::uint16_t ar,
                        std::uint8_t rcode = 0, std::uint16_t extra_flags = 0) {
        u16(0x1234);
        u16(static_cast<std::uint16_t>(0x8180 | extra_flags | rcode));
        u16(qd).u16(an).u16(ns).u16(ar);
        return *this;
    }
    WireBuilder& name(std::string_view dotted) {
        while (!dotted.empty()) {
            auto dot = dotted.find('.');
            auto label = dotted.substr(0, dot);
            bytes_.push_back(static_cast<std::uint8_t>(label.size()));
            bytes_.insert(bytes_.end(), label.begin(), label.end());
            dotted = dot == std::string_view::npos ? std::string_view{} : dotted.substr(dot + 1);
        }
        bytes_.push_back(0);
        return *this;
    }
    // Labels, then a compression pointer instead of the root label.
    WireBuilder& name_then_pointer(std::string_view dotted_prefix, std::uint16_t offset) {
        name(dotted_prefix);
        bytes_.pop_back();
        return pointer(offset);
    }
    WireBuilder& pointer(std::uint16_t offset) {
        return u16(static_cast<std::uint16_t>(0xC000 | offset));
    }
    WireBuilder& question(std::string_view qname, std::uint16_t type) {
        return name(qname).u16(type).u16(1);
    }
    // Owner name, type, class IN, TTL, then rdata (already encoded).
    WireBuilder& rr(std::string_view owner, std::uint16_t type, std::uint32_t ttl,
                    const std::vector<std::uint8_t>& rdata, std::uint16_t klass = 1) {
        name(owner);
        return rr_tail(type, ttl, rdata, klass);
    }
    WireBuilder& rr_tail(std::uint16_t type, std::uint32_t ttl,
                         const std::vector<std::uint8_t>& rdata, std::uint16_t klass = 1) {
        u16(type).u16(klass).u32(ttl).u16(static_cast<std::uint16_t>(rdata.size()));
        bytes_.insert(bytes_.end(), rdata.begin(), rdata.end());
        return *this;
    }
    WireBuilder& u8(std::uint8_t v) {
        bytes_.push_back(v);
        return *this;
    }
    WireBuilder& u16(std::uint16_t v) {
        bytes_.push_back(static_cast<std::uint8_t>(v >> 8));
        bytes_.push_back(static_cast<std::uint8_t>(v));
        return *this;
    }
    WireBuilder& u32(std::uint32_t v) {
        return u16(static_cast<std::uint16_t>(v >> 16)).u16(static_cast<std::uint16_t>(v));
    }
    WireBuilder& raw(const std::vector<std::uint8_t>& b) {
        bytes_.insert(bytes_.end(), b.begin(), b.end());
        return *this;
    }

    std::size_t size() const { return bytes_.size(); }
    const std::vector<std::uint8_t>& bytes() const { return bytes_; }

    static std::vector<std::uint8_t> encoded_name(std::string_view dotted) {
        WireBuilder b;
        b.name(dotted);
        return b.bytes_;
    }

  private:
    std::vector<std::uint8_t> bytes_;
};

}  // namespace postern::net::dns::testing
