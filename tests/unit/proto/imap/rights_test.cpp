// ACL rights letters (RFC 4314 §2.1, §2.1.1) and hostile ACL command arguments.
#include "proto/imap/rights.h"

#include <gtest/gtest.h>

#include "proto/imap/parser.h"
#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using testing::args_of;
using testing::parse;

TEST(ImapRights, ParseAndFormat) {
    struct Case {
        std::string_view in;
        std::string_view out;
    };
    for (auto [in, out] :
         {Case{"", ""}, Case{"lr", "lr"}, Case{"arl", "lra"}, Case{"lrswipkxtea", "lrswipkxtea"},
          Case{"aetxkpiwsrl", "lrswipkxtea"}, Case{"llrr", "lr"}, Case{"c", "k"}, Case{"d", "xte"},
          Case{"lrswicda", "lrswikxtea"}}) {
        auto r = parse_rights(in);
        ASSERT_TRUE(r) << in;
        EXPECT_EQ(format_rights(*r), out) << in;
    }
    for (std::string_view bad : {"q", "lrQ", "L", "0", "lr ", "+l", "-l", "z"})
        EXPECT_FALSE(parse_rights(bad)) << bad;
    EXPECT_EQ(format_rights(Rights::all()), kAllRights);
    EXPECT_TRUE(Rights::all().has(Right::admin));
    EXPECT_FALSE(parse_rights("lr")->has(Right::seen));
    auto r = *parse_rights("lrs");
    r.remove(*parse_rights("s"));
    EXPECT_EQ(format_rights(r), "lr");
    EXPECT_EQ(right_of('k'), Right::create_mailbox);
    EXPECT_FALSE(right_of('c'));
}

TEST(ImapRights, HostileAclArguments) {
    // A long identifier is the service's to refuse: the codec keeps it whole.
    std::string long_id(5000, 'x');
    auto r = parse("a SETACL INBOX " + long_id + " lr");
    const SetAcl* s = args_of<SetAcl>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->identifier.size(), long_id.size());
    // Literal identifiers and rights, and odd but valid spellings.
    r = parse("a SETACL INBOX {3+}\r\nbob {2+}\r\n+l");
    s = args_of<SetAcl>(r);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->identifier, "bob");
    EXPECT_EQ(s->change, RightsChange::add);
    for (const char* bad :
         {"a SETACL INBOX bob +-l", "a SETACL INBOX bob \"l r\"", "a SETACL INBOX bob \"l\\\"\"",
          "a SETACL INBOX bob ++", "a SETACL INBOX bob \"l\x01\"",
          "a SETACL INBOX bob {1+}\r\n\x80", "a DELETEACL INBOX", "a LISTRIGHTS INBOX bob extra",
          "a MYRIGHTS", "a SETACL (x) bob l"})
        EXPECT_FALSE(parse(bad)) << bad;
}

}  // namespace
}  // namespace postern::proto::imap
