// FETCH (RFC 9051 §6.4.5): being written.
#include "services/imap/session.h"

namespace postern::services::imap {

boost::asio::awaitable<Session::Flow> Session::on_fetch(const wire::Command& c,
                                                        const wire::Fetch&) {
    co_return bad(c.tag, "FETCH is not available yet");
}

}  // namespace postern::services::imap
