// Sieve extensions, with the examples of their RFCs where they fit the sample message:
// envelope, relational (RFC 5231), comparators, subaddress (RFC 5233), spamtest/virustest
// (RFC 5235), vacation (RFC 5230), body (RFC 5173), variables (RFC 5229), date and index
// (RFC 5260), mailbox (RFC 5490), encoded-character, include (RFC 6609), editheader
// (RFC 5293), duplicate (RFC 7352).
#include <gtest/gtest.h>

#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::actions_of;
using testing::holds;
using testing::kMessage;
using testing::run_script;

TEST(SieveTests, HeaderAddressExistsSize) {
    EXPECT_TRUE(holds("", "header :contains \"Subject\" \"PRESENT\""));
    EXPECT_FALSE(holds("", "header :comparator \"i;octet\" :contains \"Subject\" \"PRESENT\""));
    EXPECT_TRUE(holds("", "header :matches \"x-caffeine\" \"C?H10*\""));
    EXPECT_TRUE(holds("", "address :domain \"from\" \"DESERT.example.org\""));
    EXPECT_TRUE(holds("", "address :localpart \"to\" \"bugs\""));
    EXPECT_TRUE(holds("", "address :all :is [\"to\", \"cc\"] \"elmer@hunting.example.com\""));
    EXPECT_TRUE(holds("", "exists [\"From\", \"Date\"]"));
    EXPECT_FALSE(holds("", "exists [\"From\", \"X-None\"]"));
    EXPECT_TRUE(holds("", "size :over 100"));
    EXPECT_TRUE(holds("", "size :under 1K"));
    EXPECT_FALSE(holds("", "size :over 1M"));
    EXPECT_TRUE(holds("", "allof (true, not false)"));
    EXPECT_FALSE(holds("", "anyof (false, not true)"));
    EXPECT_TRUE(holds("", "header :is \"subject\" \"\"", "Subject:\r\n\r\nx"));
    EXPECT_TRUE(holds("", "header :is \"subject\" \"caf\xc3\xa9\"",
                      "Subject: =?ISO-8859-1?Q?caf=E9?=\r\n\r\nx"));
}

TEST(SieveTests, Envelope) {
    EXPECT_TRUE(holds(",\"envelope\"", "envelope :is \"from\" \"coyote@desert.example.org\""));
    EXPECT_TRUE(holds(",\"envelope\"", "envelope :domain \"to\" \"acme.example.com\""));
    Envelope null_sender{"", "x@y.example", "", ""};
    auto r = run_script(
        "require [\"envelope\", \"fileinto\"]; if envelope :is \"from\" \"\" { fileinto \"null\"; "
        "}",
        kMessage, null_sender);
    EXPECT_EQ(r.summary, "store:null");
    EXPECT_NE(testing::compile_error("require \"envelope\"; if envelope \"frm\" \"x\" { }")
                  .find("envelope part"),
              std::string::npos);
}

TEST(SieveTests, RelationalRfc5231) {
    const char* msg =
        "Received: from a\r\nReceived: from b\r\nReceived: from c\r\n"
        "To: a@example.com, b@example.com, c@example.com\r\nX-Priority: 3\r\n\r\nbody\r\n";
    std::string req = ",\"relational\",\"comparator-i;ascii-numeric\"";
    EXPECT_TRUE(
        holds(req, "header :count \"ge\" :comparator \"i;ascii-numeric\" \"received\" \"3\"", msg));
    EXPECT_FALSE(
        holds(req, "header :count \"gt\" :comparator \"i;ascii-numeric\" \"received\" \"3\"", msg));
    EXPECT_TRUE(
        holds(req, "address :count \"eq\" :comparator \"i;ascii-numeric\" \"to\" \"3\"", msg));
    EXPECT_TRUE(holds(
        req, "header :value \"lt\" :comparator \"i;ascii-numeric\" \"x-priority\" \"5\"", msg));
    EXPECT_FALSE(holds(
        req, "header :value \"gt\" :comparator \"i;ascii-numeric\" \"x-priority\" \"05\"", msg));
    // RFC 5231 §7 examples: "ge" with the default comparator compares as text.
    EXPECT_TRUE(holds(req, "header :value \"gt\" \"x-priority\" \"10\"", msg));
    // a non-number is positive infinity under i;ascii-numeric
    EXPECT_TRUE(holds(req,
                      "header :value \"gt\" :comparator \"i;ascii-numeric\" \"subject\" \"99999\"",
                      "Subject: abc\r\n\r\n"));
    EXPECT_NE(
        testing::compile_error("require \"relational\"; if header :value \"xx\" \"a\" \"b\" {}")
            .find("relational"),
        std::string::npos);
}

TEST(SieveTests, SubaddressRfc5233) {
    std::string req = ",\"subaddress\",\"envelope\"";
    EXPECT_TRUE(holds(req, "envelope :user \"to\" \"roadrunner\""));
    EXPECT_TRUE(holds(req, "envelope :detail \"to\" \"fast\""));
    EXPECT_TRUE(holds(req, "address :user \"to\" \"bugs\""));
    // no separator: :detail does not match, not even ""
    EXPECT_FALSE(holds(req, "address :detail \"cc\" \"\""));
    EXPECT_TRUE(holds(req, "address :detail \"to\" \"\"", "To: user+@example.com\r\n\r\n"));
}

TEST(SieveTests, SpamtestVirustest) {
    const char* spam = "X-Postern-Spam-Level: 8\r\nX-Postern-Virus-Level: 5\r\n\r\nbody\r\n";
    std::string req =
        ",\"spamtest\",\"spamtestplus\",\"virustest\",\"relational\",\"comparator-i;ascii-"
        "numeric\"";
    EXPECT_TRUE(holds(req, "spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"6\"", spam));
    EXPECT_FALSE(holds(req, "spamtest :value \"ge\" :comparator \"i;ascii-numeric\" \"9\"", spam));
    EXPECT_TRUE(
        holds(req, "spamtest :percent :value \"gt\" :comparator \"i;ascii-numeric\" \"70\"", spam));
    EXPECT_TRUE(holds(req, "virustest :value \"eq\" :comparator \"i;ascii-numeric\" \"5\"", spam));
    // not tested: 0
    EXPECT_TRUE(holds(req, "spamtest :is \"0\"", kMessage));
    EXPECT_TRUE(holds(req, "virustest :is \"0\"", kMessage));
}

TEST(SieveTests, VacationAction) {
    auto r = run_script(
        "require \"vacation\";\n"
        "vacation :days 23 :addresses [\"tjs@example.edu\", \"ts4z@landru.example.edu\"] "
        ":subject \"Out\" :from \"me@example.edu\" :handle \"h1\" \"I'm away until October 19.\";");
    ASSERT_TRUE(r.result.ok);
    const auto& a = r.result.actions.actions()[0];
    ASSERT_EQ(a.kind, Action::Kind::vacation);
    EXPECT_EQ(a.vacation.seconds, 23u * 86400);
    EXPECT_EQ(a.vacation.addresses.size(), 2u);
    EXPECT_EQ(a.vacation.subject, "Out");
    EXPECT_EQ(a.vacation.handle, "h1");
    EXPECT_EQ(a.vacation.reason, "I'm away until October 19.");
    auto s =
        run_script("require [\"vacation\", \"vacation-seconds\"]; vacation :seconds 60 \"x\";");
    EXPECT_EQ(s.result.actions.actions()[0].vacation.seconds, 60u);
    EXPECT_NE(testing::compile_error("require \"vacation\"; vacation :from \"not valid\" \"x\";")
                  .find(":from"),
              std::string::npos);
}

TEST(SieveTests, BodyRfc5173) {
    const char* mime =
        "From: a@example.com\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
        "boundary=\"b\"\r\n\r\n"
        "--b\r\nContent-Type: text/plain\r\n\r\nhello plain\r\n"
        "--b\r\nContent-Type: text/html\r\n\r\n<p>hello html</p>\r\n"
        "--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        "c2VjcmV0IGJpbmFyeQ==\r\n--b--\r\n";
    EXPECT_TRUE(holds(",\"body\"", "body :contains \"birdseed\""));
    EXPECT_TRUE(holds(",\"body\"", "body :text :contains \"hello plain\"", mime));
    EXPECT_TRUE(holds(",\"body\"", "body :content \"text/html\" :contains \"hello html\"", mime));
    EXPECT_FALSE(holds(",\"body\"", "body :content \"text/plain\" :contains \"hello html\"", mime));
    EXPECT_TRUE(
        holds(",\"body\"", "body :content \"application\" :contains \"secret binary\"", mime));
    EXPECT_TRUE(holds(",\"body\"", "body :raw :contains \"c2VjcmV0\"", mime));
    EXPECT_FALSE(holds(",\"body\"", "body :text :contains \"secret\"", mime));
}

TEST(SieveTests, VariablesRfc5229) {
    EXPECT_EQ(actions_of(R"(require ["variables", "fileinto"];
if header :matches "Subject" "I * a * for *" {
    fileinto "${1}-${2}-${3}-${0}";
})"),
              "store:have-present-you-I have a present for you");
    EXPECT_EQ(actions_of(R"(require ["variables", "fileinto"];
set "honorific"  "Mr";
set "first_name" "Wile";
set "last_name"  "Coyote";
set "vacation" text:
Dear ${HONORIFIC} ${last_name},
.
;
set :lower :upperfirst "b" "JOHN";
set :upper "c" "ab${b}";
set :length "d" "${vacation}";
set :quotewildcard "e" "a*b?";
set "e2" "${unknown}x\${x}";
fileinto "${vacation}|${b}|${c}|${d}|${e}|${e2}";
)"),
              "store:Dear Mr Coyote,\r\n|John|ABJOHN|17|a\\*b\\?|x");
    EXPECT_TRUE(holds(",\"variables\"", "string :is \"${unknown}\" \"\""));
    EXPECT_TRUE(
        holds(",\"variables\",\"relational\",\"comparator-i;ascii-numeric\"",
              "string :count \"eq\" :comparator \"i;ascii-numeric\" [\"a\", \"\", \"b\"] \"2\""));
}

TEST(SieveTests, DateAndIndexRfc5260) {
    std::string req = ",\"date\",\"relational\",\"index\"";
    EXPECT_TRUE(holds(req, "date :originalzone :is \"date\" \"hour\" \"10\""));
    EXPECT_TRUE(holds(req, "date :zone \"+0000\" :is \"date\" \"hour\" \"09\""));
    EXPECT_TRUE(
        holds(req, "date :zone \"-0500\" :is \"date\" \"iso8601\" \"2023-11-14T04:00:00-05:00\""));
    EXPECT_TRUE(holds(req, "date :originalzone :is \"date\" \"zone\" \"+0100\""));
    EXPECT_TRUE(holds(req, "date :originalzone :is \"date\" \"weekday\" \"2\""));
    EXPECT_TRUE(holds(req, "date :originalzone :is \"date\" \"julian\" \"60262\""));
    EXPECT_TRUE(holds(
        req, "date :originalzone :is \"date\" \"std11\" \"Tue, 14 Nov 2023 10:00:00 +0100\""));
    EXPECT_TRUE(holds(req, "currentdate :zone \"+0000\" :is \"date\" \"2023-11-14\""));
    EXPECT_TRUE(holds(req, "currentdate :zone \"+0000\" :value \"ge\" \"time\" \"22:00:00\""));
    const char* rec =
        "Received: from a; Tue, 14 Nov 2023 10:00:00 +0000\r\n"
        "Received: from b; Mon, 13 Nov 2023 09:00:00 +0000\r\n\r\n";
    EXPECT_TRUE(
        holds(req, "date :index 1 :last :zone \"+0000\" :is \"received\" \"day\" \"13\"", rec));
    EXPECT_TRUE(holds(req, "date :index 1 :zone \"+0000\" :is \"received\" \"day\" \"14\"", rec));
    EXPECT_TRUE(holds(req, "header :index 2 :contains \"received\" \"from b\"", rec));
    EXPECT_FALSE(holds(req, "header :index 3 :contains \"received\" \"from\"", rec));
    EXPECT_NE(testing::compile_error("require \"date\"; if date \"date\" \"century\" \"x\" {}")
                  .find("date part"),
              std::string::npos);
}

TEST(SieveTests, MailboxRfc5490) {
    testing::FakeEnvironment env;
    env.mailboxes = {"INBOX", "Work"};
    auto r = run_script(
        "require [\"mailbox\", \"fileinto\"];\n"
        "if mailboxexists \"Work\" { fileinto \"Work\"; }\n"
        "if mailboxexists [\"Work\", \"Nope\"] { discard; }\n"
        "fileinto :create \"New\";",
        kMessage, {}, &env);
    EXPECT_EQ(r.summary, "store:Work store:New");
    EXPECT_TRUE(r.result.actions.actions()[1].create);
}

TEST(SieveTests, EncodedCharacter) {
    EXPECT_EQ(actions_of("require [\"encoded-character\", \"fileinto\"];\n"
                         "fileinto \"$${hex:40}${hex: 24 24}${unicode:263A}${hex:zz}\";"),
              "store:$@$$\xe2\x98\xba${hex:zz}");
    EXPECT_NE(
        testing::compile_error("require \"encoded-character\"; keep :flags \"${unicode:D800}\";")
            .size(),
        0u);
}

TEST(SieveTests, IncludeRfc6609) {
    testing::FakeEnvironment env;
    env.scripts["personal:spam"] =
        "require [\"fileinto\"]; if header :contains \"subject\" \"present\" { fileinto \"Spam\"; "
        "stop; }";
    env.scripts["global:vars"] =
        "require [\"include\", \"variables\"]; global \"who\"; set \"who\" \"global\"; return; set "
        "\"who\" \"never\";";
    auto r = run_script(
        "require [\"include\", \"variables\", \"fileinto\"];\n"
        "global \"who\";\n"
        "include :global \"vars\";\n"
        "fileinto \"${who}\";\n"
        "include :once \"spam\"; include :once \"spam\";\n"
        "fileinto \"after-stop\";",
        kMessage, {}, &env);
    ASSERT_TRUE(r.result.ok) << r.result.errors[0];
    EXPECT_EQ(r.summary, "store:global store:Spam");
    auto missing = run_script("require \"include\"; include \"nope\";", kMessage, {}, &env);
    EXPECT_FALSE(missing.result.ok);
    auto optional =
        run_script("require \"include\"; include :optional \"nope\";", kMessage, {}, &env);
    EXPECT_TRUE(optional.result.ok);
    env.scripts["personal:loop"] = "require \"include\"; include \"loop\";";
    auto loop = run_script("require \"include\"; include \"loop\";", kMessage, {}, &env);
    EXPECT_FALSE(loop.result.ok);
}

TEST(SieveTests, EditheaderRfc5293) {
    auto r = run_script(
        "require [\"editheader\", \"fileinto\"];\n"
        "addheader \"X-Sieve\" \"first\";\n"
        "addheader :last \"X-Sieve\" \"last\";\n"
        "deleteheader \"x-caffeine\";\n"
        "deleteheader \"Received\";\n"
        "if header :is \"x-sieve\" \"first\" { fileinto \"seen\"; }\n"
        "if exists \"x-caffeine\" { fileinto \"wrong\"; }\n"
        "deleteheader :index 1 :last \"X-Sieve\";\n"
        "if header :is \"x-sieve\" \"last\" { fileinto \"wrong2\"; }\n"
        "deleteheader :contains \"cc\" \"elmer\";\n");
    ASSERT_TRUE(r.result.ok) << r.result.errors[0];
    EXPECT_EQ(r.summary, "store:seen");
    EXPECT_EQ(r.result.message.find("X-Sieve: first\r\n"), 0u);
    EXPECT_EQ(r.result.message.find("X-Caffeine"), std::string::npos);
    EXPECT_EQ(r.result.message.find("Cc:"), std::string::npos);
    EXPECT_NE(r.result.message.find("\r\n\r\nLook, I'm sorry"), std::string::npos);
}

TEST(SieveTests, DuplicateRfc7352) {
    testing::FakeEnvironment env;
    std::string script =
        "require [\"duplicate\", \"fileinto\"]; if duplicate { fileinto \"Dup\"; }";
    auto first = run_script(script, kMessage, {}, &env);
    EXPECT_EQ(first.summary, "keep:INBOX");
    ASSERT_EQ(first.result.duplicates.size(), 1u);
    EXPECT_EQ(first.result.duplicates[0].id, "<1234@desert.example.org>");
    env.seen.emplace_back("", "<1234@desert.example.org>");
    auto second = run_script(script, kMessage, {}, &env);
    EXPECT_EQ(second.summary, "store:Dup");
    EXPECT_TRUE(holds(",\"duplicate\"", "not duplicate :uniqueid \"x\" :handle \"h\""));
}

TEST(SieveTests, Comparators) {
    EXPECT_TRUE(holds(
        "", "header :is :comparator \"i;ascii-casemap\" \"subject\" \"I HAVE A PRESENT FOR YOU\""));
    EXPECT_FALSE(
        holds("", "header :is :comparator \"i;octet\" \"subject\" \"I HAVE A PRESENT FOR YOU\""));
    EXPECT_TRUE(holds(",\"comparator-i;ascii-numeric\"",
                      "header :is :comparator \"i;ascii-numeric\" \"x\" \"0042\"",
                      "X: 42abc\r\n\r\n"));
    EXPECT_TRUE(holds("", "header :matches \"subject\" \"*\\\\**\"", "Subject: a*b\r\n\r\n"));
    EXPECT_FALSE(holds("", "header :matches \"subject\" \"*\\\\**\"", "Subject: ab\r\n\r\n"));
}

}  // namespace
}  // namespace postern::sieve
