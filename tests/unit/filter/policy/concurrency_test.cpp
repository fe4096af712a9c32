// Many threads calling one script at once (fewer interpreters than threads), with aborts and
// reloads happening meanwhile: every call sees its own context and vars.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <unistd.h>

#include "filter/policy/holder.h"
#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

constexpr std::string_view kScript = R"(
local seen = 0
function onRcptTo(ctx)
  seen = seen + 1
  local n = (ctx.vars.n or 0) + 1
  ctx.vars.n = n
  if ctx.rcpt:find("^loop") then while true do end end
  local words = {}
  for w in ctx:header("Subject"):gmatch("%a+") do words[#words + 1] = w:upper() end
  table.sort(words)
  addHeader("X-Words", table.concat(words, " "))
  reject(550, "5.1.1 " .. ctx.rcpt .. " " .. n)
end)";

TEST(PolicyConcurrency, ThreadsShareFewInterpreters) {
    PolicyLimits l = test_limits();
    l.states = 3;
    l.max_time = std::chrono::milliseconds(2000);
    auto script = load(kScript, l);
    ASSERT_TRUE(script);
    constexpr int kThreads = 8;
    constexpr int kCalls = 150;
    std::atomic<int> wrong{0};
    std::atomic<int> waited_out{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            LogCapture log;
            PolicyVars vars;
            auto c = sample_context();
            c.headers = {{"Subject", " zeta alpha t" + std::string(1, static_cast<char>('a' + t))}};
            for (int i = 1; i <= kCalls; ++i) {
                std::string rcpt = "user" + std::to_string(t) + "@example.org";
                c.recipient = Recipient{rcpt, RecipientKind::account};
                auto d = script->run(Event::rcpt_to, c, vars, log.logger);
                if (d.failed) {
                    ++waited_out;  // only a starved wait for an interpreter may fail here
                    continue;
                }
                std::string expected_text =
                    rcpt + " " + std::to_string(std::get<std::int64_t>(vars.at("n")));
                std::string words =
                    "ALPHA T" + std::string(1, static_cast<char>('A' + t)) + " ZETA";
                if (d.text != expected_text || d.header_changes.size() != 1 ||
                    d.header_changes[0].value != words)
                    ++wrong;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_EQ(waited_out.load(), 0);
    auto stats = script->stats();
    EXPECT_LE(stats.interpreters, 3u);
    EXPECT_EQ(stats.calls, static_cast<std::uint64_t>(kThreads * kCalls));
}

TEST(PolicyConcurrency, AbortsAndReloadsWhileRunning) {
    PolicyLimits l = test_limits();
    l.states = 4;
    l.max_time = std::chrono::milliseconds(200);
    LogCapture log;
    auto dir =
        std::filesystem::temp_directory_path() / ("policy_conc_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto path = dir / "policy.lua";
    auto write = [&](std::string_view text) {
        auto tmp = dir / "policy.lua.tmp";
        std::ofstream(tmp) << text;
        std::filesystem::rename(tmp, path);
    };
    write(kScript);
    PolicyHolder holder;
    ASSERT_TRUE(holder.reload(path, l, log.logger));

    std::atomic<bool> stop{false};
    std::atomic<int> wrong{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            LogCapture thread_log;
            PolicyVars vars;
            auto c = sample_context();
            int i = 0;
            while (!stop.load()) {
                auto script = holder.current();  // a session's snapshot
                bool loop = t == 0 && (++i % 5 == 0);
                std::string rcpt =
                    std::string(loop ? "loop" : "user") + std::to_string(t) + "@example.org";
                c.recipient = Recipient{rcpt, RecipientKind::account};
                auto d = script->run(Event::rcpt_to, c, vars, thread_log.logger);
                if (loop != d.failed)
                    ++wrong;
                if (!d.failed && d.text.find(rcpt) == std::string::npos)
                    ++wrong;
            }
        });
    }
    for (int r = 0; r < 10; ++r) {
        // Alternate good and broken versions: the broken ones must never reach the threads.
        write(r % 2 == 0 ? std::string(kScript) + "\n-- version " + std::to_string(r)
                         : std::string("function onRcptTo(ctx) reject( end"));
        auto st = holder.reload(path, l, log.logger);
        EXPECT_EQ(static_cast<bool>(st), r % 2 == 0);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    stop = true;
    for (auto& th : threads)
        th.join();
    EXPECT_EQ(wrong.load(), 0);
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace postern::filter::policy
