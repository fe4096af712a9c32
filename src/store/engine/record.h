// Container record format v1: a fixed 80-byte header (magic, version, flags, lengths, write
// time, SHA-256 of the raw body, CRC-32 of payload and of header) followed by the payload.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "store/api/store_error.h"

namespace postern::store::engine {

inline constexpr std::uint32_t kRecordMagic = 0x31435250;  // "PRC1" little-endian
inline constexpr std::uint16_t kRecordVersion = 1;
inline constexpr std::size_t kRecordHeaderSize = 80;
inline constexpr std::uint64_t kRecordAlign = 64;  // extents start and end on 64-byte bounds
inline constexpr std::uint16_t kRecordZstd = 1;    // payload is one zstd frame

using ContentHash = std::array<unsigned char, 32>;  // SHA-256 of the raw (uncompressed) body

struct RecordHeader {
    std::uint16_t version = kRecordVersion;
    std::uint16_t flags = 0;
    std::uint64_t stored_size = 0;  // payload bytes that follow the header
    std::uint64_t raw_size = 0;     // body bytes after decompression
    std::int64_t written_at = 0;    // seconds since epoch; repair uses it as internal date
    ContentHash hash{};
    std::uint32_t payload_crc = 0;
};

// The bytes a record occupies, header and padding included.
constexpr std::uint64_t record_extent(std::uint64_t stored_size) {
    return (kRecordHeaderSize + stored_size + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
}

std::string encode_record_header(const RecordHeader& h);
// nullopt when the bytes are not a valid v1 header (magic, version, header CRC).
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
