// DKIM verification (RFC 6376 §6.1; RFC 8463; RFC 8301 for key sizes and rsa-sha1).
#include "filter/dkim/verify.h"

#include "base/encoding.h"
#include "base/strings.h"
#include "filter/dkim/crypto.h"

namespace postern::filter::dkim {

namespace dns = net::dns;

std::string_view status_name(Status s) {
    switch (s) {
        case Status::none:
            return "none";
        case Status::pass:
            return "pass";
        case Status::fail:
            return "fail";
        case Status::neutral:
            return "neutral";
        case Status::policy:
            return "policy";
        case Status::temperror:
            return "temperror";
        case Status::permerror:
            return "permerror";
    }
    return "none";
}

struct Verifier::Entry {
    std::optional<Signature> sig;
    SignatureResult result;  // filled with the early outcome when sig is empty
    std::string raw;         // the whole field
    std::unique_ptr<BodyHasher> body;
    std::string body_hash;
};

Verifier::Verifier(std::string_view header_block, const VerifyOptions& options)
    : fields_(split_header(header_block)), options_(options) {
    for (auto& f : fields_) {
        if (!iequals(f.name, "DKIM-Signature"))
            continue;
        if (entries_.size() >= options_.max_signatures)
            break;
        auto e = std::make_unique<Entry>();
        e->raw = f.raw;
        auto value = std::string_view(f.raw).substr(f.raw.find(':') + 1);
        if (auto tags = parse_tag_list(value)) {
            for (auto& [n, v] : *tags) {
                std::string b;
                for (char c : v)
                    if (c != ' ' && c != '\t' && c != '\r' && c != '\n')
                        b += c;
                if (n == "b")
                    e->result.header_b = b.substr(0, 8);
                if (n == "d")
                    e->result.domain = to_lower(b);
                if (n == "s")
                    e->result.selector = b;
                if (n == "a")
                    e->result.algorithm = b;
            }
        }
        std::string error;
        e->sig = parse_signature(value, &error);
        if (!e->sig) {
            e->result.status = Status::permerror;
            e->result.reason = "signature syntax: " + error;
        } else if (e->sig->algorithm == Algorithm::rsa_sha1 && !options_.allow_sha1) {
            e->result.status = Status::permerror;
            e->result.reason = "rsa-sha1 is not accepted";
            e->sig.reset();
        } else if (options_.now > 0 && e->sig->expiration && *e->sig->expiration < options_.now) {
            e->result.status = Status::permerror;
            e->result.reason = "signature expired";
            e->sig.reset();
        } else {
            e->result.identity = e->sig->identity;
            e->body = std::make_unique<BodyHasher>(e->sig->body_canon, hash_of(e->sig->algorithm),
                                                   e->sig->body_length);
        }
        entries_.push_back(std::move(e));
    }
}

Verifier::~Verifier() = default;

void Verifier::feed_body(std::string_view bytes) {
    for (auto& e : entries_)
        if (e->body)
            e->body->feed(bytes);
}

void Verifier::finish_body() {
    for (auto& e : entries_) {
        if (!e->body)
            continue;
        e->body_hash = e->body->finish();
        // §3.5 l=: a body shorter than l= cannot verify.
        if (e->sig->body_length && e->body->canonical_length() < *e->sig->body_length) {
            e->result.status = Status::permerror;
            e->result.reason = "body shorter than l=";
            e->sig.reset();
        }
        e->body.reset();
    }
}

std::vector<dns::Question> Verifier::questions() const {
    std::vector<dns::Question> out;
    for (auto& e : entries_) {
        if (!e->sig)
            continue;
        dns::Question q{to_lower(e->sig->key_name()), dns::RecordType::txt};
        if (std::find(out.begin(), out.end(), q) == out.end())
            out.push_back(std::move(q));
    }
    return out;
}

std::vector<SignatureResult> Verifier::results(const dns::AnswerSource& source) const {
    std::vector<SignatureResult> out;
    for (auto& e : entries_) {
        SignatureResult r = e->result;
        if (!e->sig) {
            out.push_back(std::move(r));
            continue;
        }
        const auto& sig = *e->sig;
        r.algorithm = std::string(algorithm_name(sig.algorithm));
        auto name = to_lower(sig.key_name());
        auto* answer = source.find(name, dns::RecordType::txt);
        auto done = [&](Status s, std::string reason) {
            r.status = s;
            r.reason = std::move(reason);
            out.push_back(r);
        };
        if (!answer) {
            done(Status::temperror, "key " + name + " not looked up");
            continue;
        }
        if (!*answer) {
            if (dns::is_temporary(answer->error().code))
                done(Status::temperror, "DNS error for key " + name);
            else
                done(Status::permerror, "no key at " + name);
            continue;
        }
        auto* txt = std::get_if<std::vector<dns::TxtRecord>>(&(*answer)->records);
        if (!txt || txt->empty()) {
            done(Status::permerror, "no key at " + name);
            continue;
        }
        // §3.6.2.2: several records are not allowed; we use the first that parses.
        std::optional<KeyRecord> key;
        std::string error;
        for (auto& t : *txt) {
            key = parse_key_record(t.joined(), &error);
            if (key)
                break;
        }
        if (!key) {
            done(Status::permerror, "key " + name + ": " + error);
            continue;
        }
        r.testing = key->testing;
        if (key->public_key.empty()) {
            done(Status::permerror, "key " + name + " is revoked");
            continue;
        }
        bool ed = sig.algorithm == Algorithm::ed25519_sha256;
        if ((key->key_type == "ed25519") != ed) {
            done(Status::permerror, "key type does not match a=");
            continue;
        }
        if (!key->hashes.empty()) {
            auto want = sig.algorithm == Algorithm::rsa_sha1 ? "sha1" : "sha256";
            if (std::find(key->hashes.begin(), key->hashes.end(), want) == key->hashes.end()) {
                done(Status::permerror, "key does not allow the hash of a=");
                continue;
            }
        }
        if (key->strict_identity) {
            auto at = sig.identity.rfind('@');
            if (to_lower(sig.identity.substr(at + 1)) != sig.domain) {
                done(Status::permerror, "key has t=s and i= is a subdomain");
                continue;
            }
        }
        auto pub = load_public_key(*key, options_.min_rsa_bits, &error);
        if (!pub) {
            done(Status::permerror, "key " + name + ": " + error);
            continue;
        }
        if (e->body_hash != sig.bh) {
            done(Status::fail, "body hash did not verify");
            continue;
        }
        auto data = header_hash_input(fields_, sig.signed_headers, sig.header_canon);
        RawField self{"DKIM-Signature", without_b_value(e->raw)};
        auto canon_self = canon_header(self, sig.header_canon);
        if (canon_self.ends_with("\r\n"))
            canon_self.resize(canon_self.size() - 2);
        data += canon_self;
        if (!verify_header(sig.algorithm, pub.get(), data, sig.b)) {
            done(Status::fail, "signature did not verify");
            continue;
        }
        done(Status::pass, "");
    }
    return out;
}

}  // namespace postern::filter::dkim
