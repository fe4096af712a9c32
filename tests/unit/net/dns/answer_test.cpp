// Answer interpretation: CNAME chains, negative answers and their TTL (RFC 2308), RCODEs,
// truncation and the answer limits.
#include "net/dns/answer.h"

#include <gtest/gtest.h>

namespace postern::net::dns {
namespace {

WireRecord a(std::string owner, const char* ip, std::uint32_t ttl = 300) {
    return WireRecord{std::move(owner), 1, ttl, *IpAddress::parse(ip)};
}
WireRecord cname(std::string owner, std::string target, std::uint32_t ttl = 300) {
    return WireRecord{std::move(owner), 5, ttl, std::move(target)};
}
WireRecord txt(std::string owner, std::vector<std::string> strings, std::uint32_t ttl = 300) {
    return WireRecord{std::move(owner), 16, ttl, TxtRecord{std::move(strings)}};
}
WireRecord soa(std::string zone, std::uint32_t ttl, std::uint32_t minimum) {
    return WireRecord{std::move(zone), kTypeSoa, ttl, SoaData{minimum}};
}

RecordSet records(const Outcome& o) {
    EXPECT_TRUE(std::holds_alternative<RecordSet>(o));
    return std::get<RecordSet>(o);
}
DnsError error(const Outcome& o) {
    EXPECT_TRUE(std::holds_alternative<DnsError>(o));
    return std::get<DnsError>(o);
}

TEST(DnsAnswer, RecordsOfTheOwnerOnly) {
    Message m;
    m.answers = {a("example.test", "192.0.2.1", 300), a("other.test", "192.0.2.9"),
                 a("example.test", "192.0.2.2", 100)};
    auto o = interpret_answer(m, "example.test", RecordType::a, {});
    const auto& set = records(o);
    EXPECT_EQ(set.name, "example.test");
    EXPECT_EQ(set.canonical_name, "example.test");
    EXPECT_EQ(set.ttl, 100u);  // the smallest TTL of the set
    auto& addresses = std::get<std::vector<IpAddress>>(set.records);
    ASSERT_EQ(addresses.size(), 2u);
    EXPECT_EQ(addresses[1].to_string(), "192.0.2.2");
}

TEST(DnsAnswer, FollowsCnameChainsAndTakesTheSmallestTtl) {
    Message m;
    m.answers = {cname("www.example.test", "web.example.test", 50),
                 cname("web.example.test", "host.example.test", 400),
                 a("host.example.test", "192.0.2.3", 200)};
    const auto& set = records(interpret_answer(m, "www.example.test", RecordType::a, {}));
    EXPECT_EQ(set.canonical_name, "host.example.test");
    EXPECT_EQ(set.ttl, 50u);

    // Asking for the CNAME itself gives the first step only.
    const auto& c = records(interpret_answer(m, "www.example.test", RecordType::cname, {}));
    EXPECT_EQ(std::get<std::vector<std::string>>(c.records),
              std::vector<std::string>{"web.example.test"});
}

TEST(DnsAnswer, NxdomainTtlIsTheSoaMinimumOrItsTtl) {
    Message m;
    m.rcode = rcode::kNxDomain;
    m.authority = {soa("example.test", 3600, 60)};
    auto e = error(interpret_answer(m, "nx.example.test", RecordType::a, {}));
    EXPECT_EQ(e.code, DnsErrc::nxdomain);
    EXPECT_EQ(e.ttl, 60u);

    m.authority = {soa("example.test", 30, 600)};
    EXPECT_EQ(error(interpret_answer(m, "nx.example.test", RecordType::a, {})).ttl, 30u);

    m.authority = {soa("elsewhere.test", 3600, 600)};  // not the zone of the name: ignored
    EXPECT_EQ(error(interpret_answer(m, "nx.example.test", RecordType::a, {})).ttl, 0u);

    m.authority.clear();  // no SOA: not to be cached (RFC 2308 §5)
    EXPECT_EQ(error(interpret_answer(m, "nx.example.test", RecordType::a, {})).ttl, 0u);
}

TEST(DnsAnswer, NxdomainAfterCnameNamesTheTarget) {
    Message m;
    m.rcode = rcode::kNxDomain;
    m.answers = {cname("alias.example.test", "gone.example.test", 20)};
    m.authority = {soa("example.test", 3600, 60)};
    auto e = error(interpret_answer(m, "alias.example.test", RecordType::a, {}));
    EXPECT_EQ(e.code, DnsErrc::nxdomain);
    EXPECT_EQ(e.ttl, 20u);  // the CNAME's TTL bounds the negative answer
    EXPECT_NE(e.message.find("gone.example.test"), std::string::npos);
}

TEST(DnsAnswer, Nodata) {
    Message m;
    m.answers = {a("example.test", "192.0.2.1")};  // another type at the name
    m.authority = {soa("example.test", 3600, 60)};
    auto e = error(interpret_answer(m, "example.test", RecordType::mx, {}));
    EXPECT_EQ(e.code, DnsErrc::nodata);
    EXPECT_EQ(e.ttl, 60u);
}

TEST(DnsAnswer, UnchasedChainContinues) {
    Message m;
    m.answers = {cname("alias.example.test", "target.other.test", 70)};
    auto o = interpret_answer(m, "alias.example.test", RecordType::a, {}, 2);
    ASSERT_TRUE(std::holds_alternative<ChainContinues>(o));
    const auto& next = std::get<ChainContinues>(o);
    EXPECT_EQ(next.target, "target.other.test");
    EXPECT_EQ(next.ttl, 70u);
    EXPECT_EQ(next.cnames, 3u);

    // With the target zone's SOA it is a real NODATA.
    m.authority = {soa("other.test", 3600, 60)};
    EXPECT_EQ(error(interpret_answer(m, "alias.example.test", RecordType::a, {})).code,
              DnsErrc::nodata);
}

TEST(DnsAnswer, CnameLoopAndLongChains) {
    Message loop;
    loop.answers = {cname("a.test", "b.test"), cname("b.test", "a.test")};
    EXPECT_EQ(error(interpret_answer(loop, "a.test", RecordType::a, {})).code, DnsErrc::malformed);

    Message chain;
    for (int i = 0; i < 5; ++i) {
        chain.answers.push_back(
            cname("c" + std::to_string(i) + ".test", "c" + std::to_string(i + 1) + ".test"));
    }
    chain.answers.push_back(a("c5.test", "192.0.2.5"));
    AnswerLimits limits;
    limits.max_cname_chain = 5;
    EXPECT_TRUE(std::holds_alternative<RecordSet>(
        interpret_answer(chain, "c0.test", RecordType::a, limits)));
    limits.max_cname_chain = 4;
    EXPECT_EQ(error(interpret_answer(chain, "c0.test", RecordType::a, limits)).code,
              DnsErrc::limit_exceeded);
    limits.max_cname_chain = 5;  // the count carries over from earlier answers
    EXPECT_EQ(error(interpret_answer(chain, "c0.test", RecordType::a, limits, 1)).code,
              DnsErrc::limit_exceeded);
}

TEST(DnsAnswer, ServerFailuresAreTemporary) {
    for (auto code :
         {rcode::kServFail, rcode::kRefused, rcode::kFormErr, rcode::kNotImp, std::uint8_t{9}}) {
        Message m;
        m.rcode = code;
        auto e = error(interpret_answer(m, "example.test", RecordType::a, {}));
        EXPECT_EQ(e.code, DnsErrc::server_failure) << int(code);
        EXPECT_TRUE(is_temporary(e.code));
    }
}

TEST(DnsAnswer, TruncatedWithoutRecordsIsNotNodata) {
    Message m;
    m.truncated = true;
    m.authority = {soa("example.test", 3600, 60)};
    EXPECT_EQ(error(interpret_answer(m, "example.test", RecordType::txt, {})).code,
              DnsErrc::server_failure);
    m.answers = {txt("example.test", {"partial"})};  // truncated but with records: usable
    EXPECT_TRUE(std::holds_alternative<RecordSet>(
        interpret_answer(m, "example.test", RecordType::txt, {})));
}

TEST(DnsAnswer, AnswerLimits) {
    AnswerLimits limits;
    limits.max_answers = 3;
    limits.max_txt_size = 11;
    Message many;
    for (int i = 0; i < 4; ++i)
        many.answers.push_back(a("example.test", "192.0.2.1"));
    EXPECT_EQ(error(interpret_answer(many, "example.test", RecordType::a, limits)).code,
              DnsErrc::limit_exceeded);
    many.answers.pop_back();
    EXPECT_TRUE(std::holds_alternative<RecordSet>(
        interpret_answer(many, "example.test", RecordType::a, limits)));

    Message txts;
    txts.answers = {txt("example.test", {"0123456789", "xy"}),
                    txt("example.test", {"v=spf1 ", "-all"})};
    const auto& set = records(interpret_answer(txts, "example.test", RecordType::txt, limits));
    auto& kept = std::get<std::vector<TxtRecord>>(set.records);
    ASSERT_EQ(kept.size(), 1u);  // the 12-byte record is dropped, the 11-byte one kept
    EXPECT_EQ(kept[0].joined(), "v=spf1 -all");

    txts.answers.pop_back();
    EXPECT_EQ(error(interpret_answer(txts, "example.test", RecordType::txt, limits)).code,
              DnsErrc::limit_exceeded);

    limits.max_name_length = 10;
    Message longname;
    longname.answers = {cname("example.test", "a-rather-long-name.test")};
    EXPECT_EQ(error(interpret_answer(longname, "example.test", RecordType::a, limits)).code,
              DnsErrc::limit_exceeded);
}

}  // namespace
}  // namespace postern::net::dns
