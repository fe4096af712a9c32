// Tests of the log hub: channels per module, sinks per log type, reconfigure in place without
// losing lines, stderr mirror, shutdown, and remote → real UDP → collector → file.
#include "log/hub.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include "log/collector.h"
#include "log_test_util.h"

namespace postern::log {
namespace {

using test::read_lines;
using test::TempDir;

struct FakeSyslog {
    std::mutex mutex;
    std::vector<std::pair<int, std::string>> lines;
    SyslogEmitter emitter() {
        return [this](int p, const std::string& m) {
            std::lock_guard lock(mutex);
            lines.emplace_back(p, m);
        };
    }
    std::size_t size() {
        std::lock_guard lock(mutex);
        return lines.size();
    }
};

class HubTest : public ::testing::Test {
  protected:
    HubTest() {
        cfg_.server.hostname = "mx1";
        cfg_.log.directory = dir_ / "log";
        cfg_.log.rules = {config::LogRule{}};  // everything to postern.log
        cfg_.log.defaults.level = 15;
        cfg_.lmtp.log.level = 31;
        options_.syslog = syslog_.emitter();
        options_.stderr_sink = stderr_;
    }
    std::unique_ptr<Hub> make() { return Hub::create(cfg_, options_).value(); }
    std::vector<std::string> file_lines(const char* name = "postern.log") {
        return read_lines(dir_ / "log" / name);
    }

    test::ScopedTz tz_{"UTC0"};
    TempDir dir_;
    config::Config cfg_;
    FakeSyslog syslog_;
    std::shared_ptr<test::CaptureSink> stderr_ = std::make_shared<test::CaptureSink>();
    HubOptions options_;
};

TEST_F(HubTest, SameModuleSameChannelWithSettingsFromConfig) {
    auto hub = make();
    auto a = hub->channel("SMTP-IN");
    auto b = hub->channel("SMTP-IN");
    auto lmtp = hub->channel("LMTP");
    EXPECT_EQ(a.get(), b.get());
    EXPECT_NE(a.get(), lmtp.get());
    EXPECT_EQ(a->mask(), 15);     // no smtp_in service: [log] defaults
    EXPECT_EQ(lmtp->mask(), 31);  // the "lmtp" service's own settings
    EXPECT_EQ(hub->host(), "mx1");
    EXPECT_EQ(hub->stats().channels, 2u);

    config::LogSettings explicit_settings;
    explicit_settings.level = 1;
    EXPECT_EQ(hub->channel("SMTP-IN", explicit_settings).get(), a.get());
    EXPECT_EQ(a->mask(), 1);
}

TEST(SettingsFor, ModuleNameToServiceName) {
    config::Config cfg;
    cfg.log.defaults.level = 3;
    cfg.lmtp.log.level = 9;
    EXPECT_EQ(settings_for(cfg, "LMTP").level, 9);
    EXPECT_EQ(settings_for(cfg, "lmtp").level, 9);
    EXPECT_EQ(settings_for(cfg, "SMTP-IN").level, 3);
    EXPECT_EQ(settings_for(cfg, "LMTPX").level, 3);
}

TEST_F(HubTest, InternalChannelWritesTheLineFormat) {
    auto hub = make();
    auto log = hub->logger("LMTP", session_id(0x2a));
    log.info("connection accepted from [{}]", "192.0.2.7");
    log.proto("S: 220 ready");
    hub->flush();
    auto lines = file_lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(
        lines[0].ends_with(" +0000 08 mx1 LMTP:0000002A: connection accepted from [192.0.2.7]"))
        << lines[0];
    EXPECT_TRUE(lines[1].ends_with(" +0000 16 mx1 LMTP:0000002A: S: 220 ready")) << lines[1];
    EXPECT_EQ(hub->stats().writer.written, 2u);
}

TEST_F(HubTest, ChannelMaskAndRuleMaskAreAnded) {
    cfg_.lmtp.log.level = 15;  // client: crit, err, warn, info
    config::LogRule rule;
    rule.level = 9;  // rule: crit + info
    cfg_.log.rules = {rule};
    auto hub = make();
    auto log = hub->logger("LMTP", "1");
    log.crit("c");
    log.error("e");
    log.warn("w");
    log.info("i");
    log.proto("p");
    hub->flush();
    auto lines = file_lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_TRUE(lines[0].ends_with(": c"));
    EXPECT_TRUE(lines[1].ends_with(": i"));
    auto s = hub->stats().writer;
    EXPECT_EQ(s.unmatched, 2u);  // e and w reached the writer; p never left the channel
}

TEST_F(HubTest, SystemTypeGoesToSyslog) {
    cfg_.lmtp.log.type = config::LogType::system;
    auto hub = make();
    hub->logger("LMTP", "7").warn("disk at {}%", 91);
    hub->flush();
    std::lock_guard lock(syslog_.mutex);
    ASSERT_EQ(syslog_.lines.size(), 1u);
    EXPECT_EQ(syslog_.lines[0].first, LOG_MAIL | LOG_WARNING);
    EXPECT_EQ(syslog_.lines[0].second, "LMTP:7: disk at 91%");
    EXPECT_TRUE(file_lines().empty());
}

TEST_F(HubTest, ReconfigureUpdatesExistingChannelsInPlace) {
    auto hub = make();
    auto channel = hub->channel("LMTP");
    Logger log(channel, "1");
    log.info("to file");
    cfg_.lmtp.log.type = config::LogType::system;
    cfg_.lmtp.log.level = 2;
    ASSERT_TRUE(hub->reconfigure(cfg_));
    EXPECT_EQ(channel->mask(), 2);
    log.info("filtered now");
    log.error("to syslog");
    hub->flush();
    EXPECT_EQ(file_lines().size(), 1u);
    std::lock_guard lock(syslog_.mutex);
    ASSERT_EQ(syslog_.lines.size(), 1u);
    EXPECT_EQ(syslog_.lines[0].second, "LMTP:1: to syslog");
}

TEST_F(HubTest, ReconfigureMovesFilesAndDirectory) {
    auto hub = make();
    auto log = hub->logger("LMTP", "1");
    log.info("old");
    config::LogRule rule;
    rule.file = "new.log";
    cfg_.log.rules = {rule};
    cfg_.log.directory = dir_ / "elsewhere";
    ASSERT_TRUE(hub->reconfigure(cfg_));
    log.info("new");
    hub->flush();
    EXPECT_EQ(file_lines().size(), 1u);
    EXPECT_EQ(read_lines(dir_ / "elsewhere" / "new.log").size(), 1u);

    std::ofstream(dir_ / "blocker") << "x";
    cfg_.log.directory = dir_ / "blocker" / "log";
    EXPECT_FALSE(hub->reconfigure(cfg_));
    log.info("unchanged");
    hub->flush();
    EXPECT_EQ(read_lines(dir_ / "elsewhere" / "new.log").size(), 2u);
}

TEST_F(HubTest, NoLineLostAcrossReconfigureWhileServicesLog) {
    options_.queue = QueueLimits{1 << 20, 1u << 30};
    auto hub = make();
    constexpr int kThreads = 3, kEach = 3000;
    std::atomic<int> running{kThreads};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            auto log = hub->logger("LMTP", session_id(static_cast<std::uint64_t>(t)));
            for (int i = 0; i < kEach; ++i)
                log.info("{}", i);
            --running;
        });
    }
    // Flip between two files and between the internal and the system log type.
    int n = 0;
    while (running.load() > 0 || n < 6) {
        config::LogRule rule;
        rule.file = n % 2 ? "a.log" : "b.log";
        cfg_.log.rules = {rule};
        cfg_.lmtp.log.type = n % 3 == 2 ? config::LogType::system : config::LogType::internal;
        ASSERT_TRUE(hub->reconfigure(cfg_));
        ++n;
        std::this_thread::yield();
    }
    for (auto& t : threads)
        t.join();
    hub->flush();
    // postern.log holds what was logged before the first reconfigure.
    std::size_t total = file_lines("postern.log").size() + file_lines("a.log").size() +
                        file_lines("b.log").size() + syslog_.size();
    EXPECT_EQ(total, std::size_t{kThreads * kEach});
    auto s = hub->stats();
    EXPECT_EQ(s.writer.dropped_queue_full, 0u);
    EXPECT_EQ(s.writer.unmatched, 0u);
}

TEST_F(HubTest, StderrMirror) {
    cfg_.log.also_stderr = true;
    auto hub = make();
    hub->logger("LMTP", "1").info("both");
    hub->flush();
    EXPECT_EQ(file_lines().size(), 1u);
    ASSERT_EQ(stderr_->size(), 1u);
    EXPECT_EQ(stderr_->records()[0].text, "both");
    cfg_.log.also_stderr = false;
    ASSERT_TRUE(hub->reconfigure(cfg_));
    hub->logger("LMTP", "1").info("file only");
    hub->flush();
    EXPECT_EQ(stderr_->size(), 1u);
    EXPECT_EQ(file_lines().size(), 2u);
}

TEST_F(HubTest, ShutdownWritesEverythingThenChannelsUseStderr) {
    auto hub = make();
    auto log = hub->logger("LMTP", "1");
    for (int i = 0; i < 2000; ++i)
        log.info("line {}", i);
    hub->shutdown();
    EXPECT_EQ(file_lines().size(), 2000u);
    log.crit("after shutdown");
    hub->logger("LATE").crit("new channel after shutdown");
    ASSERT_EQ(stderr_->size(), 2u);
    EXPECT_EQ(stderr_->records()[0].text, "after shutdown");
    EXPECT_FALSE(hub->reconfigure(cfg_));
    hub->shutdown();  // idempotent
}

TEST_F(HubTest, CreateFailsWhenTheDirectoryCannotBeMade) {
    std::ofstream(dir_ / "blocker") << "x";
    cfg_.log.directory = dir_ / "blocker" / "log";
    auto hub = Hub::create(cfg_, options_);
    ASSERT_FALSE(hub);
    EXPECT_EQ(hub.error().code, Errc::io_error);
}

TEST_F(HubTest, UnusableRemoteTargetFallsBackToFilesWithAnError) {
    cfg_.lmtp.log.type = config::LogType::remote;
    cfg_.lmtp.log.remote = HostPort{"*", 2000};
    auto hub = make();
    hub->logger("LMTP", "1").info("kept locally");
    hub->flush();
    auto lines = file_lines();
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_NE(lines[0].find(" 02 mx1 LOG:00000000: remote log target needs a host and a port"),
              std::string::npos)
        << lines[0];
    EXPECT_TRUE(lines[1].ends_with("LMTP:1: kept locally"));
    auto s = hub->stats();
    ASSERT_EQ(s.remotes.size(), 1u);
    EXPECT_FALSE(s.remotes[0].last_error.empty());
}

// A UDP socket on 127.0.0.1 with a kernel-chosen port, standing in for the daemon's log
// service listener.
class UdpListener {
  public:
    UdpListener() {
        fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        socklen_t len = sizeof(addr);
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
    }
    ~UdpListener() { ::close(fd_); }
    std::uint16_t port() const { return port_; }
    // The next datagram, or nullopt after 5 s.
    std::optional<std::string> receive() {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, 5000) != 1)
            return std::nullopt;
        std::string buf(65536, '\0');
        auto n = ::recv(fd_, buf.data(), buf.size(), 0);
        if (n < 0)
            return std::nullopt;
        buf.resize(static_cast<std::size_t>(n));
        return buf;
    }

  private:
    int fd_ = -1;
    std::uint16_t port_ = 0;
};

TEST_F(HubTest, RemoteSinkToRealUdpToCollectorToFile) {
    UdpListener listener;
    // The sending node.
    cfg_.lmtp.log.type = config::LogType::remote;
    cfg_.lmtp.log.remote = HostPort{"127.0.0.1", listener.port()};
    auto sender = make();
    // The collecting node, with its own directory and name.
    config::Config collector_cfg;
    collector_cfg.server.hostname = "logsrv";
    collector_cfg.log.directory = dir_ / "collected";
    config::LogRule from_mx;
    from_mx.host = "mx*";
    from_mx.file = "mx.log";
    collector_cfg.log.rules = {from_mx};
    HubOptions collector_options;
    collector_options.stderr_sink = stderr_;
    auto receiver = Hub::create(collector_cfg, collector_options).value();
    Collector collector(receiver->internal_sink(), collector_cfg.log_service.max_datagram);

    auto log = sender->logger("LMTP", session_id(0x2a));
    log.info("plain");
    log.proto("C: MAIL FROM:<a@b> caf\xc3\xa9");
    log.warn("{}", std::string(10000, 'x'));  // longer than a datagram: cut
    const auto from = *IpAddress::parse("127.0.0.1");
    for (int i = 0; i < 3; ++i) {
        auto d = listener.receive();
        ASSERT_TRUE(d) << "datagram " << i << " did not arrive";
        EXPECT_LE(d->size(), kDefaultMaxDatagram);
        ASSERT_TRUE(collector.receive(*d, from));
    }
    receiver->flush();
    auto lines = read_lines(dir_ / "collected" / "mx.log");
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_TRUE(lines[0].ends_with(" 08 mx1 LMTP:0000002A: plain")) << lines[0];
    EXPECT_TRUE(lines[1].ends_with(" 16 mx1 LMTP:0000002A: C: MAIL FROM:<a@b> caf\xc3\xa9"))
        << lines[1];
    auto text_at = lines[2].find(" 04 mx1 LMTP:0000002A: ");
    ASSERT_NE(text_at, std::string::npos);
    auto text = lines[2].substr(text_at + 23);
    EXPECT_EQ(text, std::string(text.size(), 'x'));
    // Cut to fit the datagram, which also carries the version, level, time and names.
    EXPECT_LT(text.size(), kDefaultMaxDatagram);
    EXPECT_GT(text.size(), kDefaultMaxDatagram - 64);

    auto s = sender->stats();
    ASSERT_EQ(s.remotes.size(), 1u);
    EXPECT_EQ(s.remotes[0].target, "127.0.0.1:" + std::to_string(listener.port()));
    EXPECT_EQ(s.remotes[0].sent, 3u);
    EXPECT_EQ(s.remotes[0].truncated, 1u);
    EXPECT_EQ(collector.stats().accepted, 3u);
    EXPECT_TRUE(read_lines(dir_ / "log" / "postern.log").empty());  // nothing stayed local
}

TEST_F(HubTest, ReconfigureKeepsARemoteSocketWhoseTargetDidNotChange) {
    UdpListener listener;
    cfg_.lmtp.log.type = config::LogType::remote;
    cfg_.lmtp.log.remote = HostPort{"127.0.0.1", listener.port()};
    auto hub = make();
    hub->logger("LMTP", "1").info("one");
    ASSERT_TRUE(listener.receive());
    ASSERT_TRUE(hub->reconfigure(cfg_));
    hub->logger("LMTP", "1").info("two");
    ASSERT_TRUE(listener.receive());
    auto s = hub->stats();
    ASSERT_EQ(s.remotes.size(), 1u);
    EXPECT_EQ(s.remotes[0].sent, 2u);  // same sink, counters continue
    cfg_.lmtp.log.type = config::LogType::internal;
    ASSERT_TRUE(hub->reconfigure(cfg_));
    EXPECT_TRUE(hub->stats().remotes.empty());
}

TEST_F(HubTest, ReopenAfterExternalRotation) {
    auto hub = make();
    hub->logger("LMTP", "1").info("one");
    hub->flush();
    std::filesystem::rename(dir_ / "log" / "postern.log", dir_ / "log" / "postern.log.old");
    hub->reopen();
    hub->logger("LMTP", "1").info("two");
    hub->flush();
    EXPECT_EQ(read_lines(dir_ / "log" / "postern.log.old").size(), 1u);
    EXPECT_EQ(file_lines().size(), 1u);
}

}  // namespace
}  // namespace postern::log
