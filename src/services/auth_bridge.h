// Coroutine wrappers around the Authenticator's callback API: the check runs on the auth
// pool and the session resumes on its own strand.
#pragma once

#include <boost/asio/awaitable.hpp>

#include "auth/authenticator.h"

namespace postern::services {

boost::asio::awaitable<auth::AuthResult> check_password(auth::Authenticator& authenticator,
                                                        auth::PasswordRequest request);

// POP3 APOP (Authenticator::check_apop) as a coroutine.
boost::asio::awaitable<auth::AuthResult> check_apop(auth::Authenticator& authenticator,
                                                    auth::ApopRequest request);

// One step of a SASL exchange (SaslExchange::step) as a coroutine.
boost::asio::awaitable<auth::SaslReply> sasl_step(auth::SaslExchange& exchange,
                                                  std::optional<std::string> response);

}  // namespace postern::services
