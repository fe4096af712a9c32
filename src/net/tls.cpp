// Building OpenSSL contexts from TlsSettings; errors name the file and OpenSSL's reason.
#include "net/tls.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "net/tls_impl.h"

namespace postern::net {
namespace {

std::string openssl_error() {
    unsigned long code = ERR_get_error();
    if (!code)
        return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    ERR_clear_error();
    return buf;
}

}  // namespace

TlsContext::TlsContext(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::create_server(const config::TlsSettings& s) {
    auto impl = std::make_unique<Impl>(boost::asio::ssl::context::tls_server);
    SSL_CTX* ctx = impl->ctx.native_handle();
    SSL_CTX_set_options(
        ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
    // Idle connections (IMAP IDLE) should not pin 2 x 16 KiB of record buffers each.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_min_proto_version(ctx, s.min_version == "1.3" ? TLS1_3_VERSION : TLS1_2_VERSION);
    if (SSL_CTX_use_certificate_chain_file(ctx, s.cert_file.c_str()) != 1) {
        return fail(Errc::invalid_argument,
                    "certificate " + s.cert_file.string() + ": " + openssl_error());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, s.key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
        return fail(Errc::invalid_argument, "key " + s.key_file.string() + ": " + openssl_error());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return fail(Errc::invalid_argument,
                    "key " + s.key_file.string() + " does not match the certificate");
    }
    if (!s.ciphers.empty() && SSL_CTX_set_cipher_list(ctx, s.ciphers.c_str()) != 1) {
        return fail(Errc::invalid_argument, "ciphers \"" + s.ciphers + "\": " + openssl_error());
    }
    if (!s.ciphersuites.empty() && SSL_CTX_set_ciphersuites(ctx, s.ciphersuites.c_str()) != 1) {
        return fail(Errc::invalid_argument,
                    "ciphersuites \"" + s.ciphersuites + "\": " + openssl_error());
    }
    if (s.client_cert != config::ClientCertMode::none) {
        if (SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr) != 1) {
            return fail(Errc::invalid_argument,
                        "ca_file " + s.ca_file.string() + ": " + openssl_error());
        }
        int mode = SSL_VERIFY_PEER;
        if (s.client_cert == config::ClientCertMode::required)
            mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
        SSL_CTX_set_verify(ctx, mode, nullptr);
        SSL_CTX_set_verify_depth(ctx, s.verify_depth);
        // Session ids must be scoped when client certificates are requested.
        static const unsigned char kSessionContext[] = "postern";
        SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
    }
    return std::make_shared<TlsContext>(std::move(impl));
}

Result<std::shared_ptr<TlsContext>> TlsContext::create_client(const std::string& ca_file,
                                                              bool verify) {
    auto impl = std::make_unique<Impl>(boost::asio::ssl::context::tls_client);
    impl->client = true;
    SSL_CTX* ctx = impl->ctx.native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (verify) {
        int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                 : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
        if (ok != 1)
            return fail(Errc::invalid_argument, "ca_file " + ca_file + ": " + openssl_error());
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    }
    return std::make_shared<TlsContext>(std::move(impl));
}

}  // namespace postern::net
