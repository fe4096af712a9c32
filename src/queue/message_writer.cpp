// Streaming a message body into the spool (docs/queue.md "Receiving a message").
#include "queue/message_writer.h"

#include <cerrno>

#include <fcntl.h>
#include <unistd.h>

#include "base/fs.h"
#include "queue/record_codec.h"

namespace postern::queue {

MessageWriter::MessageWriter(Queue& queue, QueueId id, std::uint16_t bucket,
                             std::filesystem::path body_path, std::uint64_t buffer_limit,
                             std::uint64_t max_size)
    : queue_(queue),
      id_(id),
      bucket_(bucket),
      body_path_(std::move(body_path)),
      buffer_limit_(buffer_limit),
      max_size_(max_size) {}

MessageWriter::~MessageWriter() {
    if (!finished_)
        abort();
}

Status MessageWriter::append(std::string_view bytes) {
    if (finished_)
        return fail(Errc::internal, "append after commit or abort");
    if (!error_)
        return error_;
    if (max_size_ && size_ + bytes.size() > max_size_) {
        error_ = fail(Errc::limit_exceeded,
                      "message larger than " + std::to_string(max_size_) + " bytes");
        return error_;
    }
    crc_ = crc32_of(bytes, crc_);
    size_ += bytes.size();
    if (fd_ < 0 && buffer_.size() + bytes.size() <= buffer_limit_) {
        buffer_.append(bytes);
        return ok();
    }
    error_ = spill(bytes);
    return error_;
}

Status MessageWriter::spill(std::string_view more) {
    if (fd_ < 0) {
        fd_ = ::open(body_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd_ < 0) {
            int err = errno;
            return fail(err == ENOSPC || err == EDQUOT ? Errc::unavailable : Errc::io_error,
                        "create " + body_path_.string() + ": " + errno_text(err));
        }
    }
    // Write what was buffered, then the new bytes straight from the caller's buffer.
    for (std::string_view part : {std::string_view(buffer_), more}) {
        std::size_t done = 0;
        while (done < part.size()) {
            auto n = ::write(fd_, part.data() + done, part.size() - done);
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                int err = errno;
                return fail(err == ENOSPC || err == EDQUOT ? Errc::unavailable : Errc::io_error,
                            "write " + body_path_.string() + ": " + errno_text(err));
            }
            done += static_cast<std::size_t>(n);
        }
    }
    std::string().swap(buffer_);
    return ok();
}

void MessageWriter::commit(Envelope envelope, CommitCallback done) {
    if (finished_) {
        done(fail(Errc::internal, "commit after commit or abort"));
        return;
    }
    Status problem = error_;
    if (problem && envelope.recipients.empty())
        problem = fail(Errc::invalid_argument, "a message needs at least one recipient");
    if (problem)
        for (const auto& r : envelope.recipients)
            if (r.address.empty())
                problem = fail(Errc::invalid_argument, "empty recipient address");
    if (!problem) {
        auto error = problem.error();
        abort();
        done(fail(std::move(error)));
        return;
    }
    finished_ = true;
    MessageRecord rec;
    rec.id = id_;
    rec.sender = std::move(envelope.sender);
    rec.envid = std::move(envelope.envid);
    rec.ret = envelope.ret;
    rec.body_type = envelope.body_type;
    rec.smtputf8 = envelope.smtputf8;
    rec.client = std::move(envelope.client);
    rec.header_prefix = std::move(envelope.header_prefix);
    rec.size = size_;
    rec.body_crc = crc_;
    rec.flags = flags_;
    rec.recipients.reserve(envelope.recipients.size());
    for (auto& r : envelope.recipients) {
        RecipientRecord rr;
        rr.address = std::move(r.address);
        rr.orcpt = std::move(r.orcpt);
        rr.notify = r.notify;
        rec.recipients.push_back(std::move(rr));
    }
    int fd = fd_;
    fd_ = -1;
    queue_.commit_message(std::move(rec), bucket_, fd, std::move(buffer_), std::move(done));
}

void MessageWriter::abort() {
    if (finished_)
        return;
    finished_ = true;
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
        ::unlink(body_path_.c_str());
    }
    std::string().swap(buffer_);
    queue_.writer_closed(id_);
}

}  // namespace postern::queue
