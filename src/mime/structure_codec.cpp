// Binary encoding of MessageStructure: "PMS" magic, a version byte, then LEB128 varints and
// length-prefixed strings. Decoding checks every length and index against the blob.
#include "mime/structure_codec.h"

#include <climits>
#include <cstdint>

namespace postern::mime {
namespace {

constexpr std::string_view kMagic = "PMS";

class Writer {
  public:
    void u8(std::uint8_t v) { out_ += static_cast<char>(v); }
    void varint(std::uint64_t v) {
        while (v >= 0x80) {
            out_ += static_cast<char>((v & 0x7F) | 0x80);
            v >>= 7;
        }
        out_ += static_cast<char>(v);
    }
    void str(std::string_view s) {
        varint(s.size());
        out_.append(s);
    }
    void opt(const std::optional<std::string>& s) {
        u8(s ? 1 : 0);
        if (s)
            str(*s);
    }
    void params(const std::vector<Param>& ps) {
        varint(ps.size());
        for (const auto& p : ps) {
            str(p.name);
            str(p.value);
            u8(p.quoted ? 1 : 0);
        }
    }
    void addresses(const std::vector<EnvelopeAddress>& list) {
        varint(list.size());
        for (const auto& a : list) {
            opt(a.name);
            opt(a.adl);
            opt(a.mailbox);
            opt(a.host);
        }
    }
    std::string take() { return std::move(out_); }
    std::string& out() { return out_; }

  private:
    std::string out_;
};

class Reader {
  public:
    explicit Reader(std::string_view in) : in_(in) {}

    bool ok() const { return ok_; }
    bool at_end() const { return pos_ == in_.size(); }
    std::size_t remaining() const { return in_.size() - pos_; }

    std::uint8_t u8() {
        if (pos_ >= in_.size())
            return fail_u8();
        return static_cast<std::uint8_t>(in_[pos_++]);
    }
    std::uint64_t varint() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (pos_ >= in_.size())
                return fail_u64();
            auto b = static_cast<std::uint8_t>(in_[pos_++]);
            v |= static_cast<std::uint64_t>(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return v;
        }
        return fail_u64();
    }
    // A count of items that each take at least `min_bytes`: bounded by what is left.
    std::size_t count(std::size_t min_bytes) {
        std::uint64_t n = varint();
        if (!ok_ || n > remaining() / min_bytes) {
            ok_ = false;
            return 0;
        }
        return static_cast<std::size_t>(n);
    }
    std::string str() {
        std::uint64_t n = varint();
        if (!ok_ || n > remaining()) {
            ok_ = false;
            return {};
        }
        std::string s(in_.substr(pos_, static_cast<std::size_t>(n)));
        pos_ += static_cast<std::size_t>(n);
        return s;
    }
    std::optional<std::string> opt() {
        std::uint8_t present = u8();
        if (present > 1)
            ok_ = false;
        if (present != 1 || !ok_)
            return std::nullopt;
        return str();
    }
    std::vector<Param> params() {
        std::vector<Param> ps(count(3));
        for (auto& p : ps) {
            p.name = str();
            p.value = str();
            p.quoted = boolean();
        }
        return ps;
    }
    bool boolean() {
        std::uint8_t b = u8();
        if (b > 1)
            ok_ = false;
        return b == 1;
    }
    std::vector<EnvelopeAddress> addresses() {
        std::vector<EnvelopeAddress> list(count(4));
        for (auto& a : list) {
            a.name = opt();
            a.adl = opt();
            a.mailbox = opt();
            a.host = opt();
        }
        return list;
    }

  private:
    std::uint8_t fail_u8() {
        ok_ = false;
        return 0;
    }
    std::uint64_t fail_u64() {
        ok_ = false;
        return 0;
    }

    std::string_view in_;
    std::size_t pos_ = 0;
    bool ok_ = true;
};

void write_envelope(Writer& w, const Envelope& e) {
    w.opt(e.date);
    w.opt(e.subject);
    w.addresses(e.from);
    w.addresses(e.sender);
    w.addresses(e.reply_to);
    w.addresses(e.to);
    w.addresses(e.cc);
    w.addresses(e.bcc);
    w.opt(e.in_reply_to);
    w.opt(e.message_id);
}

Envelope read_envelope(Reader& r) {
    Envelope e;
    e.date = r.opt();
    e.subject = r.opt();
    e.from = r.addresses();
    e.sender = r.addresses();
    e.reply_to = r.addresses();
    e.to = r.addresses();
    e.cc = r.addresses();
    e.bcc = r.addresses();
    e.in_reply_to = r.opt();
    e.message_id = r.opt();
    return e;
}

}  // namespace

std::string encode_structure(const MessageStructure& s) {
    Writer w;
    w.out().append(kMagic);
    w.u8(kStructureFormatVersion);
    w.varint(s.size);
    w.varint(s.parts.size());
    for (const auto& p : s.parts) {
        w.u8(static_cast<std::uint8_t>(p.kind));
        w.str(p.type);
        w.str(p.subtype);
        w.params(p.params);
        w.opt(p.id);
        w.opt(p.description);
        w.str(p.encoding);
        w.opt(p.md5);
        w.opt(p.disposition);
        w.params(p.disposition_params);
        w.varint(p.languages.size());
        for (const auto& l : p.languages)
            w.str(l);
        w.opt(p.location);
        w.varint(p.size);
        w.varint(p.lines);
        w.varint(p.header_start);
        w.varint(p.body_start);
        w.varint(p.body_end);
        w.u8(static_cast<std::uint8_t>(p.transfer));
        w.varint(p.children.size());
        for (auto c : p.children)
            w.varint(c);
        w.varint(static_cast<std::uint64_t>(p.envelope + 1));
    }
    w.varint(s.envelopes.size());
    for (const auto& e : s.envelopes)
        write_envelope(w, e);
    return w.take();
}

Result<MessageStructure> decode_structure(std::string_view blob) {
    if (!blob.starts_with(kMagic))
        return fail(Errc::corrupt, "structure blob: bad magic");
    blob.remove_prefix(kMagic.size());
    if (blob.empty() || static_cast<unsigned char>(blob.front()) != kStructureFormatVersion) {
        return fail(Errc::corrupt, "structure blob: unknown version");
    }
    Reader r(blob.substr(1));
    MessageStructure s;
    s.size = r.varint();
    s.parts.resize(r.count(20));
    for (auto& p : s.parts) {
        std::uint8_t kind = r.u8();
        if (kind > static_cast<std::uint8_t>(BodyPart::Kind::multipart)) {
            return fail(Errc::corrupt, "structure blob: bad part kind");
        }
        p.kind = static_cast<BodyPart::Kind>(kind);
        p.type = r.str();
        p.subtype = r.str();
        p.params = r.params();
        p.id = r.opt();
        p.description = r.opt();
        p.encoding = r.str();
        p.md5 = r.opt();
        p.disposition = r.opt();
        p.disposition_params = r.params();
        p.languages.resize(r.count(1));
        for (auto& l : p.languages)
            l = r.str();
        p.location = r.opt();
        p.size = r.varint();
        p.lines = r.varint();
        p.header_start = r.varint();
        p.body_start = r.varint();
        p.body_end = r.varint();
        std::uint8_t transfer = r.u8();
        if (transfer > static_cast<std::uint8_t>(TransferEncoding::unknown)) {
            return fail(Errc::corrupt, "structure blob: bad transfer encoding");
        }
        p.transfer = static_cast<TransferEncoding>(transfer);
        p.children.resize(r.count(1));
        for (auto& c : p.children)
            c = static_cast<std::uint32_t>(r.varint());
        std::uint64_t envelope = r.varint();
        if (envelope > static_cast<std::uint64_t>(INT32_MAX)) {
            return fail(Errc::corrupt, "structure blob: bad envelope index");
        }
        p.envelope = static_cast<std::int32_t>(envelope) - 1;
        if (!r.ok())
            return fail(Errc::corrupt, "structure blob: truncated part");
        if (p.header_start > p.body_start || p.body_start > p.body_end || p.body_end > s.size) {
            return fail(Errc::corrupt, "structure blob: offsets out of order");
        }
    }
    s.envelopes.resize(r.count(10));
    for (auto& e : s.envelopes)
        e = read_envelope(r);
    if (!r.ok())
        return fail(Errc::corrupt, "structure blob: truncated");
    if (!r.at_end())
        return fail(Errc::corrupt, "structure blob: trailing bytes");
    for (std::size_t i = 0; i < s.parts.size(); ++i) {
        const auto& p = s.parts[i];
        for (auto c : p.children) {
            // Children always follow their parent in document order; this also rules out cycles.
            if (c <= i || c >= s.parts.size())
                return fail(Errc::corrupt, "structure blob: bad child");
        }
        if (p.envelope < -1 || p.envelope >= static_cast<std::int32_t>(s.envelopes.size())) {
            return fail(Errc::corrupt, "structure blob: bad envelope index");
        }
    }
    return s;
}

}  // namespace postern::mime
