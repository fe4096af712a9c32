// Record metadata block v1: "PRM", a version byte, then LEB128 varints and length-prefixed
// strings (docs/storage.md "Records"). Decoding checks every length against what is left.
#include "store/engine/record_meta.h"

namespace postern::store::engine {
namespace {

constexpr std::string_view kMagic = "PRM";
constexpr std::uint64_t kMaxEntries = 1u << 20;
constexpr std::uint64_t kMaxString = 64u << 10;

void put_varint(std::string& out, std::uint64_t v) {
    while (v >= 0x80) {
        out += static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    out += static_cast<char>(v);
}
void put_signed(std::string& out, std::int64_t v) {
    // Zigzag, so small negative dates stay short.
    put_varint(out, (static_cast<std::uint64_t>(v) << 1) ^ static_cast<std::uint64_t>(v >> 63));
}
void put_string(std::string& out, std::string_view s) {
    put_varint(out, s.size());
    out.append(s);
}

class Reader {
  public:
    explicit Reader(std::string_view s) : s_(s) {}
    bool varint(std::uint64_t& v) {
        v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= s_.size())
                return false;
            auto b = static_cast<unsigned char>(s_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if (!(b & 0x80))
                return true;
        }
        return false;
    }
    bool u32(std::uint32_t& v) {
        std::uint64_t x = 0;
        if (!varint(x) || x > 0xFFFFFFFFu)
            return false;
        v = static_cast<std::uint32_t>(x);
        return true;
    }
    bool signed64(std::int64_t& v) {
        std::uint64_t x = 0;
        if (!varint(x))
            return false;
        v = static_cast<std::int64_t>((x >> 1) ^ (~(x & 1) + 1));
        return true;
    }
    bool string(std::string& out) {
        std::uint64_t n = 0;
        if (!varint(n) || n > kMaxString || n > s_.size() - pos_)
            return false;
        out.assign(s_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    bool done() const { return pos_ == s_.size(); }

  private:
    std::string_view s_;
    std::size_t pos_ = 0;
};

}  // namespace

std::string encode_record_meta(const std::vector<RefEntry>& entries) {
    std::string out(kMagic);
    out += static_cast<char>(kRecordMetaVersion);
    put_varint(out, entries.size());
    for (auto& e : entries) {
        put_string(out, e.account);
        put_string(out, e.msg_guid);
        put_string(out, e.mailbox_guid);
        put_varint(out, e.uidvalidity);
        put_varint(out, e.uid);
        put_varint(out, e.modseq);
        put_varint(out, e.flags);
        put_varint(out, e.keywords.size());
        for (auto& k : e.keywords)
            put_string(out, k);
        put_signed(out, e.internal_date);
        put_signed(out, e.save_date);
    }
    return out;
}

std::optional<std::vector<RefEntry>> decode_record_meta(std::string_view bytes) {
    if (bytes.size() < kMagic.size() + 1 || bytes.substr(0, kMagic.size()) != kMagic ||
        static_cast<unsigned char>(bytes[kMagic.size()]) != kRecordMetaVersion)
        return std::nullopt;
    Reader r(bytes.substr(kMagic.size() + 1));
    std::uint64_t count = 0;
    if (!r.varint(count) || count > kMaxEntries)
        return std::nullopt;
    std::vector<RefEntry> out;
    for (std::uint64_t i = 0; i < count; ++i) {
        RefEntry e;
        std::uint64_t nkw = 0;
        if (!r.string(e.account) || !r.string(e.msg_guid) || !r.string(e.mailbox_guid) ||
            !r.u32(e.uidvalidity) || !r.u32(e.uid) || !r.varint(e.modseq) || !r.u32(e.flags) ||
            !r.varint(nkw) || nkw > 64)
            return std::nullopt;
        e.keywords.resize(static_cast<std::size_t>(nkw));
        for (auto& k : e.keywords)
            if (!r.string(k))
                return std::nullopt;
        if (!r.signed64(e.internal_date) || !r.signed64(e.save_date))
            return std::nullopt;
        out.push_back(std::move(e));
    }
    if (!r.done())
        return std::nullopt;
    return out;
}

}  // namespace postern::store::engine
