// storage.* commands: check, compact, repair, report and delete on the message stores
// (docs/storage.md "Tools"). Store accounts are keyed by the directory's numeric account id;
// these commands take and show addresses, and group accounts by their directory domain.
#include <algorithm>
#include <map>

#include "admin/command.h"
#include "base/strings.h"
#include "base/units.h"
#include "directory/directory.h"
#include "store/api/store.h"
#include "store/tools/tools.h"

namespace postern::admin {
namespace {

struct Owner {
    std::string address;  // "" when the directory no longer has the account
    std::string domain;
};

// Store account key → directory account, for every account the directory has.
Result<std::map<std::string, Owner>> owners(directory::Directory& dir) {
    auto list = dir.list_accounts(directory::AccountQuery{});
    if (!list)
        return fail(list.error());
    std::map<std::string, Owner> out;
    for (auto& a : *list)
        out[std::to_string(a.id)] = Owner{a.address, a.domain};
    return out;
}

// An account argument: an address known to the directory, or a store key (the numeric
// account id, e.g. of an account already removed from the directory).
Result<std::string> account_key(Context& ctx, const std::string& account) {
    if (account.find('@') == std::string::npos) {
        if (account.empty() || account.find_first_of("/\\") != std::string::npos) {
            return fail(Errc::invalid_argument,
                        "expected an account address or a numeric account id");
        }
        return account;
    }
    auto a = ctx.directory.get_account(account);
    if (!a)
        return fail(a.error());
    return std::to_string(a->id);
}

json account_json(const std::map<std::string, Owner>& known, const std::string& key) {
    auto it = known.find(key);
    return it == known.end() || it->second.address.empty() ? json(key) : json(it->second.address);
}

std::string domain_of(const std::map<std::string, Owner>& known, const std::string& key,
                      const std::string& store_domain) {
    auto it = known.find(key);
    if (it != known.end())
        return it->second.domain;
    return store_domain.empty() ? "(not in directory)" : store_domain;
}

Result<std::uint64_t> opt_size(const json& args, const char* name, std::uint64_t fallback) {
    auto it = args.find(name);
    if (it == args.end() || it->is_null())
        return fallback;
    if (it->is_number_unsigned())
        return it->get<std::uint64_t>();
    if (it->is_string()) {
        if (auto n = parse_size(it->get<std::string>()))
            return *n;
    }
    return fail(Errc::invalid_argument,
                std::string(name) + ": expected a size such as 8388608 or \"8M\"");
}

// --- check ---------------------------------------------------------------------------------

Result<json> storage_check(Context& ctx, const json& args) {
    auto st = open_store(ctx);
    if (!st)
        return fail(st.error());
    store::tools::CheckOptions options;
    options.fix = opt_bool(args, "fix");
    options.deep = opt_bool(args, "deep");
    if (auto account = opt_string(args, "account"); account && !account->empty()) {
        auto key = account_key(ctx, *account);
        if (!key)
            return fail(key.error());
        options.accounts.push_back(*key);
    }
    auto known = owners(ctx.directory);
    if (!known)
        return fail(known.error());
    auto rep = store::tools::check(**st, options);
    if (!rep)
        return fail(store::to_error(rep.error()));
    // Bodies are verified store-wide; with an account given, only its issues are reported.
    const std::string only = options.accounts.empty() ? std::string() : options.accounts.front();
    json issues = json::array();
    std::size_t fixed = 0, errors = 0, warnings = 0;
    for (auto& i : rep->issues) {
        if (!only.empty() && i.account != only)
            continue;
        fixed += i.fixed;
        errors += i.error && !i.fixed;
        warnings += !i.error;
        json j = {{"kind", std::string(store::tools::issue_kind_name(i.kind))},
                  {"severity", i.error ? "error" : "warning"},
                  {"fixed", i.fixed},
                  {"store", i.store_id},
                  {"message", i.message}};
        j["account"] = i.account.empty() ? json() : account_json(*known, i.account);
        if (!i.account.empty())
            j["account_id"] = i.account;
        j["mailbox"] = i.mailbox.empty() ? json() : json(i.mailbox);
        j["uid"] = i.uid ? json(i.uid) : json();
        issues.push_back(std::move(j));
    }
    json out = {{"clean", errors == 0},
                {"errors", errors},
                {"warnings", warnings},
                {"fixed", fixed},
                {"stores", rep->stores},
                {"bodies", rep->bodies},
                {"references", rep->references},
                {"accounts", rep->accounts},
                {"messages", rep->messages},
                {"stray_records", rep->stray_records},
                {"reclaimable_bytes", rep->reclaimable_bytes},
                {"issues", issues}};
    if (!only.empty())
        out["account"] = account_json(*known, only);
    return out;
}

// --- compact -------------------------------------------------------------------------------

Result<json> storage_compact(Context& ctx, const json& args) {
    auto st = open_store(ctx);
    if (!st)
        return fail(st.error());
    store::tools::CompactOptions options;
    auto rate = opt_size(args, "io_rate", (*st)->options().compact_io_rate);
    if (!rate)
        return fail(rate.error());
    if (*rate == 0)
        return fail(Errc::invalid_argument, "io_rate must be above 0");
    options.io_rate = *rate;
    auto max_bytes = opt_size(args, "max_bytes", 0);
    if (!max_bytes)
        return fail(max_bytes.error());
    options.max_bytes = *max_bytes;
    auto rep = store::tools::compact(**st, options);
    if (!rep)
        return fail(store::to_error(rep.error()));
    return json{{"records_moved", rep->records_moved},
                {"bytes_moved", rep->bytes_moved},
                {"bytes_released", rep->bytes_released},
                {"seconds", rep->seconds},
                {"io_rate", *rate}};
}

// --- repair --------------------------------------------------------------------------------

Result<json> storage_repair(Context& ctx, const json& args) {
    auto st = open_store(ctx);
    if (!st)
        return fail(st.error());
    auto account = arg_string(args, "account");
    if (!account)
        return fail(account.error());
    auto key = account_key(ctx, *account);
    if (!key)
        return fail(key.error());
    auto rep = store::tools::repair(**st, *key);
    if (!rep)
        return fail(store::to_error(rep.error()));
    json j = {{"account", *account},
              {"account_id", *key},
              {"old_index", rep->old_index.empty() ? json() : json(rep->old_index)},
              {"mailboxes", rep->mailboxes},
              {"messages_recovered", rep->messages_recovered},
              {"messages_unreadable", rep->messages_unreadable},
              {"flags_lost", rep->flags_lost},
              {"uidvalidity_changed", rep->uidvalidity_changed},
              {"notes", rep->notes}};
    if (rep->flags_lost) {
        j["warning"] = std::to_string(rep->flags_lost) +
                       " message(s) were restored without their flags (seen, answered, keywords): "
                       "the old index no longer held them";
    }
    if (rep->messages_unreadable) {
        j["damaged"] = std::to_string(rep->messages_unreadable) +
                       " message body(ies) failed their checksum and were not restored; their "
                       "references are kept (see storage check)";
    }
    return j;
}

// --- report --------------------------------------------------------------------------------

Result<json> storage_report(Context& ctx, const json& args) {
    auto st = open_store(ctx);
    if (!st)
        return fail(st.error());
    auto only_domain = to_lower(opt_string(args, "domain").value_or(""));
    auto known = owners(ctx.directory);
    if (!known)
        return fail(known.error());
    auto rep = store::tools::report(**st);
    if (!rep)
        return fail(store::to_error(rep.error()));

    json stores = json::array();
    for (auto& s : rep->stores) {
        stores.push_back({{"id", s.id},
                          {"path", s.path},
                          {"containers", s.containers},
                          {"file_bytes", s.file_bytes},
                          {"free_bytes", s.free_bytes},
                          {"bodies", s.bodies},
                          {"references", s.references},
                          {"raw_bytes", s.raw_bytes},
                          {"stored_bytes", s.stored_bytes},
                          {"logical_bytes", s.logical_bytes},
                          {"catalog_bytes", s.catalog_bytes}});
    }
    // Domains come from the directory: the store only knows numeric account keys.
    std::map<std::string, store::tools::DomainUsage> domains;
    json accounts = json::array();
    std::uint64_t messages = 0, bytes = 0;
    for (auto& a : rep->accounts) {
        auto domain = domain_of(*known, a.account, a.domain);
        if (!only_domain.empty() && domain != only_domain)
            continue;
        auto& d = domains[domain];
        d.domain = domain;
        d.accounts += 1;
        d.messages += a.messages;
        d.bytes += a.bytes;
        d.index_bytes += a.index_bytes;
        messages += a.messages;
        bytes += a.bytes;
        accounts.push_back({{"account", account_json(*known, a.account)},
                            {"account_id", a.account},
                            {"domain", domain},
                            {"messages", a.messages},
                            {"bytes", a.bytes},
                            {"index_bytes", a.index_bytes}});
    }
    if (!only_domain.empty() && domains.empty()) {
        auto d = ctx.directory.get_domain(only_domain);
        if (!d)
            return fail(d.error());  // not_found for a typo; a known empty domain is a zero row
        domains[only_domain].domain = only_domain;
    }
    json domain_rows = json::array();
    for (auto& [name, d] : domains) {
        domain_rows.push_back({{"domain", name},
                               {"accounts", d.accounts},
                               {"messages", d.messages},
                               {"bytes", d.bytes},
                               {"index_bytes", d.index_bytes}});
    }
    json out = {{"messages", messages},
                {"bytes", bytes},
                {"dedup_savings", rep->dedup_savings},
                {"compression_savings", rep->compression_savings},
                {"stores", stores},
                {"domains", domain_rows},
                {"accounts", accounts}};
    if (!only_domain.empty())
        out["domain"] = only_domain;
    return out;
}

// --- delete --------------------------------------------------------------------------------

// Drops an account's mailboxes and its references (bodies no other account shares become
// free space for compaction). For accounts removed from the directory, by numeric id.
Result<json> storage_delete(Context& ctx, const json& args) {
    auto st = open_store(ctx);
    if (!st)
        return fail(st.error());
    auto account = arg_string(args, "account");
    if (!account)
        return fail(account.error());
    auto key = account_key(ctx, *account);
    if (!key)
        return fail(key.error());
    auto ids = (*st)->account_ids();
    if (std::find(ids.begin(), ids.end(), *key) == ids.end()) {
        return fail(Errc::not_found, "no mailboxes stored for account " + *account);
    }
    if (auto s = (*st)->delete_account(*key); !s)
        return fail(store::to_error(s.error()));
    return json{{"account", *account}, {"account_id", *key}, {"deleted", true}};
}

}  // namespace

Result<store::Store*> open_store(Context& ctx) {
    if (!ctx.resources.store)
        return fail(Errc::unavailable, "the message store is not open");
    return ctx.resources.store;
}

std::vector<Command> storage_commands() {
    return {
        {"storage.check", storage_check, false},   {"storage.compact", storage_compact, false},
        {"storage.repair", storage_repair, false}, {"storage.report", storage_report, false},
        {"storage.delete", storage_delete, false},
    };
}

}  // namespace postern::admin
