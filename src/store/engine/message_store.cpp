// Message store: store.meta, container files, catalog, the public operations that queue work
// for the single writer, body reads, sequence-number pins and checkpoints (docs/storage.md
// "Commit path"). The writer's batch logic is in store_writer.cpp.
#include "store/engine/message_store.h"

#include <chrono>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/encoding.h"
#include "base/fs.h"
#include "base/random.h"
#include "base/strings.h"
#include "store/engine/message_store_op.h"

namespace postern::store::engine {
namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

LsnPin& LsnPin::operator=(LsnPin&& o) noexcept {
    if (this != &o) {
        reset();
        store_ = o.store_;
        lsn_ = o.lsn_;
        o.store_ = nullptr;
    }
    return *this;
}

void LsnPin::reset() {
    if (store_)
        store_->unpin(lsn_);
    store_ = nullptr;
}

StoreResult<std::string> load_or_create_store_meta(const std::filesystem::path& dir, bool fsync) {
    auto meta = dir / "store.meta";
    std::error_code ec;
    if (std::filesystem::exists(meta, ec)) {
        auto text = read_file(meta);
        if (!text)
            return store_fail(StoreErrc::io, text.error().message);
        auto lines = split(*text, '\n');
        if (lines.size() < 2 || trim(lines[0]) != "postern-message-store 1" ||
            !istarts_with(lines[1], "id ") || trim(lines[1].substr(3)).size() != 32)
            return store_fail(StoreErrc::corrupt, meta.string() + " is not a v1 store.meta");
        return std::string(trim(lines[1].substr(3)));
    }
    std::filesystem::create_directories(dir / "containers", ec);
    if (ec)
        return store_fail(StoreErrc::io, "create " + dir.string() + ": " + ec.message());
    std::string id = hex_encode(random_bytes(16));
    std::string text =
        "postern-message-store 1\nid " + id + "\ncreated " + std::to_string(now_seconds()) + "\n";
    // write_file_atomic syncs the file and its directory; with fsync off that costs little.
    (void)fsync;
    if (auto s = write_file_atomic(meta, text, 0640); !s)
        return store_fail(StoreErrc::io, s.error().message);
    return id;
}

MessageStore::MessageStore(MessageStoreOptions options, const StoreOptions& common,
                           log::Logger logger)
    : options_(std::move(options)),
      fsync_(common.fsync),
      max_batch_(std::max<std::uint32_t>(1, common.max_batch)),
      region_bytes_(std::max<std::uint64_t>(common.journal_region_bytes, 64u << 10)),
      log_(std::move(logger)) {}

StoreResult<std::unique_ptr<MessageStore>> MessageStore::open(const MessageStoreOptions& options,
                                                              const StoreOptions& common,
                                                              log::Logger logger) {
    if (options.max_file_size < (1u << 16) || options.max_files == 0)
        return store_fail(StoreErrc::invalid_argument,
                          "max_file_size must be >= 64 KiB and max_files >= 1");
    std::unique_ptr<MessageStore> s(new MessageStore(options, common, std::move(logger)));
    STORE_CHECK(s->start());
    return s;
}

StoreStatus MessageStore::start() {
    std::error_code ec;
    std::filesystem::create_directories(options_.path, ec);
    if (ec)
        return store_fail(StoreErrc::io, "create " + options_.path.string() + ": " + ec.message());
    auto lock_path = options_.path / "store.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lock_fd_ < 0)
        return store_fail(StoreErrc::io, "open " + lock_path.string() + ": " + errno_text(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
        return store_fail(StoreErrc::busy, "message store " + options_.path.string() +
                                               " is in use by another process");
    STORE_TRY(id, load_or_create_store_meta(options_.path, fsync_));
    id_ = id;
    std::filesystem::create_directories(options_.path / "containers", ec);
    auto catalog = options_.path / "catalog.db";
    STORE_TRY(db, Db::open(catalog, true, fsync_));
    db_ = std::move(db);
    STORE_CHECK(catalog_init(*db_, id_));
    space_ = std::make_unique<SpaceAllocator>(options_.max_file_size, options_.max_files,
                                              kContainerHeaderSize);
    STORE_CHECK(catalog_load_space(*db_, *space_));
    // Regions left by the last run are only to be scanned by recovery, never written again.
    STORE_TRY(regions, catalog_journal_regions(*db_));
    for (auto& r : regions)
        regions_.push_back(Region{r, r.length, 0, true});
    STORE_TRY(durable, catalog_meta(*db_, "durable_lsn"));
    durable_lsn_ = parse_uint(durable).value_or(0);
    next_lsn_ = durable_lsn_ + 1;
    completed_lsn_ = checked_lsn_ = durable_lsn_;
    for (auto no : space_->containers()) {
        auto path = options_.path / "containers" / container_file_name(no);
        auto c = Container::open(path, id_, no);
        if (!c) {
            // A container created but never committed (crash right after creation) is empty.
            if (c.error().code == StoreErrc::not_found) {
                auto created = Container::create(path, id_, no, fsync_);
                if (!created)
                    return store_fail(created.error());
                containers_[no] = std::move(*created);
                continue;
            }
            return store_fail(c.error());
        }
        containers_[no] = std::move(*c);
    }
    readers_ = std::make_unique<ReadPool>(catalog, fsync_);
    refresh_free_bytes();
    writer_ = std::thread([this] { writer_loop(); });
    return {};
}

MessageStore::~MessageStore() {
    {
        std::lock_guard lock(queue_mu_);
        stopping_ = true;
    }
    queue_cv_.notify_all();
    if (writer_.joinable())
        writer_.join();
    readers_.reset();
    db_.reset();
    if (lock_fd_ >= 0)
        ::close(lock_fd_);
}

bool MessageStore::serves(std::string_view domain) const {
    if (options_.domains.empty())
        return true;
    for (auto& d : options_.domains)
        if (iequals(d, domain))
            return true;
    return false;
}

void MessageStore::refresh_free_bytes() {
    free_bytes_.store(space_->free_bytes(), std::memory_order_relaxed);
}

const Container* MessageStore::container(std::uint32_t no) const {
    std::shared_lock lock(containers_mu_);
    auto it = containers_.find(no);
    return it == containers_.end() ? nullptr : it->second.get();
}

std::vector<std::uint32_t> MessageStore::container_numbers() const {
    std::shared_lock lock(containers_mu_);
    std::vector<std::uint32_t> out;
    for (auto& [no, c] : containers_)
        out.push_back(no);
    return out;
}

StoreResult<Container*> MessageStore::container_for_write(std::uint32_t no, bool create) {
    {
        std::shared_lock lock(containers_mu_);
        auto it = containers_.find(no);
        if (it != containers_.end())
            return it->second.get();
    }
    if (!create)
        return store_fail(StoreErrc::not_found, "no container " + std::to_string(no));
    auto path = options_.path / "containers" / container_file_name(no);
    std::error_code ec;
    // A file left by a crash before its first commit holds nothing referenced: start over.
    std::filesystem::remove(path, ec);
    STORE_TRY(c, Container::create(path, id_, no, fsync_));
    std::unique_lock lock(containers_mu_);
    auto* raw = c.get();
    containers_[no] = std::move(c);
    return raw;
}

void MessageStore::submit(std::unique_ptr<Op> op) {
    {
        std::lock_guard lock(queue_mu_);
        if (!stopping_) {
            queue_.push_back(std::move(op));
            op = nullptr;
        }
    }
    if (op) {
        op->finish(store_fail(StoreErrc::busy, "message store is shutting down"));
        return;
    }
    queue_cv_.notify_one();
}

StoreStatus MessageStore::submit_and_wait(std::unique_ptr<Op> op) {
    auto fut = op->done.get_future();
    submit(std::move(op));
    return fut.get();
}

std::future<StoreStatus> MessageStore::submit_record(JournalRequest& request) {
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::record;
    op->request = &request;
    request.status = store_fail(StoreErrc::internal, "record not written");
    request.attempted = false;
    request.written_to = nullptr;
    auto fut = op->done.get_future();
    submit(std::move(op));
    return fut;
}

StoreStatus MessageStore::write_record(JournalRequest& request) {
    return submit_record(request).get();
}

StoreStatus MessageStore::add_refs(std::vector<std::pair<ContentHash, BodyRef>> refs,
                                   std::vector<char>* found) {
    if (found)
        found->assign(refs.size(), 0);
    if (refs.empty())
        return {};
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::add_refs;
    op->hashed_refs = std::move(refs);
    op->found = found;
    return submit_and_wait(std::move(op));
}

StoreStatus MessageStore::drop_refs(const std::string& account, std::vector<std::string> guids) {
    if (guids.empty())
        return {};
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::drop_refs;
    op->account = account;
    op->guids = std::move(guids);
    return submit_and_wait(std::move(op));
}

StoreStatus MessageStore::move_refs(const std::string& account, std::vector<std::string> guids,
                                    const std::string& mailbox_guid) {
    if (guids.empty())
        return {};
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::move_refs;
    op->account = account;
    op->guids = std::move(guids);
    op->mailbox_guid = mailbox_guid;
    return submit_and_wait(std::move(op));
}

StoreStatus MessageStore::set_hint(const std::string& account, const std::string& mailbox_guid,
                                   const std::string& name) {
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::hint;
    op->account = account;
    op->mailbox_guid = mailbox_guid;
    op->name = name;
    return submit_and_wait(std::move(op));
}

StoreStatus MessageStore::exclusive(std::function<StoreStatus(WriterAccess&)> fn) {
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::exclusive;
    op->fn = std::move(fn);
    return submit_and_wait(std::move(op));
}

void MessageStore::unpin(std::uint64_t lsn) {
    std::lock_guard lock(pins_mu_);
    if (auto it = pins_.find(lsn); it != pins_.end())
        pins_.erase(it);
}

std::uint64_t MessageStore::applied_horizon() const {
    std::lock_guard lock(pins_mu_);
    if (pins_.empty())
        return completed_lsn_;
    return std::min(completed_lsn_, *pins_.begin() - 1);
}

std::uint64_t MessageStore::unchecked_records() const {
    std::lock_guard lock(pins_mu_);
    return completed_lsn_ > checked_lsn_ ? completed_lsn_ - checked_lsn_ : 0;
}

void MessageStore::set_compacting(std::optional<std::uint32_t> container) {
    compacting_ = container;
    if (container)
        for (auto& r : regions_)
            if (r.extent.container == *container)
                r.closed = true;
}

StoreResult<std::string> MessageStore::read(const ContentHash& hash) const {
    // Two tries: compaction may move the body between the lookup and the read.
    StoreError last;
    for (int attempt = 0; attempt < 2; ++attempt) {
        STORE_TRY(lease, readers_->acquire());
        STORE_TRY(s, lease->prepare("SELECT container, offset FROM bodies WHERE hash=?"));
        s->bind_blob(1, std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
        STORE_TRY(row, s->step());
        if (!row)
            return store_fail(StoreErrc::not_found,
                              "body " + hash_hex(hash) + " is not in store " + id_);
        auto no = static_cast<std::uint32_t>(s->i64(0));
        auto offset = static_cast<std::uint64_t>(s->i64(1));
        s->reset();
        const Container* c = container(no);
        if (!c) {
            last =
                StoreError{StoreErrc::corrupt,
                           "container " + std::to_string(no) + " of store " + id_ + " is missing",
                           {}};
            continue;
        }
        auto rec = c->read_record(offset, &hash);
        if (!rec) {
            last = rec.error();
            last.message =
                "store " + id_ + " container " + std::to_string(no) + ": " + last.message;
            continue;
        }
        auto raw = decode_payload(rec->header, rec->payload);
        if (!raw) {
            last = raw.error();
            last.message = "store " + id_ + " body " + hash_hex(hash) + ": " + last.message;
            continue;
        }
        return raw;
    }
    return store_fail(std::move(last));
}

}  // namespace postern::store::engine
