// DMARC: record syntax, the Public Suffix List (Debian's copy when installed, and a small
// inline list), discovery at the organizational domain, alignment and pct= sampling.
#include "filter/dmarc/dmarc.h"

#include <filesystem>

#include <gtest/gtest.h>

#include "filter/dmarc/psl.h"

namespace postern::filter::dmarc {
namespace {

namespace dns = net::dns;

const PublicSuffixList& psl() {
    static const PublicSuffixList list = PublicSuffixList::parse(
        "// test list\ncom\nuk\nco.uk\n*.ck\n!www.ck\nexample\n// ===END===\n");
    return list;
}

TEST(Psl, OrganizationalDomain) {
    EXPECT_EQ(psl().organizational_domain("mail.example.com"), "example.com");
    EXPECT_EQ(psl().organizational_domain("a.b.example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl().organizational_domain("example.co.uk"), "example.co.uk");
    EXPECT_EQ(psl().organizational_domain("co.uk"), "co.uk");
    EXPECT_EQ(psl().organizational_domain("x.foo.ck"), "x.foo.ck");
    EXPECT_EQ(psl().organizational_domain("a.www.ck"), "www.ck");
    EXPECT_EQ(psl().organizational_domain("a.b.unknowntld"), "b.unknowntld");
    EXPECT_EQ(psl().organizational_domain("Mail.Example.COM."), "example.com");
}

TEST(Psl, DebianList) {
    if (!std::filesystem::exists(kDefaultPslPath))
        GTEST_SKIP() << "publicsuffix not installed";
    auto list = PublicSuffixList::load(kDefaultPslPath);
    ASSERT_TRUE(list);
    EXPECT_GT((*list)->size(), 5000u);
    EXPECT_EQ((*list)->organizational_domain("www.bbc.co.uk"), "bbc.co.uk");
    EXPECT_EQ((*list)->organizational_domain("foo.bar.github.io"), "bar.github.io");
    EXPECT_EQ((*list)->organizational_domain("mail.google.com"), "google.com");
}

TEST(DmarcRecord, Parses) {
    auto r = parse_record(
        "v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=50; "
        "rua=mailto:a@x.example,mailto:b@x.example");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->p, Policy::reject);
    EXPECT_EQ(*r->sp, Policy::quarantine);
    EXPECT_TRUE(r->strict_dkim);
    EXPECT_FALSE(r->strict_spf);
    EXPECT_EQ(r->pct, 50);
    EXPECT_EQ(r->rua.size(), 2u);
    EXPECT_TRUE(parse_record("v=DMARC1;rua=mailto:a@b.example"));  // p=none implied
    EXPECT_FALSE(parse_record("v=DMARC1; p=bogus"));
    EXPECT_FALSE(parse_record("v=DMARC2; p=none"));
    EXPECT_FALSE(parse_record("p=none; v=DMARC1"));
    EXPECT_FALSE(parse_record(std::string(5000, 'a')));
    EXPECT_FALSE(parse_record("v=DMARC1; p"));
}

void add_txt(dns::AnswerSet& set, const std::string& name, const std::string& text) {
    dns::RecordSet rs;
    rs.name = name;
    rs.type = dns::RecordType::txt;
    rs.canonical_name = name;
    rs.records = std::vector<dns::TxtRecord>{dns::TxtRecord{{text}}};
    set.add(name, dns::RecordType::txt, std::move(rs));
}

TEST(DmarcEvaluate, DiscoveryAlignmentAndDisposition) {
    dns::AnswerSet dns;
    add_txt(dns, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine");
    dns.add("_dmarc.news.example.com", dns::RecordType::txt,
            dns::dns_fail(dns::DnsErrc::nxdomain, "n"));

    Input in{"example.com", true, "bounce.example.com", {}, 0};
    auto step = evaluate(in, psl(), dns);
    ASSERT_TRUE(step.outcome);
    EXPECT_EQ(step.outcome->result, Result::pass);  // relaxed SPF alignment
    EXPECT_TRUE(step.outcome->spf_aligned);

    in.spf_domain = "evil.example";
    step = evaluate(in, psl(), dns);
    EXPECT_EQ(step.outcome->result, Result::fail);
    EXPECT_EQ(step.outcome->disposition, Policy::reject);

    in.dkim_pass_domains = {"mail.example.com"};
    EXPECT_EQ(evaluate(in, psl(), dns).outcome->result, Result::pass);

    // A subdomain without a record: the organizational domain's sp= applies.
    Input sub{"news.example.com", false, "", {}, 0};
    step = evaluate(sub, psl(), dns);
    ASSERT_TRUE(step.outcome);
    EXPECT_EQ(step.outcome->record_domain, "example.com");
    EXPECT_EQ(step.outcome->disposition, Policy::quarantine);

    // pct= sampling: outside the sample, reject becomes quarantine.
    dns::AnswerSet half;
    add_txt(half, "_dmarc.example.com", "v=DMARC1; p=reject; pct=50");
    Input out_of_sample{"example.com", false, "", {}, 70};
    EXPECT_EQ(evaluate(out_of_sample, psl(), half).outcome->disposition, Policy::quarantine);
    out_of_sample.sample = 10;
    EXPECT_EQ(evaluate(out_of_sample, psl(), half).outcome->disposition, Policy::reject);
}

TEST(DmarcEvaluate, StrictAlignmentAndMissingAnswers) {
    dns::AnswerSet dns;
    Input in{"example.com", true, "mail.example.com", {"sub.example.com"}, 0};
    auto step = evaluate(in, psl(), dns);
    ASSERT_TRUE(step.question);
    EXPECT_EQ(step.question->name, "_dmarc.example.com");
    add_txt(dns, "_dmarc.example.com", "v=DMARC1; p=quarantine; adkim=s; aspf=s");
    step = evaluate(in, psl(), dns);
    ASSERT_TRUE(step.outcome);
    EXPECT_EQ(step.outcome->result, Result::fail);
    EXPECT_EQ(step.outcome->disposition, Policy::quarantine);

    dns::AnswerSet temp;
    temp.add("_dmarc.example.com", dns::RecordType::txt, dns::dns_fail(dns::DnsErrc::timeout, "t"));
    EXPECT_EQ(evaluate(in, psl(), temp).outcome->result, Result::temperror);

    dns::AnswerSet two;
    dns::RecordSet rs;
    rs.name = "_dmarc.example.com";
    rs.type = dns::RecordType::txt;
    rs.records = std::vector<dns::TxtRecord>{dns::TxtRecord{{"v=DMARC1; p=reject"}},
                                             dns::TxtRecord{{"v=DMARC1; p=none"}}};
    two.add("_dmarc.example.com", dns::RecordType::txt, rs);
    EXPECT_EQ(evaluate(in, psl(), two).outcome->result, Result::none);
}

}  // namespace
}  // namespace postern::filter::dmarc
