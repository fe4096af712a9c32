// DKIM canonicalization and header-hash input (RFC 6376 §3.4, §3.7); see canon.h.
#include "filter/dkim/canon.h"

#include <map>

#include <openssl/evp.h>

#include "base/strings.h"

namespace postern::filter::dkim {

std::vector<RawField> split_header(std::string_view block) {
    std::vector<RawField> out;
    while (!block.empty()) {
        auto eol = block.find("\r\n");
        std::string_view line = eol == std::string_view::npos ? block : block.substr(0, eol + 2);
        block.remove_prefix(line.size());
        if (line == "\r\n")
            break;
        if ((line[0] == ' ' || line[0] == '\t')) {
            if (!out.empty())
                out.back().raw += line;
            continue;
        }
        auto colon = line.find(':');
        if (colon == std::string_view::npos)
            continue;
        out.push_back(RawField{std::string(trim(line.substr(0, colon))), std::string(line)});
        if (!out.back().raw.ends_with("\r\n"))
            out.back().raw += "\r\n";
    }
    return out;
}

namespace {

bool wsp(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

std::string canon_header(const RawField& field, Canon canon) {
    if (canon == Canon::simple)
        return field.raw;
    auto colon = field.raw.find(':');
    std::string out = to_lower(trim(std::string_view(field.raw).substr(0, colon)));
    out += ':';
    std::string value;
    bool space = false;
    for (std::size_t i = colon + 1; i < field.raw.size(); ++i) {
        char c = field.raw[i];
        if (c == '\r' || c == '\n')
            continue;  // unfold
        if (wsp(c)) {
            space = true;
            continue;
        }
        if (space && !value.empty())
            value += ' ';
        space = false;
        value += c;
    }
    out += value;
    out += "\r\n";
    return out;
}

std::string header_hash_input(const std::vector<RawField>& fields,
                              const std::vector<std::string>& signed_names, Canon canon) {
    std::map<std::string, std::size_t>
        used;  // lower-case name -> instances consumed from the bottom
    std::string out;
    for (auto& name : signed_names) {
        auto key = to_lower(name);
        auto& n = used[key];
        std::size_t seen = 0;
        for (auto it = fields.rbegin(); it != fields.rend(); ++it) {
            if (!iequals(it->name, key))
                continue;
            if (seen++ == n) {
                out += canon_header(*it, canon);
                break;
            }
        }
        ++n;
    }
    return out;
}

std::string without_b_value(std::string_view raw) {
    std::string out;
    auto colon = raw.find(':');
    if (colon == std::string_view::npos)
        return std::string(raw);
    out.append(raw.substr(0, colon + 1));
    std::size_t i = colon + 1;
    while (i < raw.size()) {
        auto semi = raw.find(';', i);
        auto tag =
            raw.substr(i, semi == std::string_view::npos ? std::string_view::npos : semi - i);
        auto eq = tag.find('=');
        auto tag_name = tag.substr(0, eq == std::string_view::npos ? 0 : eq);
        while (!tag_name.empty() &&
               std::string_view(" \t\r\n").find(tag_name.front()) != std::string_view::npos)
            tag_name.remove_prefix(1);
        while (!tag_name.empty() &&
               std::string_view(" \t\r\n").find(tag_name.back()) != std::string_view::npos)
            tag_name.remove_suffix(1);
        if (eq != std::string_view::npos && tag_name == "b") {
            out.append(tag.substr(0, eq + 1));
            // Keep a trailing CRLF of the field when b= was the last tag.
            if (semi == std::string_view::npos && raw.ends_with("\r\n"))
                out += "\r\n";
        } else {
            out.append(tag);
        }
        if (semi == std::string_view::npos)
            break;
        out += ';';
        i = semi + 1;
    }
    return out;
}

Digest::Digest(HashAlg alg) : ctx_(EVP_MD_CTX_new()) {
    EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_),
                      alg == HashAlg::sha1 ? EVP_sha1() : EVP_sha256(), nullptr);
}

Digest::~Digest() {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Digest::update(std::string_view bytes) {
    if (!bytes.empty())
        EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), bytes.data(), bytes.size());
}

std::string Digest::finish() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
    return std::string(reinterpret_cast<const char*>(md), len);
}

BodyHasher::BodyHasher(Canon canon, HashAlg alg, std::optional<std::uint64_t> limit)
    : canon_(canon), limit_(limit), digest_(alg) {}

void BodyHasher::emit(std::string_view bytes) {
    length_ += bytes.size();
    if (limit_) {
        if (hashed_ >= *limit_)
            return;
        bytes = bytes.substr(
            0, static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), *limit_ - hashed_)));
    }
    hashed_ += bytes.size();
    digest_.update(bytes);
}

void BodyHasher::line(std::string_view content) {
    std::string relaxed;
    if (canon_ == Canon::relaxed) {
        bool space = false;
        for (char c : content) {
            if (wsp(c)) {
                space = true;
                continue;
            }
            if (space)
                relaxed += ' ';
            space = false;
            relaxed += c;
        }
        content = relaxed;  // trailing whitespace dropped, runs reduced
    }
    if (content.empty()) {
        ++empty_lines_;  // held back: empty lines at the end are not hashed
        return;
    }
    for (; empty_lines_ > 0; --empty_lines_)
        emit("\r\n");
    emit(content);
    emit("\r\n");
}

void BodyHasher::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        auto lf = bytes.find('\n');
        if (lf == std::string_view::npos) {
            partial_.append(bytes);
            return;
        }
        partial_.append(bytes.substr(0, lf + 1));
        bytes.remove_prefix(lf + 1);
        if (partial_.size() >= 2 && partial_[partial_.size() - 2] == '\r') {
            partial_.resize(partial_.size() - 2);
            line(partial_);
            partial_.clear();
        }
        // A bare LF stays inside the line (SMTP gives CRLF; anything else is content).
    }
}

std::string BodyHasher::finish() {
    if (!partial_.empty()) {
        line(partial_);
        partial_.clear();
    }
    // §3.4.3: an empty body is one CRLF in the simple form, nothing in the relaxed form.
    if (canon_ == Canon::simple && length_ == 0)
        emit("\r\n");
    return digest_.finish();
}

}  // namespace postern::filter::dkim
