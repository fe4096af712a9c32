// Internal log writer: bounded queue in front of a FileRouter on a dedicated thread.
#include "log/internal_writer.h"

#include <system_error>

namespace postern::log {

namespace {

Status make_directory(const std::filesystem::path& dir) {
    std::error_code ec;
    if (dir.empty())
        return fail(Errc::invalid_argument, "log directory is not set");
    bool created = std::filesystem::create_directories(dir, ec);
    if (ec)
        return fail(Errc::io_error, "create log directory " + dir.string() + ": " + ec.message());
    if (created) {
        // Logs carry addresses and user names: not for every local user. An existing
        // directory keeps the mode its administrator chose.
        using std::filesystem::perms;
        std::filesystem::permissions(dir, perms::owner_all | perms::group_read | perms::group_exec,
                                     std::filesystem::perm_options::replace, ec);
    }
    if (!std::filesystem::is_directory(dir, ec)) {
        return fail(Errc::io_error, "log directory " + dir.string() + " is not a directory");
    }
    return ok();
}

}  // namespace

InternalWriter::InternalWriter(WriterOptions options)
    : router_(std::move(options.clock), options.buffer_bytes) {}

Result<std::shared_ptr<InternalWriter>> InternalWriter::start(WriterConfig config,
                                                              WriterOptions options) {
    if (auto st = make_directory(config.directory); !st)
        return fail(st.error());
    auto limits = options.queue;
    auto host = options.host;
    auto interval = options.flush_interval;
    std::shared_ptr<InternalWriter> writer(new InternalWriter(std::move(options)));
    // Configured before the thread exists, so the first record already sees the rules.
    writer->router_.configure(config);
    auto* self = writer.get();
    writer->worker_ = std::make_unique<QueueWorker>(
        limits, std::move(host), interval,
        QueueWorker::Callbacks{
            .on_record = [self](Record& r) { self->router_.write(r); },
            .on_tick = [self] { self->router_.tick(); },
            .on_stop = [self] { self->router_.close(); },
        });
    return writer;
}

InternalWriter::~InternalWriter() {
    stop();
}

void InternalWriter::write(Record record) {
    worker_->push(std::move(record));
}

void InternalWriter::flush() {
    worker_->barrier();
}

Status InternalWriter::reconfigure(WriterConfig config) {
    if (auto st = make_directory(config.directory); !st)
        return st;
    worker_->post([this, config = std::move(config)] { router_.configure(config); });
    return ok();
}

void InternalWriter::reopen() {
    worker_->post([this] { router_.reopen(); });
}

void InternalWriter::stop() {
    if (worker_)
        worker_->stop();
}

WriterStats InternalWriter::stats() const {
    WriterStats s;
    const auto& c = router_.counters();
    s.written = c.written.load(std::memory_order_relaxed);
    s.failed = c.failed.load(std::memory_order_relaxed);
    s.rotations = c.rotations.load(std::memory_order_relaxed);
    s.unmatched = router_.unmatched();
    s.errors = router_.errors();
    s.last_error = router_.last_error();
    s.dropped_queue_full = worker_->queue().dropped_full();
    s.dropped_after_stop = worker_->queue().dropped_closed();
    s.queued = worker_->queue().size();
    return s;
}

}  // namespace postern::log
