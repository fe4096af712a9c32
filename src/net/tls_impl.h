// Internal: the Asio SSL context behind TlsContext. Only net/*.cpp files that already pay for
// Asio's SSL headers include this.
#pragma once

#include <boost/asio/ssl/context.hpp>

#include "net/tls.h"

namespace postern::net {

struct TlsContext::Impl {
    explicit Impl(boost::asio::ssl::context::method m) : ctx(m) {}
    boost::asio::ssl::context ctx;
    bool client = false;
};

}  // namespace postern::net
