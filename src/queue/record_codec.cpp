// Record framing and tagged fields for the queue's status files (docs/queue.md "Status file").
#include "queue/record_codec.h"

#include <cstring>

#include <zlib.h>

namespace postern::queue {

namespace {

void put_u32(std::string& out, std::uint32_t v) {
    for (int i = 0; i < 4; ++i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_u16(std::string& out, std::uint16_t v) {
    out += static_cast<char>(v & 0xff);
    out += static_cast<char>(v >> 8);
}

std::uint32_t get_u32(std::string_view b, std::size_t pos) {
    std::uint32_t v = 0;
    for (int i = 3; i >= 0; --i)
        v = (v << 8) | static_cast<unsigned char>(b[pos + i]);
    return v;
}

std::uint16_t get_u16(std::string_view b, std::size_t pos) {
    return static_cast<std::uint16_t>(static_cast<unsigned char>(b[pos]) |
                                      (static_cast<unsigned char>(b[pos + 1]) << 8));
}

}  // namespace

std::uint32_t crc32_of(std::string_view bytes, std::uint32_t crc) {
    return static_cast<std::uint32_t>(
        ::crc32_z(crc, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()));
}

std::string encode_file_header(std::uint16_t version) {
    std::string h(kStatusMagic);
    put_u16(h, version);
    put_u16(h, static_cast<std::uint16_t>(kFileHeaderSize));
    put_u32(h, 0);  // reserved
    put_u32(h, crc32_of(h));
    return h;
}

std::optional<std::uint16_t> decode_file_header(std::string_view bytes) {
    if (bytes.size() < kFileHeaderSize)
        return std::nullopt;
    if (bytes.substr(0, 4) != kStatusMagic)
        return std::nullopt;
    if (get_u32(bytes, 12) != crc32_of(bytes.substr(0, 12)))
        return std::nullopt;
    if (get_u16(bytes, 6) != kFileHeaderSize)
        return std::nullopt;
    return get_u16(bytes, 4);
}

void append_record(std::string& out, std::uint8_t type, std::string_view payload) {
    auto start = out.size();
    put_u32(out, static_cast<std::uint32_t>(payload.size()));
    out += static_cast<char>(type);
    out.append(payload);
    put_u32(out, crc32_of(std::string_view(out).substr(start)));
}

RecordScan scan_records(std::string_view bytes, std::size_t offset) {
    RecordScan scan;
    std::size_t pos = offset;
    scan.good_end = pos;
    while (pos < bytes.size()) {
        std::size_t left = bytes.size() - pos;
        if (left < 5) {
            scan.end = ScanEnd::torn;
            scan.error = "record header cut short at offset " + std::to_string(pos);
            return scan;
        }
        std::uint32_t len = get_u32(bytes, pos);
        if (len > kMaxRecordPayload) {
            // An impossible length in the last few bytes could still be a torn header, but
            // a header is written in one piece with its record: call it damage.
            scan.end = ScanEnd::corrupt;
            scan.error =
                "record length " + std::to_string(len) + " at offset " + std::to_string(pos);
            return scan;
        }
        std::size_t total = kRecordOverhead + len;
        if (left < total) {
            scan.end = ScanEnd::torn;
            scan.error = "record cut short at offset " + std::to_string(pos);
            return scan;
        }
        auto body = bytes.substr(pos, total - 4);
        if (get_u32(bytes, pos + total - 4) != crc32_of(body)) {
            bool last = pos + total == bytes.size();
            scan.end = last ? ScanEnd::torn : ScanEnd::corrupt;
            scan.error = "record checksum mismatch at offset " + std::to_string(pos);
            return scan;
        }
        scan.records.push_back(
            RawRecord{static_cast<std::uint8_t>(bytes[pos + 4]), bytes.substr(pos + 5, len), pos});
        pos += total;
        scan.good_end = pos;
    }
    return scan;
}

void append_varint(std::string& out, std::uint64_t value) {
    while (value >= 0x80) {
        out += static_cast<char>((value & 0x7f) | 0x80);
        value >>= 7;
    }
    out += static_cast<char>(value);
}

std::optional<std::uint64_t> read_varint(std::string_view bytes, std::size_t& pos) {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= bytes.size())
            return std::nullopt;
        auto b = static_cast<unsigned char>(bytes[pos++]);
        if (shift == 63 && (b & 0x7e))
            return std::nullopt;  // would overflow 64 bits
        v |= static_cast<std::uint64_t>(b & 0x7f) << shift;
        if (!(b & 0x80))
            return v;
    }
    return std::nullopt;
}

void FieldWriter::put(std::uint8_t tag, std::string_view bytes) {
    out_ += static_cast<char>(tag);
    append_varint(out_, bytes.size());
    out_.append(bytes);
}

void FieldWriter::put_uint(std::uint8_t tag, std::uint64_t value) {
    std::string v;
    append_varint(v, value);
    put(tag, v);
}

std::optional<std::uint64_t> Field::as_uint() const {
    std::size_t pos = 0;
    auto v = read_varint(bytes, pos);
    if (!v || pos != bytes.size())
        return std::nullopt;
    return v;
}

std::optional<std::vector<Field>> read_fields(std::string_view payload) {
    std::vector<Field> fields;
    std::size_t pos = 0;
    while (pos < payload.size()) {
        auto tag = static_cast<std::uint8_t>(payload[pos++]);
        auto len = read_varint(payload, pos);
        if (!len || *len > payload.size() - pos)
            return std::nullopt;
        fields.push_back(Field{tag, payload.substr(pos, *len)});
        pos += *len;
    }
    return fields;
}

}  // namespace postern::queue
