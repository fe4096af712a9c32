// DKIM-Signature and key record syntax (RFC 6376 §3.2, §3.5, §3.6.1, §6.1.1; RFC 8463 §3).
#include "filter/dkim/signature.h"

#include "base/encoding.h"
#include "base/strings.h"

namespace postern::filter::dkim {

std::string_view algorithm_name(Algorithm a) {
    switch (a) {
        case Algorithm::rsa_sha1:
            return "rsa-sha1";
        case Algorithm::rsa_sha256:
            return "rsa-sha256";
        case Algorithm::ed25519_sha256:
            return "ed25519-sha256";
    }
    return "rsa-sha256";
}

HashAlg hash_of(Algorithm a) {
    return a == Algorithm::rsa_sha1 ? HashAlg::sha1 : HashAlg::sha256;
}

namespace {

bool fws(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string strip_fws(std::string_view s) {
    std::string out;
    for (char c : s)
        if (!fws(c))
            out += c;
    return out;
}

bool fail(std::string* error, std::string message) {
    if (error)
        *error = std::move(message);
    return false;
}

std::optional<std::int64_t> parse_time(std::string_view s) {
    if (s.empty() || s.size() > 12)
        return std::nullopt;
    auto v = parse_uint(s);
    if (!v)
        return std::nullopt;
    return static_cast<std::int64_t>(*v);
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_tag_list(
    std::string_view text) {
    std::vector<std::pair<std::string, std::string>> out;
    for (auto spec : split(text, ';')) {
        auto t = trim(spec);
        // Folding whitespace may contain CR/LF; trim() knows spaces and tabs only.
        while (!t.empty() && fws(t.front()))
            t.remove_prefix(1);
        while (!t.empty() && fws(t.back()))
            t.remove_suffix(1);
        if (t.empty())
            continue;  // a trailing ';' is allowed
        auto eq = t.find('=');
        if (eq == std::string_view::npos)
            return std::nullopt;
        auto name = t.substr(0, eq);
        while (!name.empty() && fws(name.back()))
            name.remove_suffix(1);
        if (name.empty())
            return std::nullopt;
        for (char c : name)
            if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_'))
                return std::nullopt;
        auto value = t.substr(eq + 1);
        while (!value.empty() && fws(value.front()))
            value.remove_prefix(1);
        for (auto& [n, v] : out)
            if (n == name)
                return std::nullopt;
        out.emplace_back(std::string(name), std::string(value));
    }
    return out;
}

std::optional<Signature> parse_signature(std::string_view value, std::string* error,
                                         const SignatureLimits& limits) {
    if (value.size() > limits.max_field_length) {
        fail(error, "signature field too long");
        return std::nullopt;
    }
    auto tags = parse_tag_list(value);
    if (!tags) {
        fail(error, "bad tag-list");
        return std::nullopt;
    }
    Signature sig;
    bool have_v = false, have_a = false, have_b = false, have_bh = false, have_d = false,
         have_h = false, have_s = false;
    for (auto& [name, raw] : *tags) {
        if (name == "v") {
            if (raw != "1")
                return fail(error, "unsupported version v=" + raw), std::nullopt;
            have_v = true;
        } else if (name == "a") {
            have_a = true;
            if (raw == "rsa-sha256")
                sig.algorithm = Algorithm::rsa_sha256;
            else if (raw == "ed25519-sha256")
                sig.algorithm = Algorithm::ed25519_sha256;
            else if (raw == "rsa-sha1")
                sig.algorithm = Algorithm::rsa_sha1;
            else
                return fail(error, "unsupported algorithm " + raw), std::nullopt;
        } else if (name == "b" || name == "bh") {
            auto decoded = base64_decode(strip_fws(raw));
            if (!decoded || decoded->empty())
                return fail(error, "bad base64 in " + name + "="), std::nullopt;
            (name == "b" ? sig.b : sig.bh) = std::move(*decoded);
            (name == "b" ? have_b : have_bh) = true;
        } else if (name == "c") {
            auto c = strip_fws(raw);
            auto slash = c.find('/');
            auto h = c.substr(0, slash);
            auto bdy = slash == std::string::npos ? std::string("simple") : c.substr(slash + 1);
            auto canon = [](const std::string& s) -> std::optional<Canon> {
                if (s == "simple")
                    return Canon::simple;
                if (s == "relaxed")
                    return Canon::relaxed;
                return std::nullopt;
            };
            auto hc = canon(h), bc = canon(bdy);
            if (!hc || !bc)
                return fail(error, "unknown canonicalization " + c), std::nullopt;
            sig.header_canon = *hc;
            sig.body_canon = *bc;
        } else if (name == "d") {
            sig.domain = to_lower(strip_fws(raw));
            have_d = !sig.domain.empty();
        } else if (name == "h") {
            const auto stripped_n = strip_fws(raw);
            for (auto n : split(stripped_n, ':'))
                if (!n.empty())
                    sig.signed_headers.emplace_back(n);
            have_h = !sig.signed_headers.empty();
            if (sig.signed_headers.size() > limits.max_signed_headers)
                return fail(error, "too many signed header fields"), std::nullopt;
        } else if (name == "i") {
            sig.identity = strip_fws(raw);
        } else if (name == "l") {
            auto v = parse_uint(strip_fws(raw));
            if (!v || strip_fws(raw).size() > 76)
                return fail(error, "bad l="), std::nullopt;
            sig.body_length = *v;
        } else if (name == "q") {
            bool dns = false;
            const auto stripped_q = strip_fws(raw);
            for (auto q : split(stripped_q, ':'))
                if (q == "dns/txt" || q == "dns")
                    dns = true;
            if (!dns)
                return fail(error, "no supported query method in q="), std::nullopt;
        } else if (name == "s") {
            sig.selector = strip_fws(raw);
            have_s = !sig.selector.empty();
        } else if (name == "t") {
            sig.timestamp = parse_time(strip_fws(raw));
            if (!sig.timestamp)
                return fail(error, "bad t="), std::nullopt;
        } else if (name == "x") {
            sig.expiration = parse_time(strip_fws(raw));
            if (!sig.expiration)
                return fail(error, "bad x="), std::nullopt;
        }
        // z= and unknown tags are ignored (§3.2).
    }
    if (!have_v || !have_a || !have_b || !have_bh || !have_d || !have_h || !have_s) {
        fail(error, "a required tag is missing");
        return std::nullopt;
    }
    bool from = false;
    for (auto& h : sig.signed_headers)
        if (iequals(h, "from"))
            from = true;
    if (!from)
        return fail(error, "h= does not include From"), std::nullopt;
    if (sig.identity.empty()) {
        sig.identity = "@" + sig.domain;
    } else {
        auto at = sig.identity.rfind('@');
        if (at == std::string::npos)
            return fail(error, "bad i="), std::nullopt;
        auto idomain = to_lower(sig.identity.substr(at + 1));
        if (idomain != sig.domain && !idomain.ends_with("." + sig.domain))
            return fail(error, "i= is not within d="), std::nullopt;
    }
    if (sig.timestamp && sig.expiration && *sig.expiration < *sig.timestamp)
        return fail(error, "x= before t="), std::nullopt;
    return sig;
}

std::optional<KeyRecord> parse_key_record(std::string_view text, std::string* error) {
    auto tags = parse_tag_list(text);
    if (!tags)
        return fail(error, "bad key record syntax"), std::nullopt;
    KeyRecord key;
    bool have_p = false;
    for (std::size_t i = 0; i < tags->size(); ++i) {
        auto& [name, raw] = (*tags)[i];
        if (name == "v") {
            if (i != 0 || raw != "DKIM1")
                return fail(error, "bad v= in key record"), std::nullopt;
        } else if (name == "k") {
            key.key_type = strip_fws(raw);
        } else if (name == "p") {
            have_p = true;
            auto p = strip_fws(raw);
            if (!p.empty()) {
                auto decoded = base64_decode(p);
                if (!decoded)
                    return fail(error, "bad base64 in p="), std::nullopt;
                key.public_key = std::move(*decoded);
            }
        } else if (name == "h") {
            const auto stripped_h = strip_fws(raw);
            for (auto h : split(stripped_h, ':'))
                key.hashes.emplace_back(h);
        } else if (name == "t") {
            const auto stripped_f = strip_fws(raw);
            for (auto f : split(stripped_f, ':')) {
                if (f == "y")
                    key.testing = true;
                if (f == "s")
                    key.strict_identity = true;
            }
        } else if (name == "s") {
            const auto stripped_s = strip_fws(raw);
            for (auto s : split(stripped_s, ':'))
                key.services.emplace_back(s);
        }
    }
    if (!have_p)
        return fail(error, "key record without p="), std::nullopt;
    if (key.key_type != "rsa" && key.key_type != "ed25519")
        return fail(error, "unsupported key type k=" + key.key_type), std::nullopt;
    if (!key.services.empty()) {
        bool email = false;
        for (auto& s : key.services)
            if (s == "*" || s == "email")
                email = true;
        if (!email)
            return fail(error, "key not for email (s=)"), std::nullopt;
    }
    return key;
}

}  // namespace postern::filter::dkim
