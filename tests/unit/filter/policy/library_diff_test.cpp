// The sandbox's own string.find/match/gmatch/gsub and table.insert/remove/move/sort against the
// real Lua 5.4 library: the same driver runs each case in a plain Lua state and in a policy
// script, and the results (or error messages, positions stripped) must be identical. Hand-picked
// cases plus a few thousand random patterns.
#include <random>
#include <regex>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <lua.hpp>

#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

// Runs one case (run_case(cases[i])) and returns its result string; both environments load this.
constexpr std::string_view kDriver = R"(
local function ser(...)
  local parts = { tostring(select('#', ...)) }
  for i = 1, select('#', ...) do
    local v = select(i, ...)
    parts[#parts + 1] = type(v) .. ":" .. tostring(v)
  end
  return table.concat(parts, "|")
end
local function dump(t)
  local parts = {}
  for i = 1, 12 do parts[i] = tostring(t[i]) end
  return table.concat(parts, ",")
end
local repl_table = { a = "A", b = false, ["1"] = "one", [2] = "two" }
local function repl_function(x, y)
  if x == "a" then return nil end
  if x == "b" then return false end
  return "<" .. tostring(x) .. ":" .. tostring(y) .. ">"
end
local function body(c)
  if c.op == "find" then return ser(string.find(c.s, c.p, c.init, c.plain)) end
  if c.op == "match" then return ser(string.match(c.s, c.p, c.init)) end
  if c.op == "gmatch" then
    local out = {}
    for a, b in string.gmatch(c.s, c.p, c.init) do
      out[#out + 1] = tostring(a) .. "," .. tostring(b)
      if #out > 40 then break end
    end
    return table.concat(out, ";")
  end
  if c.op == "gsub" then
    local r = c.r
    if c.rt == "f" then r = repl_function elseif c.rt == "t" then r = repl_table end
    return ser(string.gsub(c.s, c.p, r, c.n))
  end
  if c.op == "insert" then
    local t = { 1, 2, 3, 4, 5 }
    if c.n == 1 then table.insert(t, c.a) elseif c.n == 2 then table.insert(t, c.a, c.b)
    else table.insert(t, c.a, c.b, 9) end
    return dump(t)
  end
  if c.op == "remove" then
    local t = { 1, 2, 3, 4, 5 }
    local r = c.a == nil and table.remove(t) or table.remove(t, c.a)
    return tostring(r) .. "/" .. dump(t)
  end
  if c.op == "move" then
    local t = { 1, 2, 3, 4, 5, 6 }
    local d = c.other and { "x", "y" } or t
    table.move(t, c.a, c.b, c.n, c.other and d or nil)
    return dump(d)
  end
  if c.op == "concat" then
    local t = { "a", "b", 3, 4.5, "e" }
    if c.p == "bad" then t[3] = {} end
    return table.concat(t, c.r, c.a ~= 0 and c.a or nil, c.b ~= 0 and c.b or nil)
  end
  if c.op == "sort" then
    local t = {}
    for i = 1, #c.s do t[i] = c.s:byte(i) end
    if c.rt == "desc" then table.sort(t, function(x, y) return x > y end) else table.sort(t) end
    return dump(t) .. "#" .. #t
  end
  error("unknown op " .. tostring(c.op))
end
function run_case(c)
  local ok, r = pcall(body, c)
  if ok then return "ok " .. string.sub(r, 1, 3000) end
  return "err " .. tostring(r)
end
)";

struct Case {
    std::string op;
    std::string s;
    std::string p;
    std::string r = "";
    std::string rt = "s";  // gsub replacement kind: s(tring), f(unction), t(able), n(umber)
    int init = 0;          // 0: absent
    bool plain = false;
    int n = 0;           // gsub max / insert arity / move target
    int a = 0, b = 0;    // table op positions (0: absent for remove)
    bool other = false;  // move into another table
};

std::string lua_string(std::string_view bytes) {
    std::string out = "\"";
    for (unsigned char c : bytes)
        out += "\\" + std::to_string(static_cast<int>(c));
    return out + "\"";
}

std::string lua_case(const Case& c) {
    std::string t = "{op=" + lua_string(c.op) + ",s=" + lua_string(c.s) + ",p=" + lua_string(c.p);
    if (c.op == "gsub") {
        t += ",rt=" + lua_string(c.rt);
        t += c.rt == "n" ? ",r=" + std::to_string(c.n + 7) : ",r=" + lua_string(c.r);
        if (c.n != 0)
            t += ",n=" + std::to_string(c.n);
    }
    if (c.op == "sort")
        t += ",rt=" + lua_string(c.rt);
    if (c.op == "insert" || c.op == "move")
        t += ",n=" + std::to_string(c.n);
    if (c.init != 0)
        t += ",init=" + std::to_string(c.init);
    if (c.plain)
        t += ",plain=true";
    if (c.op == "concat")
        t += ",r=" + lua_string(c.r);
    if (c.op == "insert" || c.op == "move" || c.op == "concat" || (c.op == "remove" && c.a != 0)) {
        t += ",a=" + std::to_string(c.a);
        t += ",b=" + std::to_string(c.b);
    }
    if (c.other)
        t += ",other=true";
    return t + "}";
}

std::string cases_source(const std::vector<Case>& cases) {
    std::string src = "local cases = {\n";
    for (const auto& c : cases)
        src += lua_case(c) + ",\n";
    return src + "}\n";
}

// "[string "..."]:12: msg" and "policy.lua:12: msg" both become "msg".
std::string strip_positions(std::string s) {
    static const std::regex position(R"((\[string "[^"]*"\]|policy\.lua):\d+: )");
    return std::regex_replace(s, position, "");
}

std::vector<std::string> run_reference(const std::vector<Case>& cases) {
    lua_State* L = luaL_newstate();
    luaL_openlibs(L);
    std::string src = std::string(kDriver) + cases_source(cases) + "return cases";
    std::vector<std::string> out;
    if (luaL_dostring(L, src.c_str()) != LUA_OK) {
        ADD_FAILURE() << lua_tostring(L, -1);
        lua_close(L);
        return out;
    }
    int cases_index = lua_gettop(L);
    for (std::size_t i = 1; i <= cases.size(); ++i) {
        lua_getglobal(L, "run_case");
        lua_rawgeti(L, cases_index, static_cast<lua_Integer>(i));
        if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
            out.push_back("driver failed");
        } else {
            std::size_t len = 0;
            const char* s = lua_tolstring(L, -1, &len);
            out.push_back(strip_positions(std::string(s, len)));
        }
        lua_pop(L, 1);
    }
    lua_close(L);
    return out;
}

std::vector<std::string> run_sandboxed(const std::vector<Case>& cases) {
    std::string src = std::string(kDriver) + cases_source(cases) +
                      "function onConnect(ctx) ctx.vars.r = run_case(cases[ctx.vars.i]) end\n";
    auto script = load(src);
    std::vector<std::string> out;
    if (!script)
        return out;
    LogCapture log;
    for (std::size_t i = 1; i <= cases.size(); ++i) {
        PolicyVars vars{{"i", VarValue(static_cast<std::int64_t>(i))}};
        auto d = script->run(Event::connect, sample_context(), vars, log.logger);
        if (d.failed) {
            out.push_back("call failed: " + d.error);
            continue;
        }
        out.push_back(strip_positions(std::get<std::string>(vars.at("r"))));
    }
    return out;
}

void compare(const std::vector<Case>& cases) {
    auto expected = run_reference(cases);
    auto actual = run_sandboxed(cases);
    ASSERT_EQ(expected.size(), cases.size());
    ASSERT_EQ(actual.size(), cases.size());
    int mismatches = 0;
    for (std::size_t i = 0; i < cases.size() && mismatches < 20; ++i) {
        if (expected[i] != actual[i]) {
            ++mismatches;
            ADD_FAILURE() << "case " << lua_case(cases[i]) << "\n  lua:     " << expected[i]
                          << "\n  sandbox: " << actual[i];
        }
    }
}

Case find(std::string s, std::string p, int init = 0, bool plain = false) {
    Case c{"find", std::move(s), std::move(p)};
    c.init = init;
    c.plain = plain;
    return c;
}
Case match(std::string s, std::string p, int init = 0) {
    Case c{"match", std::move(s), std::move(p)};
    c.init = init;
    return c;
}
Case gmatch(std::string s, std::string p, int init = 0) {
    Case c{"gmatch", std::move(s), std::move(p)};
    c.init = init;
    return c;
}
Case gsub(std::string s, std::string p, std::string r, std::string rt = "s", int n = 0) {
    Case c{"gsub", std::move(s), std::move(p), std::move(r), std::move(rt)};
    c.n = n;
    return c;
}

TEST(PolicyLibraryDiff, HandPickedPatterns) {
    std::vector<Case> cases = {
        find("hello world", "o w"),
        find("hello", "l+"),
        find("hello", "^h"),
        find("hello", "o$"),
        find("a.b", ".", 1, true),
        find("a.b", "."),
        find("abc", "b", -1),
        find("abc", "b", -10),
        find("abc", "", 10),
        find("abc", "", 4),
        find("abc", "", 3),
        find("", ""),
        find("THE (quick) fox", "%((%a+)%)"),
        find("f(a(b)c)d", "%b()"),
        find("f(a(b", "%b()"),
        find("THE (quick) fox", "%f[%a]%a+"),
        find("hello hello", "(h)(e)"),
        find("abcabc", "(abc)%1"),
        find("x = 10", "()=()"),
        find("aaa", "a-"),
        find("aaa", "a-$"),
        find("[x]", "[]]"),
        find("a^b", "[%^]"),
        find("a-b", "[a-]"),
        find("a]b", "[^]]"),
        find("abc", "[b-]"),
        find("key=val", "(%w+)=(%w+)"),
        find("a", "%"),
        find("a", "[a"),
        find("a", "[^"),
        find("a", "(()"),
        find("a", "%1"),
        find("aa", "(a%1)"),
        find("a", "a)"),
        find("a", "%b"),
        find("a", "%ba"),
        find("a", "%f"),
        find("a", "%fa"),
        find("a$b", "$b"),
        find("a$", "a$$"),
        find("a+b", "a+b", 1, true),
        find("a\0b", "%z"),
        find(std::string("a\0b", 3), std::string("\0", 1)),
        find("x", "[%a-z]"),
        find("-", "[a%-z]"),
        find("\xff\xfe", "[\xfe-\xff]+"),
        find("AbC", "%u%l%u"),
        find("tab\there", "%s"),
        find("a1_", "%w+"),
        find("a1_", "%W"),
        find("!?", "%p+"),
        find("\x01\x7f", "%c+"),
        find("0x1F", "%x+", 3),
        find("a b", "%S+", 2),
        find("abc", "()", 4),
        find("hello", "l", 0),
        find("hello", "l", 5),
        find("hello", "l", 6),
        match("  trim me  ", "^%s*(.-)%s*$"),
        match("2024-01-31", "(%d+)-(%d+)-(%d+)"),
        match("abc", "()b()"),
        match("abc", "x"),
        match("abc", ".-"),
        match("abc", "a*"),
        match("aaab", "a-b"),
        match("abab", "(ab)+"),
        match("abc", "((a)(b))"),
        match("user@example.com", "^([^@]+)@(.+)$"),
        match("", ".*"),
        match("ab", "^(a?)(b?)$"),
        match("xyz", "y", -2),
        match("THE END", "%f[%w]%w+$"),
        match("[[x]]", "%[(%b[])%]"),
        gmatch("one two three", "%a+"),
        gmatch("k1=v1, k2=v2", "(%w+)=(%w+)"),
        gmatch("abc", ""),
        gmatch("^a^a", "^a"),
        gmatch("abc", ".-"),
        gmatch("aaa", "a*"),
        gmatch("hello", "l", 4),
        gmatch("hello", "()ll()"),
        gmatch("abc", "", 10),
        gmatch("abc", "b*"),
        gsub("hello world", "o", "0"),
        gsub("hello", "", "-"),
        gsub("abc", "%w", "%0%0"),
        gsub("abc", "(%w)", "%1-"),
        gsub("hello world", "%w+", "%0 %0", "s", 1),
        gsub("abc", "b", "%2"),
        gsub("abc", "b", "%"),
        gsub("abc", "b", "%x"),
        gsub("abc", "b", "%%"),
        gsub("abc", "^a", "X"),
        gsub("aaa", "^a", "X"),
        gsub("$a is $b", "%$(%w+)", "", "t"),
        gsub("abc ab", "%w+", "", "f"),
        gsub("a b 1", "(%w)", "", "t"),
        gsub("abc", "()", "%1"),
        gsub("abc", "b", "", "n"),
        gsub("abc", "(b)(c)", "", "f"),
        gsub("abc", "x*", "-"),
        gsub("abc", "", "", "f", 2),
        gsub("hello", "l+", "L", "s", -1),
        gsub("abc", "%f[%w]", "|"),
        gsub("a,b,,c", "[^,]*", "<%0>"),
        gsub("x", "(x)", "%1%1%1"),
        gsub(std::string("a\0b", 3), "%z", "0"),
        gsub("abc", "[", "x"),
    };
    compare(cases);
}

TEST(PolicyLibraryDiff, RandomPatterns) {
    static const char* const kTokens[] = {
        "a",  "b",  ".",    "%a", "%d",  "%s",   "[ab]", "[^a]", "[a-c]",  "(",  ")",
        "()", "*",  "+",    "-",  "?",   "^",    "$",    "%b()", "%f[%w]", "%1", "%2",
        "x",  "%%", "[%]]", "%.", "(a)", "(.-)", "%w+",  "[",    "]",      "%",  "1",
    };
    static const char kSubjectChars[] = "aab()1 x.%]b";
    std::mt19937 rng(20241122);
    std::vector<Case> cases;
    for (int i = 0; i < 3000; ++i) {
        std::string p;
        int tokens = 1 + static_cast<int>(rng() % 6);
        for (int t = 0; t < tokens; ++t)
            p += kTokens[rng() % std::size(kTokens)];
        std::string s;
        int len = static_cast<int>(rng() % 12);
        for (int k = 0; k < len; ++k)
            s += kSubjectChars[rng() % (sizeof kSubjectChars - 1)];
        switch (rng() % 4) {
            case 0:
                cases.push_back(find(s, p, static_cast<int>(rng() % 5) - 2));
                break;
            case 1:
                cases.push_back(match(s, p));
                break;
            case 2:
                cases.push_back(gmatch(s, p));
                break;
            default: {
                static const char* const kKinds[] = {"s", "f", "t", "n"};
                static const char* const kRepl[] = {"<%0>", "%1", "-", "%%", ""};
                cases.push_back(
                    gsub(s, p, kRepl[rng() % 5], kKinds[rng() % 4], static_cast<int>(rng() % 3)));
            }
        }
    }
    compare(cases);
}

TEST(PolicyLibraryDiff, TableFunctions) {
    std::vector<Case> cases;
    auto table_case = [&](std::string op, int n, int a, int b, bool other = false) {
        Case c{std::move(op), "", ""};
        c.n = n;
        c.a = a;
        c.b = b;
        c.other = other;
        cases.push_back(c);
    };
    table_case("insert", 1, 42, 0);
    for (int pos = -1; pos <= 8; ++pos)
        table_case("insert", 2, pos, 99);
    table_case("insert", 3, 1, 2);  // wrong number of arguments
    for (int pos = -1; pos <= 8; ++pos)
        table_case("remove", 0, pos, 0);
    table_case("remove", 0, 0, 0);  // a == 0: no position given
    for (int f = -1; f <= 4; ++f) {
        for (int e = 0; e <= 6; e += 2) {
            for (int t = 1; t <= 7; t += 3) {
                table_case("move", t, f, e);
                table_case("move", t, f, e, true);
            }
        }
    }
    for (int a = -1; a <= 6; ++a) {
        for (int b = -1; b <= 6; b += 2) {
            for (const char* sep : {"", ", "}) {
                Case c{"concat", "", a == 2 ? "bad" : "", sep};
                c.a = a;
                c.b = b;
                cases.push_back(c);
            }
        }
    }
    for (const char* s : {"", "a", "ba", "dcba", "hello world", "zyxwvutsrqponm", "aaaaab"}) {
        Case asc{"sort", s, ""};
        cases.push_back(asc);
        Case desc{"sort", s, ""};
        desc.rt = "desc";
        cases.push_back(desc);
    }
    compare(cases);
}

}  // namespace
}  // namespace postern::filter::policy
