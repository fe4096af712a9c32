// Framing of the queue's status files (format in docs/queue.md "Status file"): a 16-byte file
// header, then typed records [u32 length][u8 type][payload][u32 CRC-32 of all before it], each
// payload a list of tagged fields [u8 tag][varint length][bytes]. Pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::queue {

inline constexpr std::string_view kStatusMagic = "PQST";
inline constexpr std::size_t kFileHeaderSize = 16;
inline constexpr std::size_t kRecordOverhead = 9;              // length, type, CRC
inline constexpr std::uint32_t kMaxRecordPayload = 16u << 20;  // larger lengths are corruption

std::uint32_t crc32_of(std::string_view bytes, std::uint32_t crc = 0);

std::string encode_file_header(std::uint16_t version);
// The version, or nullopt when the magic or the header CRC is wrong (or bytes are too few).
std::optional<std::uint16_t> decode_file_header(std::string_view bytes);

void append_record(std::string& out, std::uint8_t type, std::string_view payload);

struct RawRecord {
    std::uint8_t type = 0;
    std::string_view payload;
    std::uint64_t offset = 0;  // of the record's first byte in the scanned bytes
};

enum class ScanEnd : std::uint8_t {
    clean,    // the bytes end exactly after a good record
    torn,     // the last record is incomplete, or complete up to EOF but fails its CRC
    corrupt,  // a record before the last fails its CRC or has an impossible length
};

struct RecordScan {
    std::vector<RawRecord> records;  // the good records before the end
    ScanEnd end = ScanEnd::clean;
    std::uint64_t good_end = 0;  // offset just after the last good record
    std::string error;           // what was wrong when not clean
};

// Scans records starting at `offset`. A torn tail is what a crash in mid-append leaves, so it
// is told apart from damage in the middle of the file, which is corruption.
RecordScan scan_records(std::string_view bytes, std::size_t offset);

// Tagged fields inside a record payload.
class FieldWriter {
  public:
    explicit FieldWriter(std::string& out) : out_(out) {}
    void put(std::uint8_t tag, std::string_view bytes);
    void put_uint(std::uint8_t tag, std::uint64_t value);
    // Strings and numbers equal to their default are left out to keep records small.
    void put_nonempty(std::uint8_t tag, std::string_view bytes) {
        if (!bytes.empty())
            put(tag, bytes);
    }
    void put_nonzero(std::uint8_t tag, std::uint64_t value) {
        if (value != 0)
            put_uint(tag, value);
    }

  private:
    std::string& out_;
};

struct Field {
    std::uint8_t tag = 0;
    std::string_view bytes;
    std::optional<std::uint64_t> as_uint() const;  // nullopt when not one whole varint
};

// Splits a payload into fields; nullopt when a length runs past the end.
std::optional<std::vector<Field>> read_fields(std::string_view payload);

void append_varint(std::string& out, std::uint64_t value);
// Reads a varint at `pos`, advancing it; nullopt when truncated or longer than 10 bytes.
std::optional<std::uint64_t> read_varint(std::string_view bytes, std::size_t& pos);

}  // namespace postern::queue
