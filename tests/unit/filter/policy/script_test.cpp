// Loading: syntax and top-level errors with line numbers, source checks, warnings, reload that
// keeps the old script on error, and --check-config.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <unistd.h>

#include "filter/policy/holder.h"
#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

TEST(PolicyLoad, SyntaxErrorNamesFileAndLine) {
    std::string error = load_error("-- a comment\nfunction onConnect(ctx)\n  if x then\nend\n");
    EXPECT_NE(error.find("policy.lua:5:"), std::string::npos) << error;
    EXPECT_NE(error.find("'end' expected"), std::string::npos) << error;
    error = load_error("function onEhlo(ctx)\n  reject(550 \"x\")\nend\n");
    EXPECT_NE(error.find("policy.lua:2:"), std::string::npos) << error;
}

TEST(PolicyLoad, TopLevelRuntimeErrorNamesLine) {
    std::string error = load_error("local t = {}\nlocal x = t.a.b\n");
    EXPECT_NE(error.find("policy.lua:2:"), std::string::npos) << error;
    EXPECT_NE(error.find("attempt to index a nil value"), std::string::npos) << error;
}

TEST(PolicyLoad, EventNameBoundToSomethingElse) {
    std::string error = load_error("onConnect = 42\n");
    EXPECT_NE(error.find("onConnect must be a function, not a number"), std::string::npos) << error;
}

TEST(PolicyLoad, WarnsAboutMisspelledEvents) {
    auto script =
        load("function onRcpt(ctx) end\nfunction onConnect(ctx) end\nfunction helper() end\n");
    ASSERT_TRUE(script);
    ASSERT_EQ(script->warnings().size(), 1u);
    EXPECT_NE(script->warnings()[0].find("onRcpt"), std::string::npos);
    EXPECT_TRUE(script->handles(Event::connect));
    EXPECT_FALSE(script->handles(Event::rcpt_to));

    auto empty = load("local x = 1\n");
    ASSERT_TRUE(empty);
    ASSERT_EQ(empty->warnings().size(), 1u);
    EXPECT_NE(empty->warnings()[0].find("no event function"), std::string::npos);
}

TEST(PolicyLoad, MissingFunctionMeansNoOpinion) {
    auto script = load("function onConnect(ctx) reject() end\n");
    ASSERT_TRUE(script);
    auto r = run(*script, Event::rcpt_to);
    EXPECT_FALSE(r.decision.handled);
    EXPECT_EQ(r.decision.verdict, Verdict::none);
    EXPECT_EQ(script->stats().calls, 0u);
}

TEST(PolicyLoad, InvalidUtf8IsReportedWithLine) {
    std::string error = load_error("-- ok\n-- caf\xE9\nfunction onConnect() end\n");
    EXPECT_EQ(error, "policy.lua:2: invalid UTF-8");
}

TEST(PolicyLoad, ByteOrderMarkAndShebangKeepLineNumbers) {
    auto script = load("\xEF\xBB\xBF#!/usr/bin/lua\nfunction onConnect(ctx) accept() end\n");
    ASSERT_TRUE(script);
    EXPECT_EQ(run(*script, Event::connect).decision.verdict, Verdict::accept);
    std::string error = load_error("#!/usr/bin/lua\nlocal x = nil + 1\n");
    EXPECT_NE(error.find("policy.lua:2:"), std::string::npos) << error;
}

TEST(PolicyLoad, BinaryChunksAreRefused) {
    std::string error = load_error(std::string("\x1bLua\x54\x00 junk", 10));
    EXPECT_NE(error.find("binary"), std::string::npos) << error;
}

TEST(PolicyLoad, BadLimitsAreRefused) {
    PolicyLimits l = test_limits();
    l.states = 0;
    EXPECT_NE(load_error("function onConnect() end", l).find("states"), std::string::npos);
}

TEST(PolicyLoad, TooSmallMemoryForTheScript) {
    PolicyLimits l = test_limits();
    l.max_memory = kMinMemory;
    std::string error = load_error("big = {}\nfor i = 1, 100000 do big[i] = i end\n", l);
    EXPECT_NE(error.find("memory limit exceeded"), std::string::npos) << error;
}

TEST(PolicyLoad, TopLevelTimeLimit) {
    PolicyLimits l = test_limits();
    l.max_time = std::chrono::milliseconds(20);
    std::string error = load_error("while true do end\n", l);
    EXPECT_NE(error.find("time limit exceeded"), std::string::npos) << error;
    EXPECT_NE(error.find("policy.lua:1:"), std::string::npos) << error;
}

class PolicyFiles : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("policy_test_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }
    std::filesystem::path write(const std::string& name, const std::string& text) {
        auto p = dir_ / name;
        std::ofstream(p, std::ios::binary) << text;
        return p;
    }
    std::filesystem::path dir_;
};

TEST_F(PolicyFiles, LoadFileUsesTheFileName) {
    auto path = write("rules.lua", "function onConnect(ctx)\n  error('boom')\nend\n");
    auto script = PolicyScript::load_file(path, test_limits());
    ASSERT_TRUE(script);
    EXPECT_EQ((*script)->name(), "rules.lua");
    auto r = run(**script, Event::connect);
    EXPECT_TRUE(r.decision.failed);
    EXPECT_EQ(r.decision.error, "rules.lua:2: boom");
    EXPECT_FALSE(PolicyScript::load_file(dir_ / "missing.lua", test_limits()));
}

TEST_F(PolicyFiles, ReloadKeepsTheOldScriptOnError) {
    LogCapture log;
    PolicyHolder holder;
    EXPECT_EQ(holder.current(), nullptr);
    auto path = write("policy.lua", "function onConnect(ctx) reject(554, 'first') end\n");
    ASSERT_TRUE(holder.reload(path, test_limits(), log.logger));
    auto first = holder.current();
    ASSERT_TRUE(first);
    EXPECT_EQ(run(*first, Event::connect).decision.text, "first");

    write("policy.lua", "function onConnect(ctx)\n  reject(554, 'second'\nend\n");
    auto st = holder.reload(path, test_limits(), log.logger);
    ASSERT_FALSE(st);
    EXPECT_NE(st.error().message.find("policy.lua:3:"), std::string::npos) << st.error().message;
    EXPECT_EQ(holder.current(), first);
    EXPECT_TRUE(log.sink->contains("the previous script stays in service"));

    write("policy.lua", "function onConnect(ctx) reject(554, 'third') end\n");
    ASSERT_TRUE(holder.reload(path, test_limits(), log.logger));
    EXPECT_EQ(run(*holder.current(), Event::connect).decision.text, "third");
    // A session that took the first snapshot still runs it.
    EXPECT_EQ(run(*first, Event::connect).decision.text, "first");

    ASSERT_TRUE(holder.reload("", test_limits(), log.logger));
    EXPECT_EQ(holder.current(), nullptr);
}

TEST_F(PolicyFiles, CheckScript) {
    auto good = write("good.lua", "function onConnect() end\nfunction onEhl() end\n");
    auto warnings = check_script(good, test_limits());
    ASSERT_TRUE(warnings);
    ASSERT_EQ(warnings->size(), 1u);
    EXPECT_NE((*warnings)[0].find("onEhl"), std::string::npos);
    auto bad = write("bad.lua", "function onConnect(\n");
    auto error = check_script(bad, test_limits());
    ASSERT_FALSE(error);
    EXPECT_NE(error.error().message.find("bad.lua:"), std::string::npos);
}

TEST(PolicyLoad, StatsCountCallsAndFailures) {
    auto script =
        load("function onConnect(ctx) if ctx.ip == '192.0.2.7' then error('x') end end\n");
    ASSERT_TRUE(script);
    run(*script, Event::connect);
    auto other = sample_context();
    other.connection.client_ip = *IpAddress::parse("192.0.2.8");
    run(*script, Event::connect, other);
    auto s = script->stats();
    EXPECT_EQ(s.calls, 2u);
    EXPECT_EQ(s.failures, 1u);
    EXPECT_GE(s.interpreters, 1u);
    EXPECT_GT(s.interpreter_bytes, 10000u);
    EXPECT_LT(s.interpreter_bytes, 200000u);
}

}  // namespace
}  // namespace postern::filter::policy
