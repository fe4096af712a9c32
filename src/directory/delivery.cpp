// What a recipient address is (SMTP RCPT, RFC 5321 §3.3) and where mail for it goes:
// resolve(), is_local_domain() and recursive, cycle-safe expand() of groups and forwarders.
#include <set>

#include "directory/directory.h"
#include "directory/queries.h"
#include "directory/state.h"

namespace postern::directory {
namespace {

using query::Kind;

struct AddressHit {
    std::int64_t id = 0;
    Kind kind = Kind::account;
    std::int64_t account_id = 0;
    bool enabled = false;
    std::string account_address;
};

Result<std::optional<AddressHit>> lookup(sql::Connection& db, std::int64_t domain_id,
                                         std::string_view local) {
    auto st = db.prepare(
        "SELECT a.id, a.kind, IFNULL(a.account_id, 0), IFNULL(ac.enabled, 0), "
        "IFNULL(p.local_part || '@' || pd.name, '') FROM addresses a "
        "LEFT JOIN accounts ac ON ac.id = a.account_id "
        "LEFT JOIN addresses p ON p.account_id = a.account_id AND p.kind = 1 "
        "LEFT JOIN domains pd ON pd.id = p.domain_id "
        "WHERE a.domain_id = ?1 AND a.local_part = ?2");
    if (!st)
        return fail(st.error());
    st->bind_all(domain_id, local);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row)
        return std::optional<AddressHit>{};
    return AddressHit{st->int64(0), static_cast<Kind>(st->int64(1)), st->int64(2),
                      st->int64(3) != 0, st->text(4)};
}

Result<std::optional<AddressHit>> lookup_catch_all(sql::Connection& db, std::int64_t domain_id) {
    auto st = db.prepare(
        "SELECT c.account_id, ac.enabled, p.local_part || '@' || pd.name FROM catch_alls c "
        "JOIN accounts ac ON ac.id = c.account_id "
        "JOIN addresses p ON p.account_id = c.account_id AND p.kind = 1 "
        "JOIN domains pd ON pd.id = p.domain_id WHERE c.domain_id = ?1");
    if (!st)
        return fail(st.error());
    st->bind_all(domain_id);
    auto row = st->step();
    if (!row)
        return fail(row.error());
    if (!*row)
        return std::optional<AddressHit>{};
    return AddressHit{0, Kind::account, st->int64(0), st->int64(1) != 0, st->text(2)};
}

void fill(Resolution& r, const AddressHit& hit) {
    switch (hit.kind) {
        case Kind::account:
            r.kind = AddressKind::account;
            break;
        case Kind::alias:
            r.kind = AddressKind::alias;
            break;
        case Kind::group:
            r.kind = AddressKind::group;
            break;
        case Kind::forwarder:
            r.kind = AddressKind::forwarder;
            break;
    }
    if (hit.kind == Kind::group || hit.kind == Kind::forwarder) {
        r.list_id = hit.id;
    } else {
        r.account_id = hit.account_id;
        r.account_address = hit.account_address;
        r.account_enabled = hit.enabled;
    }
}

Result<Resolution> resolve_on(sql::Connection& db, Address address, std::string_view delimiters) {
    Resolution r;
    auto domain = query::find_domain(db, address.domain);
    if (!domain)
        return fail(domain.error());
    if (!*domain) {
        r.address = address.to_string();
        return r;
    }
    r.via_domain_alias = (*domain)->via_alias;
    address.domain = (*domain)->name;
    r.address = address.to_string();

    auto hit = lookup(db, (*domain)->id, address.local_part);
    if (!hit)
        return fail(hit.error());
    if (*hit) {
        fill(r, **hit);
        return r;
    }
    // Sub-addressing (RFC 5233 §1): "user+tag" falls back to "user" when no address
    // "user+tag" exists itself.
    auto cut = address.local_part.find_first_of(delimiters);
    if (!delimiters.empty() && cut != std::string::npos && cut > 0) {
        auto base = std::string_view(address.local_part).substr(0, cut);
        hit = lookup(db, (*domain)->id, base);
        if (!hit)
            return fail(hit.error());
        if (*hit) {
            fill(r, **hit);
            r.subaddress = address.local_part.substr(cut + 1);
            return r;
        }
    }
    auto catch_all = lookup_catch_all(db, (*domain)->id);
    if (!catch_all)
        return fail(catch_all.error());
    if (*catch_all) {
        fill(r, **catch_all);
        r.kind = AddressKind::catch_all;
        return r;
    }
    r.kind = AddressKind::unknown_user;
    return r;
}

class Expander {
  public:
    Expander(sql::Connection& db, const DirectoryOptions& options) : db_(db), options_(options) {}

    Status visit(std::string_view text, unsigned depth) {
        auto address = parse_address(text);
        if (!address)
            return fail(address.error());
        auto r = resolve_on(db_, std::move(*address), options_.recipient_delimiters);
        if (!r)
            return fail(r.error());
        switch (r->kind) {
            case AddressKind::not_local:
                if (others_.insert(r->address).second)
                    add({Recipient::Kind::external, r->address, 0, true});
                break;
            case AddressKind::unknown_user:
                if (others_.insert(r->address).second)
                    add({Recipient::Kind::unknown_user, r->address, 0, true});
                break;
            case AddressKind::account:
            case AddressKind::alias:
            case AddressKind::catch_all:
                if (accounts_.insert(r->account_id).second) {
                    add({Recipient::Kind::account, r->account_address, r->account_id,
                         r->account_enabled});
                }
                break;
            case AddressKind::group:
            case AddressKind::forwarder:
                return visit_list(r->list_id, r->address, depth);
        }
        if (out_.recipients.size() > options_.expand.max_recipients) {
            return fail(Errc::limit_exceeded, "expansion has more than " +
                                                  std::to_string(options_.expand.max_recipients) +
                                                  " recipients");
        }
        return ok();
    }

    Expansion take() { return std::move(out_); }

  private:
    Status visit_list(std::int64_t id, const std::string& address, unsigned depth) {
        if (on_path_.contains(id)) {
            out_.cycle = true;
            return ok();
        }
        // A list reached again along another path is no cycle, just already expanded.
        if (done_.contains(id))
            return ok();
        if (depth >= options_.expand.max_depth) {
            return fail(Errc::limit_exceeded, address + ": groups/forwarders nested deeper than " +
                                                  std::to_string(options_.expand.max_depth) +
                                                  " levels");
        }
        auto targets = query::list_targets(db_, id);
        if (!targets)
            return fail(targets.error());
        on_path_.insert(id);
        for (const auto& t : *targets) {
            if (auto s = visit(t, depth + 1); !s)
                return s;
        }
        on_path_.erase(id);
        done_.insert(id);
        return ok();
    }

    void add(Recipient r) { out_.recipients.push_back(std::move(r)); }

    sql::Connection& db_;
    const DirectoryOptions& options_;
    Expansion out_;
    std::set<std::int64_t> on_path_, done_, accounts_;
    std::set<std::string> others_;
};

}  // namespace

Result<Resolution> Directory::resolve(std::string_view address) {
    auto parsed = parse_address(address);
    if (!parsed)
        return fail(parsed.error());
    return with_reader(*state_, [&](sql::Connection& db) {
        return resolve_on(db, std::move(*parsed), state_->options.recipient_delimiters);
    });
}

Result<bool> Directory::is_local_domain(std::string_view name) {
    auto canonical = canonical_domain(name);
    if (!canonical)
        return false;
    return with_reader(*state_, [&](sql::Connection& db) -> Result<bool> {
        auto found = query::find_domain(db, *canonical);
        if (!found)
            return fail(found.error());
        return found->has_value();
    });
}

Result<Expansion> Directory::expand(std::string_view address) {
    return with_reader(*state_, [&](sql::Connection& db) -> Result<Expansion> {
        Expander expander(db, state_->options);
        if (auto s = expander.visit(address, 0); !s)
            return fail(s.error());
        return expander.take();
    });
}

}  // namespace postern::directory
