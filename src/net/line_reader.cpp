// Line and byte-run reading on top of Stream.
#include "net/line_reader.h"

#include <boost/asio/awaitable.hpp>

namespace postern::net {

namespace asio = boost::asio;

asio::awaitable<Result<bool>> LineReader::fill() {
    auto space = buffer_.prepare(4096);
    auto n = co_await stream_.read_some(space);
    if (!n)
        co_return std::unexpected(n.error());
    buffer_.commit(*n);
    co_return *n > 0;
}

asio::awaitable<Result<LineBuffer::Next>> LineReader::read_line() {
    while (true) {
        auto next = buffer_.next_line();
        if (next.kind != LineBuffer::Kind::need_more)
            co_return next;
        auto more = co_await fill();
        if (!more)
            co_return std::unexpected(more.error());
        if (!*more)
            co_return fail(Errc::unavailable, "connection closed by peer");
    }
}

asio::awaitable<Status> LineReader::read_exact(std::size_t n, std::string& out) {
    while (n > 0) {
        auto have = buffer_.buffered();
        if (!have.empty()) {
            auto take = std::min(n, have.size());
            out.append(have.substr(0, take));
            buffer_.consume(take);
            n -= take;
            continue;
        }
        auto more = co_await fill();
        if (!more)
            co_return std::unexpected(more.error());
        if (!*more)
            co_return fail(Errc::unavailable, "connection closed by peer");
    }
    co_return ok();
}

}  // namespace postern::net
