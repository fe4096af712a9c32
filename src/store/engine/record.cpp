// Encoding of container record headers (formats v1 and v2, docs/storage.md "Records"),
// hashing, checksums and zstd compression of bodies.
#include "store/engine/record.h"

#include <cstring>
#include <memory>

#include <openssl/evp.h>
#include <zlib.h>
#include <zstd.h>

#include "base/encoding.h"

namespace postern::store::engine {
namespace {

void put16(std::string& s, std::size_t at, std::uint16_t v) {
    for (int i = 0; i < 2; ++i)
        s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put32(std::string& s, std::size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put64(std::string& s, std::size_t at, std::uint64_t v) {
    for (int i = 0; i < 8; ++i)
        s[at + i] = static_cast<char>((v >> (8 * i)) & 0xFF);
}
std::uint64_t get(std::string_view s, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(s[at + i]);
    return v;
}

// v1 (little-endian): 0 magic u32, 4 version u16, 6 flags u16, 8 stored u64, 16 raw u64,
// 24 written_at i64, 32 sha256[32], 64 payload crc u32, 68 reserved, 72 header crc (0..71).
// v2: as v1 up to 64, then 64 payload crc u32, 68 meta size u32, 72 lsn u64, 80 meta crc u32,
// 84 reserved, 88 header crc u32 (over bytes 0..87), 92 reserved.
constexpr std::size_t kHeaderCrcAtV1 = 72;
constexpr std::size_t kHeaderCrcAtV2 = 88;

}  // namespace

std::uint32_t crc32_of(std::string_view bytes) {
    uLong crc = ::crc32(0L, Z_NULL, 0);
    // zlib takes uInt lengths; feed large bodies in slices.
    while (!bytes.empty()) {
        auto n = static_cast<uInt>(std::min<std::size_t>(bytes.size(), 1u << 30));
        crc = ::crc32(crc, reinterpret_cast<const Bytef*>(bytes.data()), n);
        bytes.remove_prefix(n);
    }
    return static_cast<std::uint32_t>(crc);
}

std::uint64_t RecordHeader::extent() const {
    std::uint64_t bytes = header_size() + meta_size + stored_size;
    return (bytes + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
}

std::string encode_record_header(const RecordHeader& h) {
    std::string s(kRecordHeaderSize, '\0');
    put32(s, 0, kRecordMagicV2);
    put16(s, 4, kRecordVersion);
    put16(s, 6, h.flags);
    put64(s, 8, h.stored_size);
    put64(s, 16, h.raw_size);
    put64(s, 24, static_cast<std::uint64_t>(h.written_at));
    std::memcpy(s.data() + 32, h.hash.data(), h.hash.size());
    put32(s, 64, h.payload_crc);
    put32(s, 68, h.meta_size);
    put64(s, 72, h.lsn);
    put32(s, 80, h.meta_crc);
    put32(s, kHeaderCrcAtV2, crc32_of(std::string_view(s).substr(0, kHeaderCrcAtV2)));
    return s;
}

std::optional<RecordHeader> decode_record_header(std::string_view s) {
    if (s.size() < kRecordHeaderSizeV1)
        return std::nullopt;
    RecordHeader h;
    auto magic = get(s, 0, 4);
    if (magic == kRecordMagicV1) {
        if (get(s, kHeaderCrcAtV1, 4) != crc32_of(s.substr(0, kHeaderCrcAtV1)) || get(s, 4, 2) != 1)
            return std::nullopt;
        h.version = 1;
    } else if (magic == kRecordMagicV2) {
        if (s.size() < kRecordHeaderSize ||
            get(s, kHeaderCrcAtV2, 4) != crc32_of(s.substr(0, kHeaderCrcAtV2)) || get(s, 4, 2) != 2)
            return std::nullopt;
        h.version = 2;
        h.meta_size = static_cast<std::uint32_t>(get(s, 68, 4));
        h.lsn = get(s, 72, 8);
        h.meta_crc = static_cast<std::uint32_t>(get(s, 80, 4));
    } else {
        return std::nullopt;
    }
    h.flags = static_cast<std::uint16_t>(get(s, 6, 2));
    h.stored_size = get(s, 8, 8);
    h.raw_size = get(s, 16, 8);
    h.written_at = static_cast<std::int64_t>(get(s, 24, 8));
    std::memcpy(h.hash.data(), s.data() + 32, h.hash.size());
    h.payload_crc = static_cast<std::uint32_t>(get(s, 64, 4));
    // A reference-only v2 record carries no payload; a lying size is damage, not a body.
    if (h.version == 2 && !(h.flags & kRecordHasBody) && h.stored_size != 0)
        return std::nullopt;
    return h;
}

ContentHash content_hash(std::string_view raw) {
    ContentHash h{};
    unsigned int len = 0;
    EVP_Digest(raw.data(), raw.size(), h.data(), &len, EVP_sha256(), nullptr);
    return h;
}

std::string hash_hex(const ContentHash& h) {
    return hex_encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}

std::optional<ContentHash> hash_from_hex(std::string_view hex) {
    auto bytes = hex_decode(hex);
    if (!bytes || bytes->size() != 32)
        return std::nullopt;
    ContentHash h{};
    std::memcpy(h.data(), bytes->data(), 32);
    return h;
}

PreparedBody prepare_body(std::string_view raw, bool compress, std::uint64_t threshold, int level) {
    PreparedBody b;
    b.hash = content_hash(raw);
    b.raw_size = raw.size();
    if (compress && raw.size() >= threshold) {
        // One context per thread: ZSTD_compress() would allocate and initialise a fresh one
        // (its tables alone) for every body, a large part of the cost for typical mail sizes.
        thread_local std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(),
                                                                               &ZSTD_freeCCtx);
        std::string out(ZSTD_compressBound(raw.size()), '\0');
        auto n =
            ZSTD_compressCCtx(cctx.get(), out.data(), out.size(), raw.data(), raw.size(), level);
        // Keep compression only when it saves at least 1/16: incompressible attachments
        // would otherwise pay decompression on every fetch for nothing.
        if (!ZSTD_isError(n) && n < raw.size() - raw.size() / 16) {
            out.resize(n);
            b.payload = std::move(out);
            b.flags = kRecordZstd;
        }
    }
    if (b.flags == 0)
        b.payload.assign(raw);
    b.payload_crc = crc32_of(b.payload);
    return b;
}

StoreResult<std::string> decode_payload(const RecordHeader& h, std::string_view payload) {
    if (!(h.flags & kRecordZstd)) {
        if (payload.size() != h.raw_size)
            return store_fail(StoreErrc::corrupt, "stored size does not match raw size");
        return std::string(payload);
    }
    std::string out(h.raw_size, '\0');
    auto n = ZSTD_decompress(out.data(), out.size(), payload.data(), payload.size());
    if (ZSTD_isError(n) || n != h.raw_size)
        return store_fail(StoreErrc::corrupt, "zstd frame does not decode to the recorded size");
    return out;
}

}  // namespace postern::store::engine
