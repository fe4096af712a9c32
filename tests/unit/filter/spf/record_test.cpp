// SPF record syntax, macro expansion (RFC 7208 §7 examples) and check_host() over a small
// AnswerSet fed by hand, including the pending-question loop and hostile input.
#include "filter/spf/record.h"

#include <gtest/gtest.h>

#include "filter/spf/check.h"

namespace postern::filter::spf {
namespace {

namespace dns = net::dns;

TEST(SpfRecord, SelectsVersionOne) {
    EXPECT_TRUE(is_spf_record("v=spf1"));
    EXPECT_TRUE(is_spf_record("V=SPF1 -all"));
    EXPECT_FALSE(is_spf_record("v=spf10"));
    EXPECT_FALSE(is_spf_record("v=spf1-all"));
    EXPECT_FALSE(is_spf_record("spf2.0/pra"));
}

TEST(SpfRecord, ParsesMechanismsAndModifiers) {
    auto r = parse_record(
        "v=spf1 +a mx/24//64 ~ptr:example.org ip4:192.0.2.0/24 ip6:2001:db8::/32 "
        "exists:%{i}.bl.example -include:_spf.example.com ?all redirect=x.example exp=e.example "
        "foo=bar");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->directives.size(), 8u);
    EXPECT_EQ(r->directives[1].mechanism, Mechanism::mx);
    EXPECT_EQ(r->directives[1].cidr4, 24);
    EXPECT_EQ(r->directives[1].cidr6, 64);
    EXPECT_EQ(r->directives[2].qualifier, Result::softfail);
    EXPECT_EQ(r->directives[6].qualifier, Result::fail);
    EXPECT_EQ(*r->redirect, "x.example");
    EXPECT_EQ(*r->exp, "e.example");
}

TEST(SpfRecord, RejectsBadSyntax) {
    for (const char* bad : {"v=spf1 ip4:1.2.3.4/33", "v=spf1 a/024", "v=spf1 foo", "v=spf1 include",
                            "v=spf1 redirect=a.example redirect=b.example", "v=spf1 a:%{x}.example",
                            "v=spf1 exists:%{d0}.example", "v=spf1 ip6:1.2.3.4", "v=spf1 -all\x01",
                            "v=spf1 all:foo", "v=spf1 a:foo.123", "v=spf1 =bar"}) {
        EXPECT_FALSE(parse_record(bad)) << bad;
    }
}

TEST(SpfRecord, HostileInputIsBounded) {
    std::string huge = "v=spf1";
    for (int i = 0; i < 2000; ++i)
        huge += " a";
    EXPECT_FALSE(parse_record(huge));  // too long
    ParseLimits limits;
    limits.max_record_length = 100000;
    EXPECT_FALSE(parse_record(huge, nullptr, limits));  // too many terms
    std::string macros = "v=spf1 exists:";
    for (int i = 0; i < 500; ++i)
        macros += "%{d99999999999999999r.-+,/_=}";
    macros += ".example";
    limits.max_record_length = 1 << 20;
    auto r = parse_record(macros, nullptr, limits);
    ASSERT_TRUE(r);
    MacroContext ctx;
    ctx.domain = "a.b.c";
    auto e = expand_macros(r->directives[0].domain_spec, ctx, false);
    ASSERT_TRUE(e);
    EXPECT_FALSE(finish_domain(*e)->empty());
}

// The examples of RFC 7208 §7.4.
TEST(SpfMacro, Rfc7208Examples) {
    MacroContext ctx;
    ctx.sender = "strong-bad@email.example.com";
    ctx.local_part = "strong-bad";
    ctx.sender_domain = "email.example.com";
    ctx.domain = "email.example.com";
    ctx.ip = *IpAddress::parse("192.0.2.3");
    auto x = [&](const char* m) { return expand_macros(m, ctx, true).value_or("<error>"); };
    EXPECT_EQ(x("%{s}"), "strong-bad@email.example.com");
    EXPECT_EQ(x("%{o}"), "email.example.com");
    EXPECT_EQ(x("%{d}"), "email.example.com");
    EXPECT_EQ(x("%{d4}"), "email.example.com");
    EXPECT_EQ(x("%{d3}"), "email.example.com");
    EXPECT_EQ(x("%{d2}"), "example.com");
    EXPECT_EQ(x("%{d1}"), "com");
    EXPECT_EQ(x("%{dr}"), "com.example.email");
    EXPECT_EQ(x("%{d2r}"), "example.email");
    EXPECT_EQ(x("%{l}"), "strong-bad");
    EXPECT_EQ(x("%{l-}"), "strong.bad");
    EXPECT_EQ(x("%{lr}"), "strong-bad");
    EXPECT_EQ(x("%{lr-}"), "bad.strong");
    EXPECT_EQ(x("%{l1r-}"), "strong");
    EXPECT_EQ(x("%{ir}.%{v}._spf.%{d2}"), "3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(x("%{lr-}.lp._spf.%{d2}"), "bad.strong.lp._spf.example.com");
    EXPECT_EQ(x("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}"),
              "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
    EXPECT_EQ(x("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}"),
              "3.2.0.192.in-addr.strong.lp._spf.example.com");
    EXPECT_EQ(x("%{d2}.trusted-domains.example.net"), "example.com.trusted-domains.example.net");
    EXPECT_EQ(x("%%%_%-"), "% %20");
    EXPECT_EQ(x("%{S}"), "strong-bad%40email.example.com");
    ctx.ip = *IpAddress::parse("2001:db8::cb01");
    EXPECT_EQ(
        x("%{ir}.%{v}._spf.%{d2}"),
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com");
    EXPECT_EQ(x("%{c}"), "2001:db8::cb01");
}

dns::RecordSet txt(const std::string& name, const std::string& text) {
    dns::RecordSet s;
    s.name = name;
    s.type = dns::RecordType::txt;
    s.canonical_name = name;
    s.records = std::vector<dns::TxtRecord>{dns::TxtRecord{{text}}};
    return s;
}

dns::RecordSet addr(const std::string& name, const std::string& ip) {
    dns::RecordSet s;
    s.name = name;
    s.type = dns::RecordType::a;
    s.canonical_name = name;
    s.records = std::vector<IpAddress>{*IpAddress::parse(ip)};
    return s;
}

// The caller's loop: ask for missing answers until an outcome comes.
TEST(SpfCheck, AsksForMissingAnswersOneAtATime) {
    std::map<std::string, dns::DnsResult<dns::RecordSet>> world;
    world.emplace("example.org/TXT", txt("example.org", "v=spf1 include:_spf.example.org -all"));
    world.emplace("_spf.example.org/TXT",
                  txt("_spf.example.org", "v=spf1 a:mail.example.org ~all"));
    world.emplace("mail.example.org/A", addr("mail.example.org", "192.0.2.10"));
    dns::AnswerSet answers;
    auto request =
        mail_from_request(*IpAddress::parse("192.0.2.10"), "alice@example.org", "mail.example.org");
    int questions = 0;
    for (;;) {
        auto step = check_host(request, answers);
        if (step.outcome) {
            EXPECT_EQ(step.outcome->result, Result::pass);
            break;
        }
        ASSERT_TRUE(step.question);
        ++questions;
        auto key =
            step.question->name + "/" + std::string(dns::record_type_name(step.question->type));
        auto it = world.find(key);
        answers.add(step.question->name, step.question->type,
                    it == world.end()
                        ? dns::DnsResult<dns::RecordSet>(dns::dns_fail(dns::DnsErrc::nxdomain, key))
                        : it->second);
        ASSERT_LT(questions, 10);
    }
    EXPECT_EQ(questions, 3);
    request.ip = *IpAddress::parse("198.51.100.1");
    auto step = check_host(request, answers);
    ASSERT_TRUE(step.outcome);
    EXPECT_EQ(step.outcome->result, Result::fail);
}

TEST(SpfCheck, IncludeLoopHitsTheTermLimit) {
    dns::AnswerSet answers;
    answers.add("loop.example", dns::RecordType::txt,
                txt("loop.example", "v=spf1 include:loop.example -all"));
    auto step = check_host(
        mail_from_request(*IpAddress::parse("192.0.2.1"), "a@loop.example", "h.example"), answers);
    ASSERT_TRUE(step.outcome);
    EXPECT_EQ(step.outcome->result, Result::permerror);
}

TEST(SpfCheck, NullSenderUsesHelo) {
    auto r = mail_from_request(*IpAddress::parse("192.0.2.1"), "", "mx.example.net");
    EXPECT_EQ(r.sender, "postmaster@mx.example.net");
    r = mail_from_request(*IpAddress::parse("192.0.2.1"), "@example.net", "h");
    EXPECT_EQ(r.sender, "postmaster@example.net");
}

}  // namespace
}  // namespace postern::filter::spf
