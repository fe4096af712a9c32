// DNSBL query names (RFC 5782 §2.1, §2.4), answer filtering, verdicts, and parallel lookups
// through the Resolver seam (an in-memory zone: the e2e tests use a real DNS server).
#include "filter/dnsbl/dnsbl.h"

#include <map>
#include <utility>

#include <gtest/gtest.h>

namespace postern::filter::dnsbl {
namespace {

namespace dns = net::dns;

IpAddress ip(std::string_view text) {
    auto a = IpAddress::parse(text);
    EXPECT_TRUE(a) << text;
    return a.value_or(IpAddress());
}

config::DnsblZone zone(std::string name, config::DnsblAction action = config::DnsblAction::reject) {
    config::DnsblZone z;
    z.zone = std::move(name);
    z.action = action;
    return z;
}

TEST(DnsblQueryName, ReversesIpv4Octets) {
    EXPECT_EQ(query_name(ip("127.0.0.2"), "bl.example"), "2.0.0.127.bl.example");
    EXPECT_EQ(query_name(ip("192.0.2.99"), "zen.example.org"), "99.2.0.192.zen.example.org");
}

TEST(DnsblQueryName, ReversesIpv6Nibbles) {
    // RFC 5782 §2.4's example address.
    EXPECT_EQ(query_name(ip("2001:db8:1:2:3:4:567:89ab"), "ugly.example.com"),
              "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ugly.example.com");
}

TEST(DnsblCodes, DefaultIs127Slash8AndRangesFilter) {
    auto z = zone("bl.example");
    EXPECT_TRUE(is_listing(z, ip("127.0.0.2")));
    EXPECT_TRUE(is_listing(z, ip("127.255.0.1")));
    EXPECT_FALSE(is_listing(z, ip("10.0.0.2")));  // not a listing: an error answer
    z.codes.push_back(*IpRange::parse("127.0.0.2-127.0.0.11"));
    EXPECT_TRUE(is_listing(z, ip("127.0.0.11")));
    EXPECT_FALSE(is_listing(z, ip("127.0.0.12")));
    EXPECT_FALSE(is_listing(z, ip("127.255.255.254")));  // "query refused" of some lists
}

ZoneResult listed(std::string zone_name, std::string reason = {}) {
    ZoneResult r;
    r.zone = std::move(zone_name);
    r.state = ZoneResult::State::listed;
    r.code = "127.0.0.2";
    r.reason = std::move(reason);
    return r;
}

ZoneResult clear(std::string zone_name) {
    ZoneResult r;
    r.zone = std::move(zone_name);
    r.state = ZoneResult::State::clear;
    return r;
}

TEST(DnsblVerdict, RejectZoneUsesTxtReasonThenMessage) {
    std::vector zones{zone("a.example"), zone("b.example")};
    auto v = evaluate(zones, 0, {clear("a.example"), listed("b.example", "Listed: see http://b/")});
    EXPECT_EQ(v.kind, Verdict::Kind::reject);
    EXPECT_EQ(v.reply_text, "Listed: see http://b/");
    EXPECT_EQ(v.summary(), "reject b.example");
    zones[1].message = "Go away";
    v = evaluate(zones, 0, {clear("a.example"), listed("b.example", "Listed")});
    EXPECT_EQ(v.reply_text, "Go away");
    zones[1].message.clear();
    v = evaluate(zones, 0, {clear("a.example"), listed("b.example")});
    EXPECT_EQ(v.reply_text, "Client address listed by b.example");
}

TEST(DnsblVerdict, AllowListWins) {
    auto wl = zone("wl.example");
    wl.allow = true;
    std::vector zones{zone("bl.example"), wl};
    auto v = evaluate(zones, 0, {listed("bl.example"), listed("wl.example")});
    EXPECT_EQ(v.kind, Verdict::Kind::allowed);
    EXPECT_EQ(v.listed.size(), 2u);
}

TEST(DnsblVerdict, ScoresAddUpToTheThreshold) {
    auto a = zone("a.example", config::DnsblAction::score);
    a.weight = 2;
    auto b = zone("b.example", config::DnsblAction::score);
    b.weight = 3;
    auto h = zone("h.example", config::DnsblAction::header);
    std::vector zones{a, b, h};
    auto v = evaluate(zones, 6, {listed("a.example"), listed("b.example"), listed("h.example")});
    EXPECT_EQ(v.kind, Verdict::Kind::pass);
    EXPECT_EQ(v.score, 5);
    EXPECT_EQ(v.summary(), "listed a.example,b.example,h.example (score 5)");
    v = evaluate(zones, 5, {listed("a.example"), listed("b.example"), clear("h.example")});
    EXPECT_EQ(v.kind, Verdict::Kind::reject);
}

TEST(DnsblVerdict, PendingAndFailedZonesDoNotList) {
    std::vector zones{zone("a.example"), zone("b.example")};
    ZoneResult pending;
    pending.zone = "a.example";
    ZoneResult failed;
    failed.zone = "b.example";
    failed.state = ZoneResult::State::error;
    auto v = evaluate(zones, 0, {pending, failed});
    EXPECT_EQ(v.kind, Verdict::Kind::pass);
    EXPECT_FALSE(v.complete);
    EXPECT_EQ(v.summary(), "pass (incomplete)");
}

// Answers from a map; a name not in it is NXDOMAIN. Callbacks run later, when flush() is
// called, like a real resolver's thread would.
class MapResolver : public dns::Resolver {
  public:
    std::map<std::pair<std::string, dns::RecordType>, dns::RecordData> records;
    std::vector<std::pair<std::string, dns::RecordType>> asked;

    void lookup(std::string_view name, dns::RecordType type,
                dns::Callback<dns::RecordSet> done) override {
        asked.emplace_back(std::string(name), type);
        pending_.emplace_back(std::string(name), type, std::move(done));
    }
    void flush() {
        while (!pending_.empty()) {
            auto [name, type, done] = std::move(pending_.front());
            pending_.erase(pending_.begin());
            auto it = records.find({name, type});
            if (it == records.end()) {
                done(dns::dns_fail(dns::DnsErrc::nxdomain, name));
                continue;
            }
            dns::RecordSet set;
            set.name = name;
            set.canonical_name = name;
            set.type = type;
            set.ttl = 60;
            set.records = it->second;
            done(std::move(set));
        }
    }

  private:
    std::vector<std::tuple<std::string, dns::RecordType, dns::Callback<dns::RecordSet>>> pending_;
};

TEST(DnsblLookup, QueriesEveryZoneAtOnceAndFetchesTheReason) {
    MapResolver r;
    r.records[{"1.0.0.127.bl.example", dns::RecordType::a}] =
        std::vector<IpAddress>{ip("127.0.0.4")};
    r.records[{"1.0.0.127.bl.example", dns::RecordType::txt}] =
        std::vector<dns::TxtRecord>{dns::TxtRecord{{"Blocked,\r\n see ", "http://bl.example/"}}};
    auto lookup = Lookup::start(r, {zone("bl.example"), zone("other.example")}, ip("127.0.0.1"));
    ASSERT_EQ(r.asked.size(), 2u);  // both A queries before any answer
    EXPECT_FALSE(lookup->done());
    bool called = false;
    lookup->when_done([&] { called = true; });
    r.flush();
    EXPECT_TRUE(called);
    EXPECT_TRUE(lookup->done());
    auto results = lookup->results();
    ASSERT_EQ(results.size(), 2u);
    EXPECT_EQ(results[0].state, ZoneResult::State::listed);
    EXPECT_EQ(results[0].code, "127.0.0.4");
    EXPECT_EQ(results[0].reason, "Blocked,   see http://bl.example/");  // one printable line
    EXPECT_EQ(results[1].state, ZoneResult::State::clear);
    // Done already: the waiter runs at once.
    bool again = false;
    lookup->when_done([&] { again = true; });
    EXPECT_TRUE(again);
}

TEST(DnsblLookup, AnswerOutsideTheCodesIsNotAListingAndNeedsNoReason) {
    MapResolver r;
    auto z = zone("bl.example");
    z.codes.push_back(*IpRange::parse("127.0.0.2-127.0.0.11"));
    r.records[{"1.0.0.127.bl.example", dns::RecordType::a}] =
        std::vector<IpAddress>{ip("127.255.255.254")};
    auto lookup = Lookup::start(r, {z}, ip("127.0.0.1"));
    r.flush();
    EXPECT_EQ(lookup->results()[0].state, ZoneResult::State::clear);
    EXPECT_EQ(r.asked.size(), 1u);
}

TEST(DnsblLookup, Ipv6ClientUsesNibbles) {
    MapResolver r;
    auto lookup = Lookup::start(r, {zone("bl.example")}, ip("2001:db8::1"));
    ASSERT_EQ(r.asked.size(), 1u);
    EXPECT_EQ(r.asked[0].first,
              "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.bl.example");
    r.flush();
    EXPECT_TRUE(lookup->done());
}

TEST(DnsblLookup, NoZonesIsDoneAtOnce) {
    MapResolver r;
    auto lookup = Lookup::start(r, {}, ip("127.0.0.1"));
    EXPECT_TRUE(lookup->done());
}

}  // namespace
}  // namespace postern::filter::dnsbl
