// RFC 5228 §2.10 and §4 action interaction, RFC 3894 :copy, RFC 5429 reject conflicts,
// limits on actions, redirects and instructions.
#include <gtest/gtest.h>

#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::actions_of;
using testing::run_script;

TEST(SieveActions, ImplicitKeep) {
    EXPECT_EQ(actions_of(""), "keep:INBOX");
    EXPECT_EQ(actions_of("if false { discard; }"), "keep:INBOX");
    EXPECT_EQ(actions_of("stop; discard;"), "keep:INBOX");
}

TEST(SieveActions, CancellationOfImplicitKeep) {
    EXPECT_EQ(actions_of("require \"fileinto\"; fileinto \"Junk\";"), "store:Junk");
    EXPECT_EQ(actions_of("redirect \"a@example.com\";"), "redirect:a@example.com");
    EXPECT_EQ(actions_of("discard;"), "discard");
    EXPECT_EQ(actions_of("require \"reject\"; reject \"no\";"), "reject:no");
    EXPECT_EQ(actions_of("require \"ereject\"; ereject \"no\";"), "ereject:no");
    // keep is explicit and stays even after a discard (RFC 5228 §4.3)
    EXPECT_EQ(actions_of("discard; keep;"), "discard keep:INBOX");
}

TEST(SieveActions, CopyKeepsImplicitKeep) {
    EXPECT_EQ(actions_of("require [\"fileinto\", \"copy\"]; fileinto :copy \"Archive\";"),
              "store:Archive(copy) keep:INBOX");
    EXPECT_EQ(actions_of("require \"copy\"; redirect :copy \"a@example.com\";"),
              "redirect:a@example.com(copy) keep:INBOX");
}

TEST(SieveActions, DuplicatesCollapse) {
    EXPECT_EQ(actions_of("require \"fileinto\"; fileinto \"A\"; fileinto \"A\";"), "store:A");
    EXPECT_EQ(actions_of("redirect \"a@example.com\"; redirect \"a@EXAMPLE.com\";"),
              "redirect:a@example.com");
    // keep and fileinto "INBOX" deliver once (RFC 5228 §4.1)
    EXPECT_EQ(actions_of("require \"fileinto\"; keep; fileinto \"INBOX\";"), "keep:INBOX");
    EXPECT_EQ(actions_of("require \"fileinto\"; fileinto \"inbox\"; keep;"), "store:inbox");
    EXPECT_EQ(actions_of("keep; keep;"), "keep:INBOX");
    EXPECT_EQ(actions_of("discard; discard;"), "discard");
}

TEST(SieveActions, RejectConflicts) {
    auto r = run_script("require \"reject\"; keep; reject \"x\";");
    ASSERT_TRUE(r.compiled.program);
    EXPECT_FALSE(r.result.ok);
    EXPECT_EQ(r.summary, "keep:INBOX");  // runtime error -> implicit keep only
    EXPECT_NE(r.result.errors[0].find("conflicts"), std::string::npos);
    auto f = run_script("require [\"reject\", \"fileinto\"]; reject \"x\"; fileinto \"y\";");
    EXPECT_FALSE(f.result.ok);
    auto d = run_script("require \"reject\"; reject \"x\"; reject \"y\";");
    EXPECT_FALSE(d.result.ok);
    auto c =
        run_script("require [\"reject\", \"copy\"]; redirect :copy \"a@b.example\"; reject \"x\";");
    EXPECT_TRUE(c.result.ok) << c.result.errors[0];
    EXPECT_EQ(c.summary, "redirect:a@b.example(copy) reject:x");
    // discard + reject is allowed: both cancel the keep
    EXPECT_EQ(actions_of("require \"reject\"; discard; reject \"x\";"), "discard reject:x");
}

TEST(SieveActions, VacationOnce) {
    auto r = run_script("require \"vacation\"; vacation \"a\"; vacation \"b\";");
    EXPECT_FALSE(r.result.ok);
    EXPECT_EQ(actions_of("require \"vacation\"; vacation \"away\";"), "vacation keep:INBOX");
}

TEST(SieveActions, Limits) {
    ExecLimits limits;
    limits.max_redirects = 2;
    auto r =
        run_script("redirect \"a@x.example\"; redirect \"b@x.example\"; redirect \"c@x.example\";",
                   testing::kMessage, {}, nullptr, limits);
    EXPECT_FALSE(r.result.ok);
    EXPECT_EQ(r.summary, "keep:INBOX");
    limits = {};
    limits.max_actions = 3;
    auto a = run_script(
        "require \"fileinto\"; fileinto \"1\"; fileinto \"2\"; fileinto \"3\"; fileinto \"4\";",
        testing::kMessage, {}, nullptr, limits);
    EXPECT_FALSE(a.result.ok);
    limits = {};
    limits.instruction_budget = 1000;
    std::string script = "require \"variables\";\n";
    for (int i = 0; i < 600; ++i)
        script += "if header :contains \"subject\" \"zz\" { keep; }\n";
    auto b = run_script(script, testing::kMessage, {}, nullptr, limits);
    EXPECT_FALSE(b.result.ok);
    EXPECT_NE(b.result.errors[0].find("instruction limit"), std::string::npos);
}

TEST(SieveActions, RfcExampleSection9) {
    // RFC 5228 §9 example, adapted for the sample message.
    std::string script = R"(
require ["fileinto", "envelope"];
if address :is "to" "bugs@looney.example.net" {
    fileinto "looney";
} elsif header :contains "subject" "present" {
    fileinto "presents";
} elsif header :is "subject" "Make money fast" {
    discard;
} elsif anyof (not address :all :contains ["To", "Cc", "Bcc"] "me@example.com",
               header :matches "subject" ["*make*money*fast*", "*university*dipl*mas*"]) {
    fileinto "spam";
} else {
    fileinto "personal";
}
)";
    EXPECT_EQ(actions_of(script), "store:looney");
}

TEST(SieveActions, Imap4FlagsOnDelivery) {
    EXPECT_EQ(
        actions_of("require [\"imap4flags\", \"fileinto\"]; setflag \"\\\\Seen\"; "
                   "addflag [\"$Work\", \"\\\\seen\"]; fileinto \"A\"; removeflag \"$Work\";"),
        "store:A[\\Seen $Work]");
    EXPECT_EQ(actions_of("require \"imap4flags\"; addflag \"\\\\Flagged\";"),
              "keep:INBOX[\\Flagged]");
    EXPECT_EQ(actions_of("require \"imap4flags\"; keep :flags \"a b\"; addflag \"c\";"),
              "keep:INBOX[a b]");
}

}  // namespace
}  // namespace postern::sieve
