// Address white/blacklists: patterns, the SQLite store, the decision order and the PROCESSING
// filter (From header addresses per RFC 5322 §3.6.2, parsed by mime/address).
#include "filter/lists/lists.h"

#include "base/strings.h"
#include "filter/sqlite/sqlite_file.h"
#include "mime/address.h"

namespace postern::filter::lists {

namespace {

constexpr std::size_t kMaxHeaderScan = 64 * 1024;
constexpr std::size_t kMaxSenders = 32;

constexpr std::string_view kName = "address lists";

using sqlite::Stmt;

Error db_error(sqlite3* db, std::string_view what) {
    return sqlite::db_error(db, kName, what);
}

std::string_view domain_of(std::string_view address) {
    auto at = address.rfind('@');
    return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

const char* kind_key(ListKind kind) {
    return kind == ListKind::white ? "white" : "black";
}

}  // namespace

std::string_view list_kind_name(ListKind kind) {
    return kind == ListKind::white ? "whitelist" : "blacklist";
}

std::optional<std::string> normalize_pattern(std::string_view pattern) {
    pattern = trim(pattern);
    if (pattern.empty() || pattern.size() > kMaxPattern)
        return std::nullopt;
    for (char c : pattern) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return std::nullopt;
    }
    return to_lower(pattern);
}

bool address_matches(std::string_view pattern, std::string_view address) {
    if (pattern.empty() || address.empty())
        return false;
    if (pattern.find_first_of("*?") != std::string_view::npos)
        return glob_match(pattern, address);
    if (pattern.front() == '@')
        return iequals(domain_of(address), pattern.substr(1));
    if (pattern.find('@') == std::string_view::npos)
        return iequals(domain_of(address), pattern);
    return iequals(pattern, address);
}

Result<std::unique_ptr<AddressLists>> AddressLists::open(const std::filesystem::path& file) {
    auto db =
        sqlite::open_wal(file, kName, 1,
                         {"CREATE TABLE IF NOT EXISTS entry(scope TEXT NOT NULL, kind TEXT "
                          "NOT NULL, pattern TEXT NOT NULL, PRIMARY KEY(scope, kind, pattern))"});
    if (!db)
        return fail(db.error());
    return std::unique_ptr<AddressLists>(new AddressLists(db->release()));
}

AddressLists::~AddressLists() {
    sqlite3_close(db_);
}

void AddressLists::set_configured(std::vector<std::string> whitelist,
                                  std::vector<std::string> blacklist) {
    auto clean = [](std::vector<std::string>& v) {
        std::vector<std::string> out;
        for (auto& p : v) {
            if (auto n = normalize_pattern(p))
                out.push_back(*n);
        }
        v = std::move(out);
    };
    clean(whitelist);
    clean(blacklist);
    std::lock_guard lock(mutex_);
    white_ = std::move(whitelist);
    black_ = std::move(blacklist);
}

Status AddressLists::add(std::string_view scope, ListKind kind, std::string_view pattern) {
    auto p = normalize_pattern(pattern);
    if (!p)
        return fail(Errc::invalid_argument,
                    "not an address, domain or pattern: " + std::string(pattern));
    auto s = to_lower(trim(scope));
    std::lock_guard lock(mutex_);
    Stmt count(db_, "SELECT count(*) FROM entry WHERE scope = ?1");
    count.bind(1, s);
    if (!count.ok() || count.step() != SQLITE_ROW)
        return fail(db_error(db_, "count"));
    if (static_cast<std::size_t>(count.integer(0)) >= kMaxEntriesPerScope)
        return fail(Errc::limit_exceeded, "at most 10000 entries per list owner");
    Stmt q(db_, "INSERT OR IGNORE INTO entry(scope, kind, pattern) VALUES(?1, ?2, ?3)");
    q.bind(1, s);
    q.bind(2, kind_key(kind));
    q.bind(3, *p);
    if (!q.ok() || q.step() != SQLITE_DONE)
        return fail(db_error(db_, "add"));
    return ok();
}

Result<bool> AddressLists::remove(std::string_view scope, ListKind kind, std::string_view pattern) {
    auto p = normalize_pattern(pattern).value_or(std::string(pattern));
    std::lock_guard lock(mutex_);
    Stmt q(db_, "DELETE FROM entry WHERE scope = ?1 AND kind = ?2 AND pattern = ?3");
    q.bind(1, to_lower(trim(scope)));
    q.bind(2, kind_key(kind));
    q.bind(3, p);
    if (!q.ok() || q.step() != SQLITE_DONE)
        return fail(db_error(db_, "remove"));
    return sqlite3_changes(db_) > 0;
}

Result<std::vector<std::string>> AddressLists::entries(std::string_view scope, ListKind kind) {
    std::lock_guard lock(mutex_);
    Stmt q(db_, "SELECT pattern FROM entry WHERE scope = ?1 AND kind = ?2 ORDER BY pattern");
    q.bind(1, to_lower(trim(scope)));
    q.bind(2, kind_key(kind));
    if (!q.ok())
        return fail(db_error(db_, "list"));
    std::vector<std::string> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW)
        out.push_back(q.text(0));
    if (rc != SQLITE_DONE)
        return fail(db_error(db_, "list"));
    return out;
}

Result<std::vector<AddressLists::Entry>> AddressLists::list(std::optional<std::string_view> scope,
                                                            std::size_t limit) {
    std::lock_guard lock(mutex_);
    Stmt q(db_,
           "SELECT scope, kind, pattern FROM entry WHERE ?1 IS NULL OR scope = ?1 "
           "ORDER BY scope, kind DESC, pattern LIMIT ?2");
    if (!q.ok())
        return fail(db_error(db_, "list"));
    if (scope)
        q.bind(1, to_lower(trim(*scope)));
    q.bind(2, static_cast<std::int64_t>(limit));
    std::vector<Entry> out;
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) {
        out.push_back(
            Entry{q.text(0), q.text(1) == "white" ? ListKind::white : ListKind::black, q.text(2)});
    }
    if (rc != SQLITE_DONE)
        return fail(db_error(db_, "list"));
    return out;
}

std::vector<std::string> AddressLists::configured(ListKind kind) {
    std::lock_guard lock(mutex_);
    return kind == ListKind::white ? white_ : black_;
}

Result<std::optional<ListDecision>> AddressLists::decide(std::span<const std::string> senders,
                                                         std::string_view domain,
                                                         std::string_view account) {
    std::optional<ListDecision> decision;
    if (senders.empty())
        return decision;
    struct Level {
        filter::Level level;
        std::string scope;
    };
    const Level levels[] = {{filter::Level::account, to_lower(account)},
                            {filter::Level::domain, to_lower(domain)},
                            {filter::Level::server, ""}};
    std::lock_guard lock(mutex_);
    for (const auto& level : levels) {
        if (level.level != filter::Level::server && level.scope.empty())
            continue;
        std::vector<std::pair<ListKind, std::string>> patterns;
        if (level.level == filter::Level::server) {
            for (const auto& p : white_)
                patterns.emplace_back(ListKind::white, p);
            for (const auto& p : black_)
                patterns.emplace_back(ListKind::black, p);
        }
        Stmt q(db_, "SELECT kind, pattern FROM entry WHERE scope = ?1");
        q.bind(1, level.scope);
        if (!q.ok())
            return fail(db_error(db_, "lookup"));
        int rc;
        while ((rc = q.step()) == SQLITE_ROW)
            patterns.emplace_back(q.text(0) == "white" ? ListKind::white : ListKind::black,
                                  q.text(1));
        if (rc != SQLITE_DONE)
            return fail(db_error(db_, "lookup"));
        for (auto kind : {ListKind::white, ListKind::black}) {
            for (const auto& [k, pattern] : patterns) {
                if (k != kind)
                    continue;
                for (const auto& sender : senders) {
                    if (address_matches(pattern, sender)) {
                        decision = ListDecision{kind, level.level, pattern};
                        return decision;
                    }
                }
            }
        }
    }
    return decision;
}

std::vector<std::string> from_addresses(std::string_view raw) {
    std::vector<std::string> out;
    raw = raw.substr(0, std::min(raw.size(), kMaxHeaderScan));
    std::string value;
    bool in_from = false;
    auto flush = [&] {
        if (!in_from)
            return;
        for (const auto& m : mime::flatten(mime::parse_address_list(value))) {
            if (!m.local_part.empty() && !m.domain.empty() && out.size() < kMaxSenders)
                out.push_back(to_lower(m.addr_spec()));
        }
        value.clear();
        in_from = false;
    };
    while (!raw.empty()) {
        auto eol = raw.find('\n');
        std::string_view line = raw.substr(0, eol);
        raw.remove_prefix(eol == std::string_view::npos ? raw.size() : eol + 1);
        if (line.ends_with('\r'))
            line.remove_suffix(1);
        if (line.empty())
            break;  // end of the header block
        if (line.front() == ' ' || line.front() == '\t') {
            if (in_from)
                value.append(" ").append(line);
            continue;
        }
        flush();
        auto colon = line.find(':');
        if (colon != std::string_view::npos && iequals(trim(line.substr(0, colon)), "from")) {
            in_from = true;
            value = std::string(line.substr(colon + 1));
        }
    }
    flush();
    return out;
}

Result<filter::Verdict> AddressListFilter::run(const filter::MessageView& message) {
    auto verdict = filter::Verdict::pass();
    auto lists = lists_();
    if (!lists || message.recipients.empty())
        return verdict;
    std::vector<std::string> senders;
    if (!message.sender.empty())
        senders.push_back(to_lower(message.sender));
    for (auto& a : from_addresses(message.raw))
        senders.push_back(std::move(a));
    const auto& account = message.recipients.front();
    auto decision = lists->decide(senders, domain_of(account), account);
    if (!decision)
        return fail(decision.error());
    if (!*decision)
        return verdict;
    const auto& d = **decision;
    std::string where =
        std::string(list_kind_name(d.kind)) + " " + std::string(filter::level_name(d.level));
    if (d.kind == ListKind::black) {
        verdict.action = filter::Verdict::Action::reject;
        verdict.status = "5.7.1";
        verdict.text =
            "Sender is on the " + std::string(filter::level_name(d.level)) + " blacklist";
        return verdict;
    }
    verdict.add_headers.emplace_back("X-Postern-Address-List", where + " (" + d.pattern + ")");
    return verdict;
}

}  // namespace postern::filter::lists
