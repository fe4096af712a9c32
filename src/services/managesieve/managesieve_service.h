// The ManageSieve service: a TcpService whose sessions speak RFC 5804 (docs/sieve.md).
#pragma once

#include "services/tcp_service.h"

namespace postern::auth {
class Authenticator;
}

namespace postern::services::managesieve {

// What sessions share; all must outlive the service.
struct Deps {
    auth::Authenticator* authenticator = nullptr;
};

// Said to connections that access rules or limits turn away.
inline constexpr const char* kRefusal = "BYE \"Access denied\"\r\n";

TcpServiceSpec managesieve_spec(const Deps& deps);

}  // namespace postern::services::managesieve
