// Names of authentication outcomes for logs and admin output.
#include "auth/auth_result.h"

namespace postern::auth {

std::string_view auth_status_name(AuthStatus status) {
    switch (status) {
        case AuthStatus::ok:
            return "ok";
        case AuthStatus::bad_credentials:
            return "bad_credentials";
        case AuthStatus::banned:
            return "banned";
        case AuthStatus::service_not_allowed:
            return "service_not_allowed";
        case AuthStatus::encryption_required:
            return "encryption_required";
        case AuthStatus::malformed:
            return "malformed";
        case AuthStatus::aborted:
            return "aborted";
        case AuthStatus::temporary_failure:
            return "temporary_failure";
    }
    return "unknown";
}

}  // namespace postern::auth
