// The built-in test responder: a tiny line protocol that exercises listeners, rules, TLS,
// timeouts, error control and authentication until real protocol services exist. Disabled
// by default; to be removed when SMTP lands.
//
//   +OK postern test responder ready <host> <session>     (greeting)
//   ECHO <text>  → +OK <text>       WHOAMI → +OK ip=<client> tls=<yes|no> user=<name|->
//   STARTTLS     → +OK begin TLS    AUTH <user> <password> → +OK / -ERR
//   LITERAL <n>  → + go ahead, then n raw bytes → +OK n bytes (n ≤ max_literal_size)
//   NOOP → +OK   QUIT → +OK bye     anything else → -ERR unknown command
#pragma once

#include <boost/asio/awaitable.hpp>

#include "services/tcp_service.h"

namespace postern::auth {
class Authenticator;
}

namespace postern::services::test_responder {

// `authenticator` may be null: AUTH then always fails.
SessionFunction make_session(auth::Authenticator* authenticator);

inline constexpr const char* kRefusal = "-ERR access denied\r\n";

}  // namespace postern::services::test_responder
