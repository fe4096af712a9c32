// Coroutine wrappers around the Authenticator's callback API: the check runs on the auth
// pool and the session resumes on its own strand.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.h"

namespace postern::services {

boost::asio::awaitable<auth::AuthResult> check_password(auth::Authenticator& authenticator,
                                                        auth::PasswordRequest request);

}  // namespace postern::services
