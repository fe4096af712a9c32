// Dispatch of admin requests to the command tables; errors become JSON, never exceptions.
#include "admin/admin.h"

#include "admin/command.h"

namespace postern::admin {

std::string error_code(Errc code) {
    switch (code) {
        case Errc::invalid_argument:
            return "invalid_argument";
        case Errc::not_found:
            return "not_found";
        case Errc::already_exists:
            return "already_exists";
        case Errc::permission_denied:
            return "permission_denied";
        case Errc::unavailable:
            return "unavailable";
        case Errc::io_error:
            return "io_error";
        case Errc::corrupt:
            return "corrupt";
        case Errc::limit_exceeded:
            return "limit_exceeded";
        case Errc::timeout:
            return "timeout";
        case Errc::cancelled:
            return "cancelled";
        case Errc::internal:
            return "internal";
    }
    return "internal";
}

Result<std::string> arg_string(const json& args, const char* name) {
    auto it = args.find(name);
    if (it == args.end() || !it->is_string()) {
        return fail(Errc::invalid_argument,
                    std::string("missing argument \"") + name + "\" (a string)");
    }
    return it->get<std::string>();
}

std::optional<std::string> opt_string(const json& args, const char* name) {
    auto it = args.find(name);
    if (it == args.end() || !it->is_string())
        return std::nullopt;
    return it->get<std::string>();
}

bool opt_bool(const json& args, const char* name, bool fallback) {
    auto it = args.find(name);
    if (it == args.end() || !it->is_boolean())
        return fallback;
    return it->get<bool>();
}

Result<std::vector<std::string>> arg_strings(const json& args, const char* name, bool required) {
    auto it = args.find(name);
    if (it == args.end()) {
        if (!required)
            return std::vector<std::string>{};
        return fail(Errc::invalid_argument,
                    std::string("missing argument \"") + name + "\" (a list)");
    }
    std::vector<std::string> out;
    if (it->is_string()) {
        out.push_back(it->get<std::string>());
        return out;
    }
    if (!it->is_array())
        return fail(Errc::invalid_argument,
                    std::string("argument \"") + name + "\" must be a list");
    for (auto& v : *it) {
        if (!v.is_string())
            return fail(Errc::invalid_argument,
                        std::string("argument \"") + name + "\" must hold strings");
        out.push_back(v.get<std::string>());
    }
    return out;
}

namespace {

const std::vector<Command>& table() {
    static const std::vector<Command> all = [] {
        auto out = directory_commands();
        auto server = server_commands();
        out.insert(out.end(), server.begin(), server.end());
        for (auto& more : {storage_commands(), queue_commands(), acl_commands(),
                           protection_commands(), sieve_commands()})
            out.insert(out.end(), more.begin(), more.end());
        return out;
    }();
    return all;
}

json error_json(Errc code, const std::string& message) {
    return json{{"ok", false}, {"error", {{"code", error_code(code)}, {"message", message}}}};
}

}  // namespace

Admin::Admin(directory::Directory& directory, ServerControl* server, Resources resources)
    : directory_(directory), server_(server), resources_(resources) {}

std::vector<std::string> Admin::commands() {
    std::vector<std::string> names;
    for (auto& c : table())
        names.emplace_back(c.name);
    return names;
}

json Admin::execute(const json& request) {
    if (!request.is_object() || !request.contains("command") || !request["command"].is_string()) {
        return error_json(Errc::invalid_argument,
                          "a request is {\"command\": NAME, \"args\": {...}}");
    }
    auto name = request["command"].get<std::string>();
    json args = request.value("args", json::object());
    if (!args.is_object())
        return error_json(Errc::invalid_argument, "\"args\" must be an object");
    for (auto& c : table()) {
        if (name != c.name)
            continue;
        if (c.needs_server && !server_) {
            return error_json(Errc::unavailable,
                              name + " needs the running daemon (not available with --offline)");
        }
        Context ctx{directory_, server_, resources_};
        try {
            auto result = c.handler(ctx, args);
            if (!result)
                return error_json(result.error().code, result.error().message);
            return json{{"ok", true}, {"result", std::move(*result)}};
        } catch (const json::exception& e) {
            // A mistyped argument nlohmann could not convert: the caller's mistake, not ours.
            return error_json(Errc::invalid_argument, std::string("bad argument: ") + e.what());
        }
    }
    return error_json(Errc::not_found, "unknown command " + name);
}

}  // namespace postern::admin
