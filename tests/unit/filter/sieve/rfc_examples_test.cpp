// The examples of the Sieve RFCs (adapted only where they name addresses or folders of their
// own), compiled and run on messages that exercise them.
#include <gtest/gtest.h>

#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::actions_of;
using testing::run_script;

const char* kList =
    "From: owner-ietf-mta-filters@imc.org\r\nSender: owner-ietf-mta-filters@imc.org\r\n"
    "To: ietf-mta-filters@imc.org\r\nSubject: [sieve] draft\r\n"
    "List-Id: <ietf-mta-filters.imc.org>\r\n\r\nhello\r\n";

TEST(SieveRfcExamples, Rfc5228Section3_1) {
    // if header :contains "from" "coyote" { discard; } elsif ... else { fileinto ... }
    std::string script = R"(require "fileinto";
if header :contains "from" "coyote" {
    discard;
} elsif header :contains ["subject"] ["$$$"] {
    discard;
} else {
    fileinto "INBOX";
})";
    EXPECT_EQ(actions_of(script), "discard");
    EXPECT_EQ(actions_of(script, "From: bob@example.com\r\nSubject: $$$ now\r\n\r\nx\r\n"),
              "discard");
    EXPECT_EQ(actions_of(script, "From: bob@example.com\r\nSubject: hi\r\n\r\nx\r\n"),
              "store:INBOX");
}

TEST(SieveRfcExamples, Rfc5228Section2_10_2ImplicitKeep) {
    // "if size :over 500K { discard; }" keeps small messages through the implicit keep.
    EXPECT_EQ(actions_of("if size :over 500K { discard; }"), "keep:INBOX");
}

TEST(SieveRfcExamples, Rfc5228Section5_1Address) {
    std::string msg = "From: tim@example.com\r\nSender: Owner <owner@example.org>\r\n\r\nx\r\n";
    EXPECT_EQ(actions_of("if address :is :all \"from\" \"tim@example.com\" { discard; }", msg),
              "discard");
    EXPECT_EQ(actions_of("if address :domain :is \"sender\" \"example.org\" { discard; }", msg),
              "discard");
}

TEST(SieveRfcExamples, Rfc5228Section5_4Envelope) {
    testing::Run r = run_script(R"(require "envelope";
if envelope :all :is "from" "tim@example.com" { discard; })",
                                testing::kMessage, {"tim@example.com", "x@example.org", "", ""});
    EXPECT_EQ(r.summary, "discard");
}

TEST(SieveRfcExamples, Rfc5228Section5_5Exists) {
    std::string script =
        "if exists [\"From\",\"Date\"] { keep; } if not exists \"X-Caffeine\" { discard; }";
    EXPECT_EQ(actions_of(script), "keep:INBOX");
}

TEST(SieveRfcExamples, Rfc5228Section5_7HeaderMatches) {
    EXPECT_EQ(actions_of(R"(if header :matches ["x-caffeine"] ["C*N4O2"] { discard; })"),
              "discard");
}

TEST(SieveRfcExamples, Rfc3894Copy) {
    // require ["copy", "fileinto"]; fileinto :copy "incoming";
    EXPECT_EQ(actions_of("require [\"copy\", \"fileinto\"];\nfileinto :copy \"incoming\";"),
              "store:incoming(copy) keep:INBOX");
    EXPECT_EQ(actions_of("require \"copy\";\nredirect :copy \"sysadmin@example.com\";"),
              "redirect:sysadmin@example.com(copy) keep:INBOX");
}

TEST(SieveRfcExamples, Rfc5429Reject) {
    std::string script = R"(require ["reject"];
if size :over 100K {
    reject text:
Your message is too big.  If you want to send me a big attachment,
put it on a public web site and send me a URL.
.
;
})";
    EXPECT_EQ(actions_of(script), "keep:INBOX");
    std::string big = "Subject: x\r\n\r\n" + std::string(120 * 1024, 'a') + "\r\n";
    testing::Run r = run_script(script, big);
    ASSERT_EQ(r.result.actions.actions().size(), 1u);
    EXPECT_EQ(r.result.actions.actions()[0].kind, Action::Kind::reject);
    EXPECT_NE(r.result.actions.actions()[0].reason.find("too big"), std::string::npos);
    // ereject, §2.1
    EXPECT_EQ(actions_of("require \"ereject\";\nif address :domain \"from\" \"desert.example.org\" "
                         "{ ereject \"I no longer accept mail from this domain\"; }"),
              "ereject:I no longer accept mail from this domain");
}

TEST(SieveRfcExamples, Rfc5230Vacation) {
    testing::Run r = run_script(R"(require "vacation";
if header :contains "subject" "cyrus" {
    vacation "I'm out -- send mail to cyrus-bugs";
} else {
    vacation "I'm out -- call me at +1 304 555 0123";
})");
    ASSERT_TRUE(r.result.ok);
    EXPECT_EQ(r.result.actions.actions()[0].vacation.reason,
              "I'm out -- call me at +1 304 555 0123");
    testing::Run d = run_script(R"(require "vacation";
vacation :days 23 :addresses ["tjs@example.edu", "ts4z@landru.example.edu"]
   "I'm away until October 19.  If it's an emergency, call 911, I guess." ;)");
    ASSERT_TRUE(d.result.ok);
    EXPECT_EQ(d.result.actions.actions()[0].vacation.seconds, 23u * 86400);
    testing::Run m = run_script(R"(require "vacation";
vacation :mime text:
Content-Type: multipart/alternative; boundary=foo

--foo

I'm at the beach relaxing.  Mmmm, surf...

--foo
Content-Type: text/html; charset=us-ascii

<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.0//EN"
 "http://www.w3.org/TR/REC-html40/strict.dtd">
<HTML><HEAD><TITLE>How to relax</TITLE>
<BASE HREF="http://home.example.com/pictures/"></HEAD>
<BODY><P>I'm at the <A HREF="beach.gif">beach</A> relaxing.
Mmmm, <A HREF="ocean.gif">surf</A>...
</BODY></HTML>

--foo--
.
;)");
    ASSERT_TRUE(m.result.ok);
    EXPECT_TRUE(m.result.actions.actions()[0].vacation.mime);
}

TEST(SieveRfcExamples, Rfc5231Relational) {
    std::string msg =
        "Received: a\r\nReceived: b\r\nReceived: c\r\n"
        "To: a@example.com, b@example.com, c@example.com\r\nCc: d@example.com\r\n"
        "X-Priority: 1\r\n\r\nx\r\n";
    std::string req = "require [\"relational\", \"comparator-i;ascii-numeric\", \"fileinto\"];\n";
    // "if header :value "lt" :comparator "i;ascii-numeric" ["x-priority"] ["3"]"
    EXPECT_EQ(actions_of(req + "if header :value \"lt\" :comparator \"i;ascii-numeric\" "
                               "[\"x-priority\"] [\"3\"] { fileinto \"Priority\"; }",
                         msg),
              "store:Priority");
    // "if address :count "ge" :comparator "i;ascii-numeric" ["to", "cc"] ["3"]"
    EXPECT_EQ(actions_of(req + "if address :count \"ge\" :comparator \"i;ascii-numeric\" [\"to\", "
                               "\"cc\"] [\"3\"] { fileinto \"Many\"; }",
                         msg),
              "store:Many");
    // "if header :count "ge" :comparator "i;ascii-numeric" ["received"] ["3"]" (header count)
    EXPECT_EQ(actions_of(req + "if header :count \"gt\" :comparator \"i;ascii-numeric\" "
                               "[\"received\"] [\"2\"] { discard; }",
                         msg),
              "discard");
}

TEST(SieveRfcExamples, Rfc5233Subaddress) {
    std::string script = R"(require ["envelope", "subaddress", "fileinto"];
if envelope :user "to" "postmaster" {
    fileinto "inbox.postmaster";
    stop;
}
if envelope :detail :is "to" "mta-filters" {
    fileinto "inbox.ietf-mta-filters";
}
if envelope :detail :is "to" "" {
    fileinto "inbox.spam";
})";
    EXPECT_EQ(
        run_script(script, testing::kMessage, {"a@b.example", "postmaster+x@example.com", "", ""})
            .summary,
        "store:inbox.postmaster");
    EXPECT_EQ(run_script(script, testing::kMessage,
                         {"a@b.example", "ken+mta-filters@example.com", "", ""})
                  .summary,
              "store:inbox.ietf-mta-filters");
    EXPECT_EQ(
        run_script(script, testing::kMessage, {"a@b.example", "ken+@example.com", "", ""}).summary,
        "store:inbox.spam");
    EXPECT_EQ(
        run_script(script, testing::kMessage, {"a@b.example", "ken@example.com", "", ""}).summary,
        "keep:INBOX");
}

TEST(SieveRfcExamples, Rfc5235SpamtestVirustest) {
    std::string script =
        R"(require ["spamtest", "fileinto", "relational", "comparator-i;ascii-numeric"];
if spamtest :value "eq" :comparator "i;ascii-numeric" "0" {
    fileinto "INBOX.unclassified";
} elsif spamtest :value "ge" :comparator "i;ascii-numeric" "3" {
    fileinto "INBOX.spam-trap";
})";
    EXPECT_EQ(actions_of(script), "store:INBOX.unclassified");
    EXPECT_EQ(actions_of(script, "X-Postern-Spam-Level: 5\r\n\r\nx\r\n"), "store:INBOX.spam-trap");
    EXPECT_EQ(actions_of(script, "X-Postern-Spam-Level: 1\r\n\r\nx\r\n"), "keep:INBOX");
    std::string plus =
        R"(require ["spamtestplus", "fileinto", "relational", "comparator-i;ascii-numeric"];
if spamtest :percent :value "eq" :comparator "i;ascii-numeric" "0" {
    fileinto "INBOX.unclassified";
} elsif spamtest :percent :value "ge" :comparator "i;ascii-numeric" "60" {
    fileinto "INBOX.spam-trap";
})";
    EXPECT_EQ(actions_of(plus, "X-Postern-Spam-Level: 10\r\n\r\nx\r\n"), "store:INBOX.spam-trap");
    std::string virus =
        R"(require ["virustest", "fileinto", "relational", "comparator-i;ascii-numeric"];
if virustest :value "eq" :comparator "i;ascii-numeric" "0" {
    fileinto "INBOX.unclassified";
}
if virustest :value "eq" :comparator "i;ascii-numeric" "4" {
    fileinto "INBOX.quarantine";
} elsif virustest :value "eq" :comparator "i;ascii-numeric" "5" {
    discard;
})";
    EXPECT_EQ(actions_of(virus, "X-Postern-Virus-Level: 5\r\n\r\nx\r\n"), "discard");
    EXPECT_EQ(actions_of(virus, "X-Postern-Virus-Level: 4\r\n\r\nx\r\n"), "store:INBOX.quarantine");
}

TEST(SieveRfcExamples, Rfc5232Imap4flags) {
    std::string script = R"(require ["imap4flags", "fileinto"];
if size :over 1K {
    setflag "\\Deleted";
}
if header :contains "from" "coyote" {
    addflag ["\\Flagged"];
    fileinto "From Coyote";
    removeflag "\\Flagged";
})";
    EXPECT_EQ(actions_of(script), "store:From Coyote[\\Flagged]");
    std::string big = "From: coyote@example.org\r\n\r\n" + std::string(2000, 'x') + "\r\n";
    EXPECT_EQ(actions_of(script, big), "store:From Coyote[\\Deleted \\Flagged]");
    // hasflag on a variable (§4)
    EXPECT_EQ(actions_of(R"(require ["imap4flags", "variables"];
set "MyVar" "NonJunk Junk gluten-free";
if hasflag :contains "MyVar" "Junk" { discard; })"),
              "discard");
}

TEST(SieveRfcExamples, Rfc5229Variables) {
    EXPECT_EQ(actions_of(R"(require ["variables", "fileinto"];
if header :matches "List-ID" "*<*@*" {
    fileinto "INBOX.lists.${2}"; stop;
})",
                         "List-ID: Sieve list <sieve@ietf.org>\r\n\r\nx\r\n"),
              "store:INBOX.lists.sieve");
    // ${1} after a failed match keeps the earlier value (§3.2)
    EXPECT_EQ(actions_of(R"(require ["variables", "fileinto"];
if header :matches "subject" "I * a *" { }
if header :matches "subject" "nomatch*" { }
fileinto "${1}";)"),
              "store:have");
    EXPECT_EQ(actions_of(R"(require ["variables", "fileinto"];
set "a" "juMBlEd lETteRS";
set :length "b" "${a}";
set :lower "c" "${a}";
set :upperfirst "d" "${c}";
set :upperfirst :lower "e" "${a}";
set :quotewildcard "f" "Rock*";
fileinto "${b}|${c}|${d}|${e}|${f}";)"),
              "store:15|jumbled letters|Jumbled letters|Jumbled letters|Rock\\*");
}

TEST(SieveRfcExamples, Rfc5173Body) {
    std::string msg =
        "Subject: x\r\nContent-Type: text/plain\r\n\r\nSee the MAKE MONEY FAST offer\r\n";
    EXPECT_EQ(actions_of("require [\"body\", \"fileinto\"];\n"
                         "if body :text :contains \"MAKE MONEY FAST\" { discard; }",
                         msg),
              "discard");
    EXPECT_EQ(actions_of("require [\"body\", \"fileinto\"];\n"
                         "if body :raw :contains \"MAKE MONEY FAST\" { discard; }",
                         msg),
              "discard");
}

TEST(SieveRfcExamples, Rfc5260Date) {
    testing::FakeEnvironment env;
    env.clock = 1700000000;  // Tuesday 2023-11-14 22:13:20 UTC
    testing::Run r = run_script(
        R"(require ["date", "relational", "fileinto"];
if allof(header :is "from" "boss@example.com",
         date :value "ge" :originalzone "date" "hour" "09",
         date :value "lt" :originalzone "date" "hour" "17")
{ fileinto "urgent"; })",
        "From: boss@example.com\r\nDate: Tue, 14 Nov 2023 10:00:00 +0100\r\n\r\nx\r\n", {}, &env);
    EXPECT_EQ(r.summary, "store:urgent");
    testing::Run v = run_script(R"(require ["date", "relational", "vacation"];
if allof(currentdate :value "ge" "date" "2023-11-01",
         currentdate :value "le" "date" "2023-11-30")
{ vacation :days 7 "I'm away during November."; })",
                                testing::kMessage, {}, &env);
    ASSERT_FALSE(v.result.actions.actions().empty());
    EXPECT_EQ(v.result.actions.actions()[0].kind, Action::Kind::vacation);
    // index (§6.2): the last Received header
    EXPECT_EQ(actions_of(R"(require ["date", "index", "fileinto"];
if date :index 1 :last :zone "+0000" "received" "year" "2023" { fileinto "this-year"; })",
                         "Received: from x; Mon, 13 Nov 2023 09:00:00 +0000\r\n\r\nx\r\n"),
              "store:this-year");
}

TEST(SieveRfcExamples, Rfc5490Mailbox) {
    testing::FakeEnvironment env;
    env.mailboxes = {"INBOX", "Partners"};
    testing::Run r = run_script(R"(require ["fileinto", "reject", "mailbox"];
if mailboxexists "Partners" {
   fileinto "Partners";
} else {
   reject "This message was not accepted by the Mailstore";
})",
                                testing::kMessage, {}, &env);
    EXPECT_EQ(r.summary, "store:Partners");
}

TEST(SieveRfcExamples, Rfc6609Include) {
    testing::FakeEnvironment env;
    env.scripts["personal:spam_tests"] = R"(require ["reject"];
if header :contains "Subject" "$$" { reject "Subject looks like spam"; })";
    env.scripts["global:always_allow"] = R"(require ["include", "variables"];
global "test_mailbox";
set "test_mailbox" "Filtered";)";
    testing::Run r = run_script(R"(require ["include", "variables", "fileinto"];
global "test_mailbox";
include :global "always_allow";
include :personal "spam_tests";
fileinto "${test_mailbox}";)",
                                "Subject: $$ cash\r\n\r\nx\r\n", {}, &env);
    EXPECT_FALSE(r.result.ok);  // reject then fileinto conflicts (RFC 5429 §2.1): runtime error
    testing::Run ok = run_script(R"(require ["include", "variables", "fileinto"];
global "test_mailbox";
include :global "always_allow";
include :personal "spam_tests";
fileinto "${test_mailbox}";)",
                                 "Subject: hello\r\n\r\nx\r\n", {}, &env);
    EXPECT_EQ(ok.summary, "store:Filtered");
}

TEST(SieveRfcExamples, Rfc5293Editheader) {
    testing::Run r = run_script(R"(require ["editheader"];
addheader "X-Source" "mail.example.com";
deleteheader :matches "X-Caffeine" "*";)");
    ASSERT_TRUE(r.result.ok);
    EXPECT_EQ(r.result.message.rfind("X-Source: mail.example.com\r\n", 0), 0u);
    EXPECT_EQ(r.result.message.find("X-Caffeine"), std::string::npos);
}

TEST(SieveRfcExamples, Rfc7352Duplicate) {
    testing::FakeEnvironment env;
    std::string script = R"(require ["duplicate", "fileinto", "mailbox"];
if duplicate {
  fileinto :create "Trash/Duplicate";
})";
    EXPECT_EQ(run_script(script, testing::kMessage, {}, &env).summary, "keep:INBOX");
    env.seen.emplace_back("", "<1234@desert.example.org>");
    EXPECT_EQ(run_script(script, testing::kMessage, {}, &env).summary, "store:Trash/Duplicate");
    // :header with :handle, example 3 of §3
    std::string by_header = R"(require ["duplicate", "variables"];
if header :matches "subject" "ALERT: *" {
  if duplicate :seconds 60 :uniqueid "${1}" { discard; }
})";
    EXPECT_EQ(run_script(by_header, "Subject: ALERT: disk full\r\n\r\nx\r\n", {}, &env).summary,
              "keep:INBOX");
}

TEST(SieveRfcExamples, ListMailIsNotAnsweredByVacation) {
    // RFC 5230 §4.6 is decided at delivery (outgoing.h); the action itself is produced.
    EXPECT_EQ(actions_of("require \"vacation\"; vacation \"away\";", kList), "vacation keep:INBOX");
}

}  // namespace
}  // namespace postern::sieve
