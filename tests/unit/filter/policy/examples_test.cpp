// Every script under docs/examples/policy/ loads without warnings and does what docs/policy.md
// says it does.
#include <filesystem>

#include <gtest/gtest.h>

#include "base/fs.h"
#include "policy_test_util.h"

namespace postern::filter::policy {
namespace {

using namespace testing;

const std::filesystem::path kExamples =
    std::filesystem::path(POSTERN_SOURCE_DIR) / "docs" / "examples" / "policy";

std::shared_ptr<const PolicyScript> example(const std::string& name,
                                            PolicyLimits limits = test_limits()) {
    auto script = PolicyScript::load_file(kExamples / name, limits);
    EXPECT_TRUE(script) << name << ": " << (script ? "" : script.error().message);
    if (!script)
        return nullptr;
    EXPECT_TRUE((*script)->warnings().empty()) << name << ": " << (*script)->warnings().front();
    return *script;
}

TEST(PolicyExamples, AllLoad) {
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(kExamples)) {
        if (entry.path().extension() != ".lua")
            continue;
        ++n;
        EXPECT_TRUE(example(entry.path().filename().string())) << entry.path();
    }
    EXPECT_GE(n, 5);
}

TEST(PolicyExamples, SenderDomains) {
    auto script = example("sender_domains.lua");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.envelope.mail_from = "x@spam.example";
    auto d = run(*script, Event::mail_from, c).decision;
    EXPECT_EQ(d.verdict, Verdict::reject);
    EXPECT_EQ(d.code, 550);
    EXPECT_EQ(d.text, "Mail from spam.example is not accepted here");
    EXPECT_EQ(d.log_lines, std::vector<std::string>{"refusing sender domain spam.example"});
    c.envelope.mail_from = "y@partner.example";
    d = run(*script, Event::mail_from, c).decision;
    EXPECT_EQ(d.verdict, Verdict::accept);
    EXPECT_EQ(d.text, "Emails accepted from domain partner.example");
    c.envelope.mail_from = "";
    EXPECT_EQ(run(*script, Event::mail_from, c).decision.verdict, Verdict::none);
    c.envelope.mail_from = "z@other.example";
    EXPECT_EQ(run(*script, Event::mail_from, c).decision.verdict, Verdict::none);
}

TEST(PolicyExamples, HeloDelay) {
    auto text = read_file(kExamples / "helo_delay.lua");
    ASSERT_TRUE(text);
    PolicyLimits one = test_limits();
    one.states = 1;  // the first-seen table lives in the interpreter
    auto script = example("helo_delay.lua", one);
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.connection.helo = "bot";
    c.connection.reverse_dns = "";
    PolicyVars vars;
    LogCapture log;
    auto d = script->run(Event::rcpt_to, c, vars, log.logger);
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    EXPECT_EQ(d.code, 451);
    EXPECT_EQ(d.text, "Greylisted, please try again later");
    d = script->run(Event::rcpt_to, c, vars, log.logger);  // retried too soon
    EXPECT_EQ(d.verdict, Verdict::tempfail);

    // A known HELO, a reverse DNS name or authentication pass at once.
    auto good = c;
    good.connection.helo = "mail.example.net";
    EXPECT_EQ(script->run(Event::rcpt_to, good, vars, log.logger).verdict, Verdict::none);
    auto named = c;
    named.connection.reverse_dns = "host.example.net";
    EXPECT_EQ(script->run(Event::rcpt_to, named, vars, log.logger).verdict, Verdict::none);
    auto authed = c;
    authed.connection.auth_user = "bob@example.org";
    EXPECT_EQ(script->run(Event::rcpt_to, authed, vars, log.logger).verdict, Verdict::none);
    auto literal = c;
    literal.connection.helo = "[192.0.2.7]";
    EXPECT_EQ(script->run(Event::rcpt_to, literal, vars, log.logger).verdict, Verdict::tempfail);

    // The same script with no delay lets the retry through.
    std::string no_delay = *text;
    auto at = no_delay.find("local DELAY = 300");
    ASSERT_NE(at, std::string::npos);
    no_delay.replace(at, 17, "local DELAY = 0");
    auto quick = load(no_delay, one);
    ASSERT_TRUE(quick);
    EXPECT_EQ(quick->run(Event::rcpt_to, c, vars, log.logger).verdict, Verdict::tempfail);
    EXPECT_EQ(quick->run(Event::rcpt_to, c, vars, log.logger).verdict, Verdict::none);
}

TEST(PolicyExamples, AuthHeader) {
    auto script = example("auth_header.lua");
    ASSERT_TRUE(script);
    auto c = sample_context();
    auto d = run(*script, Event::data_received, c).decision;
    ASSERT_EQ(d.header_changes.size(), 1u);
    EXPECT_EQ(d.header_changes[0],
              (HeaderChange{HeaderChange::Kind::remove, "X-Authenticated-User", ""}));
    c.connection.auth_user = "bob@example.org";
    d = run(*script, Event::data_received, c).decision;
    ASSERT_EQ(d.header_changes.size(), 2u);
    EXPECT_EQ(d.header_changes[1],
              (HeaderChange{HeaderChange::Kind::add, "X-Authenticated-User", "bob@example.org"}));
}

TEST(PolicyExamples, Smarthost) {
    auto script = example("smarthost.lua");
    ASSERT_TRUE(script);
    auto c = sample_context();
    c.delivery = DeliveryInfo{"partner.example",      {"p@partner.example"}, "", 0, "", 0,
                              std::chrono::seconds(0)};
    auto d = run(*script, Event::relay, c).decision;
    ASSERT_TRUE(d.relay);
    EXPECT_EQ(*d.relay, (RelayRoute{"relay.partner.example", 2525, RelayTls::required}));
    c.delivery.domain = "maintenance.example";
    d = run(*script, Event::relay, c).decision;
    EXPECT_EQ(d.verdict, Verdict::tempfail);
    EXPECT_EQ(d.text, "Deliveries to maintenance.example are paused");
    c.delivery.domain = "elsewhere.example";
    d = run(*script, Event::relay, c).decision;
    EXPECT_EQ(d.verdict, Verdict::none);
    EXPECT_FALSE(d.relay);

    c.delivery.remote_host = "mx.elsewhere.example";
    c.delivery.reply_code = 550;
    c.delivery.reply_text = "5.1.1 no such user";
    d = run(*script, Event::delivery_failure, c).decision;
    ASSERT_TRUE(d.ndr_text);
    EXPECT_NE(d.ndr_text->find("p@partner.example"), std::string::npos);
    EXPECT_NE(d.ndr_text->find("mx.elsewhere.example answered: 5.1.1 no such user"),
              std::string::npos);
    c.delivery.queued_for = std::chrono::hours(2);
    EXPECT_EQ(run(*script, Event::temporary_delivery_failure, c).decision.verdict,
              Verdict::discard);
    c.delivery.queued_for = std::chrono::hours(30);
    EXPECT_EQ(run(*script, Event::temporary_delivery_failure, c).decision.verdict, Verdict::none);
}

TEST(PolicyExamples, Archive) {
    auto script = example("archive.lua");
    ASSERT_TRUE(script);
    auto c = sample_context();
    PolicyVars vars;
    LogCapture log;
    script->run(Event::mail_from, c, vars, log.logger);
    c.recipient = Recipient{"sales-eu@example.org", RecipientKind::group};
    script->run(Event::rcpt_to, c, vars, log.logger);
    auto d = script->run(Event::data_received, c, vars, log.logger);
    ASSERT_EQ(d.recipient_changes.size(), 1u);
    EXPECT_EQ(d.recipient_changes[0].address, "archive@example.org");
    EXPECT_TRUE(d.header_changes.empty());
    // The next transaction of the session starts afresh.
    script->run(Event::mail_from, c, vars, log.logger);
    c.recipient = Recipient{"bob@example.org", RecipientKind::account};
    script->run(Event::rcpt_to, c, vars, log.logger);
    c.message_size = 12 * 1024 * 1024;
    d = script->run(Event::data_received, c, vars, log.logger);
    EXPECT_TRUE(d.recipient_changes.empty());
    ASSERT_EQ(d.header_changes.size(), 1u);
    EXPECT_EQ(d.header_changes[0].value, "12.0 MiB");
}

}  // namespace
}  // namespace postern::filter::policy
