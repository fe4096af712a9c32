// Internal: the shape of one admin command and helpers to read its JSON arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "admin/admin.h"

namespace postern::admin {

using json = nlohmann::json;

struct Context {
    directory::Directory& directory;
    ServerControl* server;
    Resources resources;  // store/queue may be null: the command then fails "unavailable"
};

using Handler = Result<json> (*)(Context& ctx, const json& args);

struct Command {
    const char* name;
    Handler handler;
    bool needs_server;  // only a running daemon can do it
};

// Command tables, one per area.
std::vector<Command> directory_commands();
std::vector<Command> server_commands();
std::vector<Command> storage_commands();     // storage.check, storage.compact, ...
std::vector<Command> queue_commands();       // queue.list, queue.show, ...
std::vector<Command> acl_commands();         // acl.list, acl.set, acl.delete
std::vector<Command> protection_commands();  // lists.*, greylist.*
std::vector<Command> sieve_commands();       // account.ooo.show, account.ooo.set

// The daemon's (or the offline command's) message store; Errc::unavailable when not open.
Result<store::Store*> open_store(Context& ctx);

// Argument readers: Errc::invalid_argument naming the argument when missing or mistyped.
Result<std::string> arg_string(const json& args, const char* name);
std::optional<std::string> opt_string(const json& args, const char* name);
bool opt_bool(const json& args, const char* name, bool fallback = false);
Result<std::vector<std::string>> arg_strings(const json& args, const char* name,
                                             bool required = true);

// Result<T> → Result<json> shorthands.
inline Result<json> done() {
    return json{{"done", true}};
}
template <class T>
Result<json> ok_or(const Result<T>& r, json value) {
    if (!r)
        return fail(r.error());
    return value;
}
inline Result<json> ok_or(const Status& s) {
    if (!s)
        return fail(s.error());
    return done();
}

}  // namespace postern::admin
