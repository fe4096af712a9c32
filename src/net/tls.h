// TLS contexts (OpenSSL 3) built from config: certificate and key, minimum version, ciphers,
// optional client certificates. Immutable once built; a reload builds a new one.
#pragma once

#include <memory>
#include <string>

#include "base/result.h"
#include "config/config.h"

namespace postern::net {

class TlsContext {
  public:
    struct Impl;  // holds the boost::asio::ssl::context; see tls_impl.h

    // Server side, for listeners (implicit TLS and STARTTLS).
    static Result<std::shared_ptr<TlsContext>> create_server(const config::TlsSettings& settings);
    // Client side, for outgoing connections and tests: verify peers against `ca_file`
    // (system store when empty) unless `verify` is false (opportunistic SMTP TLS).
    static Result<std::shared_ptr<TlsContext>> create_client(const std::string& ca_file,
                                                             bool verify);

    explicit TlsContext(std::unique_ptr<Impl> impl);
    ~TlsContext();
    Impl& impl() { return *impl_; }

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace postern::net
