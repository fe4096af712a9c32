// Wire parser tests (RFC 1035 §4.1): well-formed records of each type, compression, and a table
// of broken messages; every prefix of a valid message and random bytes must fail cleanly.
#include "net/dns/message.h"

#include <random>

#include <gtest/gtest.h>

#include "wire_builder.h"

namespace postern::net::dns {
namespace {

using testing::WireBuilder;

constexpr std::uint16_t kA = 1, kCname = 5, kSoa = 6, kMx = 15, kTxt = 16, kAaaa = 28;
constexpr std::uint16_t kQuestionName = 12;  // offset of the question's name

std::vector<std::uint8_t> mx_rdata(std::uint16_t pref, std::string_view host) {
    std::vector<std::uint8_t> r{static_cast<std::uint8_t>(pref >> 8),
                                static_cast<std::uint8_t>(pref)};
    auto n = WireBuilder::encoded_name(host);
    r.insert(r.end(), n.begin(), n.end());
    return r;
}

std::vector<std::uint8_t> soa_rdata(std::uint32_t minimum) {
    WireBuilder b;
    b.name("ns.example.test")
        .name("hostmaster.example.test")
        .u32(1)
        .u32(3600)
        .u32(600)
        .u32(86400)
        .u32(minimum);
    return b.bytes();
}

TEST(DnsMessage, ParsesRecordsOfEachType) {
    WireBuilder b;
    b.header(1, 6, 1, 0).question("example.test", kA);
    b.pointer(kQuestionName).rr_tail(kA, 300, {192, 0, 2, 1});
    b.pointer(kQuestionName)
        .rr_tail(kAaaa, 301, {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    b.pointer(kQuestionName).rr_tail(kMx, 302, mx_rdata(10, "MX1.Example.test"));
    b.pointer(kQuestionName).rr_tail(kTxt, 303, {3, 'a', 'b', 'c', 0, 2, 'd', 'e'});
    b.rr("www.example.test", kCname, 304, WireBuilder::encoded_name("example.test"));
    b.pointer(kQuestionName).rr_tail(kA, 0x80000001u, {192, 0, 2, 2});  // TTL top bit: 0
    b.rr("example.test", kSoa, 3600, soa_rdata(60));
    auto m = parse_message(b.bytes());
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_EQ(m->rcode, 0);
    EXPECT_FALSE(m->truncated);
    ASSERT_EQ(m->answers.size(), 6u);
    EXPECT_EQ(m->answers[0].owner, "example.test");
    EXPECT_EQ(std::get<IpAddress>(m->answers[0].data).to_string(), "192.0.2.1");
    EXPECT_EQ(m->answers[0].ttl, 300u);
    EXPECT_EQ(std::get<IpAddress>(m->answers[1].data).to_string(), "2001:db8::1");
    EXPECT_EQ(std::get<MxRecord>(m->answers[2].data), (MxRecord{10, "mx1.example.test"}));
    EXPECT_EQ(std::get<TxtRecord>(m->answers[3].data).strings,
              (std::vector<std::string>{"abc", "", "de"}));
    EXPECT_EQ(m->answers[4].owner, "www.example.test");
    EXPECT_EQ(std::get<std::string>(m->answers[4].data), "example.test");
    EXPECT_EQ(m->answers[5].ttl, 0u);
    ASSERT_EQ(m->authority.size(), 1u);
    EXPECT_EQ(std::get<SoaData>(m->authority[0].data).minimum, 60u);
}

TEST(DnsMessage, CompressedNamesInsideRdata) {
    WireBuilder b;
    b.header(1, 2, 0, 0).question("example.test", kMx);
    // "mx1" + pointer to the question name, then a second MX that points into the first one.
    b.pointer(kQuestionName);
    std::size_t first_rdata = b.size() + 10;
    WireBuilder rdata;
    rdata.u16(10).name_then_pointer("mx1", kQuestionName);
    b.rr_tail(kMx, 60, rdata.bytes());
    WireBuilder rdata2;
    rdata2.u16(20).name_then_pointer("backup", static_cast<std::uint16_t>(first_rdata + 2));
    b.pointer(kQuestionName).rr_tail(kMx, 60, rdata2.bytes());
    auto m = parse_message(b.bytes());
    ASSERT_TRUE(m) << m.error().to_string();
    EXPECT_EQ(std::get<MxRecord>(m->answers[0].data).exchange, "mx1.example.test");
    EXPECT_EQ(std::get<MxRecord>(m->answers[1].data).exchange, "backup.mx1.example.test");
}

TEST(DnsMessage, NullMxAndFlags) {
    WireBuilder b;
    b.header(1, 1, 0, 0, 3, 0x0200).question("example.test", kMx);
    b.pointer(kQuestionName).rr_tail(kMx, 60, {0, 0, 0});
    auto m = parse_message(b.bytes());
    ASSERT_TRUE(m);
    EXPECT_EQ(m->rcode, 3);
    EXPECT_TRUE(m->truncated);
    EXPECT_EQ(std::get<MxRecord>(m->answers[0].data).exchange, "");
}

TEST(DnsMessage, OddLabelBytesAreEscaped) {
    WireBuilder b;
    b.header(1, 1, 0, 0).question("example.test", kCname);
    b.pointer(kQuestionName).rr_tail(kCname, 60, {3, 'a', '.', 'b', 2, 'x', 0x00, 0});
    auto m = parse_message(b.bytes());
    ASSERT_TRUE(m);
    EXPECT_EQ(std::get<std::string>(m->answers[0].data), "a\\046b.x\\000");
}

TEST(DnsMessage, OtherClassesAndTypesAreSkipped) {
    WireBuilder b;
    b.header(1, 2, 0, 0).question("example.test", kA);
    b.pointer(kQuestionName).rr_tail(kA, 60, {1, 2, 3, 4}, /*klass=*/3);  // CHAOS
    b.pointer(kQuestionName).rr_tail(99, 60, {1, 2, 3});                  // unknown type
    auto m = parse_message(b.bytes());
    ASSERT_TRUE(m);
    ASSERT_EQ(m->answers.size(), 1u);
    EXPECT_EQ(m->answers[0].type, 99);
}

struct BrokenCase {
    const char* what;
    std::vector<std::uint8_t> bytes;
};

std::vector<BrokenCase> broken_cases() {
    std::vector<BrokenCase> cases;
    auto base = [] {
        WireBuilder b;
        b.header(1, 1, 0, 0).question("example.test", kA);
        return b;
    };
    cases.push_back({"empty", {}});
    cases.push_back({"short header", {0x12, 0x34, 0x81, 0x80, 0, 1}});
    {
        WireBuilder b;
        b.u16(1).u16(0x0100).u16(0).u16(0).u16(0).u16(0);  // a query, not a response
        cases.push_back({"not a response", b.bytes()});
    }
    {
        WireBuilder b;
        b.u16(1).u16(0x8000 | (5 << 11)).u16(0).u16(0).u16(0).u16(0);  // opcode UPDATE
        cases.push_back({"other opcode", b.bytes()});
    }
    cases.push_back({"answer count larger than records", base().bytes()});
    {
        auto b = base();
        b.pointer(kQuestionName).u16(kA).u16(1).u32(60).u16(4).u8(1);
        cases.push_back({"rdata past the end", b.bytes()});
    }
    {
        auto b = base();
        b.pointer(kQuestionName).rr_tail(kA, 60, {1, 2, 3});
        cases.push_back({"A with 3 bytes", b.bytes()});
    }
    {
        auto b = base();
        b.pointer(kQuestionName).rr_tail(kAaaa, 60, {1, 2, 3, 4});
        cases.push_back({"AAAA with 4 bytes", b.bytes()});
    }
    {
        auto b = base();
        b.pointer(static_cast<std::uint16_t>(b.size())).rr_tail(kA, 60, {1, 2, 3, 4});
        cases.push_back({"pointer to itself", b.bytes()});
    }
    {
        auto b = base();
        b.pointer(static_cast<std::uint16_t>(b.size() + 2)).rr_tail(kA, 60, {1, 2, 3, 4});
        cases.push_back({"pointer forwards", b.bytes()});
    }
    {
        // Two labels then a pointer back to their start: a loop if pointers were only required
        // to point before themselves.
        auto b = base();
        auto start = static_cast<std::uint16_t>(b.size());
        b.name_then_pointer("a.b", start).rr_tail(kA, 60, {1, 2, 3, 4});
        cases.push_back({"pointer loop", b.bytes()});
    }
    {
        auto b = base();
        b.u8(0x41).u8(0).rr_tail(kA, 60, {1, 2, 3, 4});
        cases.push_back({"extended label type", b.bytes()});
    }
    {
        auto b = base();
        std::string long_name;
        for (int i = 0; i < 5; ++i)
            long_name += std::string(60, 'a') + ".";
        long_name += "test";
        b.name(long_name).rr_tail(kA, 60, {1, 2, 3, 4});
        cases.push_back({"name over 255 octets", b.bytes()});
    }
    {
        auto b = base();
        b.pointer(kQuestionName).rr_tail(kTxt, 60, {5, 'a', 'b'});
        cases.push_back({"TXT string past rdata", b.bytes()});
    }
    {
        auto b = base();
        auto rdata = mx_rdata(10, "mx.example.test");
        rdata.push_back(0);
        b.pointer(kQuestionName).rr_tail(kMx, 60, rdata);
        cases.push_back({"MX name shorter than rdata", b.bytes()});
    }
    {
        auto b = base();
        b.pointer(kQuestionName).rr_tail(kMx, 60, {0, 10});
        cases.push_back({"MX without name", b.bytes()});
    }
    {
        WireBuilder b;
        b.header(1, 0, 1, 0).question("example.test", kA);
        auto soa = soa_rdata(60);
        soa.pop_back();
        b.rr("example.test", kSoa, 60, soa);
        cases.push_back({"short SOA", b.bytes()});
    }
    {
        WireBuilder b;
        b.header(2, 0, 0, 0).question("example.test", kA);
        cases.push_back({"missing second question", b.bytes()});
    }
    return cases;
}

TEST(DnsMessage, BrokenMessagesAreMalformed) {
    for (const auto& c : broken_cases()) {
        auto m = parse_message(c.bytes);
        ASSERT_FALSE(m) << c.what;
        EXPECT_EQ(m.error().code, DnsErrc::malformed) << c.what;
    }
}

TEST(DnsMessage, EveryPrefixOfAValidMessageFails) {
    WireBuilder b;
    b.header(1, 3, 1, 0).question("example.test", kMx);
    b.pointer(kQuestionName).rr_tail(kMx, 60, mx_rdata(10, "mx1.example.test"));
    b.pointer(kQuestionName).rr_tail(kTxt, 60, {3, 'a', 'b', 'c'});
    b.pointer(kQuestionName).rr_tail(kA, 60, {1, 2, 3, 4});
    b.rr("example.test", kSoa, 3600, soa_rdata(60));
    const auto& all = b.bytes();
    ASSERT_TRUE(parse_message(all));
    for (std::size_t n = 0; n < all.size(); ++n) {
        std::vector<std::uint8_t> prefix(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n));
        EXPECT_FALSE(parse_message(prefix)) << "prefix of " << n << " bytes";
    }
}

TEST(DnsMessage, RandomBytesNeverCrash) {
    std::mt19937 rng(12345);
    WireBuilder b;
    b.header(1, 2, 0, 0).question("example.test", kA);
    b.pointer(kQuestionName).rr_tail(kA, 60, {1, 2, 3, 4});
    b.pointer(kQuestionName).rr_tail(kMx, 60, mx_rdata(10, "mx1.example.test"));
    for (int i = 0; i < 20000; ++i) {
        auto bytes = b.bytes();
        // Flip a few bytes of a valid message: reaches deeper than pure noise.
        int flips = 1 + static_cast<int>(rng() % 4);
        for (int f = 0; f < flips; ++f)
            bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
        (void)parse_message(bytes);
    }
    for (int i = 0; i < 5000; ++i) {
        std::vector<std::uint8_t> noise(rng() % 300);
        for (auto& byte : noise)
            byte = static_cast<std::uint8_t>(rng());
        (void)parse_message(noise);
    }
}

}  // namespace
}  // namespace postern::net::dns
