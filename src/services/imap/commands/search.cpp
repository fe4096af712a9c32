// SEARCH, SORT, THREAD (RFC 9051 §6.4.4, RFC 5256): being written.
#include "services/imap/session.h"

namespace postern::services::imap {

boost::asio::awaitable<Session::Flow> Session::on_search(const wire::Command& c,
                                                         const wire::Search&) {
    co_return bad(c.tag, "SEARCH is not available yet");
}

boost::asio::awaitable<Session::Flow> Session::on_sort(const wire::Command& c, const wire::Sort&) {
    co_return bad(c.tag, "SORT is not available yet");
}

boost::asio::awaitable<Session::Flow> Session::on_thread(const wire::Command& c,
                                                         const wire::Thread&) {
    co_return bad(c.tag, "THREAD is not available yet");
}

}  // namespace postern::services::imap
