// account.ooo.* — the out-of-office setting of an account (docs/sieve.md "Out of office"):
// kept as <sieve root>/accounts/<id>/out-of-office.json, and run by delivery as the generated
// Sieve script out-of-office.sieve beside it (written atomically; removed when disabled).
#include <filesystem>

#include "admin/command.h"
#include "base/fs.h"
#include "directory/directory.h"
#include "filter/sieve/out_of_office.h"

namespace postern::admin {

namespace {

namespace fs = std::filesystem;
using sieve::OutOfOffice;

json to_json(const OutOfOffice& o) {
    return json{{"enabled", o.enabled}, {"subject", o.subject},
                {"text", o.text},       {"start", o.start},
                {"end", o.end},         {"reply_to", std::string(sieve::reply_to_name(o.reply_to))},
                {"days", o.days}};
}

// Reads the fields of `j` present into `o` (absent fields keep their value).
Status merge(OutOfOffice& o, const json& j) {
    if (auto it = j.find("enabled"); it != j.end() && it->is_boolean())
        o.enabled = it->get<bool>();
    for (auto [name, field] : {std::pair{"subject", &o.subject}, std::pair{"text", &o.text},
                               std::pair{"start", &o.start}, std::pair{"end", &o.end}})
        if (auto v = opt_string(j, name))
            *field = *v;
    if (auto v = opt_string(j, "reply_to"); v && !sieve::parse_reply_to(*v, o.reply_to))
        return fail(Errc::invalid_argument, "reply_to must be all, internal or external");
    if (auto it = j.find("days"); it != j.end()) {
        if (!it->is_number_unsigned() || it->get<std::uint64_t>() > 1000)
            return fail(Errc::invalid_argument, "days must be a number between 1 and 90");
        o.days = static_cast<std::uint32_t>(it->get<std::uint64_t>());
    }
    return ok();
}

struct Target {
    directory::AccountInfo account;
    fs::path dir;
};

Result<Target> target(Context& ctx, const json& args) {
    auto address = arg_string(args, "address");
    if (!address)
        return fail(address.error());
    if (ctx.resources.sieve_root.empty())
        return fail(Errc::unavailable, "the Sieve directory is not known here");
    auto a = ctx.directory.get_account(*address);
    if (!a)
        return fail(a.error());
    fs::path dir = ctx.resources.sieve_root / "accounts" / std::to_string(a->id);
    return Target{std::move(*a), std::move(dir)};
}

Result<OutOfOffice> load(const fs::path& dir) {
    OutOfOffice o;
    std::error_code ec;
    if (!fs::exists(dir / "out-of-office.json", ec))
        return o;
    auto text = read_file(dir / "out-of-office.json");
    if (!text)
        return fail(text.error());
    json j = json::parse(*text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return fail(Errc::corrupt, (dir / "out-of-office.json").string() + " is not JSON");
    if (auto st = merge(o, j); !st)
        return fail(st.error());
    return o;
}

Result<json> ooo_show(Context& ctx, const json& args) {
    auto t = target(ctx, args);
    if (!t)
        return fail(t.error());
    auto o = load(t->dir);
    if (!o)
        return fail(o.error());
    json j = to_json(*o);
    j["address"] = t->account.address;
    std::error_code ec;
    j["script"] = fs::exists(t->dir / "out-of-office.sieve", ec)
                      ? (t->dir / "out-of-office.sieve").string()
                      : std::string();
    return j;
}

Result<json> ooo_set(Context& ctx, const json& args) {
    auto t = target(ctx, args);
    if (!t)
        return fail(t.error());
    auto o = load(t->dir);
    if (!o)
        return fail(o.error());
    if (auto st = merge(*o, args); !st)
        return fail(st.error());
    if (auto why = sieve::validate(*o); !why.empty())
        return fail(Errc::invalid_argument, why);
    std::error_code ec;
    fs::create_directories(t->dir, ec);
    if (ec)
        return fail(Errc::io_error, "create " + t->dir.string() + ": " + ec.message());
    fs::path script = t->dir / "out-of-office.sieve";
    if (o->enabled) {
        // The account's own address and its aliases are the addresses the reply is for.
        std::vector<std::string> addresses{t->account.address};
        auto aliases = ctx.directory.aliases_of(t->account.address);
        if (aliases)
            addresses.insert(addresses.end(), aliases->begin(), aliases->end());
        std::vector<std::string> domains;
        auto listed = ctx.directory.list_domains("*");
        if (!listed)
            return fail(listed.error());
        for (const auto& d : *listed) {
            domains.push_back(d.name);
            domains.insert(domains.end(), d.aliases.begin(), d.aliases.end());
        }
        auto text = sieve::generate_out_of_office_script(*o, addresses, domains);
        if (auto st = write_file_atomic(script, text, 0640); !st)
            return fail(st.error());
    } else if (fs::remove(script, ec); ec) {
        return fail(Errc::io_error, "remove " + script.string() + ": " + ec.message());
    }
    if (auto st =
            write_file_atomic(t->dir / "out-of-office.json", to_json(*o).dump(2) + "\n", 0640);
        !st)
        return fail(st.error());
    json j = to_json(*o);
    j["address"] = t->account.address;
    return j;
}

}  // namespace

std::vector<Command> sieve_commands() {
    return {
        {"account.ooo.show", ooo_show, false},
        {"account.ooo.set", ooo_set, false},
    };
}

}  // namespace postern::admin
