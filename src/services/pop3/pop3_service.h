// The POP3 service: a TcpService whose sessions speak POP3 (RFC 1939, RFC 2449; docs/pop3.md).
#pragma once

#include <memory>

#include "services/tcp_service.h"

namespace postern::auth {
class Authenticator;
}
namespace postern::directory {
class Directory;
}
namespace postern::store {
class Store;
}

namespace postern::services::pop3 {

class Maildrops;

// What sessions share; all must outlive the service.
struct Deps {
    directory::Directory* directory = nullptr;
    auth::Authenticator* authenticator = nullptr;
    store::Store* store = nullptr;
};

// Said to connections that access rules or limits turn away.
inline constexpr const char* kRefusal = "-ERR [SYS/PERM] Access denied\r\n";

TcpServiceSpec pop3_spec(const Deps& deps);

}  // namespace postern::services::pop3
