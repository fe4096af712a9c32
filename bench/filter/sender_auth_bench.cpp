// Costs of sender authentication per message: SPF (HELO + MAIL FROM) + DKIM verification +
// DMARC + the Authentication-Results field with every DNS answer a hit in the resolver's warm
// cache (the real CachingResolver against tests/e2e/dns_server.py, warmed first), and DKIM
// signing and verification alone for 10 KiB and 1 MiB messages (RSA-2048 and Ed25519).
#include <filesystem>
#include <fstream>

#include <benchmark/benchmark.h>

#include "dns_test_server.h"
#include "filter/dkim/crypto.h"
#include "filter/dkim/sign.h"
#include "filter/dkim/verify.h"
#include "filter/dmarc/dmarc.h"
#include "filter/sender_auth/auth_results.h"
#include "filter/spf/check.h"
#include "net/dns/answer_set.h"
#include "net/dns/caching_resolver.h"

namespace {

using namespace postern;
namespace dns = net::dns;
namespace dkim = filter::dkim;

struct Key {
    dkim::SigningKey signing;
    std::string record;
};

Key make_key(bool ed25519, const std::string& selector) {
    auto g = dkim::generate_key(ed25519, 2048);
    auto pk = dkim::load_private_key_pem(g->private_pem, nullptr);
    Key k;
    k.signing.domain = "sender.test";
    k.signing.selector = selector;
    k.signing.algorithm = *dkim::algorithm_of(pk.get());
    k.signing.key = std::shared_ptr<void>(pk.release(), dkim::KeyDeleter{});
    k.record = dkim::key_record_text(g->key_type, g->public_b64);
    return k;
}

const Key& rsa_key() {
    static Key k = make_key(false, "rsa");
    return k;
}
const Key& ed_key() {
    static Key k = make_key(true, "ed");
    return k;
}

std::string make_message(std::size_t body_bytes) {
    std::string m =
        "From: Bob <bob@sender.test>\r\nTo: alice@example.test\r\nSubject: benchmark\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMessage-ID: <b@sender.test>\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
    std::string line = "The quick brown fox jumps over the lazy dog, again and again  \r\n";
    while (m.size() < body_bytes)
        m += line;
    return m;
}

std::string signed_message(const Key& key, const std::string& message) {
    auto split = message.find("\r\n\r\n");
    dkim::Signer s(key.signing, dkim::SignOptions{1700000000, std::nullopt, {}});
    s.feed_body(std::string_view(message).substr(split + 4));
    return s.finish(dkim::split_header(std::string_view(message).substr(0, split + 2))) + message;
}

// --- DKIM alone ------------------------------------------------------------------------------

void BM_DkimSign(benchmark::State& state, bool ed25519) {
    const auto& key = ed25519 ? ed_key() : rsa_key();
    auto message = make_message(static_cast<std::size_t>(state.range(0)));
    auto split = message.find("\r\n\r\n");
    auto header = dkim::split_header(std::string_view(message).substr(0, split + 2));
    for (auto _ : state) {
        dkim::Signer s(key.signing, dkim::SignOptions{1700000000, std::nullopt, {}});
        s.feed_body(std::string_view(message).substr(split + 4));
        benchmark::DoNotOptimize(s.finish(header));
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}

void BM_DkimVerify(benchmark::State& state, bool ed25519) {
    const auto& key = ed25519 ? ed_key() : rsa_key();
    auto message = signed_message(key, make_message(static_cast<std::size_t>(state.range(0))));
    dns::AnswerSet keys;
    dns::RecordSet rs;
    rs.name = key.signing.selector + "._domainkey.sender.test";
    rs.type = dns::RecordType::txt;
    rs.records = std::vector<dns::TxtRecord>{dns::TxtRecord{{key.record}}};
    keys.add(rs.name, dns::RecordType::txt, rs);
    auto split = message.find("\r\n\r\n");
    for (auto _ : state) {
        dkim::Verifier v(std::string_view(message).substr(0, split + 2));
        v.feed_body(std::string_view(message).substr(split + 4));
        v.finish_body();
        auto r = v.results(keys);
        if (r.empty() || r[0].status != dkim::Status::pass)
            state.SkipWithError("did not verify");
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * message.size()));
}

BENCHMARK_CAPTURE(BM_DkimSign, rsa2048, false)
    ->Arg(10 << 10)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DkimSign, ed25519, true)
    ->Arg(10 << 10)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DkimVerify, rsa2048, false)
    ->Arg(10 << 10)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_DkimVerify, ed25519, true)
    ->Arg(10 << 10)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMicrosecond);

// --- the whole per-message check over the warm resolver cache ---------------------------------

dns::testing::DnsTestServer& zone_server() {
    static auto server = [] {
        auto path = std::filesystem::temp_directory_path() / "postern_sender_auth_bench_zone.json";
        std::ofstream(path) << R"({"soa": {"sender.test": {"ttl": 3600, "minimum": 3600}},
          "names": {
            "sender.test": {"ttl": 3600, "TXT": ["v=spf1 include:_spf.sender.test mx -all"],
                            "MX": [[10, "mx.sender.test"]]},
            "_spf.sender.test": {"ttl": 3600, "TXT": ["v=spf1 ip4:198.51.100.0/24 a:out.sender.test ~all"]},
            "out.sender.test": {"ttl": 3600, "A": ["198.51.100.7"]},
            "mx.sender.test": {"ttl": 3600, "A": ["127.0.0.1"],
                               "TXT": ["v=spf1 a -all"]},
            "rsa._domainkey.sender.test": {"ttl": 3600, "TXT": [")"
                            << rsa_key().record << R"("]},
            "_dmarc.sender.test": {"ttl": 3600, "TXT": ["v=DMARC1; p=reject"]}
          }})";
        return std::make_unique<dns::testing::DnsTestServer>(path.string());
    }();
    return *server;
}

dns::CachingResolver& resolver() {
    static auto instance = [] {
        auto options = zone_server().options();
        options.timeout = std::chrono::seconds(2);
        options.tries = 3;
        return std::move(*dns::CachingResolver::create(options));
    }();
    return *instance;
}

// Answers a question from the resolver: a cache hit once warm (the callback runs inline).
int g_questions = 0;
void answer(dns::AnswerSet& answers, const dns::Question& q) {
    ++g_questions;
    auto r = dns::testing::wait_result<dns::RecordSet>([&](dns::Callback<dns::RecordSet> cb) {
        resolver().lookup(q.name, q.type, std::move(cb));
    });
    answers.add(q.name, q.type, std::move(r));
}

filter::sender_auth::SpfCheck spf(const filter::spf::Request& request) {
    dns::AnswerSet answers;
    for (;;) {
        auto step = filter::spf::check_host(request, answers);
        if (step.outcome)
            return {step.outcome->result, request.sender, step.outcome->domain,
                    step.outcome->reason, ""};
        answer(answers, *step.question);
    }
}

std::string check_message(const std::string& message, const filter::dmarc::PublicSuffixList& psl) {
    auto ip = *IpAddress::parse("127.0.0.1");
    filter::sender_auth::MessageAuth auth;
    auth.spf_helo = spf(filter::spf::helo_request(ip, "mx.sender.test"));
    auth.spf_mail = spf(filter::spf::mail_from_request(ip, "bob@sender.test", "mx.sender.test"));
    auto split = message.find("\r\n\r\n");
    dkim::Verifier v(std::string_view(message).substr(0, split + 2));
    v.feed_body(std::string_view(message).substr(split + 4));
    v.finish_body();
    dns::AnswerSet answers;
    for (auto& q : v.questions())
        answer(answers, q);
    auth.dkim_checked = true;
    auth.dkim = v.results(answers);
    filter::dmarc::Input in{"sender.test", auth.spf_mail->result == filter::spf::Result::pass,
                            "sender.test", auth.dkim_pass_domains(), 0};
    for (;;) {
        auto step = filter::dmarc::evaluate(in, psl, answers);
        if (step.outcome) {
            auth.dmarc = *step.outcome;
            break;
        }
        answer(answers, *step.question);
    }
    return filter::sender_auth::authentication_results_field("mx.example.test", auth);
}

void BM_SenderAuthPerMessage(benchmark::State& state) {
    auto psl = filter::dmarc::PublicSuffixList::parse("test\ncom\norg\n");
    auto message =
        signed_message(rsa_key(), make_message(static_cast<std::size_t>(state.range(0))));
    auto first = check_message(message, psl);  // warms the cache
    if (first.find("spf=pass") == std::string::npos ||
        first.find("dkim=pass") == std::string::npos ||
        first.find("dmarc=pass") == std::string::npos) {
        state.SkipWithError(("unexpected result: " + first).c_str());
        return;
    }
    g_questions = 0;
    for (auto _ : state)
        benchmark::DoNotOptimize(check_message(message, psl));
    state.counters["dns_questions"] =
        static_cast<double>(g_questions) / static_cast<double>(state.iterations());
}
BENCHMARK(BM_SenderAuthPerMessage)->Arg(10 << 10)->Unit(benchmark::kMicrosecond);

}  // namespace
