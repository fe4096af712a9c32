// DKIM signing (RFC 6376 §5.4-§5.6, §3.7; RFC 8463 §3).
#include "filter/dkim/sign.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "base/encoding.h"
#include "base/strings.h"

namespace postern::filter::dkim {

namespace fs = std::filesystem;

Result<SigningKey> load_signing_key(const fs::path& file, std::string_view domain) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::unexpected(Error{Errc::not_found, "cannot read DKIM key " + file.string()});
    std::stringstream ss;
    ss << in.rdbuf();
    std::string error;
    auto key = load_private_key_pem(ss.str(), &error);
    if (!key)
        return std::unexpected(Error{Errc::invalid_argument, file.string() + ": " + error});
    auto alg = algorithm_of(key.get());
    if (!alg)
        return std::unexpected(
            Error{Errc::invalid_argument, file.string() + ": not an RSA or Ed25519 key"});
    SigningKey out;
    out.domain = to_lower(domain);
    out.selector = file.stem().string();
    out.algorithm = *alg;
    out.key = std::shared_ptr<void>(key.release(), KeyDeleter{});
    return out;
}

Result<SigningKey> newest_signing_key(const fs::path& dir, std::string_view domain) {
    std::error_code ec;
    std::optional<std::pair<fs::file_time_type, fs::path>> best;
    for (auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() != ".pem")
            continue;
        auto when = entry.last_write_time(ec);
        if (ec)
            continue;
        auto candidate = std::make_pair(when, entry.path());
        if (!best || candidate > *best)
            best = candidate;
    }
    if (!best)
        return std::unexpected(Error{Errc::not_found, "no DKIM key (*.pem) in " + dir.string()});
    return load_signing_key(best->second, domain);
}

const std::vector<std::string>& default_signed_headers() {
    static const std::vector<std::string> kHeaders = {"from",         "reply-to",
                                                      "subject",      "date",
                                                      "to",           "cc",
                                                      "message-id",   "in-reply-to",
                                                      "references",   "mime-version",
                                                      "content-type", "content-transfer-encoding",
                                                      "list-id",      "list-unsubscribe"};
    return kHeaders;
}

Signer::Signer(SigningKey key, SignOptions options)
    : key_(std::move(key)),
      options_(std::move(options)),
      body_(Canon::relaxed, HashAlg::sha256, std::nullopt) {}

void Signer::feed_body(std::string_view bytes) {
    body_.feed(bytes);
}

std::string Signer::finish(const std::vector<RawField>& header) {
    auto bh = base64_encode(body_.finish());
    const auto& wanted = options_.headers.empty() ? default_signed_headers() : options_.headers;
    std::vector<std::string> names;
    for (auto& w : wanted) {
        for (auto& f : header)
            if (iequals(f.name, w))
                names.push_back(w);
    }
    names.emplace_back("from");  // oversign: one From more than present
    std::string field = "DKIM-Signature: v=1; a=" + std::string(algorithm_name(key_.algorithm)) +
                        "; c=relaxed/relaxed;\r\n\td=" + key_.domain + "; s=" + key_.selector + ";";
    if (options_.now > 0) {
        field += " t=" + std::to_string(options_.now) + ";";
        if (options_.expire_in)
            field += " x=" + std::to_string(options_.now + *options_.expire_in) + ";";
    }
    field += "\r\n\th=";
    std::size_t column = 10;
    for (std::size_t i = 0; i < names.size(); ++i) {
        std::string part = names[i] + (i + 1 < names.size() ? ":" : ";");
        if (column + part.size() > 76) {
            field += "\r\n\t ";
            column = 9;
        }
        field += part;
        column += part.size();
    }
    field += "\r\n\tbh=" + bh + ";\r\n\tb=";
    auto data = header_hash_input(header, names, Canon::relaxed);
    auto self = canon_header(RawField{"DKIM-Signature", field}, Canon::relaxed);
    data += self.substr(0, self.size() - 2);
    auto sig = sign_header(key_.algorithm, key_.key.get(), data);
    if (sig.empty())
        return {};
    auto b = base64_encode(sig);
    for (std::size_t i = 0; i < b.size(); i += 72) {
        if (i)
            field += "\r\n\t ";
        field += b.substr(i, 72);
    }
    field += "\r\n";
    return field;
}

std::string key_record_text(std::string_view key_type, std::string_view public_b64) {
    return "v=DKIM1; k=" + std::string(key_type) + "; p=" + std::string(public_b64);
}

}  // namespace postern::filter::dkim
