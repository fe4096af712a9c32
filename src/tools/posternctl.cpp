// posternctl: the local admin command line. Talks to the running daemon over its admin socket
// or, with --offline, works on the data directory directly. Human output by default, --json
// for scripts; exit codes in docs/posternctl.md.
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "admin/admin.h"
#include "base/strings.h"
#include "config/edit.h"
#include "config/load.h"
#include "daemon/data_options.h"
#include "daemon/privileges.h"
#include "directory/directory.h"
#include "filter/greylist/greylist.h"
#include "filter/lists/lists.h"
#include "queue/queue.h"
#include "store/api/store.h"
#include "tools/admin_client.h"
#include "tools/dkim_keys.h"
#include "tools/output.h"
#include "tools/policy_test.h"

namespace {

using json = nlohmann::json;
using namespace postern;

struct Options {
    std::string config = "/etc/postern/postern.toml";
    std::string socket;
    bool offline = false;
    bool json_output = false;
    bool quiet = false;
};

// The request a leaf subcommand builds, and what --quiet prints of its result.
struct Plan {
    std::string command;
    json args = json::object();
    std::string quiet_field;     // print only this field of the result with --quiet
    std::function<int()> local;  // commands that run entirely in posternctl
    std::string ok_field;        // when set and this result field is false, exit 1 (storage check)
};

int print_error(const std::string& code, const std::string& message) {
    std::cerr << "posternctl: " << message << "\n";
    return tools::exit_code_for(code);
}

int run_request(const Options& opt, const config::Config& cfg, const Plan& plan) {
    json request = {{"command", plan.command}, {"args", plan.args}};
    json response;
    if (opt.offline) {
        // Work as the daemon's user, so files we create stay writable by the daemon.
        std::error_code ec;
        std::filesystem::create_directories(cfg.server.data_dir, ec);
        if (auto st = daemon::prepare_directories({cfg.server.data_dir}, cfg.server.user,
                                                  cfg.server.group);
            !st) {
            return print_error(admin::error_code(st.error().code), st.error().message);
        }
        if (auto st = daemon::drop_privileges(cfg.server.user, cfg.server.group); !st) {
            return print_error(admin::error_code(st.error().code), st.error().message);
        }
        auto dir =
            directory::Directory::open(cfg.server.data_dir, directory::DirectoryOptions::from(cfg));
        if (!dir)
            return print_error(admin::error_code(dir.error().code), dir.error().message);
        // The store and the queue are opened only for the commands that work on them.
        std::unique_ptr<store::Store> store;
        std::unique_ptr<queue::Queue> queue;
        if (plan.command.starts_with("storage.") || plan.command.starts_with("acl.")) {
            auto s = store::Store::open(daemon::store_options(cfg));
            if (!s)
                return print_error("unavailable", "store: " + s.error().to_string());
            store = std::move(*s);
        }
        if (plan.command.starts_with("queue.")) {
            auto options = daemon::queue_options(cfg);
            options.background = false;
            auto q = queue::Queue::open(std::move(options), {});
            if (!q)
                return print_error(admin::error_code(q.error().code),
                                   "queue: " + q.error().message);
            queue = std::move(*q);
        }
        admin::Resources resources{store.get(), queue.get()};
        resources.sieve_root = cfg.server.data_dir / "sieve";
        // The protection databases are SQLite in WAL mode: safe beside a running daemon.
        const auto& protection = cfg.protection;
        resources.address_lists = [&protection]() -> std::shared_ptr<filter::lists::AddressLists> {
            auto lists = filter::lists::AddressLists::open(protection.lists.database);
            if (!lists) {
                std::cerr << "posternctl: " << lists.error().message << "\n";
                return nullptr;
            }
            (*lists)->set_configured(protection.lists.whitelist, protection.lists.blacklist);
            return std::move(*lists);
        };
        resources.greylist = [&protection]() -> std::shared_ptr<filter::greylist::GreylistStore> {
            auto grey = filter::greylist::GreylistStore::open(protection.greylist.database);
            if (!grey) {
                std::cerr << "posternctl: " << grey.error().message << "\n";
                return nullptr;
            }
            return std::move(*grey);
        };
        admin::Admin admin(**dir, nullptr, std::move(resources));
        response = admin.execute(request);
    } else {
        auto socket =
            opt.socket.empty() ? cfg.server.admin_socket : std::filesystem::path(opt.socket);
        auto r = tools::call_daemon(socket, request);
        if (!r)
            return print_error(admin::error_code(r.error().code), r.error().message);
        response = std::move(*r);
    }
    if (!response.value("ok", false)) {
        auto& e = response["error"];
        if (opt.json_output)
            std::cout << response.dump(2) << "\n";
        return print_error(e.value("code", "internal"), e.value("message", "unknown error"));
    }
    auto& result = response["result"];
    if (opt.json_output) {
        std::cout << result.dump(2) << "\n";
    } else if (opt.quiet) {
        if (!plan.quiet_field.empty() && result.contains(plan.quiet_field)) {
            std::cout << (result[plan.quiet_field].is_string()
                              ? result[plan.quiet_field].get<std::string>()
                              : result[plan.quiet_field].dump())
                      << "\n";
        }
    } else {
        tools::print_human(std::cout, plan.command, result);
    }
    if (!plan.ok_field.empty() && result.value(plan.ok_field, true) == false)
        return 1;
    return 0;
}

// KEY=VALUE → (KEY, VALUE)
std::pair<std::string, std::string> key_value(const std::string& text) {
    auto eq = text.find('=');
    if (eq == std::string::npos)
        throw CLI::ValidationError("setting", "expected KEY=VALUE, got " + text);
    return {text.substr(0, eq), text.substr(eq + 1)};
}

}  // namespace

int main(int argc, char** argv) {
    Options opt;
    Plan plan;
    CLI::App app{"posternctl: administer a Postern server"};
    app.require_subcommand(1);
    app.fallthrough();  // global options may follow the subcommand (inherited by subcommands)
    app.add_option("-c,--config", opt.config, "configuration file")->capture_default_str();
    app.add_option("--socket", opt.socket, "admin socket (default from the configuration)");
    app.add_flag("--offline", opt.offline, "work on the data directory, without the daemon");
    app.add_flag("--json", opt.json_output, "print results as JSON");
    app.add_flag("-q,--quiet", opt.quiet,
                 "print only the essential value (e.g. a generated password)");

    auto set = [&plan](std::string command, json args = json::object(), std::string quiet = "") {
        plan.command = std::move(command);
        plan.args = std::move(args);
        plan.quiet_field = std::move(quiet);
    };
    // Strings bound to options live here; callbacks read them after parsing.
    std::map<std::string, std::string> s;
    std::map<std::string, bool> f;
    std::vector<std::string> list;

    // --- server ---------------------------------------------------------------------------
    app.add_subcommand("status", "daemon and service status")->callback([&] { set("status"); });
    auto* config_cmd = app.add_subcommand("config", "configuration file")->require_subcommand(1);
    auto* check =
        config_cmd->add_subcommand("check", "check the configuration file (default: --config)");
    check->add_option("file", s["file"]);
    check->callback([&] {
        plan.local = [&] {
            auto file = s["file"].empty() ? opt.config : s["file"];
            auto cfg = config::load_file(file);
            if (!cfg) {
                std::cerr << cfg.error().to_string() << "\n";
                return 2;
            }
            if (!opt.quiet)
                std::cout << file << ": configuration OK\n";
            return 0;
        };
    });
    config_cmd->add_subcommand("reload", "make the daemon re-read its configuration")
        ->callback([&] { set("config.reload"); });

    auto* service =
        app.add_subcommand("service", "start, stop, restart services")->require_subcommand(1);
    service->add_subcommand("list", "services and their state")->callback([&] {
        set("service.list");
    });
    for (auto verb : {"start", "stop", "restart"}) {
        auto* c = service->add_subcommand(
            verb, std::string(verb) + " a service until the daemon restarts");
        c->add_option("name", s[std::string("service.") + verb])->required();
        c->callback([&, verb] {
            set(std::string("service.") + verb, {{"name", s[std::string("service.") + verb]}});
        });
    }

    auto* log_cmd = app.add_subcommand("log", "logging")->require_subcommand(1);
    auto* log_level = log_cmd->add_subcommand(
        "level", "set a service's log level (0-31) in the configuration file and reload");
    log_level->add_option("service", s["log.service"], "service name, or \"default\" for [log]")
        ->required();
    log_level
        ->add_option("level", s["log.level"], "bitmask: 1 crit, 2 err, 4 warn, 8 info, 16 protocol")
        ->required();
    log_level->callback([&] {
        plan.local = [&] {
            auto n = parse_uint(s["log.level"]);
            if (!n || *n > 31)
                return print_error("invalid_argument", "level must be 0..31");
            auto cfg = config::load_file(opt.config);
            if (!cfg)
                return print_error("invalid_argument", cfg.error().to_string());
            auto svc = s["log.service"];
            bool known = svc == "default";
            for (auto& [name, ptr] : (*cfg)->tcp_services())
                known = known || name == svc;
            if (!known)
                return print_error("not_found", "no service named " + svc);
            auto st = svc == "default"
                          ? config::set_key_in_file(opt.config, "log", "level", std::to_string(*n))
                          : config::set_key_in_file(opt.config, "services." + svc, "log_level",
                                                    std::to_string(*n));
            if (!st)
                return print_error(admin::error_code(st.error().code), st.error().message);
            if (!opt.quiet)
                std::cout << "log level of " << svc << " set to " << *n << " in " << opt.config
                          << "\n";
            if (opt.offline)
                return 0;
            Plan reload{"config.reload", json::object(), "", {}};
            auto code = run_request(opt, **cfg, reload);
            if (code == tools::exit_code_for("unavailable"))
                return 0;  // not running: applies at start
            return code;
        };
    });

    auto* auth_cmd = app.add_subcommand("auth", "authentication bans")->require_subcommand(1);
    auth_cmd->add_subcommand("bans", "IPs and accounts banned after failed logins")->callback([&] {
        set("auth.bans");
    });
    auto* unban = auth_cmd->add_subcommand("unban", "lift a ban");
    unban->add_option("who", s["unban"], "IP address or account")->required();
    unban->callback([&] { set("auth.unban", {{"who", s["unban"]}}); });

    // --- domains ------------------------------------------------------------------------------
    auto* domain = app.add_subcommand("domain", "domains")->require_subcommand(1);
    auto* d_add = domain->add_subcommand("add", "add a domain");
    d_add->add_option("name", s["d.name"])->required();
    d_add->callback([&] { set("domain.add", {{"name", s["d.name"]}}, "name"); });
    auto* d_list = domain->add_subcommand("list", "list domains");
    d_list->add_option("pattern", s["d.pattern"], "glob, default *");
    d_list->callback([&] {
        set("domain.list", {{"pattern", s["d.pattern"].empty() ? "*" : s["d.pattern"]}});
    });
    auto* d_show = domain->add_subcommand("show", "a domain and its effective settings");
    d_show->add_option("name", s["d.name"])->required();
    d_show->callback([&] { set("domain.show", {{"name", s["d.name"]}}); });
    auto* d_rename =
        domain->add_subcommand("rename", "rename a domain; every account keeps its data");
    d_rename->add_option("from", s["d.from"])->required();
    d_rename->add_option("to", s["d.to"])->required();
    d_rename->add_flag("--keep-alias", f["d.keep"], "keep the old name as a domain alias");
    d_rename->callback([&] {
        set("domain.rename",
            {{"from", s["d.from"]}, {"to", s["d.to"]}, {"keep_alias", f["d.keep"]}});
    });
    auto* d_remove = domain->add_subcommand("remove", "remove a domain");
    d_remove->add_option("name", s["d.name"])->required();
    d_remove->add_flag("--force", f["d.force"],
                       "also remove its accounts, aliases, groups and forwarders");
    d_remove->callback([&] {
        set("domain.remove", {{"name", s["d.name"]}, {"force", f["d.force"]}});
    });
    auto* d_alias = domain->add_subcommand("alias", "domain aliases")->require_subcommand(1);
    auto* da_add = d_alias->add_subcommand("add", "ALIAS receives mail for DOMAIN's addresses");
    da_add->add_option("alias", s["da.alias"])->required();
    da_add->add_option("domain", s["da.domain"])->required();
    da_add->callback([&] {
        set("domain.alias.add", {{"alias", s["da.alias"]}, {"domain", s["da.domain"]}});
    });
    auto* da_remove = d_alias->add_subcommand("remove", "remove a domain alias");
    da_remove->add_option("alias", s["da.alias"])->required();
    da_remove->callback([&] { set("domain.alias.remove", {{"alias", s["da.alias"]}}); });
    auto* d_catch =
        domain->add_subcommand("catch-all", "account for unknown local parts (\"\" to remove)");
    d_catch->add_option("domain", s["dc.domain"])->required();
    d_catch->add_option("account", s["dc.account"])->required();
    d_catch->callback([&] {
        set("domain.catch_all", {{"domain", s["dc.domain"]}, {"account", s["dc.account"]}});
    });

    // --- accounts -----------------------------------------------------------------------------
    auto* account = app.add_subcommand("account", "accounts")->require_subcommand(1);
    auto password_options = [&](CLI::App* c) {
        c->add_option("--password", s["a.password"], "the password (checked against the policy)");
        c->add_option("--hash", s["a.hash"], "an existing {SCHEME} hash (migration)");
        c->add_flag("--generate", f["a.generate"], "generate a password and print it");
    };
    auto password_args = [&](json& args) {
        if (!s["a.password"].empty())
            args["password"] = s["a.password"];
        if (!s["a.hash"].empty())
            args["hash"] = s["a.hash"];
        if (f["a.generate"])
            args["generate"] = true;
    };
    auto* a_add = account->add_subcommand("add", "add an account");
    a_add->add_option("address", s["a.address"])->required();
    password_options(a_add);
    a_add->add_option("--class", s["a.class"], "account class");
    a_add->add_flag("--disabled", f["a.disabled"], "create it disabled");
    a_add->callback([&] {
        json args = {{"address", s["a.address"]}, {"disabled", f["a.disabled"]}};
        password_args(args);
        if (!s["a.class"].empty())
            args["class"] = s["a.class"];
        set("account.add", args, f["a.generate"] ? "generated_password" : "address");
    });
    auto* a_list = account->add_subcommand("list", "list accounts");
    a_list->add_option("domain", s["a.domain"], "only this domain");
    a_list->add_option("--pattern", s["a.pattern"], "glob on the local part");
    a_list->callback([&] {
        set("account.list", {{"domain", s["a.domain"]},
                             {"pattern", s["a.pattern"].empty() ? "*" : s["a.pattern"]}});
    });
    auto* a_show = account->add_subcommand("show", "an account and its effective settings");
    a_show->add_option("address", s["a.address"])->required();
    a_show->callback([&] { set("account.show", {{"address", s["a.address"]}}); });
    auto* a_passwd = account->add_subcommand("passwd", "set an account's password");
    a_passwd->add_option("address", s["a.address"])->required();
    password_options(a_passwd);
    a_passwd->callback([&] {
        json args = {{"address", s["a.address"]}};
        password_args(args);
        set("account.passwd", args, "generated_password");
    });
    for (auto verb : {"enable", "disable", "remove"}) {
        auto* c = account->add_subcommand(verb, std::string(verb) + " an account");
        c->add_option("address", s["a.address"])->required();
        c->callback([&, verb] {
            set(std::string("account.") + verb, {{"address", s["a.address"]}});
        });
    }
    auto* a_class = account->add_subcommand("class", "put an account in a class (\"\" for none)");
    a_class->add_option("address", s["a.address"])->required();
    a_class->add_option("class", s["a.class"])->required();
    a_class->callback([&] {
        set("account.class", {{"address", s["a.address"]}, {"class", s["a.class"]}});
    });
    auto* a_rename = account->add_subcommand("rename", "give an account a new address");
    a_rename->add_option("from", s["a.from"])->required();
    a_rename->add_option("to", s["a.to"])->required();
    a_rename->add_flag("--keep-alias", f["a.keep"], "keep the old address as an alias");
    a_rename->callback([&] {
        set("account.rename",
            {{"from", s["a.from"]}, {"to", s["a.to"]}, {"keep_alias", f["a.keep"]}});
    });
    auto* a_ooo = account->add_subcommand("ooo", "out-of-office auto-reply (Sieve vacation)")
                      ->require_subcommand(1);
    auto* o_show = a_ooo->add_subcommand("show", "an account's out-of-office setting");
    o_show->add_option("address", s["o.address"])->required();
    o_show->callback([&] { set("account.ooo.show", {{"address", s["o.address"]}}); });
    auto* o_set = a_ooo->add_subcommand(
        "set", "change the out-of-office setting (options not given keep their value)");
    o_set->add_option("address", s["o.address"])->required();
    o_set->add_flag("--enable", f["o.enable"], "turn the auto-reply on");
    o_set->add_flag("--disable", f["o.disable"], "turn the auto-reply off");
    o_set->add_option("--subject", s["o.subject"], "reply subject (\"\" = \"Auto: <subject>\")");
    o_set->add_option("--text", s["o.text"], "reply text");
    o_set->add_option("--text-file", s["o.text_file"], "read the reply text from a file");
    o_set->add_option("--start", s["o.start"], "first day, YYYY-MM-DD (\"\" = now)");
    o_set->add_option("--end", s["o.end"], "last day, YYYY-MM-DD (\"\" = no end)");
    o_set->add_option("--reply-to", s["o.reply_to"], "all, internal or external senders");
    o_set->add_option("--days", s["o.days"], "one reply per sender within this many days");
    o_set->callback([&] {
        json args = {{"address", s["o.address"]}};
        if (f["o.enable"])
            args["enabled"] = true;
        if (f["o.disable"])
            args["enabled"] = false;
        for (auto [flag, key] : {std::pair{"--subject", "subject"}, std::pair{"--text", "text"},
                                 std::pair{"--start", "start"}, std::pair{"--end", "end"},
                                 std::pair{"--reply-to", "reply_to"}})
            if (o_set->count(flag) > 0)
                args[key] = s[std::string("o.") + key];
        if (!s["o.text_file"].empty()) {
            std::ifstream in(s["o.text_file"], std::ios::binary);
            std::stringstream text;
            text << in.rdbuf();
            args["text"] = text.str();
        }
        if (!s["o.days"].empty()) {
            auto days = parse_uint(s["o.days"]);
            args["days"] = days ? *days : 0;
        }
        set("account.ooo.set", args);
    });
    auto* a_set = account->add_subcommand("set", "set account settings KEY=VALUE...");
    a_set->add_option("address", s["a.address"])->required();
    a_set->add_option("settings", list, "KEY=VALUE")->required();
    auto* a_unset = account->add_subcommand("unset", "let settings inherit again");
    a_unset->add_option("address", s["a.address"])->required();
    a_unset->add_option("keys", list)->required();
    auto* a_import = account->add_subcommand(
        "import", "create accounts from a CSV file (address,password[,class,...])");
    a_import->add_option("file", s["a.file"], "CSV file, - for standard input")->required();
    a_import->add_flag("--dry-run", f["i.dry"], "check every row, change nothing");
    a_import->add_flag("--stop-on-error", f["i.stop"], "stop at the first bad row");
    a_import->add_flag("--skip-existing", f["i.skip"], "skip addresses that exist");
    a_import->add_flag("--create-domains", f["i.domains"], "create unknown domains");
    a_import->add_flag("--generate-missing", f["i.generate"],
                       "generate passwords for empty cells (printed)");
    a_import->callback([&] {
        std::stringstream csv;
        if (s["a.file"] == "-") {
            csv << std::cin.rdbuf();
        } else {
            std::ifstream in(s["a.file"], std::ios::binary);
            if (!in)
                throw CLI::ValidationError("file", "cannot open " + s["a.file"]);
            csv << in.rdbuf();
        }
        set("account.import", {{"csv", csv.str()},
                               {"dry_run", f["i.dry"]},
                               {"stop_on_error", f["i.stop"]},
                               {"skip_existing", f["i.skip"]},
                               {"create_domains", f["i.domains"]},
                               {"generate_missing", f["i.generate"]}});
    });

    // --- aliases, groups, forwarders ----------------------------------------------------------
    auto* alias = app.add_subcommand("alias", "account aliases")->require_subcommand(1);
    auto* al_add = alias->add_subcommand("add", "ALIAS delivers to ACCOUNT");
    al_add->add_option("alias", s["al.alias"])->required();
    al_add->add_option("account", s["al.account"])->required();
    al_add->callback([&] {
        set("alias.add", {{"alias", s["al.alias"]}, {"account", s["al.account"]}});
    });
    auto* al_remove = alias->add_subcommand("remove", "remove an alias");
    al_remove->add_option("alias", s["al.alias"])->required();
    al_remove->callback([&] { set("alias.remove", {{"alias", s["al.alias"]}}); });
    auto* al_list = alias->add_subcommand("list", "aliases of a domain");
    al_list->add_option("domain", s["al.domain"])->required();
    al_list->callback([&] { set("alias.list", {{"domain", s["al.domain"]}}); });

    auto* group = app.add_subcommand("group", "distribution groups")->require_subcommand(1);
    auto* g_add = group->add_subcommand("add", "add a group with members");
    g_add->add_option("address", s["g.address"])->required();
    g_add->add_option("members", list);
    g_add->callback([&] { set("group.add", {{"address", s["g.address"]}, {"members", list}}); });
    auto* g_remove = group->add_subcommand("remove", "remove a group");
    g_remove->add_option("address", s["g.address"])->required();
    g_remove->callback([&] { set("group.remove", {{"address", s["g.address"]}}); });
    auto* g_madd = group->add_subcommand("add-member", "add members");
    g_madd->add_option("group", s["g.address"])->required();
    g_madd->add_option("members", list)->required();
    g_madd->callback([&] {
        set("group.members.add", {{"group", s["g.address"]}, {"members", list}});
    });
    auto* g_mrem = group->add_subcommand("remove-member", "remove members");
    g_mrem->add_option("group", s["g.address"])->required();
    g_mrem->add_option("members", list)->required();
    g_mrem->callback([&] {
        set("group.members.remove", {{"group", s["g.address"]}, {"members", list}});
    });
    auto* g_show = group->add_subcommand("show", "a group's members");
    g_show->add_option("address", s["g.address"])->required();
    g_show->callback([&] { set("group.show", {{"address", s["g.address"]}}); });
    auto* g_list = group->add_subcommand("list", "groups of a domain");
    g_list->add_option("domain", s["g.domain"])->required();
    g_list->callback([&] { set("group.list", {{"domain", s["g.domain"]}}); });

    auto* fwd = app.add_subcommand("forwarder", "forwarders (addresses without a mailbox)")
                    ->require_subcommand(1);
    auto* fw_add = fwd->add_subcommand("add", "ADDRESS forwards to TARGETS");
    fw_add->add_option("address", s["fw.address"])->required();
    fw_add->add_option("targets", list)->required();
    fw_add->callback([&] {
        set("forwarder.add", {{"address", s["fw.address"]}, {"targets", list}});
    });
    auto* fw_remove = fwd->add_subcommand("remove", "remove a forwarder");
    fw_remove->add_option("address", s["fw.address"])->required();
    fw_remove->callback([&] { set("forwarder.remove", {{"address", s["fw.address"]}}); });
    auto* fw_list = fwd->add_subcommand("list", "forwarders of a domain");
    fw_list->add_option("domain", s["fw.domain"])->required();
    fw_list->callback([&] { set("forwarder.list", {{"domain", s["fw.domain"]}}); });

    // --- classes and settings ------------------------------------------------------------------
    auto* cls = app.add_subcommand("class", "account classes")->require_subcommand(1);
    auto* c_add = cls->add_subcommand("add", "add a class to a domain");
    c_add->add_option("domain", s["c.domain"])->required();
    c_add->add_option("name", s["c.name"])->required();
    c_add->callback([&] { set("class.add", {{"domain", s["c.domain"]}, {"name", s["c.name"]}}); });
    auto* c_remove = cls->add_subcommand("remove", "remove a class");
    c_remove->add_option("domain", s["c.domain"])->required();
    c_remove->add_option("name", s["c.name"])->required();
    c_remove->add_flag("--force", f["c.force"], "even if accounts use it");
    c_remove->callback([&] {
        set("class.remove",
            {{"domain", s["c.domain"]}, {"name", s["c.name"]}, {"force", f["c.force"]}});
    });
    auto* c_list = cls->add_subcommand("list", "classes of a domain");
    c_list->add_option("domain", s["c.domain"])->required();
    c_list->callback([&] { set("class.list", {{"domain", s["c.domain"]}}); });

    // settings: "<level> set|unset|show"
    auto setting_commands = [&](CLI::App* parent, const std::string& level,
                                std::vector<std::string> names) {
        auto target_args = [&, level, names]() {
            json args = {{"level", level}};
            if (level == "domain")
                args["domain"] = s["t.0"];
            if (level == "class") {
                args["domain"] = s["t.0"];
                args["name"] = s["t.1"];
            }
            if (level == "account")
                args["name"] = s["t.0"];
            return args;
        };
        auto* show =
            parent->add_subcommand("settings", "effective settings and where each comes from");
        auto* sset = parent->add_subcommand("set", "set KEY=VALUE...");
        auto* sunset = parent->add_subcommand("unset", "let KEYs inherit again");
        for (std::size_t i = 0; i < names.size(); ++i) {
            for (auto* c : {show, sset, sunset})
                c->add_option(names[i], s["t." + std::to_string(i)])->required();
        }
        sset->add_option("settings", list, "KEY=VALUE")->required();
        sunset->add_option("keys", list)->required();
        show->callback([&, target_args] { set("settings.get", target_args()); });
        sset->callback([&, target_args] {
            // One request per key; posternctl runs them in order and stops at the first error.
            auto [k, v] = key_value(list.at(0));
            json args = target_args();
            args["key"] = k;
            args["value"] = v;
            set("settings.set", args);
            if (list.size() > 1)
                throw CLI::ValidationError("settings", "set one KEY=VALUE at a time");
        });
        sunset->callback([&, target_args] {
            json args = target_args();
            args["key"] = list.at(0);
            set("settings.unset", args);
            if (list.size() > 1)
                throw CLI::ValidationError("keys", "unset one KEY at a time");
        });
    };
    auto* server =
        app.add_subcommand("server", "server-wide account defaults")->require_subcommand(1);
    setting_commands(server, "server", {});
    setting_commands(domain, "domain", {"domain"});
    setting_commands(cls, "class", {"domain", "class"});
    // account set/unset are declared above with the other account commands.
    a_set->callback([&] {
        auto [k, v] = key_value(list.at(0));
        if (list.size() > 1)
            throw CLI::ValidationError("settings", "set one KEY=VALUE at a time");
        set("settings.set",
            {{"level", "account"}, {"name", s["a.address"]}, {"key", k}, {"value", v}});
    });
    a_unset->callback([&] {
        if (list.size() > 1)
            throw CLI::ValidationError("keys", "unset one KEY at a time");
        set("settings.unset",
            {{"level", "account"}, {"name", s["a.address"]}, {"key", list.at(0)}});
    });

    // --- queue (docs/queue.md, docs/posternctl.md) ---------------------------------------------
    auto* queue_cmd =
        app.add_subcommand("queue", "queued messages: list, show, retry, delete, bounce, hold")
            ->require_subcommand(1);
    auto* q_list = queue_cmd->add_subcommand("list", "queued messages, oldest first");
    struct ListOption {
        const char* flag;
        const char* key;
        const char* help;
    };
    for (auto [flag, key, help] : std::initializer_list<ListOption>{
             {"--sender", "sender", "glob on the sender (<> for the null sender)"},
             {"--recipient", "recipient", "glob on any recipient"},
             {"--status", "status", "message status (received, send_failure, held, ...)"},
             {"--reason", "reason", "text in the last error or hold reason (case-insensitive)"},
             {"--older-than", "older_than", "received more than this long ago (30m, 2h, 1d)"},
             {"--newer-than", "newer_than", "received less than this long ago"},
             {"--min-size", "min_size", "at least this many bytes (10K, 1M)"},
             {"--max-size", "max_size", "at most this many bytes"},
             {"--limit", "limit", "at most this many messages (default 1000)"},
             {"--offset", "offset", "skip this many matches first"}}) {
        q_list->add_option(flag, s[std::string("ql.") + key], help);
    }
    q_list->callback([&] {
        json args = json::object();
        for (auto key : {"sender", "recipient", "status", "reason", "older_than", "newer_than",
                         "min_size", "max_size"}) {
            if (!s[std::string("ql.") + key].empty())
                args[key] = s[std::string("ql.") + key];
        }
        for (auto key : {"limit", "offset"}) {
            auto& text = s[std::string("ql.") + key];
            if (text.empty())
                continue;
            auto n = parse_uint(text);
            if (!n)
                throw CLI::ValidationError(key, "expected a number, got " + text);
            args[key] = *n;
        }
        set("queue.list", args);
    });
    auto* q_show = queue_cmd->add_subcommand("show", "a message's full status, per recipient");
    q_show->add_option("id", s["q.id"], "queue id")->required();
    q_show->callback([&] { set("queue.show", {{"id", s["q.id"]}}, "state"); });
    auto* q_retry = queue_cmd->add_subcommand(
        "retry", "make a message (or all) due now; --destination flushes a virtual queue");
    q_retry->add_option("id", s["q.id"], "queue id");
    q_retry->add_flag("--all", f["q.all"], "every queued message");
    q_retry->add_option("--destination", s["q.dest"],
                        "mark this destination available and flush its messages");
    q_retry->callback([&] {
        json args = json::object();
        if (!s["q.id"].empty())
            args["id"] = s["q.id"];
        if (f["q.all"])
            args["all"] = true;
        if (!s["q.dest"].empty())
            args["destination"] = s["q.dest"];
        if (s["q.id"].empty() && !f["q.all"] && s["q.dest"].empty()) {
            throw CLI::ValidationError("retry", "give a queue id, --all or --destination");
        }
        if (!s["q.id"].empty() && f["q.all"])
            throw CLI::ValidationError("retry", "give a queue id or --all, not both");
        set("queue.retry", args);
    });
    auto* q_delete =
        queue_cmd->add_subcommand("delete", "remove a message without notifying anyone");
    q_delete->add_option("id", s["q.id"], "queue id")->required();
    q_delete->callback([&] { set("queue.delete", {{"id", s["q.id"]}}); });
    auto* q_bounce =
        queue_cmd->add_subcommand("bounce", "return a message to its sender (NDR), then remove it");
    q_bounce->add_option("id", s["q.id"], "queue id")->required();
    q_bounce->add_option("--reason", s["q.reason"], "text for the notification");
    q_bounce->callback([&] {
        set("queue.bounce", {{"id", s["q.id"]}, {"reason", s["q.reason"]}});
    });
    auto* q_hold =
        queue_cmd->add_subcommand("hold", "stop a message from being processed or delivered");
    q_hold->add_option("id", s["q.id"], "queue id")->required();
    q_hold->add_option("--for", s["q.for"],
                       "release by itself after this long (default: until released)");
    q_hold->add_option("--reason", s["q.reason"], "shown by queue show (default \"admin\")");
    q_hold->callback([&] {
        json args = {{"id", s["q.id"]}};
        if (!s["q.for"].empty())
            args["for"] = s["q.for"];
        if (!s["q.reason"].empty())
            args["reason"] = s["q.reason"];
        set("queue.hold", args);
    });
    auto* q_release = queue_cmd->add_subcommand("release", "release a held message");
    q_release->add_option("id", s["q.id"], "queue id")->required();
    q_release->callback([&] { set("queue.release", {{"id", s["q.id"]}}); });
    queue_cmd->add_subcommand("counts", "messages per status")->callback([&] {
        set("queue.counts");
    });
    queue_cmd
        ->add_subcommand("destinations",
                         "virtual queues: unavailable destinations and waiting messages")
        ->callback([&] { set("queue.destinations"); });

    tools::add_policy_commands(app, opt.config, opt.json_output, plan.local);
    tools::add_dkim_commands(app, opt.config, opt.json_output, plan.local);

    auto* resolve = app.add_subcommand("resolve", "what an address is and where its mail goes");
    resolve->add_option("address", s["r.address"])->required();
    resolve->callback([&] { set("resolve", {{"address", s["r.address"]}}); });

    // --- storage (docs/storage.md "Tools") --------------------------------------------------
    auto* storage = app.add_subcommand("storage", "message stores: check, compact, repair, report")
                        ->require_subcommand(1);
    auto* st_check = storage->add_subcommand(
        "check", "verify checksums, references and indexes; report orphans (exit 1 on errors)");
    st_check->add_option("--account", s["st.account"], "only this account (address or numeric id)");
    st_check->add_flag("--fix", f["st.fix"], "reclaim orphans, fix reference counts and counters");
    st_check->add_flag("--deep", f["st.deep"], "also scan free container space for stray records");
    st_check->callback([&] {
        json args = {{"fix", f["st.fix"]}, {"deep", f["st.deep"]}};
        if (!s["st.account"].empty())
            args["account"] = s["st.account"];
        set("storage.check", args, "clean");
        plan.ok_field = "clean";
    });
    auto* st_compact =
        storage->add_subcommand("compact", "reclaim space freed by deletes (online, paced)");
    st_compact->add_option("--io-rate", s["st.rate"],
                           "bytes/s read + written, e.g. 8M (default [storage] compact_io_rate)");
    st_compact->add_option("--max-bytes", s["st.max"], "stop after moving this much, e.g. 1G");
    st_compact->callback([&] {
        json args = json::object();
        if (!s["st.rate"].empty())
            args["io_rate"] = s["st.rate"];
        if (!s["st.max"].empty())
            args["max_bytes"] = s["st.max"];
        set("storage.compact", args, "bytes_released");
    });
    auto* st_repair =
        storage->add_subcommand("repair", "rebuild an account's index from the message stores");
    st_repair->add_option("account", s["st.account"], "address or numeric account id")->required();
    st_repair->callback([&] {
        set("storage.repair", {{"account", s["st.account"]}}, "messages_recovered");
    });
    auto* st_report = storage->add_subcommand(
        "report", "bytes and messages per store, domain and account; dedup savings");
    st_report->add_option("--domain", s["st.domain"], "only this domain");
    st_report->callback([&] {
        json args = json::object();
        if (!s["st.domain"].empty())
            args["domain"] = s["st.domain"];
        set("storage.report", args);
    });
    auto* st_delete = storage->add_subcommand(
        "delete", "drop an account's stored mailboxes (e.g. after account remove)");
    st_delete->add_option("account", s["st.account"], "address or numeric account id")->required();
    st_delete->callback([&] { set("storage.delete", {{"account", s["st.account"]}}); });

    // --- SMTP-time protection: address lists and greylisting (docs/smtp-protection.md) -------
    auto* lists =
        app.add_subcommand("lists", "sender address white/blacklists (server, domain, account)")
            ->require_subcommand(1);
    auto* l_list = lists->add_subcommand("list", "entries of every level, or of one");
    l_list->add_option("scope", s["l.scope"], "server, a domain or an account address");
    l_list->add_option("--limit", s["l.limit"], "at most this many stored entries (default 1000)");
    l_list->callback([&] {
        json args = json::object();
        if (!s["l.scope"].empty())
            args["scope"] = s["l.scope"];
        if (!s["l.limit"].empty()) {
            auto n = parse_uint(s["l.limit"]);
            if (!n)
                throw CLI::ValidationError("--limit", "expected a number");
            args["limit"] = *n;
        }
        set("lists.list", args);
    });
    for (auto verb : {"add", "delete"}) {
        auto* c = lists->add_subcommand(
            verb, std::string(verb) + " a pattern to or from a whitelist or blacklist");
        c->add_option("scope", s["l.scope"], "server, a domain or an account address")->required();
        c->add_option("list", s["l.list"], "whitelist or blacklist")->required();
        c->add_option("pattern", s["l.pattern"],
                      "user@example.com, @example.com, example.com or a glob (*@*.example.com)")
            ->required();
        c->callback([&, verb] {
            set(std::string("lists.") + verb,
                {{"scope", s["l.scope"]}, {"list", s["l.list"]}, {"pattern", s["l.pattern"]}});
        });
    }

    auto* grey = app.add_subcommand("greylist", "greylisting triplets and client networks")
                     ->require_subcommand(1);
    auto* gl_list = grey->add_subcommand("list", "triplets and networks, most recently seen first");
    gl_list->add_option("match", s["gl.match"],
                        "only entries whose network, sender or recipient "
                        "contain this text");
    gl_list->add_option("--limit", s["gl.limit"], "at most this many of each (default 1000)");
    gl_list->callback([&] {
        json args = {{"match", s["gl.match"]}};
        if (!s["gl.limit"].empty()) {
            auto n = parse_uint(s["gl.limit"]);
            if (!n)
                throw CLI::ValidationError("--limit", "expected a number");
            args["limit"] = *n;
        }
        set("greylist.list", args);
    });
    auto* gl_delete = grey->add_subcommand(
        "delete", "forget a network's triplets (and pass count), or one sender's or recipient's");
    gl_delete
        ->add_option("network", s["gl.network"], "an IP address or 192.0.2.0/24, 2001:db8::/64")
        ->required();
    gl_delete->add_option("sender", s["gl.sender"], "envelope sender (<> for the null sender)");
    gl_delete->add_option("recipient", s["gl.recipient"], "recipient address");
    gl_delete->callback([&] {
        json args = {{"network", s["gl.network"]}};
        if (!s["gl.sender"].empty())
            args["sender"] = s["gl.sender"];
        if (!s["gl.recipient"].empty())
            args["recipient"] = s["gl.recipient"];
        set("greylist.delete", args, "removed");
    });
    auto* gl_white =
        grey->add_subcommand("whitelist", "let a triplet pass at once (until idle for expiry)");
    gl_white->add_option("network", s["gl.network"], "an IP address or its network")->required();
    gl_white->add_option("sender", s["gl.sender"], "envelope sender (<> for the null sender)")
        ->required();
    gl_white->add_option("recipient", s["gl.recipient"], "recipient address")->required();
    gl_white->callback([&] {
        set("greylist.whitelist", {{"network", s["gl.network"]},
                                   {"sender", s["gl.sender"]},
                                   {"recipient", s["gl.recipient"]}});
    });

    // --- mailbox access control lists (docs/imap.md "Access control") ----------------------
    auto* acl =
        app.add_subcommand("acl", "mailbox access control lists (RFC 4314)")->require_subcommand(1);
    auto add_acl_target = [&](CLI::App* c) {
        c->add_option("account", s["acl.account"],
                      "owner address, or public:DOMAIN for the domain's public folders")
            ->required();
        c->add_option("mailbox", s["acl.mailbox"], "mailbox name in the owner's account")
            ->required();
    };
    auto acl_args = [&] {
        return json{{"account", s["acl.account"]}, {"mailbox", s["acl.mailbox"]}};
    };
    auto* acl_list = acl->add_subcommand("list", "who may do what in a mailbox");
    add_acl_target(acl_list);
    acl_list->callback([&] { set("acl.list", acl_args()); });
    auto* acl_set = acl->add_subcommand("set", "give an identifier these rights (replaces them)");
    add_acl_target(acl_set);
    acl_set->add_option("identifier", s["acl.identifier"], "an account address or \"anyone\"")
        ->required();
    acl_set->add_option("rights", s["acl.rights"], "letters of lrswipkxtea, e.g. lrs")->required();
    acl_set->callback([&] {
        auto args = acl_args();
        args["identifier"] = s["acl.identifier"];
        args["rights"] = s["acl.rights"];
        set("acl.set", args);
    });
    auto* acl_delete = acl->add_subcommand("delete", "remove an identifier's entry");
    add_acl_target(acl_delete);
    acl_delete->add_option("identifier", s["acl.identifier"], "an account address or \"anyone\"")
        ->required();
    acl_delete->callback([&] {
        auto args = acl_args();
        args["identifier"] = s["acl.identifier"];
        set("acl.delete", args);
    });

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        int code = app.exit(e);
        return code == 0 ? 0 : 2;
    }
    if (plan.local)
        return plan.local();

    auto cfg = config::load_file(opt.config);
    if (!cfg) {
        std::cerr << cfg.error().to_string() << "\n";
        return print_error("invalid_argument", "cannot read the configuration " + opt.config);
    }
    return run_request(opt, **cfg, plan);
}
