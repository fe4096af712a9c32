// One container file (NNNN.pcf) of a message store: a 64-byte file header, then records (v1 or
// v2, record.h) at 64-byte aligned offsets. Positional I/O only, so readers never disturb the
// writer.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/api/store_error.h"
#include "store/engine/record.h"

namespace postern::store::engine {

inline constexpr std::uint64_t kContainerHeaderSize = 64;
inline constexpr std::uint32_t kContainerVersion = 1;

std::string container_file_name(std::uint32_t number);  // 7 -> "0007.pcf"

// Thread-safety: read_record/pread may run on any thread concurrently with each other and
// with write/sync (pread/pwrite on one fd are safe); write/truncate/sync only from the
// store's single writer thread.
class Container {
  public:
    // Creates a new file with its header (durably, with the directory entry) or opens one.
    static StoreResult<std::unique_ptr<Container>> create(const std::filesystem::path& path,
                                                          std::string_view store_id,
                                                          std::uint32_t number, bool fsync);
    static StoreResult<std::unique_ptr<Container>> open(const std::filesystem::path& path,
                                                        std::string_view store_id,
                                                        std::uint32_t number);
    ~Container();
    Container(const Container&) = delete;
    Container& operator=(const Container&) = delete;

    std::uint32_t number() const { return number_; }
    const std::filesystem::path& path() const { return path_; }
    StoreResult<std::uint64_t> file_size() const;

    // Writes a v2 record (header, metadata, payload, padding) at `offset`, which the caller
    // allocated; fills in the header's sizes and CRCs of `meta` and `payload`.
    StoreStatus write_record(std::uint64_t offset, RecordHeader h, std::string_view meta,
                             std::string_view payload);
    StoreStatus write_raw(std::uint64_t offset, std::string_view bytes);
    StoreStatus sync();  // fdatasync
    StoreStatus truncate(std::uint64_t size);

    StoreResult<std::string> pread(std::uint64_t offset, std::uint64_t length) const;
    // Reads and verifies the record at `offset`: header, metadata and payload CRCs, and (when
    // given) that it holds the expected content hash. Returns header, metadata and payload
    // (still compressed).
    struct Record {
        RecordHeader header;
        std::string meta;
        std::string payload;
    };
    StoreResult<Record> read_record(std::uint64_t offset,
                                    const ContentHash* expected = nullptr) const;

    // Walks [begin, end) (begin 64-byte aligned), calling `visit` for each record whose header
    // is valid and resynchronising on 64-byte boundaries after garbage (freed space). A record
    // whose metadata or payload fails its CRC is reported with intact = false and skipped 64
    // bytes at a time (its bytes may hide newer records); an intact one is skipped whole.
    // `meta` is valid during the call only. `visit` returns false to stop.
    struct ScanItem {
        std::uint64_t offset;
        RecordHeader header;
        bool intact;
        std::string_view meta;
    };
    StoreStatus scan(std::uint64_t begin, std::uint64_t end,
                     const std::function<bool(const ScanItem&)>& visit) const;

  private:
    Container(std::filesystem::path path, int fd, std::uint32_t number)
        : path_(std::move(path)), fd_(fd), number_(number) {}

    std::filesystem::path path_;
    int fd_ = -1;
    std::uint32_t number_ = 0;
};

}  // namespace postern::store::engine
