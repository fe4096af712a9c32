// Admin commands that need the running daemon: status, services, reload, auth bans.
#include "admin/command.h"

namespace postern::admin {
namespace {

json to_json(const services::ServiceStatus& s) {
    return {{"name", s.name},
            {"enabled", s.enabled},
            {"running", s.running},
            {"threads", s.threads},
            {"connections", s.connections},
            {"sessions", s.sessions_total},
            {"listeners", s.listeners},
            {"error", s.error}};
}

Result<json> status(Context& ctx, const json&) {
    auto j = ctx.server->status();
    json list = json::array();
    for (auto& s : ctx.server->services())
        list.push_back(to_json(s));
    j["services"] = list;
    return j;
}

Result<json> service_list(Context& ctx, const json&) {
    json list = json::array();
    for (auto& s : ctx.server->services())
        list.push_back(to_json(s));
    return list;
}

Result<json> service_start(Context& ctx, const json& args) {
    auto name = arg_string(args, "name");
    if (!name)
        return fail(name.error());
    return ok_or(ctx.server->start_service(*name));
}

Result<json> service_stop(Context& ctx, const json& args) {
    auto name = arg_string(args, "name");
    if (!name)
        return fail(name.error());
    return ok_or(ctx.server->stop_service(*name));
}

Result<json> service_restart(Context& ctx, const json& args) {
    auto name = arg_string(args, "name");
    if (!name)
        return fail(name.error());
    return ok_or(ctx.server->restart_service(*name));
}

Result<json> config_reload(Context& ctx, const json&) {
    return ok_or(ctx.server->reload());
}

Result<json> auth_bans(Context& ctx, const json&) {
    return ctx.server->auth_bans();
}

Result<json> auth_unban(Context& ctx, const json& args) {
    auto who = arg_string(args, "who");
    if (!who)
        return fail(who.error());
    return ok_or(ctx.server->unban(*who));
}

}  // namespace

std::vector<Command> server_commands() {
    return {
        {"status", status, true},
        {"service.list", service_list, true},
        {"service.start", service_start, true},
        {"service.stop", service_stop, true},
        {"service.restart", service_restart, true},
        {"config.reload", config_reload, true},
        {"auth.bans", auth_bans, true},
        {"auth.unban", auth_unban, true},
    };
}

}  // namespace postern::admin
