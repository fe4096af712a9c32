// STORE (RFC 9051 §6.4.6): being written.
#include "services/imap/session.h"

namespace postern::services::imap {

boost::asio::awaitable<Session::Flow> Session::on_store(const wire::Command& c,
                                                        const wire::Store&) {
    co_return bad(c.tag, "STORE is not available yet");
}

}  // namespace postern::services::imap
