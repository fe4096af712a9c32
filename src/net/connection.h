// What a protocol session receives for one accepted connection.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "config/config.h"
#include "net/access_control.h"
#include "net/stream.h"
#include "net/tls.h"

namespace postern::net {

struct Connection {
    std::unique_ptr<Stream> stream;
    Endpoint client;         // the real client (after PROXY protocol, if any)
    Endpoint local;          // the listener's address as the client reached it
    std::string session_id;  // 8 hex digits, unique per service
    std::shared_ptr<const config::ListenerConfig> listener;
    std::shared_ptr<TlsContext> tls;  // for STARTTLS; null when the listener has no certificate
    Admission admission;              // counts against the limits while the session lives
    // Set when the service is stopping: finish the current transaction, then close.
    std::shared_ptr<const std::atomic<bool>> stopping;
};

}  // namespace postern::net
