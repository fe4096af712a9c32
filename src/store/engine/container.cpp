// Container file I/O (format v1, docs/storage.md "Container files"): header, positional
// record reads/writes with checksum verification, and a resynchronising scan for check and
// journal recovery.
#include "store/engine/container.h"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fs.h"
#include "store/engine/file_sync.h"
#include "store/engine/sqlite.h"

namespace postern::store::engine {
namespace {

constexpr char kFileMagic[8] = {'P', 'S', 'T', 'C', 'N', 'T', 'R', '1'};

std::string file_header(std::string_view store_id, std::uint32_t number) {
    std::string h(kContainerHeaderSize, '\0');
    std::memcpy(h.data(), kFileMagic, 8);
    for (int i = 0; i < 4; ++i)
        h[8 + i] = static_cast<char>((kContainerVersion >> (8 * i)) & 0xFF);
    for (int i = 0; i < 4; ++i)
        h[12 + i] = static_cast<char>((number >> (8 * i)) & 0xFF);
    std::memcpy(h.data() + 16, store_id.data(), std::min<std::size_t>(store_id.size(), 32));
    auto crc = crc32_of(std::string_view(h).substr(0, 48));
    for (int i = 0; i < 4; ++i)
        h[48 + i] = static_cast<char>((crc >> (8 * i)) & 0xFF);
    return h;
}

StoreError io_error(const std::string& what, const std::filesystem::path& p, int err) {
    return StoreError{StoreErrc::io, what + " " + p.string() + ": " + errno_text(err), {}};
}

}  // namespace

std::string container_file_name(std::uint32_t number) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04u.pcf", number);
    return buf;
}

StoreResult<std::unique_ptr<Container>> Container::create(const std::filesystem::path& path,
                                                          std::string_view store_id,
                                                          std::uint32_t number, bool fsync) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    if (fd < 0)
        return store_fail(io_error("create", path, errno));
    std::unique_ptr<Container> c(new Container(path, fd, number));
    if (auto s = c->write_raw(0, file_header(store_id, number)); !s)
        return store_fail(s.error());
    if (fsync) {
        if (auto s = c->sync(); !s)
            return store_fail(s.error());
        if (auto s = fsync_directory(path.parent_path()); !s)
            return store_fail(StoreErrc::io, s.error().message);
    }
    return c;
}

StoreResult<std::unique_ptr<Container>> Container::open(const std::filesystem::path& path,
                                                        std::string_view store_id,
                                                        std::uint32_t number) {
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return store_fail(StoreErrc::not_found, "missing container " + path.string());
        return store_fail(io_error("open", path, errno));
    }
    std::unique_ptr<Container> c(new Container(path, fd, number));
    auto h = c->pread(0, kContainerHeaderSize);
    if (!h)
        return store_fail(h.error());
    if (h->size() != kContainerHeaderSize || std::memcmp(h->data(), kFileMagic, 8) != 0 ||
        h->substr(0, 48) != file_header(store_id, number).substr(0, 48))
        return store_fail(StoreErrc::corrupt, "container " + path.string() +
                                                  " has a bad header or belongs to another store");
    return c;
}

Container::~Container() {
    if (fd_ >= 0)
        ::close(fd_);
}

StoreResult<std::uint64_t> Container::file_size() const {
    struct stat st {};
    if (::fstat(fd_, &st) != 0)
        return store_fail(io_error("stat", path_, errno));
    return static_cast<std::uint64_t>(st.st_size);
}

StoreStatus Container::write_raw(std::uint64_t offset, std::string_view bytes) {
    if (auto* o = durability_observer())
        o->before_write(path_, offset, bytes.size());
    std::size_t done = 0;
    while (done < bytes.size()) {
        auto n = ::pwrite(fd_, bytes.data() + done, bytes.size() - done,
                          static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return store_fail(io_error("write", path_, errno));
        }
        done += static_cast<std::size_t>(n);
    }
    return {};
}

StoreStatus Container::write_record(std::uint64_t offset, RecordHeader h, std::string_view meta,
                                    std::string_view payload) {
    h.version = kRecordVersion;
    h.meta_size = static_cast<std::uint32_t>(meta.size());
    h.meta_crc = crc32_of(meta);
    h.stored_size = payload.size();
    h.payload_crc = crc32_of(payload);
    // One buffer, one pwrite: header, metadata, payload and padding land together.
    std::string buf = encode_record_header(h);
    buf.append(meta);
    buf.append(payload);
    buf.resize(h.extent(), '\0');
    return write_raw(offset, buf);
}

StoreStatus Container::sync() {
    return sync_fd(fd_, path_);
}

StoreStatus Container::truncate(std::uint64_t size) {
    if (auto* o = durability_observer())
        o->before_resize(path_, size);
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
        return store_fail(io_error("truncate", path_, errno));
    return {};
}

StoreResult<std::string> Container::pread(std::uint64_t offset, std::uint64_t length) const {
    std::string out(length, '\0');
    std::size_t done = 0;
    while (done < length) {
        auto n = ::pread(fd_, out.data() + done, length - done, static_cast<off_t>(offset + done));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return store_fail(io_error("read", path_, errno));
        }
        if (n == 0)
            break;
        done += static_cast<std::size_t>(n);
    }
    out.resize(done);
    return out;
}

StoreResult<Container::Record> Container::read_record(std::uint64_t offset,
                                                      const ContentHash* expected) const {
    auto where = [&] { return path_.filename().string() + " offset " + std::to_string(offset); };
    auto head = pread(offset, kRecordHeaderSize);
    if (!head)
        return store_fail(head.error());
    auto h = decode_record_header(*head);
    if (!h)
        return store_fail(StoreErrc::corrupt, "bad record header at " + where());
    if (expected && h->hash != *expected)
        return store_fail(StoreErrc::corrupt, "record at " + where() + " holds another body");
    if (!h->has_body())
        return store_fail(StoreErrc::corrupt, "record at " + where() + " holds no body");
    auto rest = pread(offset + h->header_size(), std::uint64_t{h->meta_size} + h->stored_size);
    if (!rest)
        return store_fail(rest.error());
    if (rest->size() != std::uint64_t{h->meta_size} + h->stored_size)
        return store_fail(StoreErrc::corrupt, "record at " + where() + " is truncated");
    Record r{*h, rest->substr(0, h->meta_size), rest->substr(h->meta_size)};
    if (h->version >= 2 && crc32_of(r.meta) != h->meta_crc)
        return store_fail(StoreErrc::corrupt, "metadata checksum mismatch at " + where());
    if (crc32_of(r.payload) != h->payload_crc)
        return store_fail(StoreErrc::corrupt, "payload checksum mismatch at " + where());
    return r;
}

StoreStatus Container::scan(std::uint64_t begin, std::uint64_t end,
                            const std::function<bool(const ScanItem&)>& visit) const {
    // Regions are read in large chunks: a scan is mostly skipping records and zeros.
    constexpr std::uint64_t kChunk = 4u << 20;
    // Past the end of the file there is nothing (a region may reach beyond what was written).
    STORE_TRY(size, file_size());
    end = std::min(end, size);
    std::string chunk;
    std::uint64_t chunk_at = 0;
    auto bytes_at = [&](std::uint64_t off, std::uint64_t len) -> StoreResult<std::string_view> {
        if (off < chunk_at || off + len > chunk_at + chunk.size()) {
            chunk_at = off;
            STORE_TRY(data, pread(off, std::max(len, std::min(kChunk, end - off))));
            chunk = std::move(data);
            if (chunk.size() < len)
                return std::string_view(chunk);
        }
        auto in = off - chunk_at;
        if (in >= chunk.size())
            return std::string_view();
        return std::string_view(chunk).substr(in, len);
    };
    std::uint64_t off = std::max<std::uint64_t>(begin, kContainerHeaderSize);
    off = (off + kRecordAlign - 1) / kRecordAlign * kRecordAlign;
    while (off + kRecordHeaderSizeV1 <= end) {
        STORE_TRY(head, bytes_at(off, std::min<std::uint64_t>(kRecordHeaderSize, end - off)));
        auto h = decode_record_header(head);
        if (!h || off + h->extent() > end) {
            off += kRecordAlign;
            continue;
        }
        STORE_TRY(body,
                  bytes_at(off + h->header_size(), std::uint64_t{h->meta_size} + h->stored_size));
        bool intact = body.size() == std::uint64_t{h->meta_size} + h->stored_size;
        std::string_view meta = intact ? body.substr(0, h->meta_size) : std::string_view();
        if (intact && h->version >= 2)
            intact = crc32_of(meta) == h->meta_crc;
        if (intact)
            intact = crc32_of(body.substr(h->meta_size)) == h->payload_crc;
        if (!visit(ScanItem{off, *h, intact, meta}))
            return {};
        // An intact record's bytes are all its own; a damaged one may be an older record that
        // newer, smaller ones have partly overwritten, so look inside it.
        off += intact ? h->extent() : kRecordAlign;
    }
    return {};
}

}  // namespace postern::store::engine
