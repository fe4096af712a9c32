// The IMAP service: a TcpService whose sessions speak IMAP4rev2/IMAP4rev1 (docs/imap.md).
#pragma once

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

namespace postern::services::imap {

// What sessions share; all must outlive the service.
struct Deps {
    directory::Directory* directory = nullptr;
    auth::Authenticator* authenticator = nullptr;
    store::Store* store = nullptr;
};

// Said to connections that access rules or limits turn away (RFC 9051 §7.1.5).
inline constexpr const char* kRefusal = "* BYE Access denied\r\n";

TcpServiceSpec imap_spec(const Deps& deps);

}  // namespace postern::services::imap
