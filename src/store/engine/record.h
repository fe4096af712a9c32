// Container record formats (docs/storage.md "Records"): v2 is a 96-byte header (magic, version,
// flags, lengths, write time, SHA-256 of the raw body, CRCs, journal sequence number) followed
// by a self-describing metadata block and the payload; v1 (80-byte header, no metadata) is
// still read. Hashing, checksums and zstd compression of bodies live here too.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/api/store_error.h"

namespace postern::store::engine {

inline constexpr std::uint32_t kRecordMagicV1 = 0x31435250;  // "PRC1" little-endian
inline constexpr std::uint32_t kRecordMagicV2 = 0x32435250;  // "PRC2" little-endian
inline constexpr std::uint16_t kRecordVersion = 2;           // what the writer writes
inline constexpr std::size_t kRecordHeaderSizeV1 = 80;
inline constexpr std::size_t kRecordHeaderSize = 96;  // v2
inline constexpr std::uint64_t kRecordAlign = 64;     // extents start and end on 64-byte bounds
inline constexpr std::uint16_t kRecordZstd = 1;       // payload is one zstd frame
inline constexpr std::uint16_t kRecordHasBody = 2;    // v2: a payload follows the metadata

using ContentHash = std::array<unsigned char, 32>;  // SHA-256 of the raw (uncompressed) body

struct RecordHeader {
    std::uint16_t version = kRecordVersion;
    std::uint16_t flags = 0;
    std::uint64_t stored_size = 0;  // payload bytes (0 for a reference-only record)
    std::uint64_t raw_size = 0;     // body bytes after decompression
    std::int64_t written_at = 0;    // seconds since epoch; repair uses it as internal date
    ContentHash hash{};
    std::uint32_t payload_crc = 0;
    std::uint32_t meta_size = 0;  // v2: bytes of metadata between header and payload
    std::uint32_t meta_crc = 0;
    std::uint64_t lsn = 0;  // v2: the store's journal sequence number (0 in v1)

    bool has_body() const { return version == 1 || (flags & kRecordHasBody); }
    std::size_t header_size() const {
        return version == 1 ? kRecordHeaderSizeV1 : kRecordHeaderSize;
    }
    std::uint64_t payload_offset() const { return header_size() + meta_size; }
    // The bytes the record occupies, header, metadata and padding included.
    std::uint64_t extent() const;
};

// The bytes a v2 record with this much metadata and payload occupies.
constexpr std::uint64_t record_extent(std::uint64_t meta_size, std::uint64_t stored_size) {
    return (kRecordHeaderSize + meta_size + stored_size + kRecordAlign - 1) / kRecordAlign *
           kRecordAlign;
}

// Always encodes v2 (the only version the writer produces).
std::string encode_record_header(const RecordHeader& h);
// nullopt when the bytes are not a valid v1 or v2 header (magic, version, header CRC).
// `bytes` must hold at least kRecordHeaderSize bytes for v2 (kRecordHeaderSizeV1 for v1).
std::optional<RecordHeader> decode_record_header(std::string_view bytes);

ContentHash content_hash(std::string_view raw);
std::string hash_hex(const ContentHash& h);
std::optional<ContentHash> hash_from_hex(std::string_view hex);
std::uint32_t crc32_of(std::string_view bytes);

// A body prepared for the container: compressed when worth it. Done by the caller's thread so
// the single writer only copies bytes.
struct PreparedBody {
    ContentHash hash{};
    std::string payload;
    std::uint64_t raw_size = 0;
    std::uint16_t flags = 0;
    std::uint32_t payload_crc = 0;
};
PreparedBody prepare_body(std::string_view raw, bool compress, std::uint64_t threshold, int level);
// Turns a payload back into the raw body; checks size against the header.
StoreResult<std::string> decode_payload(const RecordHeader& h, std::string_view payload);

}  // namespace postern::store::engine
