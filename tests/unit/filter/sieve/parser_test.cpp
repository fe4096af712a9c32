// Sieve lexer/parser/validator: RFC 5228 §2 and §8 grammar, errors with line:column, limits
// and hostile input.
#include "filter/sieve/parser.h"

#include <gtest/gtest.h>

#include "filter/sieve/compile.h"
#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::compile_error;

TEST(SieveParser, TokensAndStructure) {
    auto r = parse_script(
        "# comment\r\nrequire [\"fileinto\", \"envelope\"];\n/* bracket\n comment */\n"
        "if anyof (size :over 1M, not exists \"x\") { fileinto \"a\\\"b\\\\\"; } else { stop; }\n");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    ASSERT_EQ(r.script.commands.size(), 3u);
    const Node& iff = r.script.commands[1];
    EXPECT_EQ(iff.name, "if");
    EXPECT_EQ(iff.pos.line, 5u);
    ASSERT_EQ(iff.tests.size(), 1u);
    const Node& anyof = iff.tests[0];
    ASSERT_TRUE(anyof.test_list);
    ASSERT_EQ(anyof.tests.size(), 2u);
    EXPECT_EQ(anyof.tests[0].args[1].number, 1024u * 1024u);
    EXPECT_EQ(iff.block[0].args[0].strings[0], "a\"b\\");
}

TEST(SieveParser, Quantifiers) {
    auto r = parse_script("a 1K 2m 3G 10;");
    ASSERT_TRUE(r.ok());
    auto& args = r.script.commands[0].args;
    EXPECT_EQ(args[0].number, 1024u);
    EXPECT_EQ(args[1].number, 2u * 1024 * 1024);
    EXPECT_EQ(args[2].number, 3ull * 1024 * 1024 * 1024);
    EXPECT_EQ(args[3].number, 10u);
    EXPECT_FALSE(parse_script("a 99999999999999999999999;").ok());
    EXPECT_FALSE(parse_script("a 18014398509481984G;").ok());
}

TEST(SieveParser, MultiLineStrings) {
    auto r = parse_script("a text: # c\r\nline 1\r\n..dot\r\n.not end\r\n.\r\n;");
    ASSERT_TRUE(r.ok()) << r.errors[0].to_string();
    EXPECT_EQ(r.script.commands[0].args[0].strings[0], "line 1\r\n.dot\r\n.not end\r\n");
    auto lf = parse_script("a text:\nx\n.\n;");
    ASSERT_TRUE(lf.ok());
    EXPECT_EQ(lf.script.commands[0].args[0].strings[0], "x\r\n");
}

TEST(SieveParser, ErrorsCarryLineAndColumn) {
    auto r = parse_script("keep;\n  fileinto \"x\"\n");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.errors[0].pos.line, 3u);
    auto u = parse_script("keep;\nfoo \"abc");
    ASSERT_FALSE(u.ok());
    EXPECT_EQ(u.errors[0].to_string(), "2:5: unterminated string");
    auto t = parse_script("a text:\nnever ends\n");
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.errors[0].message.find("unterminated multi-line"), std::string::npos);
    auto c = parse_script("keep; /* open");
    ASSERT_FALSE(c.ok());
    EXPECT_EQ(c.errors[0].to_string(), "1:7: unterminated bracket comment");
    EXPECT_FALSE(parse_script("if true { keep; ").ok());
    EXPECT_FALSE(parse_script("keep; }").ok());
    EXPECT_FALSE(parse_script("a [\"x\" \"y\"];").ok());
    EXPECT_FALSE(compile("if anyof(true false) {}").program);  // "false" as an argument of "true"
    EXPECT_FALSE(parse_script("a : ;").ok());
    EXPECT_FALSE(parse_script("a text: x\n.\n;").ok());
}

TEST(SieveParser, HostileInputsGiveErrors) {
    std::string deep;
    for (int i = 0; i < 10000; ++i)
        deep += "if true {";
    auto r = parse_script(deep);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.errors[0].message.find("nested too deeply"), std::string::npos);

    std::string deep_tests = "if ";
    for (int i = 0; i < 10000; ++i)
        deep_tests += "not ";
    deep_tests += "true {}";
    EXPECT_FALSE(parse_script(deep_tests).ok());

    std::string deep_lists = "if ";
    for (int i = 0; i < 10000; ++i)
        deep_lists += "anyof(";
    EXPECT_FALSE(parse_script(deep_lists).ok());

    std::string huge = "a \"" + std::string(200 * 1024, 'x') + "\";";
    auto h = parse_script(huge);
    ASSERT_FALSE(h.ok());
    EXPECT_NE(h.errors[0].message.find("too long"), std::string::npos);

    std::string mb(1024 * 1024, '#');
    auto m = parse_script(mb);
    ASSERT_FALSE(m.ok());
    EXPECT_NE(m.errors[0].message.find("too large"), std::string::npos);

    std::string list = "a [";
    for (int i = 0; i < 5000; ++i)
        list += "\"x\",";
    list += "\"y\"];";
    EXPECT_FALSE(parse_script(list).ok());

    std::string binary("\0\xff\x01if", 5);
    EXPECT_FALSE(parse_script(binary).ok());
}

// After an error the parser goes on at the end of the broken structure and reports the
// errors after it too, each with its line and column.
TEST(SieveParser, RecoversAndReportsEveryError) {
    auto r = parse_script("keep\n}\nif true {\n  keep,\n  keep\n}\nfrop $$$;\nfileinto \"x\";\n");
    ASSERT_EQ(r.errors.size(), 4u);
    EXPECT_EQ(r.errors[0].to_string(), "2:1: expected ';' or '{' after command 'keep', found '}'");
    EXPECT_EQ(r.errors[1].to_string(), "4:7: expected ';' or '{' after command 'keep', found ','");
    EXPECT_EQ(r.errors[2].to_string(), "7:6: unexpected character(s) starting with '$'");
    EXPECT_EQ(r.errors[3].pos.line, 7u);

    // A syntax error inside a string list, a test list and a block: each recovers at its end.
    auto l = parse_script("a [\"x\" 1];\nif anyof(true, 1) { keep; }\nif true { \"s\"; }\nstop;\n");
    ASSERT_EQ(l.errors.size(), 3u) << l.errors[0].to_string();
    EXPECT_EQ(l.errors[0].pos.line, 1u);
    EXPECT_EQ(l.errors[1].pos.line, 2u);
    EXPECT_EQ(l.errors[2].pos.line, 3u);

    // The validator reports every bad command, once per unknown name.
    CompileResult c =
        compile("frop;\nfrop;\nkeep \"x\";\nstop true;\nif size 1 { }\nfileinto \"x\";\n");
    ASSERT_EQ(c.errors.size(), 5u) << c.error_text();
    EXPECT_EQ(c.errors[0].to_string(), "1:1: unknown command 'frop'");
    EXPECT_EQ(c.errors[1].pos.line, 3u);
    EXPECT_EQ(c.errors[2].to_string(),
              "4:1: the stop command accepts no sub-tests, but tests are specified");
    EXPECT_EQ(c.errors[3].pos.line, 5u);
    EXPECT_EQ(c.errors[4].pos.line, 6u);
}

// Thousands of errors: the report stops at max_errors (plus one line saying so), in time
// linear in the script.
TEST(SieveParser, HostileErrorFloodIsCapped) {
    std::string flood;
    for (int i = 0; i < 20000; ++i)
        flood += "frop $;\nkeep\n";
    flood += "stop;";
    auto r = parse_script(flood);
    ASSERT_EQ(r.errors.size(), 101u);
    EXPECT_NE(r.errors.back().message.find("too many errors"), std::string::npos);

    ParseLimits small;
    small.max_errors = 3;
    auto s = parse_script(flood, small);
    EXPECT_EQ(s.errors.size(), 4u);

    // The validator's errors are capped the same way.
    std::string unknown;
    for (int i = 0; i < 5000; ++i)
        unknown += "frop" + std::to_string(i) + " :x 1 [\"a\"];\nkeep \"x\";\n";
    CompileResult c = compile(unknown);
    EXPECT_FALSE(c.program);
    ASSERT_EQ(c.errors.size(), 101u);
    EXPECT_EQ(c.errors[0].to_string(), "1:1: unknown command 'frop0'");
    EXPECT_NE(c.errors.back().message.find("too many errors"), std::string::npos);
    CompileOptions few;
    few.parse.max_errors = 7;
    EXPECT_EQ(compile(unknown, few).errors.size(), 8u);

    std::string garbage(300000, '$');
    for (std::size_t i = 0; i < garbage.size(); i += 3)
        garbage[i] = ';';
    auto g = parse_script(garbage);
    EXPECT_LE(g.errors.size(), 101u);
    EXPECT_FALSE(g.ok());
}

TEST(SieveParser, HostileRunTimeInputsStayBounded) {
    // A pattern with many wildcards against a long value, a huge header, many headers: the
    // run ends (match budget, instruction budget) with a result, never hangs or crashes.
    std::string value(20000, 'a');
    std::string msg = "Subject: " + value + "\r\n";
    for (int i = 0; i < 2000; ++i)
        msg += "X-H: v" + std::to_string(i) + "\r\n";
    msg += "\r\nbody\r\n";
    ExecLimits limits;
    limits.instruction_budget = 200000;
    auto r = testing::run_script(
        "if header :matches \"subject\" \"*a*a*a*a*a*a*a*a*a*a*a*b\" { discard; }\n"
        "if header :contains \"x-h\" \"v1999\" { keep; }\n",
        msg, {}, nullptr, limits);
    ASSERT_TRUE(r.compiled.program);
    EXPECT_FALSE(r.summary.empty());
    // A loop through include is refused; a variable grows no further than its limit.
    testing::FakeEnvironment env;
    env.scripts["personal:a"] = "require \"include\"; include \"b\";";
    env.scripts["personal:b"] = "require \"include\"; include \"a\";";
    auto loop =
        testing::run_script("require \"include\"; include \"a\";", testing::kMessage, {}, &env);
    EXPECT_FALSE(loop.result.ok);
    std::string grow = "require [\"variables\", \"fileinto\"]; set \"v\" \"xxxxxxxxxxxxxxxx\";\n";
    for (int i = 0; i < 12; ++i)
        grow += "set \"v\" \"${v}${v}\";\n";
    grow += "set :length \"n\" \"${v}\"; fileinto \"${n}\";";
    EXPECT_EQ(testing::actions_of(grow), "store:4096");
}

TEST(SieveParser, EveryPrefixOfAScriptIsHandled) {
    std::string script =
        "require [\"fileinto\",\"variables\"];\r\nif header :matches \"subject\" \"*x*\" {\r\n"
        "  set \"a\" text:\r\nhello\r\n.\r\n;\r\n  fileinto \"${a}\"; } elsif true { discard; "
        "}\r\n";
    for (std::size_t n = 0; n <= script.size(); ++n) {
        CompileResult c = compile(script.substr(0, n));  // must not crash
        (void)c;
    }
    EXPECT_TRUE(compile(script).program);
}

TEST(SieveValidator, UnknownAndUnrequired) {
    EXPECT_EQ(compile_error("frobnicate;"), "1:1: unknown command 'frobnicate'");
    EXPECT_EQ(compile_error("keep;\nfileinto \"x\";"),
              "2:1: unknown command 'fileinto' (the 'fileinto' extension is not required)");
    EXPECT_EQ(compile_error("require \"nosuch\";"),
              "1:1: require: unknown Sieve capability 'nosuch'");
    EXPECT_NE(compile_error("keep; require \"fileinto\";").find("beginning"), std::string::npos);
    EXPECT_NE(compile_error("if true { require \"fileinto\"; }").find("top level"),
              std::string::npos);
    EXPECT_NE(
        compile_error("if size :over 1 { keep; }\nif frob { }").find("2:4: unknown test 'frob'"),
        std::string::npos);
    EXPECT_NE(compile_error("keep :copy;").find("unknown tagged argument ':copy'"),
              std::string::npos);
    EXPECT_NE(compile_error("require \"fileinto\"; fileinto :copy \"x\";").find("'copy' extension"),
              std::string::npos);
}

TEST(SieveValidator, ArgumentTypes) {
    EXPECT_NE(compile_error("redirect 12;").find("expects a string as argument 1"),
              std::string::npos);
    EXPECT_NE(
        compile_error("redirect [\"a@b.c\", \"d@e.f\"];").find("expects a string as argument 1"),
        std::string::npos);
    EXPECT_NE(compile_error("redirect \"not an address\";").find("invalid address"),
              std::string::npos);
    EXPECT_NE(compile_error("if size 10 { }").find(":over or :under"), std::string::npos);
    EXPECT_NE(compile_error("if header :is \"a\" { }").find("positional"), std::string::npos);
    EXPECT_NE(compile_error("if header :is :contains \"a\" \"b\" { }").find("multiple match types"),
              std::string::npos);
    EXPECT_NE(compile_error("if header :comparator \"i;nope\" \"a\" \"b\" { }")
                  .find("unknown comparator"),
              std::string::npos);
    EXPECT_NE(compile_error("if header :comparator \"i;ascii-numeric\" \"a\" \"b\" { }")
                  .find("comparator-i;ascii-numeric"),
              std::string::npos);
    EXPECT_NE(compile_error("require \"comparator-i;ascii-numeric\";\n"
                            "if header :contains :comparator \"i;ascii-numeric\" \"a\" \"b\" { }")
                  .find("does not support"),
              std::string::npos);
    EXPECT_NE(compile_error("if true;").find("the if command requires a block"), std::string::npos);
    EXPECT_NE(compile_error("else { }").find("must follow"), std::string::npos);
    EXPECT_NE(compile_error("if true { } keep; elsif true { }").find("must follow"),
              std::string::npos);
    EXPECT_NE(compile_error("keep { }").find("does not take a block"), std::string::npos);
    EXPECT_NE(compile_error("if keep { }").find("cannot use command 'keep' as a test"),
              std::string::npos);
    EXPECT_NE(compile_error("if exists \"bad name:\" { }").find("invalid header name"),
              std::string::npos);
    EXPECT_NE(
        compile_error("require \"variables\"; set \"1a\" \"x\";").find("invalid variable name"),
        std::string::npos);
}

TEST(SieveCache, SameSourceCompilesOnce) {
    ProgramCache cache(2);
    auto a = cache.get("keep;");
    auto b = cache.get("keep;");
    ASSERT_TRUE(a.program);
    EXPECT_EQ(a.program.get(), b.program.get());
    EXPECT_EQ(cache.hits(), 1u);
    cache.get("discard;");
    cache.get("stop;");
    EXPECT_EQ(cache.size(), 2u);
    auto bad = cache.get("nope;");
    EXPECT_FALSE(bad.program);
    EXPECT_FALSE(bad.errors.empty());
}

}  // namespace
}  // namespace postern::sieve
