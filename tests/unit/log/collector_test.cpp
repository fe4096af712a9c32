// Tests of the log collector: forwarding, rejection accounting by kind, limits, reload.
#include "log/collector.h"

#include <gtest/gtest.h>

#include "log_test_util.h"

namespace postern::log {
namespace {

const IpAddress kFrom = *IpAddress::parse("192.0.2.7");

TEST(Collector, ForwardsValidDatagramsWithTheSendersFields) {
    auto sink = std::make_shared<test::CaptureSink>();
    Collector collector(sink);
    ASSERT_TRUE(
        collector.receive("v1 4 1763812148123 backend2 IMAP:0000000F: quota warning", kFrom));
    ASSERT_EQ(sink->size(), 1u);
    auto r = sink->records()[0];
    EXPECT_EQ(r.host, "backend2");
    EXPECT_EQ(r.module, "IMAP");
    EXPECT_EQ(r.session, "0000000F");
    EXPECT_EQ(r.level, kWarning);
    EXPECT_EQ(r.text, "quota warning");
    auto s = collector.stats();
    EXPECT_EQ(s.received, 1u);
    EXPECT_EQ(s.accepted, 1u);
    EXPECT_EQ(s.rejected(), 0u);
    EXPECT_EQ(s.last_rejected_from, "");
}

TEST(Collector, RejectsAndCountsByKind) {
    auto sink = std::make_shared<test::CaptureSink>();
    Collector collector(sink, 600);
    struct Case {
        std::string datagram;
        Errc code;
    };
    const Case cases[] = {
        {"garbage", Errc::invalid_argument},
        {"v1 99 1 h M:s: t", Errc::invalid_argument},
        {"v1 8 1 h M:s: \xff\xfe", Errc::invalid_argument},
        {"v1 8 1 h M:s: " + std::string(600, 'x'), Errc::limit_exceeded},
        {std::string(100000, '\0'), Errc::limit_exceeded},
    };
    for (const auto& c : cases) {
        auto st = collector.receive(c.datagram, kFrom);
        ASSERT_FALSE(st);
        EXPECT_EQ(st.error().code, c.code);
    }
    EXPECT_EQ(sink->size(), 0u);
    auto s = collector.stats();
    EXPECT_EQ(s.received, 5u);
    EXPECT_EQ(s.accepted, 0u);
    EXPECT_EQ(s.rejected_malformed, 2u);
    EXPECT_EQ(s.rejected_encoding, 1u);
    EXPECT_EQ(s.rejected_oversize, 2u);
    EXPECT_EQ(s.rejected(), 5u);
    EXPECT_EQ(s.last_rejected_from, "192.0.2.7");
    EXPECT_EQ(s.last_rejected_reason, "datagram too long");
}

TEST(Collector, DeniedCountAndReloadedLimitAndSink) {
    auto first = std::make_shared<test::CaptureSink>();
    auto second = std::make_shared<test::CaptureSink>();
    Collector collector(first, 600);
    collector.count_denied();
    collector.count_denied();
    const std::string d = "v1 8 1 h M:s: " + std::string(700, 'x');
    EXPECT_FALSE(collector.receive(d, kFrom));
    collector.set_max_datagram(1000);
    collector.set_sink(second);
    EXPECT_TRUE(collector.receive(d, kFrom));
    EXPECT_EQ(first->size(), 0u);
    EXPECT_EQ(second->size(), 1u);
    EXPECT_EQ(collector.stats().denied, 2u);
}

TEST(Collector, ConcurrentReceiversCountEverything) {
    auto sink = std::make_shared<test::CaptureSink>();
    Collector collector(sink);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) {
                (void)collector.receive(i % 2 ? "v1 8 1 h M:s: ok" : "v1 8 1 h M:s: \x01", kFrom);
            }
        });
    }
    for (auto& t : threads)
        t.join();
    auto s = collector.stats();
    EXPECT_EQ(s.received, 4000u);
    EXPECT_EQ(s.accepted, 2000u);
    EXPECT_EQ(s.rejected_encoding, 2000u);
    EXPECT_EQ(sink->size(), 2000u);
}

}  // namespace
}  // namespace postern::log
