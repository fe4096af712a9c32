// enotify (RFC 5435) with mailto (RFC 5436): the mailto URI parser (RFC 6068) on valid and
// hostile input, fed whole; notify's compile and run checks, valid_notify_method,
// notify_method_capability, :encodeurl, the generated notification and its loop protection.
#include "filter/sieve/enotify.h"

#include <gtest/gtest.h>

#include "filter/sieve/outgoing.h"
#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::compile_error;
using testing::run_script;

TEST(SieveEnotify, MailtoParser) {
    std::string error;
    auto m = parse_mailto(
        "mailto:alm@example.com%2Cbob@example.org?subject=Hi%20there&body=Line%0D%0Atwo&"
        "to=carol@example.net&keywords=x",
        &error);
    ASSERT_TRUE(m) << error;
    EXPECT_EQ(m->to, (std::vector<std::string>{"alm@example.com", "bob@example.org",
                                               "carol@example.net"}));
    ASSERT_EQ(m->headers.size(), 2u);
    EXPECT_EQ(m->headers[0].first, "subject");
    EXPECT_EQ(m->headers[0].second, "Hi there");
    EXPECT_EQ(m->body, "Line\r\ntwo");
    EXPECT_TRUE(parse_mailto("MAILTO:a@b.example", &error));
    EXPECT_TRUE(parse_mailto("mailto:?to=a@b.example", &error));
}

TEST(SieveEnotify, MailtoParserRejectsHostileInput) {
    for (const char* bad :
         {"mailto:", "mailto:stephan@example.org;?header=frop",
          "mailto:stephan@example.org?header<=frop", "mailto:stephan@example.org?header=fr>op",
          "mailto:stephan@example.org?header:=frop", "mailto:stephan%23example.org",
          "mailto:stephan@example.org?to=nico%23frop.example.org", "mailto:a@b.example?x",
          "mailto:a@b.example?subject=a%0Ab", "mailto:a@b.example%", "mailto:a@b.example%4",
          "mailto:a@b.example%zz", "mailto:a%00@b.example", "mailto:a b@c.example",
          "mailto:<a@b.example>", "snailto:a@b.example", "a@b.example", ":a@b.example"}) {
        std::string error;
        EXPECT_FALSE(parse_mailto(bad, &error)) << bad;
        EXPECT_FALSE(error.empty()) << bad;
    }
    std::string many = "mailto:";
    for (int i = 0; i < 20; ++i)
        many += (i ? "," : "") + std::string("u") + std::to_string(i) + "@example.org";
    EXPECT_FALSE(parse_mailto(many, nullptr));
    std::string fields = "mailto:a@b.example?";
    for (int i = 0; i < 40; ++i)
        fields += "x" + std::to_string(i) + "=y&";
    EXPECT_FALSE(parse_mailto(fields, nullptr));
    EXPECT_FALSE(parse_mailto("mailto:a@b.example?subject=" + std::string(10000, 'a'), nullptr));
    EXPECT_EQ(check_notify_uri("xmpp:romeo@example.net"), "unsupported notification method 'xmpp'");
    EXPECT_TRUE(valid_notify_option("foo=bar"));
    for (const char* bad : {"", "frop", "_frop=", "=frop", "frop=frml\nfrop", "1x=y"})
        EXPECT_FALSE(valid_notify_option(bad)) << bad;
}

TEST(SieveEnotify, CompileErrors) {
    const std::string req = "require \"enotify\";\n";
    EXPECT_NE(compile_error(req + "notify \"snailto:a@b.example\";").find("unsupported"),
              std::string::npos);
    EXPECT_NE(compile_error(req + "notify \"mailto:a%23b.example\";").find("mailto"),
              std::string::npos);
    EXPECT_NE(compile_error(req + "notify :from \"a#b\" \"mailto:a@b.example\";").find(":from"),
              std::string::npos);
    EXPECT_NE(
        compile_error(req + "notify :importance \"4\" \"mailto:a@b.example\";").find(":importance"),
        std::string::npos);
    EXPECT_NE(compile_error(req + "notify :options \"x\" \"mailto:a@b.example\";").find(":options"),
              std::string::npos);
    EXPECT_NE(compile_error("notify \"mailto:a@b.example\";").find("enotify"), std::string::npos);
}

TEST(SieveEnotify, TestsAndActions) {
    auto holds = [](const std::string& test) { return testing::holds(",\"enotify\"", test); };
    EXPECT_TRUE(holds("valid_notify_method \"mailto:a@b.example\""));
    EXPECT_FALSE(holds("valid_notify_method [\"mailto:a@b.example\", \"tel:+1555\"]"));
    EXPECT_TRUE(holds("notify_method_capability \"mailto:a@b.example\" \"Online\" \"maybe\""));
    EXPECT_FALSE(holds("notify_method_capability \"mailto:a@b.example\" \"online\" \"yes\""));
    EXPECT_FALSE(holds("notify_method_capability \"tel:1\" \"online\" \"maybe\""));
    // RFC 5435 §3.9 example 6 (with :encodeurl): the body parameter stays one parameter.
    auto r = run_script(
        "require [\"enotify\", \"variables\"];\n"
        "set :encodeurl \"body_param\" \"Safe body&evil=evilbody\";\n"
        "notify \"mailto:tim@example.com?body=${body_param}\";\n");
    ASSERT_TRUE(r.result.ok) << r.result.errors[0];
    ASSERT_EQ(r.result.actions.actions().size(), 2u);  // notify, implicit keep
    const auto& n = r.result.actions.actions()[0];
    EXPECT_EQ(n.kind, Action::Kind::notify);
    auto uri = parse_mailto(n.notify.method, nullptr);
    ASSERT_TRUE(uri);
    EXPECT_EQ(uri->body, "Safe body&evil=evilbody");
    // A URI from a variable that is bad: runtime error.
    r = run_script(
        "require [\"enotify\", \"variables\"]; set \"u\" \"mailto:x\";\n"
        "notify \"${u}\";");
    EXPECT_FALSE(r.result.ok);
    // Limit on notifications per run; identical ones count once.
    std::string many = "require \"enotify\";\n";
    for (int i = 0; i < 9; ++i)
        many += "notify \"mailto:u" + std::to_string(i) + "@example.org\";\n";
    EXPECT_FALSE(run_script(many).result.ok);
    r = run_script(
        "require \"enotify\";\nnotify \"mailto:a@b.example\";\n"
        "notify \"mailto:a@b.example\";\n");
    EXPECT_EQ(r.summary, "notify keep:INBOX");
}

TEST(SieveEnotify, NotificationMessage) {
    NotifyAction n;
    n.method = "mailto:alm@example.com,bob@example.org?subject=Important&x-evil=1";
    n.importance = "1";
    n.message = "This is probably very important";
    SieveMessage m(testing::kMessage);
    Envelope e{"coyote@desert.example.org", "roadrunner@acme.example.com", "", ""};
    GenerateContext c;
    c.hostname = "mx.example.com";
    c.now = 1700000000;
    auto out = build_notification(n, m, e, c);
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out[0].envelope_to, "alm@example.com");
    EXPECT_EQ(out[1].envelope_to, "bob@example.org");
    EXPECT_EQ(out[0].envelope_from, "");
    EXPECT_TRUE(out[0].redirect);  // sent once the delivery is settled, like a redirect
    const std::string& raw = out[0].raw;
    EXPECT_NE(raw.find("From: <roadrunner@acme.example.com>\r\n"), std::string::npos);
    EXPECT_NE(raw.find("Subject: Important\r\n"), std::string::npos);
    EXPECT_NE(raw.find("Auto-Submitted: auto-notified\r\n"), std::string::npos);
    EXPECT_NE(raw.find("Importance: High\r\n"), std::string::npos);
    EXPECT_EQ(raw.find("x-evil"), std::string::npos);
    EXPECT_NE(raw.find("\r\n\r\nThis is probably very important\r\n"), std::string::npos);
    // Loop protection: no notification about automatic mail.
    EXPECT_EQ(notification_skip_reason(m), "");
    SieveMessage automatic("Auto-Submitted: auto-notified\r\nSubject: x\r\n\r\nx\r\n");
    EXPECT_NE(notification_skip_reason(automatic), "");
    SieveMessage manual("Auto-Submitted: no\r\nSubject: x\r\n\r\nx\r\n");
    EXPECT_EQ(notification_skip_reason(manual), "");
}

}  // namespace
}  // namespace postern::sieve
