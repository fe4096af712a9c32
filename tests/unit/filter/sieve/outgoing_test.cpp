// Generated mail: vacation reply rules and text (RFC 5230 §4.5-§4.6, §5; RFC 3834), the reject
// MDN (RFC 5429 §2.1), the redirect copy and its loop marker.
#include "filter/sieve/outgoing.h"

#include <gtest/gtest.h>

namespace postern::sieve {
namespace {

const char* kMail =
    "From: Carol <carol@remote.test>\r\nTo: alice@example.test\r\nSubject: Lunch?\r\n"
    "Message-ID: <m1@remote.test>\r\nReferences: <m0@remote.test>\r\n\r\nHello\r\n";

Envelope env(std::string from = "carol@remote.test") {
    return {std::move(from), "alice@example.test", "", ""};
}

std::string skip(const std::string& headers, Envelope e = env(), VacationAction v = {}) {
    SieveMessage m(headers + "\r\nbody\r\n");
    return vacation_skip_reason(v, m, e);
}

TEST(SieveOutgoing, VacationIsNotSentToAutomaticOrListMail) {
    std::string base = "From: carol@remote.test\r\nTo: alice@example.test\r\n";
    EXPECT_EQ(skip(base), "");
    EXPECT_NE(skip(base, env("")), "");
    EXPECT_NE(skip(base, env("MAILER-DAEMON@remote.test")), "");
    EXPECT_NE(skip(base, env("owner-list@remote.test")), "");
    EXPECT_NE(skip(base, env("list-request@remote.test")), "");
    EXPECT_NE(skip(base, env("list-bounces+alice=example.test@remote.test")), "");
    EXPECT_NE(skip(base + "Auto-Submitted: auto-replied\r\n"), "");
    EXPECT_EQ(skip(base + "Auto-Submitted: no\r\n"), "");
    EXPECT_NE(skip(base + "Precedence: bulk\r\n"), "");
    EXPECT_NE(skip(base + "List-Id: <l.remote.test>\r\n"), "");
    EXPECT_NE(skip(base, env("alice@example.test")), "");  // from myself
    // not addressed to me (Bcc'd or via a list): no reply unless :addresses names the To
    EXPECT_NE(skip("From: carol@remote.test\r\nTo: team@example.test\r\n"), "");
    VacationAction v;
    v.addresses = {"team@example.test"};
    EXPECT_EQ(skip("From: carol@remote.test\r\nTo: team@example.test\r\n", env(), v), "");
}

TEST(SieveOutgoing, VacationReplyText) {
    VacationAction v;
    v.reason = "I am away.\nBack Monday.";
    GenerateContext c;
    c.hostname = "mx.example.test";
    c.now = 1700000000;
    c.unique = "u1";
    SieveMessage m(kMail);
    OutgoingMessage r = build_vacation_reply(v, m, env(), c);
    EXPECT_EQ(r.envelope_from, "");
    EXPECT_EQ(r.envelope_to, "carol@remote.test");
    EXPECT_NE(r.raw.find("From: alice@example.test\r\n"), std::string::npos);
    EXPECT_NE(r.raw.find("To: <carol@remote.test>\r\n"), std::string::npos);
    EXPECT_NE(r.raw.find("Subject: Auto: Lunch?\r\n"), std::string::npos);
    EXPECT_NE(r.raw.find("In-Reply-To: <m1@remote.test>\r\n"), std::string::npos);
    EXPECT_NE(r.raw.find("References: <m0@remote.test> <m1@remote.test>\r\n"), std::string::npos);
    EXPECT_NE(r.raw.find("Auto-Submitted: auto-replied"), std::string::npos);
    EXPECT_NE(r.raw.find("\r\n\r\nI am away.\r\nBack Monday.\r\n"), std::string::npos);
    v.subject = "Abwesend: Grüße";
    v.from = "Alice <alice@example.test>";
    OutgoingMessage s = build_vacation_reply(v, m, env(), c);
    EXPECT_NE(s.raw.find("Subject: =?UTF-8?B?"), std::string::npos);
    EXPECT_NE(s.raw.find("From: Alice <alice@example.test>\r\n"), std::string::npos);
    EXPECT_NE(vacation_tracking_key(v, "Carol@Remote.test"),
              vacation_tracking_key(v, "dave@remote.test"));
    EXPECT_EQ(vacation_tracking_key(v, "Carol@Remote.test"),
              vacation_tracking_key(v, "<carol@remote.test>"));
}

TEST(SieveOutgoing, RejectMdn) {
    GenerateContext c;
    c.hostname = "mx.example.test";
    c.now = 1700000000;
    SieveMessage m(kMail);
    auto mdn = build_reject_mdn("Not wanted.", m, env(), c);
    ASSERT_TRUE(mdn);
    EXPECT_EQ(mdn->envelope_from, "");
    EXPECT_EQ(mdn->envelope_to, "carol@remote.test");
    EXPECT_NE(mdn->raw.find("report-type=disposition-notification"), std::string::npos);
    EXPECT_NE(mdn->raw.find("Disposition: automatic-action/MDN-sent-automatically; deleted"),
              std::string::npos);
    EXPECT_NE(mdn->raw.find("Final-Recipient: rfc822; alice@example.test"), std::string::npos);
    EXPECT_NE(mdn->raw.find("Not wanted."), std::string::npos);
    EXPECT_FALSE(build_reject_mdn("x", m, env(""), c));  // never to the null sender
}

TEST(SieveOutgoing, RedirectCarriesTheLoopMarker) {
    SieveMessage m(kMail);
    OutgoingMessage r = build_redirect("bob@example.test", m, env());
    EXPECT_EQ(r.envelope_from, "carol@remote.test");
    EXPECT_EQ(r.envelope_to, "bob@example.test");
    EXPECT_EQ(r.raw.rfind("X-Postern-Sieve-Redirect: alice@example.test\r\nFrom: Carol", 0), 0u);
    SieveMessage again(r.raw);
    EXPECT_TRUE(redirect_loops(again, "alice@example.test"));
    EXPECT_TRUE(redirect_loops(again, "ALICE@example.test"));
    EXPECT_FALSE(redirect_loops(again, "bob@example.test"));
    EXPECT_FALSE(redirect_loops(m, "alice@example.test"));
}

}  // namespace
}  // namespace postern::sieve
