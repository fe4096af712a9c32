// The command table's rules (greeting, TLS, AUTH, pipelining, STARTTLS discarding) and the
// transaction order (MAIL/RCPT/DATA/BDAT, recipients limit, SMTPUTF8, LMTP).
#include "proto/smtp/command_table.h"

#include <gtest/gtest.h>

#include "proto/smtp/test_util.h"
#include "proto/smtp/transaction.h"

namespace postern::proto::smtp {
namespace {

using testing::code_of;

std::string check(Verb v, const SessionFacts& f, const Extensions& e) {
    auto r = check_command(v, f, e);
    return r ? code_of(*r) : "ok";
}

TEST(CommandTable, OneRowPerVerbInOrder) {
    auto table = command_table();
    ASSERT_EQ(table.size(), kVerbCount);
    for (std::size_t i = 0; i < table.size(); ++i) {
        EXPECT_EQ(static_cast<std::size_t>(table[i].verb), i);
        EXPECT_EQ(table[i].name, verb_name(table[i].verb));
        EXPECT_FALSE(table[i].why.empty());
    }
}

TEST(CommandTable, GreetingFirst) {
    Extensions ext;
    ext.auth_mechanisms = {"PLAIN"};
    ext.starttls = true;
    SessionFacts f;  // nothing yet
    struct Case {
        Verb verb;
        const char* expected;
    };
    const Case cases[] = {
        {Verb::ehlo, "ok"},
        {Verb::helo, "ok"},
        {Verb::noop, "ok"},
        {Verb::rset, "ok"},
        {Verb::quit, "ok"},
        {Verb::help, "ok"},
        {Verb::vrfy, "252 2.0.0"},
        {Verb::mail, "503 5.5.1"},
        {Verb::rcpt, "503 5.5.1"},
        {Verb::data, "503 5.5.1"},
        {Verb::bdat, "503 5.5.1"},
        {Verb::auth, "503 5.5.1"},
        {Verb::starttls, "503 5.5.1"},
    };
    for (const auto& c : cases)
        EXPECT_EQ(check(c.verb, f, ext), c.expected) << verb_name(c.verb);
}

TEST(CommandTable, TlsRequired) {
    Extensions ext;
    ext.starttls = true;
    ext.auth_mechanisms = {"PLAIN"};
    SessionFacts f{.greeted = true, .tls_required = true};
    // RFC 3207 §4: only NOOP, EHLO, STARTTLS and QUIT before TLS.
    for (Verb v : {Verb::ehlo, Verb::helo, Verb::noop, Verb::quit, Verb::starttls}) {
        EXPECT_EQ(check(v, f, ext), "ok") << verb_name(v);
    }
    for (Verb v : {Verb::mail, Verb::rcpt, Verb::data, Verb::bdat, Verb::auth, Verb::vrfy,
                   Verb::expn, Verb::help, Verb::rset}) {
        EXPECT_EQ(check(v, f, ext), "530 5.7.0") << verb_name(v);
    }
    f.tls_active = true;
    ext.starttls = false;
    EXPECT_EQ(check(Verb::mail, f, ext), "ok");
    EXPECT_EQ(check(Verb::starttls, f, ext), "503 5.5.1");  // TLS already active
}

TEST(CommandTable, AuthRequired) {
    Extensions ext;
    ext.auth_mechanisms = {"PLAIN"};
    ext.starttls = true;
    SessionFacts f{.greeted = true, .auth_required = true};
    // RFC 4954 §6: AUTH, EHLO, HELO, NOOP, RSET, QUIT (and STARTTLS) before authentication.
    for (Verb v :
         {Verb::auth, Verb::ehlo, Verb::helo, Verb::noop, Verb::rset, Verb::quit, Verb::starttls}) {
        EXPECT_EQ(check(v, f, ext), "ok") << verb_name(v);
    }
    for (Verb v : {Verb::mail, Verb::rcpt, Verb::data, Verb::bdat, Verb::vrfy, Verb::help}) {
        EXPECT_EQ(check(v, f, ext), "530 5.7.0") << verb_name(v);
    }
    f.authenticated = true;
    EXPECT_EQ(check(Verb::mail, f, ext), "ok");
    EXPECT_EQ(check(Verb::auth, f, ext), "503 5.5.1");  // already authenticated
}

TEST(CommandTable, VerbConditions) {
    SessionFacts f{.greeted = true};
    Extensions ext;  // no STARTTLS, no AUTH, CHUNKING on, VRFY/EXPN off
    EXPECT_EQ(check(Verb::starttls, f, ext), "502 5.5.1");
    EXPECT_EQ(check(Verb::auth, f, ext), "503 5.5.1");
    EXPECT_EQ(check(Verb::bdat, f, ext), "ok");
    EXPECT_EQ(check(Verb::vrfy, f, ext), "252 2.0.0");
    EXPECT_EQ(check(Verb::expn, f, ext), "502 5.5.1");
    ext.chunking = false;
    ext.vrfy = ext.expn = true;
    ext.help = false;
    EXPECT_EQ(check(Verb::bdat, f, ext), "502 5.5.1");
    EXPECT_EQ(check(Verb::vrfy, f, ext), "ok");
    EXPECT_EQ(check(Verb::expn, f, ext), "ok");
    EXPECT_EQ(check(Verb::help, f, ext), "502 5.5.1");
    // AUTH and STARTTLS are not allowed inside a transaction (RFC 4954 §4).
    ext.auth_mechanisms = {"PLAIN"};
    ext.starttls = true;
    f.in_transaction = true;
    EXPECT_EQ(check(Verb::auth, f, ext), "503 5.5.1");
    EXPECT_EQ(check(Verb::starttls, f, ext), "503 5.5.1");
    EXPECT_EQ(check(Verb::rcpt, f, ext), "ok");
}

TEST(CommandTable, AcceptCommandKeepsTheBdatChunkSize) {
    ParserOptions o;
    o.extensions.chunking = false;
    SessionFacts f{.greeted = true};
    auto r = accept_command("BDAT 512 LAST", o, f);
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error().reply), "502 5.5.1");
    EXPECT_EQ(r.error().discard_octets, 512u);
    EXPECT_FALSE(r.error().close_connection);

    auto before = accept_command("MAIL FROM:<a@b.example>", o, SessionFacts{});
    ASSERT_FALSE(before);
    EXPECT_EQ(code_of(before.error().reply), "503 5.5.1");
    EXPECT_EQ(before.error().verb, Verb::mail);
    EXPECT_TRUE(accept_command("MAIL FROM:<a@b.example>", o, f));
}

TEST(Pipelining, GroupEndsAndStartTls) {
    struct Case {
        Verb verb;
        bool buffered;
        bool offered;
        PipelineAction expected;
    };
    using A = PipelineAction;
    const Case cases[] = {
        // STARTTLS always discards, buffered or not (the session clears after the 220).
        {Verb::starttls, true, true, A::discard_input},
        {Verb::starttls, false, true, A::discard_input},
        {Verb::starttls, true, false, A::discard_input},
        // RFC 2920 §3.1: these end a group.
        {Verb::ehlo, true, true, A::out_of_sync},
        {Verb::helo, true, true, A::out_of_sync},
        {Verb::data, true, true, A::out_of_sync},
        {Verb::vrfy, true, true, A::out_of_sync},
        {Verb::expn, true, true, A::out_of_sync},
        {Verb::quit, true, true, A::out_of_sync},
        {Verb::noop, true, true, A::out_of_sync},
        {Verb::auth, true, true, A::out_of_sync},
        {Verb::ehlo, false, true, A::proceed},
        // These may be followed by more commands when PIPELINING was offered.
        {Verb::mail, true, true, A::proceed},
        {Verb::rcpt, true, true, A::proceed},
        {Verb::rset, true, true, A::proceed},
        {Verb::bdat, true, true, A::proceed},
        // Without PIPELINING, nothing may be sent ahead.
        {Verb::mail, true, false, A::out_of_sync},
        {Verb::rcpt, true, false, A::out_of_sync},
        {Verb::mail, false, false, A::proceed},
    };
    for (const auto& c : cases) {
        EXPECT_EQ(pipelining_rule(c.verb, c.buffered, c.offered), c.expected)
            << verb_name(c.verb) << " buffered=" << c.buffered << " offered=" << c.offered;
    }
}

MailFrom mail_from(bool smtputf8 = false, Body body = Body::unspecified) {
    MailFrom m;
    m.sender = Mailbox{"a", "example.org"};
    m.smtputf8 = smtputf8;
    m.body = body;
    return m;
}

RcptTo rcpt_to(std::string local = "b") {
    return RcptTo{Mailbox{std::move(local), "example.net"}};
}

TEST(Transaction, DataOrder) {
    Transaction t(Dialect::smtp, 100);
    EXPECT_EQ(code_of(*t.check_rcpt(rcpt_to())), "503 5.5.1");  // need MAIL
    EXPECT_EQ(code_of(*t.check_data()), "503 5.5.1");
    EXPECT_FALSE(t.check_mail(mail_from()));
    t.mail_accepted(mail_from());
    EXPECT_TRUE(t.active());
    EXPECT_EQ(code_of(*t.check_mail(mail_from())), "503 5.5.1");  // nested MAIL
    EXPECT_EQ(code_of(*t.check_data()), "554 5.5.1");             // no valid recipients
    EXPECT_FALSE(t.check_rcpt(rcpt_to()));
    t.rcpt_accepted();
    EXPECT_FALSE(t.check_data());
    t.reset();
    EXPECT_FALSE(t.active());
    EXPECT_EQ(t.recipients(), 0u);
}

TEST(Transaction, LmtpDataWithoutRecipientsIs503) {
    Transaction t(Dialect::lmtp, 100);
    t.mail_accepted(mail_from());
    EXPECT_EQ(code_of(*t.check_data()), "503 5.5.1");  // RFC 2033 §4.2
    EXPECT_EQ(code_of(*t.check_bdat(Bdat{1, true})), "503 5.5.1");
}

TEST(Transaction, TenThousandRecipients) {
    Transaction t(Dialect::smtp, 1000);
    t.mail_accepted(mail_from());
    std::size_t refused = 0;
    for (int i = 0; i < 10000; ++i) {
        if (auto r = t.check_rcpt(rcpt_to())) {
            EXPECT_EQ(code_of(*r), "452 4.5.3");
            ++refused;
        } else {
            t.rcpt_accepted();
        }
    }
    EXPECT_EQ(t.recipients(), 1000u);
    EXPECT_EQ(refused, 9000u);
}

TEST(Transaction, Utf8RecipientsNeedSmtputf8OnMail) {
    Transaction t(Dialect::smtp, 0);
    t.mail_accepted(mail_from(false));
    EXPECT_EQ(code_of(*t.check_rcpt(rcpt_to("j\xC3\xB6rg"))), "553 5.6.7");
    t.reset();
    t.mail_accepted(mail_from(true));
    EXPECT_FALSE(t.check_rcpt(rcpt_to("j\xC3\xB6rg")));
}

TEST(Transaction, BdatAndDataDoNotMix) {
    Transaction t(Dialect::smtp, 0);
    t.mail_accepted(mail_from());
    EXPECT_EQ(code_of(*t.check_bdat(Bdat{10, false})), "554 5.5.1");  // no recipients
    t.rcpt_accepted();
    EXPECT_FALSE(t.check_bdat(Bdat{10, false}));
    t.chunk_accepted(Bdat{10, false});
    EXPECT_TRUE(t.chunking());
    EXPECT_EQ(code_of(*t.check_data()), "503 5.5.1");           // DATA after BDAT
    EXPECT_EQ(code_of(*t.check_rcpt(rcpt_to())), "503 5.5.1");  // RCPT after BDAT
    EXPECT_FALSE(t.check_bdat(Bdat{5, true}));
    t.chunk_accepted(Bdat{5, true});
    EXPECT_EQ(t.chunks(), 2u);
    t.reset();                                                      // after the final reply
    EXPECT_EQ(code_of(*t.check_bdat(Bdat{1, true})), "503 5.5.1");  // BDAT after LAST

    // BODY=BINARYMIME needs BDAT (RFC 3030 §3).
    t.mail_accepted(mail_from(false, Body::binary_mime));
    t.rcpt_accepted();
    EXPECT_EQ(code_of(*t.check_data()), "503 5.5.1");
    EXPECT_FALSE(t.check_bdat(Bdat{1, true}));
    EXPECT_EQ(t.body(), Body::binary_mime);
}

}  // namespace
}  // namespace postern::proto::smtp
