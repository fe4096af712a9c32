// Bounded table.insert/remove/move/sort (Lua 5.4 manual §6.6) for the sandbox. Only trivially
// destructible locals: errors longjmp through these frames.
#include "filter/policy/lua_table.h"

#include <climits>

#include "filter/policy/sandbox.h"

namespace postern::filter::policy::detail {
namespace {

constexpr int kRead = 1;
constexpr int kWrite = 2;
constexpr int kLength = 4;
constexpr unsigned kStepsPerCheck = 1024;

// A table, or something whose metatable provides what the operation needs (as Lua's checktab).
void check_table_like(lua_State* L, int arg, int needs) {
    if (lua_type(L, arg) == LUA_TTABLE)
        return;
    bool ok = lua_getmetatable(L, arg) != 0;
    if (ok) {
        const char* fields[] = {"__index", "__newindex", "__len"};
        const int bits[] = {kRead, kWrite, kLength};
        for (int i = 0; i < 3 && ok; ++i) {
            if ((needs & bits[i]) == 0)
                continue;
            int type = lua_getfield(L, -1, fields[i]);
            lua_pop(L, 1);
            ok = type != LUA_TNIL;
        }
        lua_pop(L, 1);
    }
    if (!ok)
        luaL_checktype(L, arg, LUA_TTABLE);  // raises the usual message
}

lua_Integer length_of(lua_State* L, int arg, int needs) {
    check_table_like(L, arg, needs | kLength);
    return luaL_len(L, arg);
}

// Called once per element moved or compared.
struct Ticker {
    unsigned count = 0;
};

void tick(lua_State* L, Ticker& t) {
    if (++t.count % kStepsPerCheck == 0 && deadline_passed(L))
        raise_time_limit(L);
}

int bounded_insert(lua_State* L) {
    lua_Integer end = length_of(L, 1, kRead | kWrite) + 1;  // first empty slot
    lua_Integer pos = end;
    switch (lua_gettop(L)) {
        case 2:
            break;
        case 3: {
            pos = luaL_checkinteger(L, 2);
            luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u < static_cast<lua_Unsigned>(end),
                          2, "position out of bounds");
            Ticker t;
            for (lua_Integer i = end; i > pos; --i) {
                tick(L, t);
                lua_geti(L, 1, i - 1);
                lua_seti(L, 1, i);
            }
            break;
        }
        default:
            return luaL_error(L, "wrong number of arguments to 'insert'");
    }
    lua_seti(L, 1, pos);
    return 0;
}

int bounded_remove(lua_State* L) {
    lua_Integer size = length_of(L, 1, kRead | kWrite);
    lua_Integer pos = luaL_optinteger(L, 2, size);
    if (pos != size) {
        // Lua 5.4 names argument 1 here; the same message keeps scripts' error handling alike.
        luaL_argcheck(L, static_cast<lua_Unsigned>(pos) - 1u <= static_cast<lua_Unsigned>(size), 1,
                      "position out of bounds");
    }
    lua_geti(L, 1, pos);  // the result
    Ticker t;
    for (; pos < size; ++pos) {
        tick(L, t);
        lua_geti(L, 1, pos + 1);
        lua_seti(L, 1, pos);
    }
    lua_pushnil(L);
    lua_seti(L, 1, pos);
    return 1;
}

int bounded_move(lua_State* L) {
    lua_Integer first = luaL_checkinteger(L, 2);
    lua_Integer last = luaL_checkinteger(L, 3);
    lua_Integer to = luaL_checkinteger(L, 4);
    int dest = lua_isnoneornil(L, 5) ? 1 : 5;
    check_table_like(L, 1, kRead);
    check_table_like(L, dest, kWrite);
    if (last >= first) {
        luaL_argcheck(L, first > 0 || last < LUA_MAXINTEGER + first, 3,
                      "too many elements to move");
        lua_Integer n = last - first + 1;
        luaL_argcheck(L, to <= LUA_MAXINTEGER - n + 1, 4, "destination wrap around");
        Ticker t;
        // Copy backwards when the ranges overlap with the destination after the source.
        bool forward =
            to > last || to <= first || (dest != 1 && !lua_compare(L, 1, dest, LUA_OPEQ));
        for (lua_Integer i = 0; i < n; ++i) {
            tick(L, t);
            lua_Integer k = forward ? i : n - 1 - i;
            lua_geti(L, 1, first + k);
            lua_seti(L, dest, to + k);
        }
    }
    lua_pushvalue(L, dest);
    return 1;
}

// table.concat: with a C function as __index (`type`, say) Lua's loop makes millions of calls
// without one instruction to hook, growing the buffer slowly enough to outlast the deadline.
int bounded_concat(lua_State* L) {
    lua_Integer last = length_of(L, 1, kRead);
    std::size_t sep_len = 0;
    const char* sep = luaL_optlstring(L, 2, "", &sep_len);
    lua_Integer i = luaL_optinteger(L, 3, 1);
    last = luaL_optinteger(L, 4, last);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    Ticker t;
    for (; i <= last; ++i) {
        tick(L, t);
        lua_geti(L, 1, i);
        if (!lua_isstring(L, -1))
            return luaL_error(L, "invalid value (%s) at index %I in table for 'concat'",
                              luaL_typename(L, -1), i);
        luaL_addvalue(&b);
        if (i != last)
            luaL_addlstring(&b, sep, sep_len);
        if (i == LUA_MAXINTEGER)
            break;
    }
    luaL_pushresult(&b);
    return 1;
}

// table.sort as a heap sort: O(n log n) comparisons whatever the comparator does, so neither an
// inconsistent order function nor a crafted table can make it run away or index out of range.
bool sort_less(lua_State* L, lua_Integer a, lua_Integer b, Ticker& t) {
    tick(L, t);
    if (lua_isnil(L, 2)) {
        lua_geti(L, 1, a);
        lua_geti(L, 1, b);
        bool r = lua_compare(L, -2, -1, LUA_OPLT) != 0;
        lua_pop(L, 2);
        return r;
    }
    lua_pushvalue(L, 2);
    lua_geti(L, 1, a);
    lua_geti(L, 1, b);
    lua_call(L, 2, 1);
    bool r = lua_toboolean(L, -1) != 0;
    lua_pop(L, 1);
    return r;
}

void sort_swap(lua_State* L, lua_Integer a, lua_Integer b) {
    lua_geti(L, 1, a);
    lua_geti(L, 1, b);
    lua_seti(L, 1, a);
    lua_seti(L, 1, b);
}

void sift_down(lua_State* L, lua_Integer root, lua_Integer end, Ticker& t) {
    for (;;) {
        lua_Integer child = root * 2;
        if (child > end)
            return;
        if (child + 1 <= end && sort_less(L, child, child + 1, t))
            ++child;
        if (!sort_less(L, root, child, t))
            return;
        sort_swap(L, root, child);
        root = child;
    }
}

int bounded_sort(lua_State* L) {
    lua_Integer n = length_of(L, 1, kRead | kWrite);
    if (n > 1) {
        luaL_argcheck(L, n < INT_MAX, 1, "array too big");
        if (!lua_isnoneornil(L, 2))
            luaL_checktype(L, 2, LUA_TFUNCTION);
        lua_settop(L, 2);
        Ticker t;
        for (lua_Integer i = n / 2; i >= 1; --i)
            sift_down(L, i, n, t);
        for (lua_Integer end = n; end > 1; --end) {
            sort_swap(L, 1, end);
            sift_down(L, 1, end - 1, t);
        }
    }
    return 0;
}

}  // namespace

void install_bounded_table_functions(lua_State* L, int table_lib) {
    const luaL_Reg functions[] = {
        {"concat", bounded_concat}, {"insert", bounded_insert}, {"remove", bounded_remove},
        {"move", bounded_move},     {"sort", bounded_sort},
    };
    for (const auto& f : functions) {
        lua_pushcfunction(L, f.func);
        lua_setfield(L, table_lib, f.name);
    }
}

}  // namespace postern::filter::policy::detail
