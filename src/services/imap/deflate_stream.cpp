// COMPRESS=DEFLATE streams on zlib: raw deflate (negative window bits, RFC 4978 §3), level 6,
// Z_SYNC_FLUSH after every write.
#include "services/imap/deflate_stream.h"

#include <zlib.h>

namespace postern::services::imap {

struct DeflateStream::Impl {
    z_stream out{};
    z_stream in{};
    bool out_ok = false;
    bool in_ok = false;
    ~Impl() {
        if (out_ok)
            deflateEnd(&out);
        if (in_ok)
            inflateEnd(&in);
    }
};

DeflateStream::DeflateStream() : impl_(std::make_unique<Impl>()) {
    // A smaller window and memLevel keep a compressed idle session near 100 KiB rather than
    // 300 KiB; RFC 4978 §4 says the server may choose them.
    impl_->out_ok = deflateInit2(&impl_->out, 6, Z_DEFLATED, -15, 6, Z_DEFAULT_STRATEGY) == Z_OK;
    impl_->in_ok = inflateInit2(&impl_->in, -15) == Z_OK;
}

DeflateStream::~DeflateStream() = default;

Status DeflateStream::compress(std::string_view data, std::string& out) {
    if (!impl_->out_ok)
        return fail(Errc::internal, "deflate is not initialised");
    auto& z = impl_->out;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z.avail_in = static_cast<uInt>(data.size());
    do {
        const std::size_t before = out.size();
        const std::size_t room = deflateBound(&z, z.avail_in) + 64;
        out.resize(before + room);
        z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
        z.avail_out = static_cast<uInt>(room);
        int rc = deflate(&z, Z_SYNC_FLUSH);
        out.resize(before + room - z.avail_out);
        if (rc != Z_OK && rc != Z_BUF_ERROR)
            return fail(Errc::internal, "deflate failed");
    } while (z.avail_in > 0 || z.avail_out == 0);
    return ok();
}

Result<std::size_t> DeflateStream::take(std::string& out, std::size_t max_out) {
    if (!impl_->in_ok)
        return fail(Errc::internal, "inflate is not initialised");
    auto& z = impl_->in;
    const std::size_t before = out.size();
    out.resize(before + max_out);
    z.next_in = reinterpret_cast<Bytef*>(pending_.data() + pending_pos_);
    z.avail_in = static_cast<uInt>(pending_.size() - pending_pos_);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    z.avail_out = static_cast<uInt>(max_out);
    int rc = inflate(&z, Z_SYNC_FLUSH);
    const std::size_t produced = max_out - z.avail_out;
    out.resize(before + produced);
    pending_pos_ = pending_.size() - z.avail_in;
    if (pending_pos_ == pending_.size()) {
        pending_.clear();
        pending_pos_ = 0;
    }
    if (rc == Z_STREAM_END)
        return fail(Errc::invalid_argument, "the client ended its compressed stream");
    if (rc != Z_OK && rc != Z_BUF_ERROR)
        return fail(Errc::invalid_argument, "compressed data is corrupt");
    return produced;
}

}  // namespace postern::services::imap
