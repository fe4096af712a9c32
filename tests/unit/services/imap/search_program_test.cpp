// IMAP search criteria into store search keys (RFC 9051 §6.4.4 and the extensions named in
// search_program.h): every key, sequence sets with "*" and "$", nesting, dates, failures.
#include "services/imap/search_program.h"

#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proto/imap/parser.h"

namespace postern::services::imap {
namespace {

namespace wire = proto::imap;
using Kind = store::SearchKey::Kind;

constexpr store::Timestamp kNow = 1'700'000'000;  // 2023-11-14T22:13:20Z

// A compact text form of a store key: "and(seen,not(uids{1:3}))".
std::string show(const store::SearchKey& k) {
    auto list = [&](const char* name) {
        std::string s = std::string(name) + "(";
        for (std::size_t i = 0; i < k.children.size(); ++i)
            s += (i ? "," : "") + show(k.children[i]);
        return s + ")";
    };
    auto flags = [&](char sign) {
        std::string s(1, sign);
        const std::pair<std::uint32_t, const char*> names[] = {
            {store::kSeen, "S"},    {store::kAnswered, "A"}, {store::kFlagged, "F"},
            {store::kDeleted, "D"}, {store::kDraft, "R"},
        };
        for (auto [bit, name] : names)
            if (k.flags.system & bit)
                s += name;
        for (const auto& kw : k.flags.keywords)
            s += "[" + kw + "]";
        return s;
    };
    switch (k.kind) {
        case Kind::all:
            return "all";
        case Kind::uids:
            return "uids{" + k.uid_set.to_string() + "}";
        case Kind::flags_set:
            return flags('+');
        case Kind::flags_unset:
            return flags('-');
        case Kind::before:
            return "before@" + std::to_string(k.date);
        case Kind::since:
            return "since@" + std::to_string(k.date);
        case Kind::sent_before:
            return "sentbefore@" + std::to_string(k.date);
        case Kind::sent_since:
            return "sentsince@" + std::to_string(k.date);
        case Kind::larger:
            return "larger" + std::to_string(k.number);
        case Kind::smaller:
            return "smaller" + std::to_string(k.number);
        case Kind::modseq_since:
            return "modseq" + std::to_string(k.number);
        case Kind::from:
            return "from:" + k.text;
        case Kind::to:
            return "to:" + k.text;
        case Kind::cc:
            return "cc:" + k.text;
        case Kind::subject:
            return "subject:" + k.text;
        case Kind::header:
            return "header(" + k.field + "):" + k.text;
        case Kind::body:
            return "body:" + k.text;
        case Kind::text:
            return "text:" + k.text;
        case Kind::and_:
            return list("and");
        case Kind::or_:
            return list("or");
        case Kind::not_:
            return list("not");
    }
    return "?";
}

class SearchProgramTest : public ::testing::Test {
  protected:
    // Sequence numbers 1..6 are UIDs 1 2 3 5 8 13; 8 and 13 are \Recent; "$" holds 3 and 13.
    std::vector<store::Uid> view{1, 2, 3, 5, 8, 13};
    std::vector<store::Uid> saved{3, 13};
    // Save dates and the Date: header's day as written.
    std::vector<MessageFacts> facts{
        {1, wire::to_unix_day({2024, 1, 1}) + 3600, "M1", wire::to_unix_day({2023, 12, 31}), "TM1"},
        {2, wire::to_unix_day({2024, 1, 2}), "M2", wire::to_unix_day({2024, 1, 1}), "TM1"},
        {3, wire::to_unix_day({2024, 1, 2}) + 86399, "M3", wire::to_unix_day({2024, 1, 1}), "TM3"},
        {5, wire::to_unix_day({2024, 1, 3}), "M5", wire::to_unix_day({2024, 1, 2}), ""},
    };

    SearchContext context() {
        SearchContext ctx;
        ctx.view_uids = view;
        ctx.resolve = [this](const wire::SequenceSet& set, bool uid) {
            std::vector<store::Uid> out;
            if (set.saved)
                return saved;
            for (std::size_t i = 0; i < view.size(); ++i) {
                const std::uint32_t n = uid ? view[i] : static_cast<std::uint32_t>(i + 1);
                const std::uint32_t star =
                    uid ? view.back() : static_cast<std::uint32_t>(view.size());
                for (auto r : set.ranges) {
                    auto a = r.first == wire::kStar ? star : r.first;
                    auto b = r.last == wire::kStar ? star : r.last;
                    if (n >= std::min(a, b) && n <= std::max(a, b)) {
                        out.push_back(view[i]);
                        break;
                    }
                }
            }
            return out;
        };
        ctx.is_recent = [](store::Uid u) { return u == 8 || u == 13; };
        ctx.now = kNow;
        ctx.day_start = [](const wire::Date& d) { return wire::to_unix_day(d); };
        ctx.facts = facts;
        return ctx;
    }

    wire::SearchProgram program(const std::string& keys) {
        auto parsed = wire::parse_command_text("a SEARCH " + keys + "\r\n");
        EXPECT_TRUE(parsed.has_value()) << keys << ": " << parsed.error().reason;
        if (!parsed)
            return {};
        return std::get<wire::Search>(parsed->args).program;
    }

    std::string translated(const std::string& keys) {
        auto plan = translate_search(program(keys), context());
        if (!plan)
            return "error: " + plan.error();
        return show(plan->key);
    }
};

std::string day(int y, int m, int d) {
    return std::to_string(
        wire::to_unix_day({static_cast<std::uint16_t>(y), static_cast<std::uint8_t>(m),
                           static_cast<std::uint8_t>(d)}));
}

TEST_F(SearchProgramTest, EveryKeyOfRfc9051) {
    const std::pair<std::string, std::string> cases[] = {
        {"ALL", "all"},
        {"ANSWERED", "+A"},
        {"DELETED", "+D"},
        {"DRAFT", "+R"},
        {"FLAGGED", "+F"},
        {"SEEN", "+S"},
        {"UNANSWERED", "-A"},
        {"UNDELETED", "-D"},
        {"UNDRAFT", "-R"},
        {"UNFLAGGED", "-F"},
        {"UNSEEN", "-S"},
        {"KEYWORD $Junk", "+[$Junk]"},
        {"UNKEYWORD $Junk", "-[$Junk]"},
        {"BCC bob", "header(Bcc):bob"},
        {"BODY \"hello world\"", "body:hello world"},
        {"CC carol", "cc:carol"},
        {"FROM alice", "from:alice"},
        {"SUBJECT \"caf\xc3\xa9\"", "subject:caf\xc3\xa9"},
        {"TEXT cafe", "text:cafe"},
        {"TO dave", "to:dave"},
        {"HEADER X-Mailer Mutt", "header(X-Mailer):Mutt"},
        {"HEADER List-Id \"\"", "header(List-Id):"},
        {"LARGER 1000", "larger1000"},
        {"SMALLER 20", "smaller20"},
        {"BEFORE 1-Feb-2024", "before@" + day(2024, 2, 1)},
        {"SINCE 1-Feb-2024", "since@" + day(2024, 2, 1)},
        {"ON 29-Feb-2024", "and(since@" + day(2024, 2, 29) + ",before@" + day(2024, 3, 1) + ")"},
        {"UID 2:5", "uids{2:3,5}"},
        {"UID 6:*", "uids{8,13}"},
        {"UID *", "uids{13}"},
        {"UID 100:*", "uids{13}"},
        {"1:3", "uids{1:3}"},
        {"2,4:*", "uids{2,5,8,13}"},
        {"*", "uids{13}"},
        {"*:5", "uids{8,13}"},
        {"$", "uids{3,13}"},
        {"UID $", "uids{3,13}"},
        {"7:9", "uids{}"},
    };
    for (const auto& [keys, want] : cases)
        EXPECT_EQ(translated(keys), want) << keys;
}

TEST_F(SearchProgramTest, Rfc3501RecentKeysUseTheSessionsRecentSet) {
    EXPECT_EQ(translated("RECENT"), "uids{8,13}");
    EXPECT_EQ(translated("NEW"), "and(uids{8,13},-S)");
    EXPECT_EQ(translated("OLD"), "not(uids{8,13})");
}

TEST_F(SearchProgramTest, ExtensionKeys) {
    // RFC 5032: OLDER n is internal date <= now - n; YOUNGER n is >= now - n.
    EXPECT_EQ(translated("OLDER 3600"), "before@" + std::to_string(kNow - 3600 + 1));
    EXPECT_EQ(translated("YOUNGER 60"), "since@" + std::to_string(kNow - 60));
    // RFC 7162 §3.1.5, with and without an entry name.
    EXPECT_EQ(translated("MODSEQ 42"), "modseq42");
    EXPECT_EQ(translated("MODSEQ \"/flags/\\\\draft\" all 42"), "modseq42");
    auto plan = translate_search(program("SEEN MODSEQ 7"), context());
    ASSERT_TRUE(plan);
    EXPECT_TRUE(plan->modseq);
    EXPECT_FALSE(translate_search(program("SEEN"), context())->modseq);
    // RFC 8514 over the save dates (day granularity, [start, next day)).
    EXPECT_EQ(translated("SAVEDBEFORE 2-Jan-2024"), "uids{1}");
    EXPECT_EQ(translated("SAVEDON 2-Jan-2024"), "uids{2:3}");
    EXPECT_EQ(translated("SAVEDSINCE 2-Jan-2024"), "uids{2:3,5}");
    EXPECT_EQ(translated("SAVEDATESUPPORTED"), "all");
    // SENT* compare the Date: header's day as written (RFC 9051 §6.4.4).
    EXPECT_EQ(translated("SENTBEFORE 1-Jan-2024"), "uids{1}");
    EXPECT_EQ(translated("SENTON 1-Jan-2024"), "uids{2:3}");
    EXPECT_EQ(translated("SENTSINCE 1-Jan-2024"), "uids{2:3,5}");
    EXPECT_EQ(translated("NOT SENTON 1-Jan-2024"), "not(uids{2:3})");
    // RFC 8474: EMAILID is the message guid, THREADID "T" + the thread's guid (case-sensitive);
    // a message without a thread id (NIL) matches none.
    EXPECT_EQ(translated("EMAILID M3"), "uids{3}");
    EXPECT_EQ(translated("EMAILID nothere"), "uids{}");
    EXPECT_EQ(translated("THREADID TM1"), "uids{1:2}");
    EXPECT_EQ(translated("THREADID tm1"), "uids{}");
    EXPECT_EQ(translated("THREADID TM3"), "uids{3}");
    EXPECT_EQ(translated("THREADID T1"), "uids{}");
    EXPECT_EQ(translated("NOT THREADID TM1"), "not(uids{1:2})");
}

TEST_F(SearchProgramTest, OrNotAndNesting) {
    EXPECT_EQ(translated("SEEN FLAGGED"), "and(+S,+F)");
    EXPECT_EQ(translated("NOT SEEN"), "not(+S)");
    EXPECT_EQ(translated("OR SEEN FLAGGED"), "or(+S,+F)");
    EXPECT_EQ(translated("OR (SEEN FROM a) NOT 1:2"), "or(and(+S,from:a),not(uids{1:2}))");
    EXPECT_EQ(translated("(SEEN (FLAGGED DELETED))"), "and(+S,and(+F,+D))");
    EXPECT_EQ(translated("NOT NOT OR OR ANSWERED DRAFT OR SEEN UID 1 (TO x)"),
              "and(not(not(or(or(+A,+R),or(+S,uids{1})))),to:x)");
    EXPECT_EQ(translated("(3) UID 5"), "and(uids{3},uids{5})");
}

TEST_F(SearchProgramTest, DeepNestingAtTheParserLimitTranslates) {
    // 99 NOTs (the parser allows nesting 100) and 99 nested groups.
    std::string nots;
    for (int i = 0; i < 99; ++i)
        nots += "NOT ";
    auto plan = translate_search(program(nots + "SEEN"), context());
    ASSERT_TRUE(plan);
    int depth = 0;
    const store::SearchKey* k = &plan->key;
    while (k->kind == Kind::not_) {
        ++depth;
        k = &k->children.front();
    }
    EXPECT_EQ(depth, 99);
    EXPECT_EQ(show(*k), "+S");
    std::string groups = std::string(99, '(') + "SEEN" + std::string(99, ')');
    EXPECT_EQ(translated(groups), "+S");
}

TEST_F(SearchProgramTest, ManyKeysTranslate) {
    std::string keys;
    for (int i = 0; i < 3000; ++i)
        keys += "OR SEEN UID " + std::to_string(i + 1) + " ";
    keys += "ALL";
    auto plan = translate_search(program(keys), context());
    ASSERT_TRUE(plan);
    EXPECT_EQ(plan->key.kind, Kind::and_);
    EXPECT_EQ(plan->key.children.size(), 3001u);
}

TEST_F(SearchProgramTest, BadInput) {
    // A literal can carry bytes that are not UTF-8.
    auto parsed = wire::parse_command_text("a SEARCH CHARSET UTF-8 SUBJECT {2}\r\n\xff\xfe\r\n");
    ASSERT_TRUE(parsed) << parsed.error().reason;
    auto plan = translate_search(std::get<wire::Search>(parsed->args).program, context());
    ASSERT_FALSE(plan);
    EXPECT_EQ(plan.error(), "Search string is not valid UTF-8");
    // A tree whose child points back at its parent is refused, not followed.
    wire::SearchProgram broken;
    broken.keys.push_back(wire::SearchKey{wire::SearchKeyKind::and_, {1}});
    broken.keys.push_back(wire::SearchKey{wire::SearchKeyKind::not_, {0}});
    EXPECT_FALSE(translate_search(broken, context()));
    wire::SearchProgram or_one;
    or_one.keys.push_back(wire::SearchKey{wire::SearchKeyKind::or_, {1}});
    or_one.keys.push_back(wire::SearchKey{wire::SearchKeyKind::all});
    EXPECT_FALSE(translate_search(or_one, context()));
    EXPECT_FALSE(translate_search(wire::SearchProgram{}, context()));
}

TEST_F(SearchProgramTest, WhatTheProgramNeeds) {
    EXPECT_TRUE(needs_message_facts(program("OR SEEN SAVEDON 1-Jan-2024")));
    EXPECT_TRUE(needs_message_facts(program("NOT EMAILID abc")));
    EXPECT_TRUE(needs_message_facts(program("THREADID Tabc")));
    EXPECT_TRUE(needs_message_facts(program("SENTON 1-Jan-2024")));
    EXPECT_FALSE(needs_message_facts(program("SEEN SINCE 1-Jan-2024 SAVEDATESUPPORTED")));
    EXPECT_TRUE(needs_sent_dates(program("OR SEEN SENTBEFORE 1-Jan-2024")));
    EXPECT_FALSE(needs_sent_dates(program("SAVEDON 1-Jan-2024 BEFORE 1-Jan-2024")));
    EXPECT_TRUE(uses_modseq(program("NOT MODSEQ 3")));
    EXPECT_FALSE(uses_modseq(program("UID 1:*")));
    EXPECT_EQ(header_key_count(program("OR HEADER X-A a NOT BCC b (HEADER X-C \"\" FROM d)")), 3u);
    EXPECT_EQ(header_key_count(program("FROM a TO b CC c SUBJECT d")), 0u);
}

TEST(SearchCharset, Supported) {
    EXPECT_TRUE(supported_charset("UTF-8"));
    EXPECT_TRUE(supported_charset("utf-8"));
    EXPECT_TRUE(supported_charset("US-ASCII"));
    EXPECT_FALSE(supported_charset("ISO-8859-1"));
    EXPECT_FALSE(supported_charset(""));
}

TEST(SearchDates, NextDay) {
    EXPECT_EQ(next_day({2024, 2, 28}), (wire::Date{2024, 2, 29}));
    EXPECT_EQ(next_day({2023, 2, 28}), (wire::Date{2023, 3, 1}));
    EXPECT_EQ(next_day({2023, 12, 31}), (wire::Date{2024, 1, 1}));
    EXPECT_EQ(next_day({2100, 2, 28}), (wire::Date{2100, 3, 1}));
}

TEST(SearchDates, ServerDayStartFollowsTheLocalZone) {
    const char* old = std::getenv("TZ");
    std::string saved = old ? old : "";
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
    EXPECT_EQ(server_day_start({2024, 7, 1}), wire::to_unix_day({2024, 7, 1}));
    // Central European time as a POSIX rule (no tz database needed): summer is UTC+2.
    ::setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    ::tzset();
    EXPECT_EQ(server_day_start({2024, 7, 1}), wire::to_unix_day({2024, 7, 1}) - 2 * 3600);
    EXPECT_EQ(server_day_start({2024, 1, 15}), wire::to_unix_day({2024, 1, 15}) - 3600);
    // 23:30 UTC on 30 June is already 1 July in Central Europe.
    EXPECT_EQ(server_day_of(wire::to_unix_day({2024, 6, 30}) + 23 * 3600 + 1800),
              wire::to_unix_day({2024, 7, 1}));
    ::setenv("TZ", "UTC0", 1);
    ::tzset();
    EXPECT_EQ(server_day_of(wire::to_unix_day({2024, 6, 30}) + 23 * 3600 + 1800),
              wire::to_unix_day({2024, 6, 30}));
    if (old)
        ::setenv("TZ", saved.c_str(), 1);
    else
        ::unsetenv("TZ");
    ::tzset();
}

}  // namespace
}  // namespace postern::services::imap
