// lists.* and greylist.* commands: the address white/blacklists at server, domain and account
// level, and the greylisting triplets (docs/smtp-protection.md). Auto-bans are auth.bans and
// auth.unban (commands_server.cpp).
#include <ctime>

#include "admin/command.h"
#include "base/strings.h"
#include "directory/directory.h"
#include "filter/greylist/greylist.h"
#include "filter/lists/lists.h"

namespace postern::admin {
namespace {

using filter::lists::ListKind;

constexpr std::size_t kDefaultLimit = 1000;

std::string utc(std::int64_t unix_seconds) {
    std::time_t t = unix_seconds;
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

Result<std::shared_ptr<filter::lists::AddressLists>> open_lists(Context& ctx) {
    auto lists = ctx.resources.address_lists ? ctx.resources.address_lists() : nullptr;
    if (!lists)
        return fail(Errc::unavailable, "the address lists database cannot be opened (see the log)");
    return lists;
}

Result<std::shared_ptr<filter::greylist::GreylistStore>> open_greylist(Context& ctx) {
    auto store = ctx.resources.greylist ? ctx.resources.greylist() : nullptr;
    if (!store)
        return fail(Errc::unavailable, "the greylist database cannot be opened (see the log)");
    return store;
}

// "server" (or "") → "", a domain → its name, an account (or one of its aliases) → its address;
// unknown domains and accounts are refused, so an entry never waits for a typo.
Result<std::string> scope_of(Context& ctx, const std::string& text) {
    auto scope = to_lower(trim(text));
    if (scope.empty() || scope == "server")
        return std::string();
    if (scope.find('@') != std::string::npos) {
        auto account = ctx.directory.get_account(scope);
        if (!account)
            return fail(account.error());
        return account->address;
    }
    auto domain = ctx.directory.get_domain(scope);
    if (!domain)
        return fail(domain.error());
    return domain->name;
}

Result<ListKind> kind_of(const json& args) {
    auto list = arg_string(args, "list");
    if (!list)
        return fail(list.error());
    auto k = to_lower(*list);
    if (k == "white" || k == "whitelist")
        return ListKind::white;
    if (k == "black" || k == "blacklist")
        return ListKind::black;
    return fail(Errc::invalid_argument, "list: expected whitelist or blacklist, got " + *list);
}

Result<std::size_t> limit_of(const json& args) {
    auto it = args.find("limit");
    if (it == args.end() || it->is_null())
        return kDefaultLimit;
    if (it->is_number_unsigned() && it->get<std::uint64_t>() > 0)
        return static_cast<std::size_t>(it->get<std::uint64_t>());
    return fail(Errc::invalid_argument, "limit: expected a positive number");
}

json list_row(const std::string& scope, ListKind kind, const std::string& pattern,
              const char* source) {
    return {{"scope", scope.empty() ? "server" : scope},
            {"list", std::string(filter::lists::list_kind_name(kind))},
            {"pattern", pattern},
            {"source", source}};
}

// --- lists.* ---------------------------------------------------------------------------------

Result<json> lists_list(Context& ctx, const json& args) {
    auto lists = open_lists(ctx);
    if (!lists)
        return fail(lists.error());
    std::optional<std::string> scope;
    if (auto s = opt_string(args, "scope")) {
        auto resolved = scope_of(ctx, *s);
        if (!resolved)
            return fail(resolved.error());
        scope = *resolved;
    }
    auto limit = limit_of(args);
    if (!limit)
        return fail(limit.error());
    json out = json::array();
    if (!scope || scope->empty()) {
        for (auto kind : {ListKind::white, ListKind::black}) {
            for (auto& p : (*lists)->configured(kind))
                out.push_back(list_row("", kind, p, "config"));
        }
    }
    auto stored = (*lists)->list(scope, *limit);
    if (!stored)
        return fail(stored.error());
    for (auto& e : *stored)
        out.push_back(list_row(e.scope, e.kind, e.pattern, "stored"));
    return out;
}

Result<json> lists_add(Context& ctx, const json& args) {
    auto lists = open_lists(ctx);
    if (!lists)
        return fail(lists.error());
    auto scope_arg = arg_string(args, "scope");
    if (!scope_arg)
        return fail(scope_arg.error());
    auto scope = scope_of(ctx, *scope_arg);
    if (!scope)
        return fail(scope.error());
    auto kind = kind_of(args);
    if (!kind)
        return fail(kind.error());
    auto pattern = arg_string(args, "pattern");
    if (!pattern)
        return fail(pattern.error());
    auto normal = filter::lists::normalize_pattern(*pattern);
    if (!normal)
        return fail(Errc::invalid_argument,
                    "pattern: expected an address, @domain, domain or glob of at most " +
                        std::to_string(filter::lists::kMaxPattern) + " printable bytes");
    if (auto st = (*lists)->add(*scope, *kind, *normal); !st)
        return fail(st.error());
    return list_row(*scope, *kind, *normal, "stored");
}

Result<json> lists_delete(Context& ctx, const json& args) {
    auto lists = open_lists(ctx);
    if (!lists)
        return fail(lists.error());
    auto scope_arg = arg_string(args, "scope");
    if (!scope_arg)
        return fail(scope_arg.error());
    // A removed account or domain may still have entries: fall back to the name as given.
    auto scope = scope_of(ctx, *scope_arg);
    std::string s = scope ? *scope : to_lower(trim(*scope_arg));
    if (!scope && scope.error().code != Errc::not_found)
        return fail(scope.error());
    auto kind = kind_of(args);
    if (!kind)
        return fail(kind.error());
    auto pattern = arg_string(args, "pattern");
    if (!pattern)
        return fail(pattern.error());
    auto removed = (*lists)->remove(s, *kind, *pattern);
    if (!removed)
        return fail(removed.error());
    if (!*removed) {
        return fail(Errc::not_found, "no " + std::string(filter::lists::list_kind_name(*kind)) +
                                         " entry " + *pattern + " for " +
                                         (s.empty() ? std::string("server") : s) +
                                         " (entries from postern.toml are changed there)");
    }
    return done();
}

// --- greylist.* ------------------------------------------------------------------------------

// An IP address stands for its greylisting network (IPv4 /24, IPv6 /64); a network is taken as
// the triplets store it ("192.0.2.0/24").
Result<std::string> network_of(const json& args) {
    auto text = arg_string(args, "network");
    if (!text)
        return fail(text.error());
    auto t = trim(*text);
    if (auto ip = IpAddress::parse(t))
        return filter::greylist::client_network(*ip);
    auto slash = t.find('/');
    if (slash != std::string_view::npos) {
        if (auto ip = IpAddress::parse(t.substr(0, slash))) {
            auto network = filter::greylist::client_network(*ip);
            if (network == to_lower(t))
                return network;
        }
    }
    return fail(Errc::invalid_argument,
                "network: expected an IP address or a greylisting network such as 192.0.2.0/24 "
                "or 2001:db8::/64, got " +
                    *text);
}

Result<json> greylist_list(Context& ctx, const json& args) {
    auto store = open_greylist(ctx);
    if (!store)
        return fail(store.error());
    auto limit = limit_of(args);
    if (!limit)
        return fail(limit.error());
    auto match = opt_string(args, "match").value_or("");
    auto triplets = (*store)->entries(match, *limit);
    if (!triplets)
        return fail(triplets.error());
    auto networks = (*store)->networks(match, *limit);
    if (!networks)
        return fail(networks.error());
    json t = json::array();
    for (auto& e : *triplets) {
        t.push_back({{"network", e.triplet.network},
                     {"sender", e.triplet.sender.empty() ? "<>" : e.triplet.sender},
                     {"recipient", e.triplet.recipient},
                     {"state", e.passed ? "passed" : "waiting"},
                     {"first_seen", utc(e.first_seen)},
                     {"last_seen", utc(e.last_seen)}});
    }
    json n = json::array();
    for (auto& e : *networks) {
        n.push_back(
            {{"network", e.network}, {"passes", e.passes}, {"last_seen", utc(e.last_seen)}});
    }
    return json{{"triplets", t}, {"networks", n}};
}

// The null sender is written "<>" on the command line (an empty argument is easy to lose).
std::optional<std::string> sender_arg(const json& args) {
    auto s = opt_string(args, "sender");
    if (s && trim(*s) == "<>")
        return std::string();
    return s;
}

Result<json> greylist_delete(Context& ctx, const json& args) {
    auto store = open_greylist(ctx);
    if (!store)
        return fail(store.error());
    auto network = network_of(args);
    if (!network)
        return fail(network.error());
    auto sender = sender_arg(args);
    auto recipient = opt_string(args, "recipient");
    std::optional<std::string_view> s, r;
    if (sender)
        s = *sender;
    if (recipient)
        r = *recipient;
    auto removed = (*store)->remove(*network, s, r);
    if (!removed)
        return fail(removed.error());
    if (*removed == 0)
        return fail(Errc::not_found, "no greylisting entry matches in " + *network);
    return json{{"network", *network}, {"removed", *removed}};
}

Result<json> greylist_whitelist(Context& ctx, const json& args) {
    auto store = open_greylist(ctx);
    if (!store)
        return fail(store.error());
    auto network = network_of(args);
    if (!network)
        return fail(network.error());
    auto sender = sender_arg(args);
    if (!sender)
        return fail(Errc::invalid_argument, "missing argument \"sender\" (an address or <>)");
    auto recipient = arg_string(args, "recipient");
    if (!recipient)
        return fail(recipient.error());
    auto ip = IpAddress::parse(network->substr(0, network->find('/')));
    auto triplet = filter::greylist::make_triplet(*ip, *sender, *recipient);
    if (auto st = (*store)->whitelist(triplet, static_cast<std::int64_t>(std::time(nullptr))); !st)
        return fail(st.error());
    return json{{"network", triplet.network},
                {"sender", triplet.sender.empty() ? "<>" : triplet.sender},
                {"recipient", triplet.recipient},
                {"state", "passed"}};
}

}  // namespace

std::vector<Command> protection_commands() {
    return {
        {"lists.list", lists_list, false},
        {"lists.add", lists_add, false},
        {"lists.delete", lists_delete, false},
        {"greylist.list", greylist_list, false},
        {"greylist.delete", greylist_delete, false},
        {"greylist.whitelist", greylist_whitelist, false},
    };
}

}  // namespace postern::admin
