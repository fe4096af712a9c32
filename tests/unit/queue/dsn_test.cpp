// DSN builder: the multipart/report structure (RFC 6522), the delivery-status fields (RFC
// 3464 §2), returned content per RET (RFC 3461 §4.3), RFC 6533 types, and that remote text
// cannot inject header fields.
#include "queue/dsn.h"

#include <gtest/gtest.h>

#include "mime/parser.h"

namespace postern::queue {
namespace {

const std::string kOriginal =
    "From: Alice <alice@example.org>\r\nTo: bob@example.net\r\nSubject: Quarterly report\r\n"
    "Message-ID: <1@example.org>\r\n\r\nHello Bob,\r\nthe numbers.\r\n";

DsnMessage sample(DsnKind kind) {
    DsnMessage m;
    m.kind = kind;
    m.reporting_mta = "mx.example.org";
    m.from_address = "MAILER-DAEMON@mx.example.org";
    m.from_name = "Mail Delivery System";
    m.to = "alice@example.org";
    m.subject = "Undelivered Mail Returned to Sender";
    m.text = expand_placeholders(default_dsn_text(kind), {{"reporting_mta", "mx.example.org"},
                                                          {"recipients", "<bob@example.net>"},
                                                          {"subject", "Quarterly report"},
                                                          {"queue_id", "0SXRG3Q1B2C3DE"}});
    m.queue_id = "0SXRG3Q1B2C3DE";
    m.envid = "QQ314159";
    m.received_from = "client.example.org ([192.0.2.7])";
    m.arrival = 1'800'000'000'000;
    m.now = 1'800'000'360'000;
    DsnRecipient r;
    r.final_recipient = "bob@example.net";
    r.original_recipient = "rfc822;Bob@Example.NET";
    r.action = kind == DsnKind::failure ? DsnAction::failed
               : kind == DsnKind::delay ? DsnAction::delayed
                                        : DsnAction::delivered;
    r.status = kind == DsnKind::failure ? "5.1.1" : "";
    r.diagnostic = "smtp; 550 5.1.1 <bob@example.net>: no such user";
    r.remote_mta = "mx1.example.net";
    r.last_attempt = 1'800'000'300'000;
    r.will_retry_until = 1'800'432'000'000;
    m.recipients.push_back(r);
    m.original = kOriginal;
    m.attach = Attach::headers;
    m.message_id = "0SXRG3Q1B2C3DE.1@mx.example.org";
    m.boundary = "=_postern_boundary";
    return m;
}

std::string part_text(const std::string& msg, const mime::Part& p) {
    return msg.substr(p.body_start, p.body_end - p.body_start);
}

TEST(Dsn, FailureReportStructureAndFields) {
    auto m = sample(DsnKind::failure);
    m.original = message_header(kOriginal);
    auto out = build_dsn(m);
    auto parsed = mime::parse_message(out);
    const auto& root = parsed.root();
    ASSERT_EQ(root.kind, mime::PartKind::multipart);
    EXPECT_EQ(root.content_type.type, "multipart");
    EXPECT_EQ(root.content_type.subtype, "report");
    ASSERT_EQ(root.children.size(), 3u);
    const auto& text = parsed.parts[root.children[0]];
    const auto& status = parsed.parts[root.children[1]];
    const auto& returned = parsed.parts[root.children[2]];
    EXPECT_EQ(text.content_type.subtype, "plain");
    EXPECT_EQ(status.content_type.type, "message");
    EXPECT_EQ(status.content_type.subtype, "delivery-status");
    EXPECT_EQ(returned.content_type.subtype, "rfc822-headers");

    auto fields = part_text(out, status);
    for (auto want :
         {"Reporting-MTA: dns; mx.example.org\r\n", "Original-Envelope-Id: QQ314159\r\n",
          "Arrival-Date: ", "Received-From-MTA: dns; client.example.org ([192.0.2.7])\r\n",
          "\r\n\r\nOriginal-Recipient: rfc822; Bob@Example.NET\r\n",
          "Final-Recipient: rfc822; bob@example.net\r\n", "Action: failed\r\n", "Status: 5.1.1\r\n",
          "Remote-MTA: dns; mx1.example.net\r\n",
          "Diagnostic-Code: smtp; 550 5.1.1 <bob@example.net>: no such user\r\n",
          "Last-Attempt-Date: "})
        EXPECT_NE(fields.find(want), std::string::npos) << want << "\n" << fields;
    EXPECT_EQ(fields.find("Will-Retry-Until"), std::string::npos);
    auto human = part_text(out, text);
    EXPECT_NE(human.find("Quarterly report"), std::string::npos);
    EXPECT_NE(human.find("<bob@example.net>"), std::string::npos);
    EXPECT_NE(part_text(out, returned).find("Subject: Quarterly report"), std::string::npos);
    EXPECT_EQ(part_text(out, returned).find("the numbers"), std::string::npos);
    EXPECT_NE(out.find("Auto-Submitted: auto-replied\r\n"), std::string::npos);
    EXPECT_NE(out.find("To: <alice@example.org>\r\n"), std::string::npos);
    // Every line ends in CRLF.
    for (std::size_t i = 0; i < out.size(); ++i) {
        if (out[i] == '\n') {
            ASSERT_TRUE(i > 0 && out[i - 1] == '\r') << i;
        }
    }
}

TEST(Dsn, FullReturnAndDelayAndSuccess) {
    auto m = sample(DsnKind::failure);
    m.attach = Attach::full;
    auto out = build_dsn(m);
    auto parsed = mime::parse_message(out);
    const auto& returned = parsed.parts[parsed.root().children[2]];
    EXPECT_EQ(returned.content_type.type, "message");
    EXPECT_EQ(returned.content_type.subtype, "rfc822");
    EXPECT_NE(part_text(out, returned).find("the numbers"), std::string::npos);

    auto delay = build_dsn(sample(DsnKind::delay));
    EXPECT_NE(delay.find("Action: delayed\r\n"), std::string::npos);
    EXPECT_NE(delay.find("Status: 4.0.0\r\n"), std::string::npos);
    EXPECT_NE(delay.find("Will-Retry-Until: "), std::string::npos);

    auto none = sample(DsnKind::success);
    none.attach = Attach::none;
    auto ok = build_dsn(none);
    EXPECT_NE(ok.find("Action: delivered\r\n"), std::string::npos);
    EXPECT_NE(ok.find("Status: 2.0.0\r\n"), std::string::npos);
    EXPECT_EQ(mime::parse_message(ok).root().children.size(), 2u);
}

TEST(Dsn, InternationalizedUsesGlobalTypes) {
    auto m = sample(DsnKind::failure);
    m.utf8 = true;
    m.recipients[0].final_recipient = "bjørn@exämple.net";
    m.subject = "Zustellung fehlgeschlagen: ä";
    auto out = build_dsn(m);
    EXPECT_NE(out.find("report-type=global-delivery-status"), std::string::npos);
    EXPECT_NE(out.find("Content-Type: message/global-delivery-status"), std::string::npos);
    EXPECT_NE(out.find("Content-Type: message/global-headers"), std::string::npos);
    EXPECT_NE(out.find("Final-Recipient: utf-8; bjørn@exämple.net"), std::string::npos);
    auto ascii = sample(DsnKind::failure);
    ascii.subject = "Zustellung fehlgeschlagen: ä";
    EXPECT_NE(build_dsn(ascii).find("Subject: =?UTF-8?B?"), std::string::npos);
}

TEST(Dsn, RemoteTextCannotInjectFields) {
    auto m = sample(DsnKind::failure);
    m.recipients[0].diagnostic = "550 bad\r\nBcc: victim@example.com\r\n\r\nbody";
    m.to = "alice@example.org>\r\nBcc: <x@y";
    auto out = build_dsn(m);
    EXPECT_EQ(out.find("\r\nBcc:"), std::string::npos);
    EXPECT_NE(out.find("Diagnostic-Code: smtp; 550 bad  Bcc: victim@example.com"),
              std::string::npos);
    // Long diagnostics are folded, not cut.
    m.recipients[0].diagnostic =
        "smtp; 451 " + std::string(300, 'x') + " " + std::string(50, 'y') + " end";
    out = build_dsn(m);
    EXPECT_NE(out.find(" end\r\n"), std::string::npos);
    EXPECT_NE(out.find("\r\n " + std::string(50, 'y')), std::string::npos);
}

TEST(Dsn, DiagnosticTypesAndPlaceholders) {
    auto m = sample(DsnKind::failure);
    m.recipients[0].diagnostic = "mailbox full";
    EXPECT_NE(build_dsn(m).find("Diagnostic-Code: X-Postern; mailbox full"), std::string::npos);
    m.recipients[0].diagnostic = "452 4.2.2 over quota";
    EXPECT_NE(build_dsn(m).find("Diagnostic-Code: smtp; 452 4.2.2 over quota"), std::string::npos);
    EXPECT_EQ(expand_placeholders("{a} and {b} and {unknown}", {{"a", "1"}, {"b", "2"}}),
              "1 and 2 and {unknown}");
    EXPECT_EQ(expand_placeholders("unclosed {a", {{"a", "1"}}), "unclosed {a");
    EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(message_header("Subject: x\r\n\r\nbody"), "Subject: x\r\n\r\n");
    EXPECT_EQ(message_header("Subject: no body"), "Subject: no body");
}

}  // namespace
}  // namespace postern::queue
