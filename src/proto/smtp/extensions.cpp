// EHLO/LHLO reply construction (RFC 5321 §4.1.1.1, RFC 2033 §4.1/§5, and each extension's
// keyword: RFC 1870, 2034, 2920, 3030, 3207, 3461, 4954, 6152, 6531).
#include "proto/smtp/extensions.h"

#include "base/strings.h"

namespace postern::proto::smtp {

Extensions Extensions::basic() {
    Extensions e;
    e.size = false;
    e.eight_bit_mime = false;
    e.pipelining = false;
    e.enhanced_status_codes = false;
    e.starttls = false;
    e.auth_mechanisms.clear();
    e.dsn = false;
    e.chunking = false;
    e.binarymime = false;
    e.smtputf8 = false;
    return e;
}

Reply ehlo_reply(std::string_view server_domain, std::string_view greeting, const Extensions& ext,
                 Dialect dialect) {
    Reply reply{250, std::nullopt, {}};
    std::string first(server_domain);
    if (!greeting.empty()) {
        first += ' ';
        first += greeting;
    }
    reply.lines.push_back(std::move(first));
    const bool lmtp = dialect == Dialect::lmtp;
    if (ext.pipelining || lmtp)
        reply.lines.emplace_back("PIPELINING");
    if (ext.size) {
        reply.lines.push_back(ext.size_limit ? "SIZE " + std::to_string(ext.size_limit) : "SIZE");
    }
    if (ext.vrfy)
        reply.lines.emplace_back("VRFY");
    if (ext.expn)
        reply.lines.emplace_back("EXPN");
    if (ext.starttls)
        reply.lines.emplace_back("STARTTLS");
    if (ext.auth()) {
        std::string auth = "AUTH";
        for (const auto& m : ext.auth_mechanisms) {
            auth += ' ';
            auth += to_upper(m);
        }
        reply.lines.push_back(std::move(auth));
    }
    if (ext.enhanced_status_codes || lmtp)
        reply.lines.emplace_back("ENHANCEDSTATUSCODES");
    if (ext.eight_bit_mime)
        reply.lines.emplace_back("8BITMIME");
    if (ext.dsn)
        reply.lines.emplace_back("DSN");
    if (ext.smtputf8)
        reply.lines.emplace_back("SMTPUTF8");
    if (ext.chunking)
        reply.lines.emplace_back("CHUNKING");
    if (ext.chunking && ext.binarymime)
        reply.lines.emplace_back("BINARYMIME");
    if (ext.help)
        reply.lines.emplace_back("HELP");
    return reply;
}

}  // namespace postern::proto::smtp
