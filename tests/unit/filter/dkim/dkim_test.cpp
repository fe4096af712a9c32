// DKIM: the test vectors of tests/conformance/data/dkim (RFC 8463's ed25519 example and real
// messages; each file is "name TXT-record" lines, an empty line, then the message), our own
// signatures verified by our verifier (RSA and Ed25519, fed whole and in one-byte pieces),
// tampering, l=, canonicalization and hostile input.
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "filter/dkim/canon.h"
#include "filter/dkim/crypto.h"
#include "filter/dkim/sign.h"
#include "filter/dkim/verify.h"

namespace postern::filter::dkim {
namespace {

namespace dns = net::dns;

std::string crlf(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\n' && (i == 0 || text[i - 1] != '\r'))
            out += '\r';
        out += text[i];
    }
    return out;
}

void add_txt(dns::AnswerSet& set, const std::string& name, const std::string& text) {
    dns::RecordSet rs;
    rs.name = name;
    rs.type = dns::RecordType::txt;
    rs.canonical_name = name;
    rs.records = std::vector<dns::TxtRecord>{dns::TxtRecord{{text}}};
    set.add(name, dns::RecordType::txt, std::move(rs));
}

struct Vector {
    dns::AnswerSet keys;
    std::string message;
};

Vector load_vector(const std::string& file) {
    std::ifstream in(std::string(POSTERN_CONFORMANCE_DIR) + "/dkim/" + file);
    std::stringstream ss;
    ss << in.rdbuf();
    std::string all = ss.str();
    Vector v;
    auto blank = all.find("\n\n");
    std::istringstream records(all.substr(0, blank));
    std::string line;
    while (std::getline(records, line)) {
        auto sp = line.find(' ');
        add_txt(v.keys, line.substr(0, sp), line.substr(sp + 1));
    }
    v.message = crlf(all.substr(blank + 2));
    return v;
}

std::vector<SignatureResult> verify(const std::string& message, const dns::AnswerSource& keys,
                                    std::size_t piece = 0) {
    auto split = message.find("\r\n\r\n");
    Verifier v(std::string_view(message).substr(0, split + 2));
    std::string_view body = std::string_view(message).substr(split + 4);
    if (piece == 0) {
        v.feed_body(body);
    } else {
        for (std::size_t i = 0; i < body.size(); i += piece)
            v.feed_body(body.substr(i, piece));
    }
    v.finish_body();
    return v.results(keys);
}

class DkimVectors : public ::testing::TestWithParam<std::string> {};

TEST_P(DkimVectors, EverySignatureVerifies) {
    auto v = load_vector(GetParam());
    for (std::size_t piece : {0u, 1u, 7u}) {
        auto results = verify(v.message, v.keys, piece);
        ASSERT_FALSE(results.empty());
        for (auto& r : results)
            EXPECT_EQ(r.status, Status::pass)
                << GetParam() << " d=" << r.domain << " s=" << r.selector << " a=" << r.algorithm
                << ": " << r.reason;
    }
}

TEST_P(DkimVectors, ABodyChangeFailsEverySignature) {
    auto v = load_vector(GetParam());
    auto msg = v.message + "tampered\r\n";
    for (auto& r : verify(msg, v.keys))
        EXPECT_NE(r.status, Status::pass) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Conformance, DkimVectors,
                         ::testing::Values("001.txt", "002.txt", "003.txt", "004.txt", "005.txt",
                                           "006.txt"));

TEST(DkimVectors, Rfc8463HasBothAlgorithms) {
    auto v = load_vector("001.txt");
    auto results = verify(v.message, v.keys);
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].algorithm, "ed25519-sha256");
    EXPECT_EQ(results[1].algorithm, "rsa-sha256");
    EXPECT_EQ(results[0].header_b, "/gCrinpc");
}

const std::string kMessage =
    "From: Alice <alice@example.org>\r\n"
    "To: bob@example.net\r\n"
    "Subject:  Hello   there \r\n"
    "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\n"
    "Message-ID: <1@example.org>\r\n"
    "\r\n"
    "Hi Bob,  \r\n"
    "\r\n"
    "see you.\r\n"
    "\r\n"
    "\r\n";

std::string sign(const SigningKey& key, const std::string& message) {
    auto split = message.find("\r\n\r\n");
    Signer s(key, SignOptions{1700000000, 86400LL * 365 * 100, {}});
    s.feed_body(std::string_view(message).substr(split + 4));
    auto field = s.finish(split_header(std::string_view(message).substr(0, split + 2)));
    return field + message;
}

SigningKey make_key(bool ed25519, dns::AnswerSet& keys) {
    auto g = generate_key(ed25519, 2048);
    EXPECT_TRUE(g);
    std::string error;
    auto pk = load_private_key_pem(g->private_pem, &error);
    EXPECT_TRUE(pk) << error;
    SigningKey key;
    key.domain = "example.org";
    key.selector = ed25519 ? "ed" : "rsa";
    key.algorithm = *algorithm_of(pk.get());
    key.key = std::shared_ptr<void>(pk.release(), KeyDeleter{});
    add_txt(keys, key.selector + "._domainkey.example.org",
            key_record_text(g->key_type, g->public_b64));
    return key;
}

TEST(DkimSign, OwnSignaturesVerifyAndTamperingFails) {
    for (bool ed : {false, true}) {
        dns::AnswerSet keys;
        auto key = make_key(ed, keys);
        auto signed_msg = sign(key, kMessage);
        ASSERT_TRUE(signed_msg.starts_with("DKIM-Signature: v=1; a=")) << signed_msg;
        auto results = verify(signed_msg, keys);
        ASSERT_EQ(results.size(), 1u);
        EXPECT_EQ(results[0].status, Status::pass) << results[0].reason;
        // Relaxed canonicalization tolerates whitespace changes in header and body.
        auto respaced = signed_msg;
        respaced.replace(respaced.find("Hello   there"), 13, "Hello there");
        respaced.replace(respaced.find("Hi Bob,  "), 9, "Hi  Bob,");
        EXPECT_EQ(verify(respaced, keys)[0].status, Status::pass);
        auto changed = signed_msg;
        changed.replace(changed.find("see you"), 7, "pay you");
        EXPECT_EQ(verify(changed, keys)[0].status, Status::fail);
        auto subject = signed_msg;
        subject.replace(subject.find("Hello"), 5, "Howdy");
        EXPECT_EQ(verify(subject, keys)[0].status, Status::fail);
        // An added From: is caught by oversigning.
        auto from = signed_msg;
        from.insert(from.find("From: Alice"), "From: Mallory <m@evil.example>\r\n");
        EXPECT_EQ(verify(from, keys)[0].status, Status::fail);
    }
}

TEST(DkimVerify, KeyProblems) {
    dns::AnswerSet keys;
    auto key = make_key(false, keys);
    auto msg = sign(key, kMessage);
    dns::AnswerSet revoked;
    add_txt(revoked, "rsa._domainkey.example.org", "v=DKIM1; k=rsa; p=");
    EXPECT_EQ(verify(msg, revoked)[0].status, Status::permerror);
    dns::AnswerSet wrong_type;
    add_txt(wrong_type, "rsa._domainkey.example.org",
            "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
    EXPECT_EQ(verify(msg, wrong_type)[0].status, Status::permerror);
    dns::AnswerSet timeout;
    timeout.add("rsa._domainkey.example.org", dns::RecordType::txt,
                dns::dns_fail(dns::DnsErrc::timeout, "t"));
    EXPECT_EQ(verify(msg, timeout)[0].status, Status::temperror);
    dns::AnswerSet none;
    none.add("rsa._domainkey.example.org", dns::RecordType::txt,
             dns::dns_fail(dns::DnsErrc::nxdomain, "n"));
    EXPECT_EQ(verify(msg, none)[0].status, Status::permerror);
}

TEST(DkimVerify, ExpiredAndMalformedSignatures) {
    dns::AnswerSet keys;
    auto key = make_key(true, keys);
    auto msg = sign(key, kMessage);
    auto split = msg.find("\r\n\r\n");
    VerifyOptions late;
    late.now = 1700000000LL + 86400LL * 365 * 101;
    Verifier v(std::string_view(msg).substr(0, split + 2), late);
    v.finish_body();
    EXPECT_EQ(v.results(keys)[0].status, Status::permerror);
    for (const char* bad :
         {"DKIM-Signature: v=2; a=rsa-sha256; d=a.example; s=s; h=from; bh=AAAA; b=AAAA\r\n",
          "DKIM-Signature: v=1; a=rsa-md5; d=a.example; s=s; h=from; bh=AAAA; b=AAAA\r\n",
          "DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=s; h=to; bh=AAAA; b=AAAA\r\n",
          "DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=AAAA; b=AAAA; "
          "i=x@b.example\r\n",
          "DKIM-Signature: v=1; v=1; a=rsa-sha256; d=a.example; s=s; h=from; bh=AAAA; b=AAAA\r\n",
          "DKIM-Signature: garbage\r\n"}) {
        Verifier bad_v(std::string(bad) + "From: a@a.example\r\n");
        bad_v.finish_body();
        auto r = bad_v.results(keys);
        ASSERT_EQ(r.size(), 1u);
        EXPECT_EQ(r[0].status, Status::permerror) << bad;
    }
}

TEST(DkimVerify, SignatureCountIsLimited) {
    std::string header;
    for (int i = 0; i < 50; ++i)
        header += "DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=s" + std::to_string(i) +
                  "; h=from; bh=AAAA; b=AAAA\r\n";
    header += "From: a@a.example\r\n";
    Verifier v(header);
    v.finish_body();
    EXPECT_EQ(v.questions().size(), 5u);
    dns::AnswerSet none;
    EXPECT_EQ(v.results(none).size(), 5u);
}

TEST(DkimVerify, BodyLengthLimit) {
    // l= signs a prefix: appended text still verifies; a shorter body does not.
    // The signer never uses l=; the hasher honours it for verification.
    BodyHasher full(Canon::simple, HashAlg::sha256, std::nullopt);
    full.feed("abc\r\n");
    BodyHasher limited(Canon::simple, HashAlg::sha256, 5);
    limited.feed("abc\r\nmore text appended\r\n");
    EXPECT_EQ(full.finish(), limited.finish());
}

TEST(DkimCanon, RelaxedHeaderAndBody) {
    RawField f{"Subject", "SubJect :  A  \t b\r\n\t c  \r\n"};
    EXPECT_EQ(canon_header(f, Canon::relaxed), "subject:A b c\r\n");
    EXPECT_EQ(canon_header(f, Canon::simple), f.raw);
    BodyHasher a(Canon::relaxed, HashAlg::sha256, std::nullopt);
    a.feed(" C \r\nD \t E\r\n\r\n\r\n");
    BodyHasher b(Canon::relaxed, HashAlg::sha256, std::nullopt);
    b.feed(" C\r\nD E\r\n");
    EXPECT_EQ(a.finish(), b.finish());
    // RFC 6376 §3.4.3/§3.4.4: empty bodies.
    BodyHasher simple_empty(Canon::simple, HashAlg::sha256, std::nullopt);
    BodyHasher crlf_only(Canon::relaxed, HashAlg::sha256, std::nullopt);
    crlf_only.feed("\r\n");
    Digest d(HashAlg::sha256);
    d.update("\r\n");
    EXPECT_EQ(simple_empty.finish(), d.finish());
    Digest e(HashAlg::sha256);
    EXPECT_EQ(crlf_only.finish(), e.finish());
}

TEST(DkimSign, KeyFilesAndRotation) {
    auto dir = std::filesystem::temp_directory_path() / ("dkim_keys_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto old_key = generate_key(false, 1024);
    auto new_key = generate_key(true);
    std::ofstream(dir / "s2025.pem") << old_key->private_pem;
    std::ofstream(dir / "s2026.pem") << new_key->private_pem;
    std::filesystem::last_write_time(
        dir / "s2025.pem", std::filesystem::file_time_type::clock::now() - std::chrono::hours(24));
    auto k = newest_signing_key(dir, "Example.ORG");
    ASSERT_TRUE(k) << k.error().message;
    EXPECT_EQ(k->selector, "s2026");
    EXPECT_EQ(k->domain, "example.org");
    EXPECT_EQ(k->algorithm, Algorithm::ed25519_sha256);
    std::ofstream(dir / "broken.pem") << "not a key";
    EXPECT_FALSE(load_signing_key(dir / "broken.pem", "example.org"));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace postern::filter::dkim
