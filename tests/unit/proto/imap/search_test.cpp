// IMAP SEARCH, SORT and THREAD parsing: every search key, CHARSET, RETURN options, the flat key
// tree with AND/OR/NOT and its limits (RFC 9051 §6.4.4, RFC 4731, RFC 5182, RFC 5256, RFC 5267,
// RFC 5957, RFC 7162, RFC 5032, RFC 8514, RFC 8474).
#include <gtest/gtest.h>

#include "proto/imap/parser.h"
#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using testing::args_of;
using testing::parse;
using testing::reason_of;

// The one key a "SEARCH <key>" command holds.
SearchKey single_key(const std::string& key) {
    auto r = parse("a SEARCH " + key);
    const Search* s = args_of<Search>(r);
    if (!s)
        return {};
    EXPECT_EQ(s->program.root().children.size(), 1u) << key;
    return s->program.keys.at(1);
}

// A compact rendering of a program: "and(or(seen,not(deleted)),uid)".
std::string render(const SearchProgram& p, std::uint32_t i = 0) {
    const SearchKey& k = p.keys.at(i);
    std::string name;
    switch (k.kind) {
        case SearchKeyKind::and_:
            name = "and";
            break;
        case SearchKeyKind::or_:
            name = "or";
            break;
        case SearchKeyKind::not_:
            name = "not";
            break;
        default:
            return "k" + std::to_string(static_cast<int>(k.kind));
    }
    name += "(";
    for (std::size_t c = 0; c < k.children.size(); ++c) {
        if (c)
            name += ",";
        EXPECT_GT(k.children[c], i);  // children come after their parent
        name += render(p, k.children[c]);
    }
    return name + ")";
}

std::string k(SearchKeyKind kind) {
    return "k" + std::to_string(static_cast<int>(kind));
}

TEST(ImapSearch, KeysWithoutArguments) {
    const std::pair<const char*, SearchKeyKind> cases[] = {
        {"ALL", SearchKeyKind::all},
        {"answered", SearchKeyKind::answered},
        {"DELETED", SearchKeyKind::deleted},
        {"DRAFT", SearchKeyKind::draft},
        {"FLAGGED", SearchKeyKind::flagged},
        {"NEW", SearchKeyKind::new_},
        {"OLD", SearchKeyKind::old},
        {"RECENT", SearchKeyKind::recent},
        {"SEEN", SearchKeyKind::seen},
        {"UNANSWERED", SearchKeyKind::unanswered},
        {"UNDELETED", SearchKeyKind::undeleted},
        {"UNDRAFT", SearchKeyKind::undraft},
        {"UNFLAGGED", SearchKeyKind::unflagged},
        {"UNSEEN", SearchKeyKind::unseen},
        {"SAVEDATESUPPORTED", SearchKeyKind::savedatesupported},
    };
    for (const auto& [text, kind] : cases)
        EXPECT_EQ(single_key(text).kind, kind) << text;
}

TEST(ImapSearch, StringKeys) {
    const std::pair<const char*, SearchKeyKind> cases[] = {
        {"BCC", SearchKeyKind::bcc},         {"BODY", SearchKeyKind::body},
        {"CC", SearchKeyKind::cc},           {"FROM", SearchKeyKind::from},
        {"SUBJECT", SearchKeyKind::subject}, {"TEXT", SearchKeyKind::text},
        {"TO", SearchKeyKind::to},
    };
    for (const auto& [text, kind] : cases) {
        SearchKey key = single_key(std::string(text) + " \"Smith Jones\"");
        EXPECT_EQ(key.kind, kind) << text;
        EXPECT_EQ(key.value, "Smith Jones") << text;
        EXPECT_EQ(single_key(std::string(text) + " smith").value, "smith");
        EXPECT_FALSE(parse(std::string("a SEARCH ") + text)) << text;
    }
    SearchKey h = single_key("HEADER Message-ID {5}\r\n<a@b>");
    EXPECT_EQ(h.kind, SearchKeyKind::header);
    EXPECT_EQ(h.field, "Message-ID");
    EXPECT_EQ(h.value, "<a@b>");
    h = single_key("HEADER X-Spam \"\"");
    EXPECT_EQ(h.value, "");
    EXPECT_FALSE(parse("a SEARCH HEADER Subject"));
    SearchKey kw = single_key("KEYWORD $Forwarded");
    EXPECT_EQ(kw.kind, SearchKeyKind::keyword);
    EXPECT_EQ(kw.field, "$Forwarded");
    EXPECT_EQ(single_key("UNKEYWORD Junk").kind, SearchKeyKind::unkeyword);
    EXPECT_FALSE(parse("a SEARCH KEYWORD \\Seen"));
}

TEST(ImapSearch, DateKeys) {
    const std::pair<const char*, SearchKeyKind> cases[] = {
        {"BEFORE", SearchKeyKind::before},
        {"ON", SearchKeyKind::on},
        {"SINCE", SearchKeyKind::since},
        {"SENTBEFORE", SearchKeyKind::sentbefore},
        {"SENTON", SearchKeyKind::senton},
        {"SENTSINCE", SearchKeyKind::sentsince},
        {"SAVEDBEFORE", SearchKeyKind::savedbefore},
        {"SAVEDON", SearchKeyKind::savedon},
        {"SAVEDSINCE", SearchKeyKind::savedsince},
    };
    for (const auto& [text, kind] : cases) {
        SearchKey key = single_key(std::string(text) + " 1-Feb-1994");
        EXPECT_EQ(key.kind, kind) << text;
        EXPECT_EQ(key.date, (Date{1994, 2, 1})) << text;
    }
    EXPECT_EQ(single_key("SINCE \"29-feb-2024\"").date, (Date{2024, 2, 29}));
    for (const char* bad : {"SINCE 29-Feb-2023", "SINCE 0-Jan-2020", "SINCE 1-Jan-20",
                            "SINCE 1-January-2020", "SINCE 1/1/2020", "SINCE \"1-Jan-2020",
                            "SINCE 123-Jan-2020", "SINCE 1-Jan-2020x", "SINCE"}) {
        EXPECT_FALSE(parse(std::string("a SEARCH ") + bad)) << bad;
    }
}

TEST(ImapSearch, NumberKeys) {
    SearchKey key = single_key("LARGER 1000000");
    EXPECT_EQ(key.kind, SearchKeyKind::larger);
    EXPECT_EQ(key.number, 1000000u);
    EXPECT_EQ(single_key("SMALLER 9223372036854775807").number, 9223372036854775807ull);
    EXPECT_FALSE(parse("a SEARCH SMALLER 9223372036854775808"));
    EXPECT_FALSE(parse("a SEARCH LARGER -1"));
    key = single_key("OLDER 3600");  // RFC 5032
    EXPECT_EQ(key.kind, SearchKeyKind::older);
    EXPECT_EQ(key.number, 3600u);
    EXPECT_EQ(single_key("YOUNGER 1").kind, SearchKeyKind::younger);
    EXPECT_FALSE(parse("a SEARCH YOUNGER 0"));
}

TEST(ImapSearch, ModseqKey) {
    // RFC 7162 §3.1.5 example.
    SearchKey key = single_key("MODSEQ \"/flags/\\\\draft\" all 620162338");
    EXPECT_EQ(key.kind, SearchKeyKind::modseq);
    EXPECT_EQ(key.field, "/flags/\\draft");
    EXPECT_EQ(key.entry_type, ModseqEntryType::all);
    EXPECT_EQ(key.number, 620162338u);
    key = single_key("MODSEQ 0");
    EXPECT_EQ(key.entry_type, ModseqEntryType::none);
    EXPECT_EQ(key.number, 0u);
    EXPECT_EQ(single_key("MODSEQ \"/flags/x\" priv 5").entry_type, ModseqEntryType::priv);
    EXPECT_EQ(single_key("MODSEQ \"/flags/x\" SHARED 5").entry_type, ModseqEntryType::shared);
    for (const char* bad : {"MODSEQ", "MODSEQ \"/flags/x\" 5", "MODSEQ \"/x\" all 5",
                            "MODSEQ \"/flags/x\" none 5", "MODSEQ x"}) {
        EXPECT_FALSE(parse(std::string("a SEARCH ") + bad)) << bad;
    }
}

TEST(ImapSearch, ObjectIdKeys) {
    SearchKey key = single_key("EMAILID M6d99ac3275bb4e");  // RFC 8474 §6
    EXPECT_EQ(key.kind, SearchKeyKind::emailid);
    EXPECT_EQ(key.value, "M6d99ac3275bb4e");
    EXPECT_EQ(single_key("THREADID T64b478a75b7ea9").kind, SearchKeyKind::threadid);
    EXPECT_FALSE(parse("a SEARCH EMAILID a.b"));
    EXPECT_FALSE(parse("a SEARCH EMAILID " + std::string(256, 'a')));
    EXPECT_TRUE(parse("a SEARCH EMAILID " + std::string(255, 'a')));
}

TEST(ImapSearch, SequenceSets) {
    SearchKey key = single_key("2,4:7,9,12:*");
    EXPECT_EQ(key.kind, SearchKeyKind::sequence_set);
    EXPECT_EQ(key.set.ranges, (std::vector<SeqRange>{{2, 2}, {4, 7}, {9, 9}, {12, kStar}}));
    key = single_key("UID 1:4294967295");
    EXPECT_EQ(key.kind, SearchKeyKind::uid);
    EXPECT_EQ(key.set.ranges, (std::vector<SeqRange>{{1, 4294967295u}}));  // not expanded
    key = single_key("$");
    EXPECT_TRUE(key.set.saved);
    EXPECT_TRUE(key.set.ranges.empty());
    EXPECT_TRUE(single_key("UID $").set.saved);
    EXPECT_EQ(single_key("*:4").set.ranges, (std::vector<SeqRange>{{kStar, 4}}));
    for (const char* bad :
         {"0", "1:0", "1,", "1::2", ",1", "4294967296", "$,1", "1:$", "UID", "UID x", "1,*x"}) {
        EXPECT_FALSE(parse(std::string("a SEARCH ") + bad)) << bad;
    }
}

TEST(ImapSearch, TreeShape) {
    // RFC 9051 §6.4.4 examples.
    auto r = parse("A282 SEARCH RETURN (MIN COUNT) FLAGGED SINCE 1-Feb-1994 NOT FROM \"Smith\"");
    const Search* s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->ret.given);
    EXPECT_EQ(s->ret.options, search_return::min | search_return::count);
    EXPECT_EQ(render(s->program), "and(" + k(SearchKeyKind::flagged) + "," +
                                      k(SearchKeyKind::since) + ",not(" + k(SearchKeyKind::from) +
                                      "))");
    r = parse(
        "A285 SEARCH CHARSET UTF-8 TEXT {12}\r\n\xD0\x9C\xD0\xB0\xD0\xBA\xD1\x81\xD0\xB8\xD0\xBC");
    s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->charset, "UTF-8");
    EXPECT_FALSE(s->ret.given);
    EXPECT_EQ(s->program.keys.at(1).value, "\xD0\x9C\xD0\xB0\xD0\xBA\xD1\x81\xD0\xB8\xD0\xBC");

    r = parse("a SEARCH OR (SEEN FLAGGED) NOT OR DELETED DRAFT UID 1:5");
    s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(render(s->program),
              "and(or(and(" + k(SearchKeyKind::seen) + "," + k(SearchKeyKind::flagged) +
                  "),not(or(" + k(SearchKeyKind::deleted) + "," + k(SearchKeyKind::draft) +
                  "))),k" + std::to_string(static_cast<int>(SearchKeyKind::uid)) + ")");
    r = parse("a SEARCH ((ALL))");
    s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(render(s->program), "and(and(and(" + k(SearchKeyKind::all) + ")))");
    r = parse("a SEARCH OR OR SEEN DRAFT OR DELETED ANSWERED");
    s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(render(s->program),
              "and(or(or(" + k(SearchKeyKind::seen) + "," + k(SearchKeyKind::draft) + "),or(" +
                  k(SearchKeyKind::deleted) + "," + k(SearchKeyKind::answered) + ")))");
}

TEST(ImapSearch, ReturnOptions) {
    auto r = parse("a UID SEARCH RETURN () ALL");
    const Search* s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(r->uid);
    EXPECT_TRUE(s->ret.given);
    EXPECT_EQ(s->ret.options, 0);
    r = parse("a SEARCH RETURN (min max all count save) CHARSET \"utf-8\" ALL");
    s = args_of<Search>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->ret.options, 31);
    EXPECT_EQ(s->charset, "UTF-8");
    EXPECT_EQ(reason_of(parse("a SEARCH RETURN (PARTIAL) ALL")), "Unknown RETURN option PARTIAL");
    // RETURN is a search key nowhere: "SEARCH RETURN" alone is an unknown key.
    EXPECT_FALSE(parse("a SEARCH RETURN"));
    EXPECT_FALSE(parse("a SEARCH RETURN (MIN)"));
    EXPECT_FALSE(parse("a SEARCH ALL RETURN (MIN)"));
}

TEST(ImapSearch, Errors) {
    EXPECT_EQ(reason_of(parse("a SEARCH FOO")), "Unknown search key FOO");
    EXPECT_EQ(reason_of(parse("a SEARCH ()")), "Empty search key list");
    for (const char* bad :
         {"a SEARCH", "a SEARCH ", "a SEARCH ALL ", "a SEARCH (ALL", "a SEARCH ALL)",
          "a SEARCH OR ALL", "a SEARCH NOT", "a SEARCH OR", "a SEARCH (ALL SEEN))",
          "a SEARCH ( ALL)", "a SEARCH (ALL )", "a SEARCH CHARSET", "a SEARCH CHARSET UTF-8",
          "a SEARCH CHARSET {5}\r\nUTF-8 ALL", "a SEARCH ALL  SEEN", "a SEARCH NOT  SEEN"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapSearch, NestingLimit) {
    ParserOptions o;
    o.limits.max_search_depth = 5;
    EXPECT_TRUE(parse("a SEARCH (((((ALL)))))", o));  // five levels
    auto r = parse("a SEARCH ((((((ALL))))))", o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    EXPECT_EQ(r.error().reason, "Search keys nested too deeply");
    EXPECT_TRUE(parse("a SEARCH NOT NOT NOT NOT NOT ALL", o));
    EXPECT_FALSE(parse("a SEARCH NOT NOT NOT NOT NOT NOT ALL", o));
    EXPECT_TRUE(parse("a SEARCH NOT (OR NOT (ALL) ALL)", o));
    EXPECT_FALSE(parse("a SEARCH NOT (OR NOT (NOT ALL) ALL)", o));  // six levels
    // Siblings do not add depth.
    EXPECT_TRUE(parse("a SEARCH (ALL) (ALL) (ALL) (ALL) (ALL) (ALL) (ALL)", o));
}

TEST(ImapSearch, KeyCountLimit) {
    ParserOptions o;
    o.limits.max_search_keys = 4;
    EXPECT_TRUE(parse("a SEARCH SEEN DRAFT DELETED ALL", o));
    auto r = parse("a SEARCH SEEN DRAFT DELETED ALL ANSWERED", o);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, ParseErrorKind::limit);
    EXPECT_EQ(r.error().reason, "Too many search keys");
    EXPECT_FALSE(parse("a SEARCH OR SEEN OR DRAFT DELETED", o));  // OR nodes count too
}

TEST(ImapSort, Sort) {
    // RFC 5256 §3 examples.
    auto r = parse("A282 SORT (SUBJECT) UTF-8 SINCE 1-Feb-1994");
    const Sort* s = args_of<Sort>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->criteria, (std::vector<SortCriterion>{{SortKey::subject, false}}));
    EXPECT_EQ(s->charset, "UTF-8");
    EXPECT_EQ(s->program.keys.at(1).kind, SearchKeyKind::since);
    EXPECT_FALSE(s->ret.given);
    r = parse("A283 SORT (SUBJECT REVERSE DATE) UTF-8 ALL");
    s = args_of<Sort>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->criteria,
              (std::vector<SortCriterion>{{SortKey::subject, false}, {SortKey::date, true}}));
    r = parse(
        "A284 UID SORT (REVERSE ARRIVAL cc from SIZE to DISPLAYFROM REVERSE displayto) "
        "US-ASCII OR SEEN UNSEEN");
    s = args_of<Sort>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(r->uid);
    ASSERT_EQ(s->criteria.size(), 7u);
    EXPECT_EQ(s->criteria[0], (SortCriterion{SortKey::arrival, true}));
    EXPECT_EQ(s->criteria[1], (SortCriterion{SortKey::cc, false}));
    EXPECT_EQ(s->criteria[5], (SortCriterion{SortKey::display_from, false}));
    EXPECT_EQ(s->criteria[6], (SortCriterion{SortKey::display_to, true}));
    // ESORT (RFC 5267 §3).
    r = parse("A282 SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 UNDELETED UNKEYWORD $Junk");
    s = args_of<Sort>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_TRUE(s->ret.given);
    EXPECT_EQ(s->ret.options, search_return::min | search_return::max | search_return::count);
    EXPECT_EQ(s->program.root().children.size(), 2u);
    EXPECT_EQ(reason_of(parse("a SORT (FOO) UTF-8 ALL")), "Unknown sort key FOO");
    for (const char* bad : {"a SORT", "a SORT (DATE)", "a SORT (DATE) UTF-8", "a SORT () UTF-8 ALL",
                            "a SORT DATE UTF-8 ALL", "a SORT (REVERSE) UTF-8 ALL",
                            "a SORT (REVERSE REVERSE DATE) UTF-8 ALL",
                            "a SORT (DATE) {5}\r\nUTF-8 ALL", "a SORT (DATE) UTF-8 ALL FOO"}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

TEST(ImapSort, Thread) {
    auto r = parse("A283 THREAD ORDEREDSUBJECT UTF-8 SINCE 5-MAR-2000");  // RFC 5256 §3
    const Thread* t = args_of<Thread>(r);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->algorithm, "ORDEREDSUBJECT");
    EXPECT_EQ(t->charset, "UTF-8");
    EXPECT_EQ(t->program.keys.at(1).date, (Date{2000, 3, 5}));
    r = parse("A284 UID THREAD references \"US-ASCII\" TEXT \"gewp\"");
    t = args_of<Thread>(r);
    ASSERT_NE(t, nullptr);
    EXPECT_TRUE(r->uid);
    EXPECT_EQ(t->algorithm, "REFERENCES");
    EXPECT_EQ(t->charset, "US-ASCII");
    for (const char* bad : {"a THREAD", "a THREAD REFERENCES", "a THREAD REFERENCES UTF-8",
                            "a THREAD (REFERENCES) UTF-8 ALL", "a THREAD REFERENCES UTF-8 ALL "}) {
        EXPECT_FALSE(parse(bad)) << bad;
    }
}

}  // namespace
}  // namespace postern::proto::imap
