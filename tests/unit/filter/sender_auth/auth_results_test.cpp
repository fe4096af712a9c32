// Authentication-Results writing (RFC 8601), stripping of forged fields with our authserv-id,
// and the DMARC results log line.
#include "filter/sender_auth/auth_results.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace postern::filter::sender_auth {
namespace {

MessageAuth sample() {
    MessageAuth a;
    a.spf_mail = SpfCheck{spf::Result::pass, "alice@example.com", "example.com", "", ""};
    a.spf_helo =
        SpfCheck{spf::Result::none, "mx.example.com", "mx.example.com", "no SPF record", ""};
    a.dkim_checked = true;
    dkim::SignatureResult d;
    d.status = dkim::Status::pass;
    d.domain = "example.com";
    d.selector = "s1";
    d.identity = "@example.com";
    d.algorithm = "rsa-sha256";
    d.header_b = "abcd+/ef";
    a.dkim.push_back(d);
    dmarc::Outcome m;
    m.result = dmarc::Result::pass;
    m.from_domain = "example.com";
    m.requested = dmarc::Policy::reject;
    a.dmarc = m;
    return a;
}

TEST(AuthResults, WritesEveryMethod) {
    auto f = authentication_results_field("mx.example.test", sample());
    EXPECT_EQ(
        f,
        "Authentication-Results: mx.example.test;\r\n"
        "\tspf=pass smtp.mailfrom=alice@example.com;\r\n"
        "\tspf=none (no SPF record) smtp.helo=mx.example.com;\r\n"
        "\tdkim=pass header.d=example.com header.i=@example.com header.s=s1 header.a=rsa-sha256 "
        "header.b=abcd+/ef;\r\n"
        "\tdmarc=pass (p=reject dis=none) header.from=example.com\r\n");
    EXPECT_EQ(authentication_results_field("mx.example.test", MessageAuth{}),
              "Authentication-Results: mx.example.test; none\r\n");
}

TEST(AuthResults, QuotesAndEscapesClientText) {
    MessageAuth a;
    a.spf_mail = SpfCheck{spf::Result::fail, "\"odd local\"@example.com", "example.com",
                          "reason (with) parens\r\n", ""};
    auto f = authentication_results_field("mx", a);
    EXPECT_NE(
        f.find(
            "spf=fail (reason \\(with\\) parens) smtp.mailfrom=\"\\\"odd local\\\"@example.com\""),
        std::string::npos)
        << f;
    EXPECT_EQ(f.find("\r\n", f.find("spf=")), f.size() - 2);  // no CR/LF from the reason
}

TEST(AuthResults, SummaryForScripts) {
    auto a = sample();
    EXPECT_EQ(a.dkim_summary(), "pass");
    a.dkim.front().status = dkim::Status::fail;
    EXPECT_EQ(a.dkim_summary(), "fail");
    a.dkim.clear();
    EXPECT_EQ(a.dkim_summary(), "none");
    a.dkim_checked = false;
    EXPECT_EQ(a.dkim_summary(), "");
}

TEST(AuthResults, StripsOnlyOurAuthservId) {
    std::string block =
        "Authentication-Results: MX.example.test; dkim=pass header.d=bank.example\r\n"
        "From: a@b.example\r\n"
        "Authentication-Results: (forged) mx.example.test 1;\r\n"
        "\tspf=pass smtp.mailfrom=x@bank.example\r\n"
        "Authentication-Results: other.example; spf=fail\r\n"
        "Authentication-Results:\r\n"
        " mx.example.test; dmarc=pass\r\n"
        "Subject: hi\r\n";
    int removed = 0;
    auto out = strip_our_results(block, "mx.example.test", removed);
    EXPECT_EQ(removed, 3);
    EXPECT_EQ(out,
              "From: a@b.example\r\n"
              "Authentication-Results: other.example; spf=fail\r\n"
              "Subject: hi\r\n");
    EXPECT_EQ(authserv_id_of(" (c (nested)) \"mx.example.test\"; none"), "mx.example.test");
    EXPECT_EQ(authserv_id_of(""), "");
}

TEST(AuthResults, HostileStripInput) {
    std::string block;
    for (int i = 0; i < 2000; ++i)
        block += "Authentication-Results: (((((((\r\n";
    int removed = 0;
    auto out = strip_our_results(block, "mx", removed);
    EXPECT_EQ(removed, 0);
    EXPECT_EQ(out, block);
}

TEST(AuthResults, DmarcLogLine) {
    ReportFacts facts{1700000000, "Q1", "192.0.2.1", "alice@example.com"};
    auto j = nlohmann::json::parse(dmarc_log_line(facts, sample()));
    EXPECT_EQ(j["header_from"], "example.com");
    EXPECT_EQ(j["dmarc"], "pass");
    EXPECT_EQ(j["p"], "reject");
    EXPECT_EQ(j["spf"]["scope"], "mfrom");
    EXPECT_EQ(j["dkim"][0]["selector"], "s1");
    EXPECT_EQ(j["source_ip"], "192.0.2.1");
}

}  // namespace
}  // namespace postern::filter::sender_auth
