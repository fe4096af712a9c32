// IMAP SEARCH keys into store search keys (RFC 9051 §6.4.4, RFC 3501 §6.4.4, RFC 7162 §3.1.5,
// RFC 5032 §3, RFC 8514 §4.2, RFC 8474 §6), walking the parser's flat tree from its leaves up.
#include "services/imap/search_program.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>

#include "base/strings.h"
#include "base/utf8.h"
#include "services/imap/selected.h"

namespace postern::services::imap {

namespace wire = proto::imap;
using Kind = store::SearchKey::Kind;
using K = wire::SearchKeyKind;

namespace {

store::SearchKey simple(Kind kind) {
    store::SearchKey k;
    k.kind = kind;
    return k;
}

store::SearchKey uids(const std::vector<store::Uid>& list) {
    store::SearchKey k = simple(Kind::uids);
    k.uid_set = SelectedMailbox::to_set(list);
    return k;
}

store::SearchKey flags(Kind kind, std::uint32_t system, std::string keyword = {}) {
    store::SearchKey k = simple(kind);
    k.flags.system = system;
    if (!keyword.empty())
        k.flags.keywords.push_back(std::move(keyword));
    return k;
}

store::SearchKey dated(Kind kind, store::Timestamp at) {
    store::SearchKey k = simple(kind);
    k.date = at;
    return k;
}

store::SearchKey text(Kind kind, std::string value, std::string field = {}) {
    store::SearchKey k = simple(kind);
    k.text = std::move(value);
    k.field = std::move(field);
    return k;
}

store::SearchKey both(store::SearchKey a, store::SearchKey b) {
    std::vector<store::SearchKey> keys;
    keys.push_back(std::move(a));
    keys.push_back(std::move(b));
    return store::SearchKey::all_of(std::move(keys));
}

store::SearchKey negate(store::SearchKey a) {
    store::SearchKey k = simple(Kind::not_);
    k.children.push_back(std::move(a));
    return k;
}

// BEFORE/ON/SINCE: [start, next day's start) of the internal date in the server's zone.
store::SearchKey day_key(K kind, const wire::Date& date, const SearchContext& ctx) {
    const store::Timestamp start = ctx.day_start(date);
    if (kind == K::before)
        return dated(Kind::before, start);
    if (kind == K::since)
        return dated(Kind::since, start);
    return both(dated(Kind::since, start), dated(Kind::before, ctx.day_start(next_day(date))));
}

// SAVEDBEFORE/SAVEDON/SAVEDSINCE (RFC 8514 §4.2), EMAILID and THREADID (RFC 8474 §6) and
// SENTBEFORE/SENTON/SENTSINCE over the facts.
store::SearchKey facts_key(const wire::SearchKey& key, const SearchContext& ctx) {
    std::vector<store::Uid> hits;
    if (key.kind == K::emailid || key.kind == K::threadid) {
        // Object ids are case-sensitive (RFC 8474 §4); a message without a thread id (NIL)
        // matches no THREADID.
        for (const auto& f : ctx.facts) {
            const std::string& id = key.kind == K::emailid ? f.email_id : f.thread_id;
            if (!id.empty() && id == key.value)
                hits.push_back(f.uid);
        }
        return uids(hits);
    }
    if (key.kind == K::sentbefore || key.kind == K::senton || key.kind == K::sentsince) {
        const std::int64_t day = wire::to_unix_day(key.date);
        for (const auto& f : ctx.facts) {
            bool match = key.kind == K::sentbefore  ? f.sent_day < day
                         : key.kind == K::sentsince ? f.sent_day >= day
                                                    : f.sent_day == day;
            if (match)
                hits.push_back(f.uid);
        }
        return uids(hits);
    }
    const store::Timestamp start = ctx.day_start(key.date);
    const store::Timestamp end = key.kind == K::savedon ? ctx.day_start(next_day(key.date)) : 0;
    for (const auto& f : ctx.facts) {
        bool match = key.kind == K::savedbefore  ? f.save_date < start
                     : key.kind == K::savedsince ? f.save_date >= start
                                                 : f.save_date >= start && f.save_date < end;
        if (match)
            hits.push_back(f.uid);
    }
    return uids(hits);
}

std::vector<store::Uid> recent_uids(const SearchContext& ctx) {
    std::vector<store::Uid> out;
    for (auto u : ctx.view_uids)
        if (ctx.is_recent(u))
            out.push_back(u);
    return out;
}

bool is_string_key(K kind) {
    switch (kind) {
        case K::bcc:
        case K::body:
        case K::cc:
        case K::from:
        case K::subject:
        case K::text:
        case K::to:
        case K::header:
            return true;
        default:
            return false;
    }
}

// One key whose children (if any) are already translated in `built`.
store::SearchKey translate_one(const wire::SearchProgram& program, std::size_t index,
                               std::vector<store::SearchKey>& built, const SearchContext& ctx,
                               std::optional<std::vector<store::Uid>>& recent) {
    const wire::SearchKey& key = program.keys[index];
    auto recent_set = [&]() -> const std::vector<store::Uid>& {
        if (!recent)
            recent = recent_uids(ctx);
        return *recent;
    };
    switch (key.kind) {
        case K::and_:
        case K::or_: {
            std::vector<store::SearchKey> children;
            children.reserve(key.children.size());
            for (auto c : key.children)
                children.push_back(std::move(built[c]));
            if (key.kind == K::and_ && children.size() == 1)
                return std::move(children.front());
            store::SearchKey k = simple(key.kind == K::and_ ? Kind::and_ : Kind::or_);
            k.children = std::move(children);
            return k;
        }
        case K::not_:
            return negate(std::move(built[key.children.front()]));
        case K::all:
        case K::savedatesupported:  // every mailbox keeps save dates (RFC 8514 §4.2)
            return simple(Kind::all);
        case K::answered:
            return flags(Kind::flags_set, store::kAnswered);
        case K::deleted:
            return flags(Kind::flags_set, store::kDeleted);
        case K::draft:
            return flags(Kind::flags_set, store::kDraft);
        case K::flagged:
            return flags(Kind::flags_set, store::kFlagged);
        case K::seen:
            return flags(Kind::flags_set, store::kSeen);
        case K::unanswered:
            return flags(Kind::flags_unset, store::kAnswered);
        case K::undeleted:
            return flags(Kind::flags_unset, store::kDeleted);
        case K::undraft:
            return flags(Kind::flags_unset, store::kDraft);
        case K::unflagged:
            return flags(Kind::flags_unset, store::kFlagged);
        case K::unseen:
            return flags(Kind::flags_unset, store::kSeen);
        case K::keyword:
            return flags(Kind::flags_set, 0, key.field);
        case K::unkeyword:
            return flags(Kind::flags_unset, 0, key.field);
        case K::recent:
            return uids(recent_set());
        case K::new_:
            return both(uids(recent_set()), flags(Kind::flags_unset, store::kSeen));
        case K::old:
            return negate(uids(recent_set()));
        case K::body:
            return text(Kind::body, key.value);
        case K::text:
            return text(Kind::text, key.value);
        case K::from:
            return text(Kind::from, key.value);
        case K::to:
            return text(Kind::to, key.value);
        case K::cc:
            return text(Kind::cc, key.value);
        case K::subject:
            return text(Kind::subject, key.value);
        case K::bcc:
            // The index keeps no decoded Bcc: the raw field, folded like the other keys.
            return text(Kind::header, key.value, "Bcc");
        case K::header:
            return text(Kind::header, key.value, key.field);
        case K::emailid:
        case K::threadid:
        case K::savedbefore:
        case K::savedon:
        case K::savedsince:
        case K::sentbefore:
        case K::senton:
        case K::sentsince:
            return facts_key(key, ctx);
        case K::before:
        case K::on:
        case K::since:
            return day_key(key.kind, key.date, ctx);
        case K::larger: {
            store::SearchKey k = simple(Kind::larger);
            k.number = key.number;
            return k;
        }
        case K::smaller: {
            store::SearchKey k = simple(Kind::smaller);
            k.number = key.number;
            return k;
        }
        case K::older: {
            // RFC 5032 §3: internal date at least `number` seconds before now.
            const auto limit = ctx.now - static_cast<store::Timestamp>(key.number);
            return dated(Kind::before, limit + 1);
        }
        case K::younger:
            return dated(Kind::since, ctx.now - static_cast<store::Timestamp>(key.number));
        case K::modseq: {
            // One mod-sequence per message: the entry name and type change nothing (RFC 7162
            // §3.1.5).
            store::SearchKey k = simple(Kind::modseq_since);
            k.number = key.number;
            return k;
        }
        case K::sequence_set:
            return uids(ctx.resolve(key.set, false));
        case K::uid:
            return uids(ctx.resolve(key.set, true));
    }
    return simple(Kind::all);
}

template <class Pred>
bool any_key(const wire::SearchProgram& program, Pred pred) {
    return std::any_of(program.keys.begin(), program.keys.end(),
                       [&](const wire::SearchKey& k) { return pred(k.kind); });
}

}  // namespace

std::expected<SearchPlan, std::string> translate_search(const wire::SearchProgram& program,
                                                        const SearchContext& ctx) {
    const std::size_t n = program.keys.size();
    if (n == 0)
        return std::unexpected(std::string("Missing search key"));
    // The tree invariants the reverse walk relies on.
    for (std::size_t i = 0; i < n; ++i) {
        const auto& k = program.keys[i];
        for (auto c : k.children)
            if (c <= i || c >= n)
                return std::unexpected(std::string("Malformed search program"));
        const std::size_t want = k.kind == K::or_ ? 2 : k.kind == K::not_ ? 1 : 0;
        if ((k.kind == K::and_ && k.children.empty()) || (want != 0 && k.children.size() != want) ||
            (k.kind != K::and_ && want == 0 && !k.children.empty()))
            return std::unexpected(std::string("Malformed search program"));
        if (is_string_key(k.kind) && !is_valid_utf8(k.value))
            return std::unexpected(std::string("Search string is not valid UTF-8"));
    }
    SearchPlan plan;
    std::vector<store::SearchKey> built(n);
    std::optional<std::vector<store::Uid>> recent;
    for (std::size_t i = n; i-- > 0;) {
        built[i] = translate_one(program, i, built, ctx, recent);
        if (program.keys[i].kind == K::modseq)
            plan.modseq = true;
    }
    plan.key = std::move(built.front());
    return plan;
}

bool needs_sent_dates(const wire::SearchProgram& program) {
    return any_key(program,
                   [](K k) { return k == K::sentbefore || k == K::senton || k == K::sentsince; });
}

bool needs_message_facts(const wire::SearchProgram& program) {
    return needs_sent_dates(program) || any_key(program, [](K k) {
               return k == K::savedbefore || k == K::savedon || k == K::savedsince ||
                      k == K::emailid || k == K::threadid;
           });
}

bool uses_modseq(const wire::SearchProgram& program) {
    return any_key(program, [](K k) { return k == K::modseq; });
}

std::size_t header_key_count(const wire::SearchProgram& program) {
    return static_cast<std::size_t>(std::count_if(
        program.keys.begin(), program.keys.end(),
        [](const wire::SearchKey& k) { return k.kind == K::header || k.kind == K::bcc; }));
}

bool supported_charset(std::string_view charset) {
    return std::any_of(std::begin(kSupportedCharsets), std::end(kSupportedCharsets),
                       [&](std::string_view c) { return iequals(c, charset); });
}

store::Timestamp server_day_start(const wire::Date& date) {
    std::tm tm{};
    tm.tm_year = date.year - 1900;
    tm.tm_mon = date.month - 1;
    tm.tm_mday = date.day;
    tm.tm_isdst = -1;  // the offset in force that day (DST)
    const std::time_t t = std::mktime(&tm);
    if (t == static_cast<std::time_t>(-1))
        return wire::to_unix_day(date);  // out of the C library's range: UTC
    return static_cast<store::Timestamp>(t);
}

std::int64_t server_day_of(store::Timestamp t) {
    const auto secs = static_cast<std::time_t>(t);
    std::tm tm{};
    if (!::localtime_r(&secs, &tm))
        return t - ((t % 86400) + 86400) % 86400;  // UTC day
    return wire::to_unix_day(wire::Date{static_cast<std::uint16_t>(tm.tm_year + 1900),
                                        static_cast<std::uint8_t>(tm.tm_mon + 1),
                                        static_cast<std::uint8_t>(tm.tm_mday)});
}

wire::Date next_day(const wire::Date& date) {
    using namespace std::chrono;
    const year_month_day ymd{year{date.year}, month{date.month}, day{date.day}};
    const year_month_day next{sys_days{ymd} + days{1}};
    return wire::Date{static_cast<std::uint16_t>(static_cast<int>(next.year())),
                      static_cast<std::uint8_t>(static_cast<unsigned>(next.month())),
                      static_cast<std::uint8_t>(static_cast<unsigned>(next.day()))};
}

}  // namespace postern::services::imap
