// Message store: store.meta, container files, catalog, and the single writer thread that
// group-commits bodies and references (write order: body fdatasync -> catalog commit).
#include "store/engine/message_store.h"

#include <chrono>
#include <set>
#include <unordered_map>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/encoding.h"
#include "base/fs.h"
#include "base/random.h"
#include "base/strings.h"

namespace postern::store::engine {
namespace {

std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

struct HashKey {
    std::size_t operator()(const ContentHash& h) const {
        std::size_t v = 0;
        std::memcpy(&v, h.data(), sizeof v);
        return v;
    }
};

}  // namespace

struct MessageStore::Op {
    enum class Kind { put, add_refs, drop_refs, move_refs, hint, exclusive } kind;
    const PreparedBody* body = nullptr;
    ContentHash hash{};
    std::vector<BodyRef> refs;
    std::vector<std::pair<ContentHash, BodyRef>> hashed_refs;
    std::vector<char>* found = nullptr;
    std::string account;
    std::vector<std::string> guids;
    std::string mailbox_guid;
    std::string name;
    std::function<StoreStatus(WriterAccess&)> fn;
    std::promise<StoreStatus> done;
    // Scratch of the batch that runs this op.
    StoreStatus result;
    std::int64_t body_id = 0;
    bool wrote = false;
    Extent extent;
    Op* same_as = nullptr;  // an earlier put of the same body in this batch
};

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
    if (fsync) {
        if (auto s = write_file_atomic(meta, text, 0640); !s)
            return store_fail(StoreErrc::io, s.error().message);
    } else if (auto s = write_file_atomic(meta, text, 0640); !s) {
        return store_fail(StoreErrc::io, s.error().message);
    }
    return id;
}

MessageStore::MessageStore(MessageStoreOptions options, const StoreOptions& common,
                           log::Logger logger)
    : options_(std::move(options)),
      fsync_(common.fsync),
      max_batch_(std::max<std::uint32_t>(1, common.max_batch)),
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

StoreStatus MessageStore::submit(std::unique_ptr<Op> op) {
    auto fut = op->done.get_future();
    {
        std::lock_guard lock(queue_mu_);
        if (stopping_)
            return store_fail(StoreErrc::busy, "message store is shutting down");
        queue_.push_back(std::move(op));
    }
    queue_cv_.notify_one();
    return fut.get();
}

StoreStatus MessageStore::put(const PreparedBody& body, std::vector<BodyRef> refs) {
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::put;
    op->body = &body;
    op->hash = body.hash;
    op->refs = std::move(refs);
    return submit(std::move(op));
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
    return submit(std::move(op));
}

StoreStatus MessageStore::drop_refs(const std::string& account, std::vector<std::string> guids) {
    if (guids.empty())
        return {};
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::drop_refs;
    op->account = account;
    op->guids = std::move(guids);
    return submit(std::move(op));
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
    return submit(std::move(op));
}

StoreStatus MessageStore::set_hint(const std::string& account, const std::string& mailbox_guid,
                                   const std::string& name) {
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::hint;
    op->account = account;
    op->mailbox_guid = mailbox_guid;
    op->name = name;
    return submit(std::move(op));
}

StoreStatus MessageStore::exclusive(std::function<StoreStatus(WriterAccess&)> fn) {
    auto op = std::make_unique<Op>();
    op->kind = Op::Kind::exclusive;
    op->fn = std::move(fn);
    return submit(std::move(op));
}

StoreStatus MessageStore::preallocate(Container& c, std::uint64_t needed) {
    // Records written inside already-allocated, already-written blocks make fdatasync a pure
    // data flush; growing the file on every record would also journal its size each time
    // (measured: ~2x the durable write rate). So the file grows in zero-filled steps.
    constexpr std::uint64_t kStep = 2u << 20;
    auto it = prealloc_.find(c.number());
    if (it == prealloc_.end()) {
        STORE_TRY(size, c.file_size());
        it = prealloc_.emplace(c.number(), size).first;
    }
    if (needed <= it->second)
        return {};
    std::uint64_t target =
        std::min<std::uint64_t>((needed + kStep - 1) / kStep * kStep, options_.max_file_size);
    target = std::max(target, needed);
    static const std::string zeros(256u << 10, '\0');
    for (std::uint64_t off = it->second; off < target;) {
        auto n = std::min<std::uint64_t>(zeros.size(), target - off);
        STORE_CHECK(c.write_raw(off, std::string_view(zeros).substr(0, n)));
        off += n;
    }
    it->second = target;
    return {};
}

void MessageStore::forget_preallocation(std::uint32_t no) {
    prealloc_.erase(no);
}

void MessageStore::writer_loop() {
    for (;;) {
        std::vector<std::unique_ptr<Op>> batch;
        {
            std::unique_lock lock(queue_mu_);
            queue_cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty())
                return;
            if (queue_.front()->kind == Op::Kind::exclusive) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            } else {
                while (!queue_.empty() && batch.size() < max_batch_ &&
                       queue_.front()->kind != Op::Kind::exclusive) {
                    batch.push_back(std::move(queue_.front()));
                    queue_.pop_front();
                }
            }
        }
        run_batch(batch);
        for (auto& op : batch)
            op->done.set_value(std::move(op->result));
    }
}

void MessageStore::run_batch(std::vector<std::unique_ptr<Op>>& batch) {
    if (batch.size() == 1 && batch[0]->kind == Op::Kind::exclusive) {
        WriterAccess access{*db_, *space_, *this};
        batch[0]->result = batch[0]->fn(access);
        refresh_free_bytes();
        return;
    }
    // Phase 1: place and write new bodies, outside any transaction.
    std::unordered_map<ContentHash, Op*, HashKey> in_batch;
    std::set<std::uint32_t> dirty;
    for (auto& op : batch) {
        if (op->kind != Op::Kind::put)
            continue;
        if (auto it = in_batch.find(op->hash); it != in_batch.end()) {
            op->same_as = it->second;
            continue;
        }
        auto found = catalog_find_body(*db_, op->hash);
        if (!found) {
            op->result = store_fail(found.error());
            continue;
        }
        if (*found) {
            op->body_id = (*found)->id;
            in_batch[op->hash] = op.get();
            continue;
        }
        const auto& body = *op->body;
        auto place = space_->allocate(record_extent(body.payload.size()));
        if (!place) {
            op->result =
                store_fail(StoreErrc::store_full,
                           "message store " + id_ + " at " + options_.path.string() + " is full (" +
                               std::to_string(options_.max_files) + " containers of " +
                               std::to_string(options_.max_file_size) + " bytes)");
            continue;
        }
        op->extent = place->extent;
        auto c = container_for_write(place->extent.container, true);
        StoreStatus w = c ? StoreStatus{} : store_fail(c.error());
        if (w) {
            RecordHeader h;
            h.flags = body.flags;
            h.stored_size = body.payload.size();
            h.raw_size = body.raw_size;
            h.written_at = now_seconds();
            h.hash = body.hash;
            h.payload_crc = body.payload_crc;
            w = preallocate(**c, place->extent.offset + place->extent.length);
            if (w)
                w = (*c)->write_record(place->extent.offset, h, body.payload);
        }
        if (!w) {
            space_->release(place->extent);
            op->result = store_fail(w.error());
            continue;
        }
        op->wrote = true;
        dirty.insert(place->extent.container);
        in_batch[op->hash] = op.get();
    }
    // The bodies must be durable before anything refers to them.
    if (fsync_) {
        for (auto no : dirty) {
            auto c = container_for_write(no, false);
            StoreStatus s = c ? (*c)->sync() : store_fail(c.error());
            if (!s) {
                for (auto& op : batch) {
                    if (op->wrote && op->extent.container == no) {
                        space_->release(op->extent);
                        op->wrote = false;
                        op->result = store_fail(s.error());
                    }
                }
            }
        }
    }
    // Phase 2: one catalog transaction for every op of the batch.
    auto fail_all = [&](const StoreError& e) {
        for (auto& op : batch) {
            if (op->result)
                op->result = store_fail(e);
            if (op->found)
                std::fill(op->found->begin(), op->found->end(), 0);
        }
        // The in-memory allocator ran ahead of the rolled-back catalog: reload it.
        space_ = std::make_unique<SpaceAllocator>(options_.max_file_size, options_.max_files,
                                                  kContainerHeaderSize);
        if (auto s = catalog_load_space(*db_, *space_); !s)
            log_.crit("store {}: cannot reload free space map: {}", id_, s.error().to_string());
        refresh_free_bytes();
    };
    Transaction txn(*db_);
    if (auto s = txn.begin(); !s)
        return fail_all(s.error());
    auto phase2 = [&]() -> StoreStatus {
        // References are added before any are dropped, so a body re-used and released in the
        // same batch never touches zero in between.
        for (auto& op : batch) {
            if (!op->result)
                continue;
            if (op->kind == Op::Kind::put) {
                Op* owner = op->same_as ? op->same_as : op.get();
                if (!owner->result) {
                    op->result = store_fail(owner->result.error());
                    continue;
                }
                if (owner->wrote && owner->body_id == 0) {
                    BodyRow row;
                    row.hash = owner->hash;
                    row.container = owner->extent.container;
                    row.offset = owner->extent.offset;
                    row.extent = owner->extent.length;
                    row.raw_size = owner->body->raw_size;
                    row.stored_size = owner->body->payload.size();
                    row.flags = owner->body->flags;
                    STORE_TRY(id, catalog_insert_body(*db_, row));
                    owner->body_id = id;
                }
                for (auto& r : op->refs) {
                    STORE_CHECK(catalog_add_ref(
                        *db_, owner->body_id, RefRow{r.account, r.msg_guid, r.mailbox_guid, 0, 0}));
                }
            } else if (op->kind == Op::Kind::add_refs) {
                for (std::size_t i = 0; i < op->hashed_refs.size(); ++i) {
                    auto& [hash, r] = op->hashed_refs[i];
                    STORE_TRY(found, catalog_find_body(*db_, hash));
                    if (!found)
                        continue;
                    STORE_CHECK(catalog_add_ref(
                        *db_, found->id, RefRow{r.account, r.msg_guid, r.mailbox_guid, 0, 0}));
                    if (op->found)
                        (*op->found)[i] = 1;
                }
            } else if (op->kind == Op::Kind::move_refs) {
                for (auto& g : op->guids)
                    STORE_CHECK(catalog_move_ref(*db_, op->account, g, op->mailbox_guid));
            } else if (op->kind == Op::Kind::hint) {
                STORE_CHECK(catalog_set_hint(*db_, op->account, op->mailbox_guid, op->name));
            }
        }
        for (auto& op : batch) {
            if (!op->result || op->kind != Op::Kind::drop_refs)
                continue;
            for (auto& g : op->guids) {
                STORE_TRY(dropped, catalog_drop_ref(*db_, op->account, g));
                if (!dropped || dropped->refcount > 0)
                    continue;
                STORE_TRY(row, catalog_body_by_id(*db_, dropped->body_id));
                if (!row)
                    continue;
                STORE_CHECK(catalog_delete_body(*db_, row->id));
                space_->release({row->container, row->offset, row->extent});
            }
        }
        return catalog_save_space(*db_, space_->take_changes());
    };
    if (auto s = phase2(); !s)
        return fail_all(s.error());
    if (auto s = txn.commit(); !s)
        return fail_all(s.error());
    refresh_free_bytes();
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
