// COMPRESS DEFLATE (RFC 4978): after the tagged OK, which goes out uncompressed, both
// directions are raw deflate for the rest of the session.
#include "services/imap/session.h"

namespace postern::services::imap {

Session::Flow Session::on_compress(const wire::Command& c, const wire::Compress& a) {
    if (!cfg_.compress)
        return bad(c.tag, "COMPRESS is not offered");
    if (deflate_) {
        no(c, "Compression is already active", wire::codes::compression_active());
        return Flow::next;
    }
    if (a.mechanism != "DEFLATE")
        return bad(c.tag, "Unknown compression mechanism");
    ok(c, "DEFLATE active");
    compress_next_ = true;  // the loop switches once this reply has been written
    return Flow::next;
}

void Session::start_compression() {
    compress_next_ = false;
    deflate_ = std::make_unique<DeflateStream>();
    // Whatever the client sent after the command is already compressed (RFC 4978 §3).
    if (in_pos_ < in_.size())
        deflate_->feed(std::string_view(in_).substr(in_pos_));
    in_.clear();
    in_pos_ = 0;
    ctx_.logger.info("COMPRESS=DEFLATE active");
}

}  // namespace postern::services::imap
