// Lua 5.4 patterns (manual §6.4.1) with a step budget: string.find/match/gmatch/gsub for the
// sandbox. Only trivially destructible locals: errors longjmp through these frames.
#include "filter/policy/lua_patterns.h"

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "filter/policy/sandbox.h"

namespace postern::filter::policy::detail {
namespace {

constexpr int kMaxCaptures = 32;  // LUA_MAXCAPTURES
constexpr std::ptrdiff_t kCaptureOpen = -1;
constexpr std::ptrdiff_t kCapturePosition = -2;
constexpr int kMaxDepth = 200;  // recursion (one level per quantifier or capture)
constexpr int kStepsPerCheck = 4096;

enum class Fault : std::uint8_t {
    none,
    time,
    too_complex,
    ends_with_escape,
    missing_bracket,
    missing_frontier_bracket,
    missing_balance_args,
    bad_capture_index,
    bad_capture_close,
    too_many_captures,
};

struct Capture {
    const char* start;
    std::ptrdiff_t len;  // or kCaptureOpen / kCapturePosition
};

struct Matcher {
    lua_State* L = nullptr;
    const char* subject = nullptr;
    const char* subject_end = nullptr;
    const char* pattern_end = nullptr;
    int level = 0;  // captures opened so far
    int depth = 0;
    int countdown = kStepsPerCheck;
    Fault fault = Fault::none;
    int fault_arg = 0;
    Capture captures[kMaxCaptures];
};

unsigned char uc(char c) {
    return static_cast<unsigned char>(c);
}

void prepare(Matcher& m, lua_State* L, const char* s, std::size_t ls, const char* p_end) {
    m.L = L;
    m.subject = s;
    m.subject_end = s + ls;
    m.pattern_end = p_end;
    m.level = 0;
    m.depth = 0;
    m.countdown = kStepsPerCheck;
    m.fault = Fault::none;
}

bool failed(const Matcher& m) {
    return m.fault != Fault::none;
}

const char* fault(Matcher& m, Fault f, int arg = 0) {
    m.fault = f;
    m.fault_arg = arg;
    return nullptr;
}

// Counts work; every kStepsPerCheck steps the deadline is read.
bool step(Matcher& m, int cost = 1) {
    m.countdown -= cost;
    if (m.countdown > 0)
        return true;
    m.countdown = kStepsPerCheck;
    if (deadline_passed(m.L)) {
        m.fault = Fault::time;
        return false;
    }
    return true;
}

int raise_fault(const Matcher& m) {
    lua_State* L = m.L;
    switch (m.fault) {
        case Fault::time:
            return raise_time_limit(L);
        case Fault::too_complex:
            return luaL_error(L, "pattern too complex");
        case Fault::ends_with_escape:
            return luaL_error(L, "malformed pattern (ends with '%%')");
        case Fault::missing_bracket:
            return luaL_error(L, "malformed pattern (missing ']')");
        case Fault::missing_frontier_bracket:
            return luaL_error(L, "missing '[' after '%%f' in pattern");
        case Fault::missing_balance_args:
            return luaL_error(L, "malformed pattern (missing arguments to '%%b')");
        case Fault::bad_capture_index:
            return luaL_error(L, "invalid capture index %%%d", m.fault_arg);
        case Fault::bad_capture_close:
            return luaL_error(L, "invalid pattern capture");
        case Fault::too_many_captures:
            return luaL_error(L, "too many captures");
        case Fault::none:
            break;
    }
    return luaL_error(L, "pattern matching failed");
}

// Character classes of the C locale (the manual's %a, %c, ... are defined by it).
bool is_upper(unsigned char c) {
    return c >= 'A' && c <= 'Z';
}
bool is_lower(unsigned char c) {
    return c >= 'a' && c <= 'z';
}
bool is_alpha(unsigned char c) {
    return is_upper(c) || is_lower(c);
}
bool is_digit(unsigned char c) {
    return c >= '0' && c <= '9';
}
bool is_graph(unsigned char c) {
    return c >= 33 && c <= 126;
}

bool class_matches(unsigned char c, unsigned char cls) {
    bool result = false;
    switch (is_upper(cls) ? cls + 32 : cls) {
        case 'a':
            result = is_alpha(c);
            break;
        case 'c':
            result = c < 32 || c == 127;
            break;
        case 'd':
            result = is_digit(c);
            break;
        case 'g':
            result = is_graph(c);
            break;
        case 'l':
            result = is_lower(c);
            break;
        case 'p':
            result = is_graph(c) && !is_alpha(c) && !is_digit(c);
            break;
        case 's':
            result = c == ' ' || (c >= 9 && c <= 13);
            break;
        case 'u':
            result = is_upper(c);
            break;
        case 'w':
            result = is_alpha(c) || is_digit(c);
            break;
        case 'x':
            result = is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            break;
        case 'z':  // deprecated in the manual, still accepted by Lua 5.4
            result = c == 0;
            break;
        default:
            return cls == c;  // "%." and friends: the character itself
    }
    return is_upper(cls) ? !result : result;
}

// `open` points at '[', `close` at the ']' that ends the set.
bool set_matches(unsigned char c, const char* open, const char* close) {
    bool inside = true;
    const char* q = open + 1;
    if (*q == '^') {
        inside = false;
        ++q;
    }
    // The first member is taken literally even when it is ']' (class_end allowed that).
    for (; q < close; ++q) {
        if (*q == '%') {
            ++q;
            if (class_matches(c, uc(*q)))
                return inside;
        } else if (q[1] == '-' && q + 2 < close) {
            if (uc(q[0]) <= c && c <= uc(q[2]))
                return inside;
            q += 2;
        } else if (uc(*q) == c) {
            return inside;
        }
    }
    return !inside;
}

// The end of the single-character class starting at `p`, or nullptr (fault set).
const char* class_end(Matcher& m, const char* p) {
    char c = *p++;
    if (c == '%') {
        if (p >= m.pattern_end)
            return fault(m, Fault::ends_with_escape);
        return p + 1;
    }
    if (c == '[') {
        if (p < m.pattern_end && *p == '^')
            ++p;
        do {
            if (p >= m.pattern_end)
                return fault(m, Fault::missing_bracket);
            char d = *p++;
            if (d == '%' && p < m.pattern_end)
                ++p;
        } while (p >= m.pattern_end || *p != ']');
        return p + 1;
    }
    return p;
}

bool single_matches(const Matcher& m, const char* s, const char* p, const char* ep) {
    if (s >= m.subject_end)
        return false;
    unsigned char c = uc(*s);
    switch (*p) {
        case '.':
            return true;
        case '%':
            return class_matches(c, uc(p[1]));
        case '[':
            return set_matches(c, p, ep - 1);
        default:
            return uc(*p) == c;
    }
}

const char* match_here(Matcher& m, const char* s, const char* p);

const char* do_match(Matcher& m, const char* s, const char* p) {
    if (m.depth >= kMaxDepth)
        return fault(m, Fault::too_complex);
    ++m.depth;
    const char* r = match_here(m, s, p);
    --m.depth;
    return r;
}

const char* max_expand(Matcher& m, const char* s, const char* p, const char* ep) {
    std::ptrdiff_t count = 0;
    while (single_matches(m, s + count, p, ep)) {
        ++count;
        if (!step(m))
            return nullptr;
    }
    for (; count >= 0; --count) {  // longest first, giving back one at a time
        const char* r = do_match(m, s + count, ep + 1);
        if (r != nullptr || failed(m))
            return r;
    }
    return nullptr;
}

const char* min_expand(Matcher& m, const char* s, const char* p, const char* ep) {
    for (;;) {
        const char* r = do_match(m, s, ep + 1);
        if (r != nullptr || failed(m))
            return r;
        if (!single_matches(m, s, p, ep))
            return nullptr;
        ++s;
        if (!step(m))
            return nullptr;
    }
}

const char* start_capture(Matcher& m, const char* s, const char* p, std::ptrdiff_t what) {
    if (m.level >= kMaxCaptures)
        return fault(m, Fault::too_many_captures);
    m.captures[m.level] = Capture{s, what};
    ++m.level;
    const char* r = do_match(m, s, p);
    if (r == nullptr)
        --m.level;
    return r;
}

const char* end_capture(Matcher& m, const char* s, const char* p) {
    int open = m.level - 1;
    while (open >= 0 && m.captures[open].len != kCaptureOpen)
        --open;
    if (open < 0)
        return fault(m, Fault::bad_capture_close);
    m.captures[open].len = s - m.captures[open].start;
    const char* r = do_match(m, s, p);
    if (r == nullptr)
        m.captures[open].len = kCaptureOpen;
    return r;
}

// %bxy: `p` points at x.
const char* match_balance(Matcher& m, const char* s, const char* p) {
    if (p + 1 >= m.pattern_end)
        return fault(m, Fault::missing_balance_args);
    if (s >= m.subject_end || *s != *p)
        return nullptr;
    char open = p[0];
    char close = p[1];
    int nesting = 1;
    while (++s < m.subject_end) {
        if (!step(m))
            return nullptr;
        if (*s == close) {
            if (--nesting == 0)
                return s + 1;
        } else if (*s == open) {
            ++nesting;
        }
    }
    return nullptr;
}

// %1..%9: the text of an earlier, closed capture.
const char* match_backref(Matcher& m, const char* s, char digit) {
    int index = digit - '1';
    if (index < 0 || index >= m.level || m.captures[index].len == kCaptureOpen)
        return fault(m, Fault::bad_capture_index, index + 1);
    std::ptrdiff_t len = m.captures[index].len;
    if (len < 0 || m.subject_end - s < len)
        return nullptr;  // a position capture never matches text
    if (!step(m, static_cast<int>(len / 16) + 1))
        return nullptr;
    if (std::memcmp(m.captures[index].start, s, static_cast<std::size_t>(len)) != 0)
        return nullptr;
    return s + len;
}

const char* match_here(Matcher& m, const char* s, const char* p) {
    for (;;) {
        if (!step(m))
            return nullptr;
        if (p == m.pattern_end)
            return s;
        switch (*p) {
            case '(':
                if (p + 1 < m.pattern_end && p[1] == ')')
                    return start_capture(m, s, p + 2, kCapturePosition);
                return start_capture(m, s, p + 1, kCaptureOpen);
            case ')':
                return end_capture(m, s, p + 1);
            case '$':
                if (p + 1 == m.pattern_end)
                    return s == m.subject_end ? s : nullptr;
                break;  // a '$' elsewhere is an ordinary character
            case '%':
                if (p + 1 < m.pattern_end) {
                    char k = p[1];
                    if (k == 'b') {
                        s = match_balance(m, s, p + 2);
                        if (s == nullptr)
                            return nullptr;
                        p += 4;
                        continue;
                    }
                    if (k == 'f') {
                        p += 2;
                        if (p >= m.pattern_end || *p != '[')
                            return fault(m, Fault::missing_frontier_bracket);
                        const char* ep = class_end(m, p);
                        if (ep == nullptr)
                            return nullptr;
                        unsigned char before = s == m.subject ? 0 : uc(s[-1]);
                        unsigned char here = s < m.subject_end ? uc(*s) : 0;
                        if (set_matches(before, p, ep - 1) || !set_matches(here, p, ep - 1))
                            return nullptr;
                        p = ep;
                        continue;
                    }
                    if (k >= '0' && k <= '9') {
                        s = match_backref(m, s, k);
                        if (s == nullptr)
                            return nullptr;
                        p += 2;
                        continue;
                    }
                }
                break;
            default:
                break;
        }
        const char* ep = class_end(m, p);
        if (ep == nullptr)
            return nullptr;
        char quantifier = ep < m.pattern_end ? *ep : '\0';
        if (!single_matches(m, s, p, ep)) {
            if (quantifier == '*' || quantifier == '?' || quantifier == '-') {
                p = ep + 1;  // zero repetitions
                continue;
            }
            return nullptr;
        }
        switch (quantifier) {
            case '?': {
                const char* r = do_match(m, s + 1, ep + 1);
                if (r != nullptr || failed(m))
                    return r;
                p = ep + 1;
                continue;
            }
            case '+':
                return max_expand(m, s + 1, p, ep);
            case '*':
                return max_expand(m, s, p, ep);
            case '-':
                return min_expand(m, s, p, ep);
            default:
                ++s;
                p = ep;
                continue;
        }
    }
}

void push_capture(Matcher& m, int i, const char* s, const char* e) {
    if (i >= m.level) {
        if (i != 0)
            luaL_error(m.L, "invalid capture index %%%d", i + 1);
        lua_pushlstring(m.L, s, static_cast<std::size_t>(e - s));  // the whole match
        return;
    }
    const Capture& c = m.captures[i];
    if (c.len == kCaptureOpen)
        luaL_error(m.L, "unfinished capture");
    if (c.len == kCapturePosition)
        lua_pushinteger(m.L, (c.start - m.subject) + 1);
    else
        lua_pushlstring(m.L, c.start, static_cast<std::size_t>(c.len));
}

// The captures, or the whole match when the pattern has none (`s` null: none at all).
int push_captures(Matcher& m, const char* s, const char* e) {
    int n = (m.level == 0 && s != nullptr) ? 1 : m.level;
    luaL_checkstack(m.L, n, "too many captures");
    for (int i = 0; i < n; ++i)
        push_capture(m, i, s, e);
    return n;
}

bool has_specials(const char* p, std::size_t lp) {
    for (std::size_t i = 0; i < lp; ++i) {
        if (std::strchr("^$*+?.([%-", p[i]) != nullptr && p[i] != '\0')
            return true;
    }
    return false;
}

const char* plain_find(Matcher& m, const char* s, std::size_t ls, const char* p, std::size_t lp) {
    if (lp == 0)
        return s;
    if (lp > ls)
        return nullptr;
    const char* last = s + (ls - lp);
    const char* cur = s;
    int cost = static_cast<int>(lp / 16) + 1;
    while (cur <= last) {
        const void* hit = std::memchr(cur, p[0], static_cast<std::size_t>(last - cur) + 1);
        if (hit == nullptr)
            return nullptr;
        cur = static_cast<const char*>(hit);
        if (std::memcmp(cur + 1, p + 1, lp - 1) == 0)
            return cur;
        if (!step(m, cost))
            return nullptr;
        ++cur;
    }
    return nullptr;
}

// Lua 5.4's reading of a start position: negative counts from the end, 0 means 1.
std::size_t start_offset(lua_Integer pos, std::size_t len) {
    auto n = static_cast<lua_Integer>(len);
    if (pos > 0)
        return static_cast<std::size_t>(pos) - 1;
    if (pos == 0 || pos < -n)
        return 0;
    return static_cast<std::size_t>(n + pos);
}

int find_or_match(lua_State* L, bool find) {
    std::size_t ls = 0;
    std::size_t lp = 0;
    const char* s = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    std::size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    Matcher m;
    prepare(m, L, s, ls, p + lp);
    if (find && (lua_toboolean(L, 4) || !has_specials(p, lp))) {
        const char* hit = plain_find(m, s + init, ls - init, p, lp);
        if (failed(m))
            return raise_fault(m);
        if (hit != nullptr) {
            lua_pushinteger(L, static_cast<lua_Integer>(hit - s) + 1);
            lua_pushinteger(L, static_cast<lua_Integer>(hit - s + static_cast<std::ptrdiff_t>(lp)));
            return 2;
        }
        luaL_pushfail(L);
        return 1;
    }
    bool anchor = lp > 0 && *p == '^';
    if (anchor)
        ++p;
    for (const char* start = s + init;; ++start) {
        m.level = 0;
        m.depth = 0;
        const char* e = do_match(m, start, p);
        if (failed(m))
            return raise_fault(m);
        if (e != nullptr) {
            if (!find)
                return push_captures(m, start, e);
            lua_pushinteger(L, static_cast<lua_Integer>(start - s) + 1);
            lua_pushinteger(L, static_cast<lua_Integer>(e - s));
            return push_captures(m, nullptr, nullptr) + 2;
        }
        if (anchor || start >= m.subject_end)
            break;
    }
    luaL_pushfail(L);
    return 1;
}

int bounded_find(lua_State* L) {
    return find_or_match(L, true);
}
int bounded_match(lua_State* L) {
    return find_or_match(L, false);
}

// gmatch's iterator keeps offsets (the strings stay alive as upvalues 1 and 2).
struct GmatchPosition {
    std::size_t next;      // where the next search starts
    std::size_t last_end;  // end of the previous match, to skip an empty match there
    bool has_last;
};

int gmatch_next(lua_State* L) {
    std::size_t ls = 0;
    std::size_t lp = 0;
    const char* s = lua_tolstring(L, lua_upvalueindex(1), &ls);
    const char* p = lua_tolstring(L, lua_upvalueindex(2), &lp);
    auto* pos = static_cast<GmatchPosition*>(lua_touserdata(L, lua_upvalueindex(3)));
    Matcher m;
    prepare(m, L, s, ls, p + lp);
    for (std::size_t at = pos->next; at <= ls; ++at) {
        m.level = 0;
        m.depth = 0;
        const char* e = do_match(m, s + at, p);
        if (failed(m))
            return raise_fault(m);
        if (e != nullptr && !(pos->has_last && static_cast<std::size_t>(e - s) == pos->last_end)) {
            pos->next = static_cast<std::size_t>(e - s);
            pos->last_end = pos->next;
            pos->has_last = true;
            return push_captures(m, s + at, e);
        }
    }
    pos->next = ls + 1;
    return 0;
}

int bounded_gmatch(lua_State* L) {
    std::size_t ls = 0;
    luaL_checklstring(L, 1, &ls);
    luaL_checkstring(L, 2);
    std::size_t init = start_offset(luaL_optinteger(L, 3, 1), ls);
    lua_settop(L, 2);
    auto* pos = static_cast<GmatchPosition*>(lua_newuserdatauv(L, sizeof(GmatchPosition), 0));
    *pos = GmatchPosition{init > ls ? ls + 1 : init, 0, false};
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

void add_string_replacement(Matcher& m, luaL_Buffer* b, const char* s, const char* e) {
    lua_State* L = m.L;
    std::size_t l = 0;
    const char* text = lua_tolstring(L, 3, &l);
    const char* end = text + l;
    while (text < end) {
        const auto* pct =
            static_cast<const char*>(std::memchr(text, '%', static_cast<std::size_t>(end - text)));
        if (pct == nullptr) {
            luaL_addlstring(b, text, static_cast<std::size_t>(end - text));
            return;
        }
        luaL_addlstring(b, text, static_cast<std::size_t>(pct - text));
        char d = pct + 1 < end ? pct[1] : '\0';
        if (d == '%') {
            luaL_addchar(b, '%');
        } else if (d == '0') {
            luaL_addlstring(b, s, static_cast<std::size_t>(e - s));
        } else if (d >= '1' && d <= '9') {
            push_capture(m, d - '1', s, e);
            luaL_addvalue(b);  // a position capture is a number: converted here
        } else {
            luaL_error(L, "invalid use of '%%' in replacement string");
        }
        text = pct + 2;
    }
}

void add_replacement(Matcher& m, luaL_Buffer* b, const char* s, const char* e, int kind) {
    lua_State* L = m.L;
    if (kind == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        int n = push_captures(m, s, e);
        lua_call(L, n, 1);
    } else if (kind == LUA_TTABLE) {
        push_capture(m, 0, s, e);
        lua_gettable(L, 3);
    } else {
        add_string_replacement(m, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {  // nil or false: keep the original text
        lua_pop(L, 1);
        luaL_addlstring(b, s, static_cast<std::size_t>(e - s));
        return;
    }
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
}

int bounded_gsub(lua_State* L) {
    std::size_t ls = 0;
    std::size_t lp = 0;
    const char* src = luaL_checklstring(L, 1, &ls);
    const char* p = luaL_checklstring(L, 2, &lp);
    int kind = lua_type(L, 3);
    lua_Integer max_replacements = luaL_optinteger(L, 4, static_cast<lua_Integer>(ls) + 1);
    luaL_argexpected(
        L,
        kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION || kind == LUA_TTABLE,
        3, "string/function/table");
    const char* p_end = p + lp;
    bool anchor = lp > 0 && *p == '^';
    if (anchor)
        ++p;
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    Matcher m;
    prepare(m, L, src, ls, p_end);
    const char* last_match = nullptr;
    lua_Integer n = 0;
    while (n < max_replacements) {
        m.level = 0;
        m.depth = 0;
        const char* e = do_match(m, src, p);
        if (failed(m))
            return raise_fault(m);
        if (e != nullptr && e != last_match) {
            ++n;
            add_replacement(m, &b, src, e, kind);
            src = last_match = e;
        } else if (src < m.subject_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
        if (!step(m))
            return raise_fault(m);
    }
    luaL_addlstring(&b, src, static_cast<std::size_t>(m.subject_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

}  // namespace

void install_bounded_patterns(lua_State* L, int string_table) {
    const luaL_Reg functions[] = {
        {"find", bounded_find},
        {"match", bounded_match},
        {"gmatch", bounded_gmatch},
        {"gsub", bounded_gsub},
    };
    for (const auto& f : functions) {
        lua_pushcfunction(L, f.func);
        lua_setfield(L, string_table, f.name);
    }
}

}  // namespace postern::filter::policy::detail
