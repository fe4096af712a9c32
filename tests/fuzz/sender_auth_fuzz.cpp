// Fuzz target for the sender-authentication parsers: the input is read as an SPF record (and
// its terms expanded as macros), a DKIM-Signature value, a DKIM key record, a header block for
// the DKIM verifier (body = the input again, fed in pieces), a DMARC record, and a header block
// to strip Authentication-Results from. Checks: nothing crashes, expansion stays bounded,
// stripping never adds bytes, chunked and whole body hashing agree.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/dkim/canon.h"
#include "filter/dkim/signature.h"
#include "filter/dkim/verify.h"
#include "filter/dmarc/dmarc.h"
#include "filter/sender_auth/auth_results.h"
#include "filter/spf/record.h"

using namespace postern;
using namespace postern::filter;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (auto r = spf::parse_record(in)) {
        spf::MacroContext ctx;
        ctx.sender = "a.b-c+d@x.example";
        ctx.local_part = "a.b-c+d";
        ctx.sender_domain = ctx.domain = "x.example";
        ctx.helo = "h.example";
        for (auto& d : r->directives) {
            if (auto e = spf::expand_macros(d.domain_spec, ctx, false)) {
                if (e->size() > 1'000'000) std::abort();
                (void)spf::finish_domain(*e);
            }
        }
    }
    (void)spf::expand_macros(in, spf::MacroContext{}, true);
    std::string error;
    (void)dkim::parse_signature(in, &error);
    (void)dkim::parse_key_record(in, &error);
    (void)dmarc::parse_record(in, &error);
    dkim::Verifier v(in);
    v.feed_body(in);
    v.finish_body();
    net::dns::AnswerSet none;
    (void)v.results(none);
    dkim::BodyHasher whole(dkim::Canon::relaxed, dkim::HashAlg::sha256, std::nullopt);
    whole.feed(in);
    dkim::BodyHasher pieces(dkim::Canon::relaxed, dkim::HashAlg::sha256, std::nullopt);
    for (std::size_t i = 0; i < in.size(); i += 3) pieces.feed(in.substr(i, 3));
    if (whole.finish() != pieces.finish()) std::abort();
    int removed = 0;
    auto stripped = sender_auth::strip_our_results(in, "mx.example", removed);
    if (stripped.size() > in.size()) std::abort();
    (void)dkim::header_hash_input(dkim::split_header(in), {"from", "subject", "from"}, dkim::Canon::relaxed);
    return 0;
}
