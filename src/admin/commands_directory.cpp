// Admin commands on the directory: domains, accounts, aliases, groups, forwarders, classes,
// settings, address resolution and CSV import.
#include <sstream>

#include "admin/command.h"
#include "directory/directory.h"

namespace postern::admin {
namespace {

using namespace directory;

json to_json(const DomainInfo& d) {
    return {{"name", d.name},
            {"accounts", d.accounts},
            {"aliases", d.aliases},
            {"catch_all", d.catch_all ? json(*d.catch_all) : json()},
            {"created", d.created}};
}

json to_json(const AccountInfo& a) {
    json j = {{"id", a.id},
              {"address", a.address},
              {"domain", a.domain},
              {"enabled", a.enabled},
              {"class", a.account_class ? json(*a.account_class) : json()},
              {"password_scheme", a.password_scheme},
              {"created", a.created}};
    if (!a.aliases.empty())
        j["aliases"] = a.aliases;
    return j;
}

json to_json(const AddressList& l, const char* targets_name) {
    return {{"address", l.address}, {targets_name, l.targets}};
}

json to_json(const EffectiveSetting& s) {
    return {{"key", s.key}, {"value", s.text}, {"from", std::string(level_name(s.level))}};
}

// How a password is given: "password", "hash" or "generate"; none → NoPassword.
Result<PasswordSource> password_source(const json& args, bool required) {
    int given = args.contains("password") + args.contains("hash") + opt_bool(args, "generate");
    if (given > 1)
        return fail(Errc::invalid_argument, "give one of password, hash or generate");
    if (auto p = opt_string(args, "password"))
        return PasswordSource{PlainPassword{*p}};
    if (auto h = opt_string(args, "hash"))
        return PasswordSource{HashedPassword{*h}};
    if (opt_bool(args, "generate"))
        return PasswordSource{RandomPassword{}};
    if (required)
        return fail(Errc::invalid_argument, "give a password, a {SCHEME} hash, or generate");
    return PasswordSource{NoPassword{}};
}

Result<SettingTarget> setting_target(const json& args) {
    auto level = opt_string(args, "level").value_or("server");
    if (level == "server")
        return SettingTarget::server();
    if (level == "domain") {
        auto d = arg_string(args, "domain");
        if (!d)
            return fail(d.error());
        return SettingTarget::for_domain(*d);
    }
    if (level == "class") {
        auto d = arg_string(args, "domain");
        auto n = arg_string(args, "name");
        if (!d)
            return fail(d.error());
        if (!n)
            return fail(n.error());
        return SettingTarget::for_class(*d, *n);
    }
    if (level == "account") {
        auto a = arg_string(args, "name");
        if (!a)
            return fail(a.error());
        return SettingTarget::for_account(*a);
    }
    return fail(Errc::invalid_argument, "level must be server, domain, class or account");
}

void forget_logins(Context& ctx, std::string_view address) {
    if (!ctx.server)
        return;
    if (auto a = ctx.directory.get_account(address))
        ctx.server->password_changed(a->id);
}

// --- domains -------------------------------------------------------------------------------

Result<json> domain_add(Context& ctx, const json& args) {
    auto name = arg_string(args, "name");
    if (!name)
        return fail(name.error());
    auto d = ctx.directory.add_domain(*name);
    if (!d)
        return fail(d.error());
    return to_json(*d);
}

Result<json> domain_list(Context& ctx, const json& args) {
    auto list = ctx.directory.list_domains(opt_string(args, "pattern").value_or("*"));
    if (!list)
        return fail(list.error());
    json out = json::array();
    for (auto& d : *list)
        out.push_back(to_json(d));
    return out;
}

Result<json> domain_show(Context& ctx, const json& args) {
    auto name = arg_string(args, "name");
    if (!name)
        return fail(name.error());
    auto d = ctx.directory.get_domain(*name);
    if (!d)
        return fail(d.error());
    auto j = to_json(*d);
    auto effective = ctx.directory.effective_settings(SettingTarget::for_domain(*name));
    if (!effective)
        return fail(effective.error());
    for (auto& s : *effective)
        j["settings"].push_back(to_json(s));
    return j;
}

Result<json> domain_rename(Context& ctx, const json& args) {
    auto from = arg_string(args, "from");
    auto to = arg_string(args, "to");
    if (!from)
        return fail(from.error());
    if (!to)
        return fail(to.error());
    return ok_or(
        ctx.directory.rename_domain(*from, *to, RenameOptions{opt_bool(args, "keep_alias")}));
}

Result<json> domain_remove(Context& ctx, const json& args) {
    auto name = arg_string(args, "name");
    if (!name)
        return fail(name.error());
    return ok_or(ctx.directory.remove_domain(*name, opt_bool(args, "force")));
}

Result<json> domain_alias_add(Context& ctx, const json& args) {
    auto alias = arg_string(args, "alias");
    auto domain = arg_string(args, "domain");
    if (!alias)
        return fail(alias.error());
    if (!domain)
        return fail(domain.error());
    return ok_or(ctx.directory.add_domain_alias(*alias, *domain));
}

Result<json> domain_alias_remove(Context& ctx, const json& args) {
    auto alias = arg_string(args, "alias");
    if (!alias)
        return fail(alias.error());
    return ok_or(ctx.directory.remove_domain_alias(*alias));
}

Result<json> domain_catch_all(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    if (!domain)
        return fail(domain.error());
    auto account = opt_string(args, "account");
    std::optional<std::string_view> target;
    if (account && !account->empty())
        target = *account;
    return ok_or(ctx.directory.set_catch_all(*domain, target));
}

// --- accounts ------------------------------------------------------------------------------

Result<json> account_add(Context& ctx, const json& args) {
    NewAccount account;
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    account.address = *address;
    auto password = password_source(args, false);
    if (!password)
        return fail(password.error());
    account.password = *password;
    account.account_class = opt_string(args, "class");
    account.enabled = !opt_bool(args, "disabled");
    if (auto it = args.find("settings"); it != args.end() && it->is_object()) {
        for (auto& [k, v] : it->items())
            account.settings.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
    }
    auto added = ctx.directory.add_account(account);
    if (!added)
        return fail(added.error());
    auto j = to_json(added->account);
    if (added->generated_password)
        j["generated_password"] = *added->generated_password;
    return j;
}

Result<json> account_list(Context& ctx, const json& args) {
    AccountQuery q;
    q.domain = opt_string(args, "domain").value_or("");
    q.pattern = opt_string(args, "pattern").value_or("*");
    q.offset = args.value("offset", std::size_t{0});
    q.limit = args.value("limit", std::size_t{0});
    auto list = ctx.directory.list_accounts(q);
    if (!list)
        return fail(list.error());
    json out = json::array();
    for (auto& a : *list)
        out.push_back(to_json(a));
    return out;
}

Result<json> account_show(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    auto a = ctx.directory.get_account(*address);
    if (!a)
        return fail(a.error());
    auto j = to_json(*a);
    auto effective = ctx.directory.effective_settings(SettingTarget::for_account(a->address));
    if (!effective)
        return fail(effective.error());
    for (auto& s : *effective)
        j["settings"].push_back(to_json(s));
    return j;
}

Result<json> account_passwd(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    auto password = password_source(args, true);
    if (!password)
        return fail(password.error());
    auto change = ctx.directory.set_password(*address, *password);
    if (!change)
        return fail(change.error());
    forget_logins(ctx, *address);
    json j = {{"address", *address}, {"generation", change->generation}};
    if (change->generated_password)
        j["generated_password"] = *change->generated_password;
    return j;
}

Result<json> account_enable(Context& ctx, const json& args, bool enabled) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    auto st = ctx.directory.set_enabled(*address, enabled);
    if (!st)
        return fail(st.error());
    if (!enabled)
        forget_logins(ctx, *address);
    return done();
}
Result<json> account_enable(Context& ctx, const json& args) {
    return account_enable(ctx, args, true);
}
Result<json> account_disable(Context& ctx, const json& args) {
    return account_enable(ctx, args, false);
}

Result<json> account_class(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    auto cls = opt_string(args, "class");
    std::optional<std::string_view> target;
    if (cls && !cls->empty())
        target = *cls;
    return ok_or(ctx.directory.set_account_class(*address, target));
}

Result<json> account_rename(Context& ctx, const json& args) {
    auto from = arg_string(args, "from");
    auto to = arg_string(args, "to");
    if (!from)
        return fail(from.error());
    if (!to)
        return fail(to.error());
    return ok_or(
        ctx.directory.rename_account(*from, *to, RenameOptions{opt_bool(args, "keep_alias")}));
}

Result<json> account_remove(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    std::int64_t id = 0;
    if (auto a = ctx.directory.get_account(*address))
        id = a->id;
    auto st = ctx.directory.remove_account(*address);
    if (!st)
        return fail(st.error());
    if (ctx.server && id)
        ctx.server->password_changed(id);
    return done();
}

Result<json> account_import(Context& ctx, const json& args) {
    auto csv = arg_string(args, "csv");
    if (!csv)
        return fail(csv.error());
    ImportOptions options;
    options.dry_run = opt_bool(args, "dry_run");
    options.stop_on_error = opt_bool(args, "stop_on_error");
    options.skip_existing = opt_bool(args, "skip_existing");
    options.create_domains = opt_bool(args, "create_domains");
    options.generate_missing = opt_bool(args, "generate_missing");
    std::istringstream in(*csv);
    auto report = ctx.directory.import_accounts(in, options);
    if (!report)
        return fail(report.error());
    json errors = json::array();
    for (auto& e : report->errors)
        errors.push_back({{"line", e.line}, {"address", e.address}, {"message", e.message}});
    json generated = json::array();
    for (auto& [address, password] : report->generated)
        generated.push_back({{"address", address}, {"password", password}});
    return json{{"rows", report->rows},       {"imported", report->imported},
                {"skipped", report->skipped}, {"errors", errors},
                {"generated", generated},     {"created_domains", report->created_domains},
                {"stopped", report->stopped}, {"dry_run", options.dry_run}};
}

// --- aliases, groups, forwarders -------------------------------------------------------------

Result<json> alias_add(Context& ctx, const json& args) {
    auto alias = arg_string(args, "alias");
    auto account = arg_string(args, "account");
    if (!alias)
        return fail(alias.error());
    if (!account)
        return fail(account.error());
    return ok_or(ctx.directory.add_alias(*alias, *account));
}

Result<json> alias_remove(Context& ctx, const json& args) {
    auto alias = arg_string(args, "alias");
    if (!alias)
        return fail(alias.error());
    return ok_or(ctx.directory.remove_alias(*alias));
}

Result<json> alias_list(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    if (!domain)
        return fail(domain.error());
    auto list = ctx.directory.list_aliases(*domain);
    if (!list)
        return fail(list.error());
    json out = json::array();
    for (auto& a : *list)
        out.push_back({{"alias", a.address}, {"account", a.account}});
    return out;
}

Result<json> group_add(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    auto members = arg_strings(args, "members", false);
    if (!address)
        return fail(address.error());
    if (!members)
        return fail(members.error());
    return ok_or(ctx.directory.add_group(*address, *members));
}

Result<json> group_remove(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    return ok_or(ctx.directory.remove_group(*address));
}

Result<json> group_members(Context& ctx, const json& args, bool add) {
    auto group = arg_string(args, "group");
    auto members = arg_strings(args, "members");
    if (!group)
        return fail(group.error());
    if (!members)
        return fail(members.error());
    return ok_or(add ? ctx.directory.add_group_members(*group, *members)
                     : ctx.directory.remove_group_members(*group, *members));
}
Result<json> group_members_add(Context& ctx, const json& args) {
    return group_members(ctx, args, true);
}
Result<json> group_members_remove(Context& ctx, const json& args) {
    return group_members(ctx, args, false);
}

Result<json> group_show(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    auto g = ctx.directory.get_group(*address);
    if (!g)
        return fail(g.error());
    return to_json(*g, "members");
}

Result<json> group_list(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    if (!domain)
        return fail(domain.error());
    auto list = ctx.directory.list_groups(*domain);
    if (!list)
        return fail(list.error());
    json out = json::array();
    for (auto& g : *list)
        out.push_back(to_json(g, "members"));
    return out;
}

Result<json> forwarder_add(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    auto targets = arg_strings(args, "targets");
    if (!address)
        return fail(address.error());
    if (!targets)
        return fail(targets.error());
    return ok_or(ctx.directory.add_forwarder(*address, *targets));
}

Result<json> forwarder_remove(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    return ok_or(ctx.directory.remove_forwarder(*address));
}

Result<json> forwarder_list(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    if (!domain)
        return fail(domain.error());
    auto list = ctx.directory.list_forwarders(*domain);
    if (!list)
        return fail(list.error());
    json out = json::array();
    for (auto& f : *list)
        out.push_back(to_json(f, "targets"));
    return out;
}

// --- classes and settings ------------------------------------------------------------------

Result<json> class_add(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    auto name = arg_string(args, "name");
    if (!domain)
        return fail(domain.error());
    if (!name)
        return fail(name.error());
    return ok_or(ctx.directory.add_class(*domain, *name));
}

Result<json> class_remove(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    auto name = arg_string(args, "name");
    if (!domain)
        return fail(domain.error());
    if (!name)
        return fail(name.error());
    return ok_or(ctx.directory.remove_class(*domain, *name, opt_bool(args, "force")));
}

Result<json> class_list(Context& ctx, const json& args) {
    auto domain = arg_string(args, "domain");
    if (!domain)
        return fail(domain.error());
    auto list = ctx.directory.list_classes(*domain);
    if (!list)
        return fail(list.error());
    json out = json::array();
    for (auto& c : *list)
        out.push_back({{"name", c.name}, {"accounts", c.accounts}});
    return out;
}

Result<json> settings_get(Context& ctx, const json& args) {
    auto target = setting_target(args);
    if (!target)
        return fail(target.error());
    auto effective = ctx.directory.effective_settings(*target);
    if (!effective)
        return fail(effective.error());
    json out = json::array();
    for (auto& s : *effective)
        out.push_back(to_json(s));
    return out;
}

Result<json> settings_set(Context& ctx, const json& args) {
    auto target = setting_target(args);
    auto key = arg_string(args, "key");
    auto value = arg_string(args, "value");
    if (!target)
        return fail(target.error());
    if (!key)
        return fail(key.error());
    if (!value)
        return fail(value.error());
    return ok_or(ctx.directory.set_setting(*target, *key, *value));
}

Result<json> settings_unset(Context& ctx, const json& args) {
    auto target = setting_target(args);
    auto key = arg_string(args, "key");
    if (!target)
        return fail(target.error());
    if (!key)
        return fail(key.error());
    return ok_or(ctx.directory.unset_setting(*target, *key));
}

Result<json> resolve(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    auto r = ctx.directory.resolve(*address);
    if (!r)
        return fail(r.error());
    json j = {{"kind", std::string(kind_name(r->kind))},
              {"address", r->address},
              {"via_domain_alias", r->via_domain_alias}};
    if (!r->account_address.empty())
        j["account"] = r->account_address;
    if (!r->subaddress.empty())
        j["subaddress"] = r->subaddress;
    if (r->kind == AddressKind::group || r->kind == AddressKind::forwarder) {
        auto e = ctx.directory.expand(*address);
        if (!e)
            return fail(e.error());
        json recipients = json::array();
        for (auto& rc : e->recipients) {
            static constexpr const char* kKinds[] = {"account", "external", "unknown-user"};
            recipients.push_back(
                {{"address", rc.address}, {"kind", kKinds[static_cast<int>(rc.kind)]}});
        }
        j["recipients"] = recipients;
        j["cycle"] = e->cycle;
    }
    return j;
}

}  // namespace

std::vector<Command> directory_commands() {
    return {
        {"domain.add", domain_add, false},
        {"domain.list", domain_list, false},
        {"domain.show", domain_show, false},
        {"domain.rename", domain_rename, false},
        {"domain.remove", domain_remove, false},
        {"domain.alias.add", domain_alias_add, false},
        {"domain.alias.remove", domain_alias_remove, false},
        {"domain.catch_all", domain_catch_all, false},
        {"account.add", account_add, false},
        {"account.list", account_list, false},
        {"account.show", account_show, false},
        {"account.passwd", account_passwd, false},
        {"account.enable", account_enable, false},
        {"account.disable", account_disable, false},
        {"account.class", account_class, false},
        {"account.rename", account_rename, false},
        {"account.remove", account_remove, false},
        {"account.import", account_import, false},
        {"alias.add", alias_add, false},
        {"alias.remove", alias_remove, false},
        {"alias.list", alias_list, false},
        {"group.add", group_add, false},
        {"group.remove", group_remove, false},
        {"group.members.add", group_members_add, false},
        {"group.members.remove", group_members_remove, false},
        {"group.show", group_show, false},
        {"group.list", group_list, false},
        {"forwarder.add", forwarder_add, false},
        {"forwarder.remove", forwarder_remove, false},
        {"forwarder.list", forwarder_list, false},
        {"class.add", class_add, false},
        {"class.remove", class_remove, false},
        {"class.list", class_list, false},
        {"settings.get", settings_get, false},
        {"settings.set", settings_set, false},
        {"settings.unset", settings_unset, false},
        {"resolve", resolve, false},
    };
}

}  // namespace postern::admin
