// The pure parts: event table, validators, decision helpers (describe, apply changes), limits.
#include "filter/policy/validate.h"

#include <gtest/gtest.h>

#include "filter/policy/event.h"
#include "filter/policy/limits.h"

namespace postern::filter::policy {
namespace {

TEST(PolicyEvents, NamesRoundTrip) {
    for (Event e : kAllEvents)
        EXPECT_EQ(event_from_function_name(event_function_name(e)), e);
    EXPECT_EQ(event_function_name(Event::rcpt_to), "onRcptTo");
    EXPECT_EQ(event_function_name(Event::temporary_delivery_failure), "onTemporaryDeliveryFailure");
    EXPECT_FALSE(event_from_function_name("onRcpt"));
}

TEST(PolicyEvents, OperationTable) {
    EXPECT_TRUE(event_allows(Event::connect, Operation::refuse));
    EXPECT_FALSE(event_allows(Event::connect, Operation::headers));
    EXPECT_FALSE(event_allows(Event::ehlo, Operation::discard));
    EXPECT_TRUE(event_allows(Event::rcpt_to, Operation::recipients));
    EXPECT_TRUE(event_allows(Event::data_received, Operation::headers));
    EXPECT_FALSE(event_allows(Event::data_received, Operation::relay));
    EXPECT_TRUE(event_allows(Event::relay, Operation::relay));
    EXPECT_FALSE(event_allows(Event::relay, Operation::accept));
    EXPECT_TRUE(event_allows(Event::delivery_failure, Operation::ndr_text));
    EXPECT_TRUE(event_allows(Event::temporary_delivery_failure, Operation::discard));
    EXPECT_FALSE(event_allows(Event::delivery_failure, Operation::refuse));
    EXPECT_TRUE(is_smtp_in_event(Event::data_received));
    EXPECT_FALSE(is_smtp_in_event(Event::relay));
}

TEST(PolicyValidate, ReplyCodes) {
    EXPECT_EQ(check_reply_code(Verdict::reject, 550), nullptr);
    EXPECT_EQ(check_reply_code(Verdict::reject, 599), nullptr);
    EXPECT_NE(check_reply_code(Verdict::reject, 250), nullptr);
    EXPECT_NE(check_reply_code(Verdict::reject, 451), nullptr);
    EXPECT_NE(check_reply_code(Verdict::reject, 600), nullptr);
    EXPECT_EQ(check_reply_code(Verdict::tempfail, 451), nullptr);
    EXPECT_NE(check_reply_code(Verdict::tempfail, 550), nullptr);
    EXPECT_NE(check_reply_code(Verdict::tempfail, 399), nullptr);
}

TEST(PolicyValidate, ReplyText) {
    EXPECT_EQ(check_reply_text("Go away"), nullptr);
    EXPECT_EQ(check_reply_text(""), nullptr);
    EXPECT_NE(check_reply_text("a\r\n250 OK"), nullptr);
    EXPECT_NE(check_reply_text("a\nb"), nullptr);
    EXPECT_NE(check_reply_text(std::string_view("a\0b", 3)), nullptr);
    EXPECT_NE(check_reply_text("caf\xC3\xA9"), nullptr);
    EXPECT_NE(check_reply_text(std::string(401, 'x')), nullptr);
    EXPECT_EQ(check_reply_text(std::string(400, 'x')), nullptr);
}

TEST(PolicyValidate, EnhancedCodeInText) {
    ReplyTextParts p;
    EXPECT_EQ(split_enhanced_code(550, "5.7.1 No thanks", p), nullptr);
    ASSERT_TRUE(p.enhanced);
    EXPECT_EQ(p.enhanced->to_string(), "5.7.1");
    EXPECT_EQ(p.text, "No thanks");
    EXPECT_EQ(split_enhanced_code(550, "No thanks", p), nullptr);
    EXPECT_FALSE(p.enhanced);
    EXPECT_EQ(p.text, "No thanks");
    EXPECT_EQ(split_enhanced_code(550, "2020 was a year", p), nullptr);  // not code-shaped
    EXPECT_FALSE(p.enhanced);
    EXPECT_NE(split_enhanced_code(550, "4.7.1 class mismatch", p), nullptr);
    EXPECT_NE(split_enhanced_code(451, "5.7.1 class mismatch", p), nullptr);
    EXPECT_NE(split_enhanced_code(550, "5.7 short", p), nullptr);
    EXPECT_NE(split_enhanced_code(550, "5.7.1000 detail too big", p), nullptr);
    EXPECT_EQ(split_enhanced_code(451, "4.7.1", p), nullptr);
    EXPECT_TRUE(p.enhanced);
    EXPECT_EQ(p.text, "");
}

TEST(PolicyValidate, HeaderNames) {
    EXPECT_EQ(check_header_name("X-Policy"), nullptr);
    EXPECT_EQ(check_header_name("X_odd!#$%&'*+-.^`|~"), nullptr);
    EXPECT_NE(check_header_name(""), nullptr);
    EXPECT_NE(check_header_name("X Policy"), nullptr);
    EXPECT_NE(check_header_name("X:Policy"), nullptr);
    EXPECT_NE(check_header_name("X-Policy\r\nBcc"), nullptr);
    EXPECT_NE(check_header_name("X-\xC3\xA9"), nullptr);
    EXPECT_NE(check_header_name(std::string(77, 'X')), nullptr);
    EXPECT_NE(check_header_removable("received"), nullptr);
    EXPECT_EQ(check_header_removable("X-Spam"), nullptr);
}

TEST(PolicyValidate, HeaderValues) {
    EXPECT_EQ(check_header_value("X-A", "plain value"), nullptr);
    EXPECT_EQ(check_header_value("X-A", "tab\tinside"), nullptr);
    EXPECT_EQ(check_header_value("X-A", "caf\xC3\xA9"), nullptr);  // RFC 6532
    EXPECT_EQ(check_header_value("X-A", ""), nullptr);
    EXPECT_NE(check_header_value("X-A", "a\r\nBcc: evil@example.com"), nullptr);
    EXPECT_NE(check_header_value("X-A", "a\nb"), nullptr);
    EXPECT_NE(check_header_value("X-A", "a\rb"), nullptr);
    EXPECT_NE(check_header_value("X-A", std::string_view("a\0b", 3)), nullptr);
    EXPECT_NE(check_header_value("X-A", "bell\x07"), nullptr);
    EXPECT_NE(check_header_value("X-A", "bad \xC3"), nullptr);
    EXPECT_NE(check_header_value("X-A", std::string(994, 'v')), nullptr);
    EXPECT_EQ(check_header_value("X-A", std::string(993, 'v')), nullptr);
}

TEST(PolicyValidate, NdrText) {
    EXPECT_EQ(check_ndr_text("Line one\r\nLine two\n\tindented"), nullptr);
    EXPECT_NE(check_ndr_text(std::string_view("a\0b", 3)), nullptr);
    EXPECT_NE(check_ndr_text("\x1b[31mred"), nullptr);
    EXPECT_NE(check_ndr_text("\xff"), nullptr);
    EXPECT_NE(check_ndr_text(std::string(8193, 'x')), nullptr);
}

TEST(PolicyValidate, Addresses) {
    EXPECT_EQ(normalize_address("bob@Example.ORG"), "bob@example.org");
    EXPECT_EQ(normalize_address("<bob@example.org>"), "bob@example.org");
    EXPECT_EQ(normalize_address("\"odd local\"@example.org"), "\"odd local\"@example.org");
    EXPECT_EQ(normalize_address("j\xC3\xB6rg@example.org"), "j\xC3\xB6rg@example.org");
    EXPECT_FALSE(normalize_address(""));
    EXPECT_FALSE(normalize_address("<>"));
    EXPECT_FALSE(normalize_address("bob"));
    EXPECT_FALSE(normalize_address("bob@"));
    EXPECT_FALSE(normalize_address("bob@example.org\r\nRCPT TO:<x@y>"));
    EXPECT_FALSE(normalize_address("a b@example.org"));
    EXPECT_FALSE(normalize_address("bob@-bad-.example"));
}

TEST(PolicyValidate, RelayHosts) {
    EXPECT_EQ(normalize_relay_host("Smart.Example.NET"), "smart.example.net");
    EXPECT_EQ(normalize_relay_host("192.0.2.25"), "[192.0.2.25]");
    EXPECT_EQ(normalize_relay_host("[192.0.2.25]"), "[192.0.2.25]");
    EXPECT_EQ(normalize_relay_host("2001:db8::25"), "[IPv6:2001:db8::25]");
    EXPECT_FALSE(normalize_relay_host(""));
    EXPECT_FALSE(normalize_relay_host("smart host"));
    EXPECT_FALSE(normalize_relay_host("smart.example.net:25"));
    EXPECT_FALSE(normalize_relay_host("[300.1.1.1]"));
    EXPECT_EQ(relay_tls_from_name("required"), RelayTls::required);
    EXPECT_FALSE(relay_tls_from_name("yes"));
}

TEST(PolicyValidate, LogTextIsSanitizedAndCut) {
    EXPECT_EQ(sanitize_log_text("a\r\nb\tc"), "a??b?c");
    EXPECT_EQ(sanitize_log_text("caf\xC3\xA9 \xff"), "caf\xC3\xA9 ?");
    std::string long_text(kMaxLogText - 1, 'x');
    long_text += "\xC3\xA9";  // would straddle the limit: cut before it
    EXPECT_EQ(sanitize_log_text(long_text).size(), kMaxLogText - 1);
}

TEST(PolicyDecisionHelpers, DescribeAndReply) {
    PolicyDecision d;
    EXPECT_EQ(describe(d), "none");
    EXPECT_FALSE(d.reply());
    d.verdict = Verdict::reject;
    d.code = 550;
    d.enhanced = proto::smtp::EnhancedCode{5, 7, 1};
    d.text = "No";
    d.header_changes.push_back({HeaderChange::Kind::add, "X-A", "1"});
    d.recipient_changes.push_back({RecipientChange::Kind::remove, "a@b.example"});
    EXPECT_EQ(describe(d), "reject 550 5.7.1 No; +header X-A: 1; -rcpt a@b.example");
    auto r = d.reply();
    ASSERT_TRUE(r);
    EXPECT_EQ(proto::smtp::format_reply(*r, true), "550 5.7.1 No\r\n");
    PolicyDecision e;
    e.verdict = Verdict::accept;
    e.text = "Welcome";
    EXPECT_EQ(describe(e), "accept reply text \"Welcome\"");
}

TEST(PolicyDecisionHelpers, ApplyRecipientChanges) {
    std::vector<std::string> rcpts = {"a@x.example", "b@x.example"};
    std::vector<RecipientChange> changes = {
        {RecipientChange::Kind::add, "c@x.example"},
        {RecipientChange::Kind::add, "a@x.example"},  // already there
        {RecipientChange::Kind::remove, "b@x.example"},
    };
    apply_recipient_changes(rcpts, changes);
    EXPECT_EQ(rcpts, (std::vector<std::string>{"a@x.example", "c@x.example"}));
    std::vector<RecipientChange> replace = {{RecipientChange::Kind::clear, ""},
                                            {RecipientChange::Kind::add, "z@x.example"}};
    apply_recipient_changes(rcpts, replace);
    EXPECT_EQ(rcpts, (std::vector<std::string>{"z@x.example"}));
}

TEST(PolicyDecisionHelpers, ApplyHeaderChanges) {
    std::vector<HeaderField> headers = {{"Received", " r1"}, {"X-Spam", " yes"}, {"Subject", " s"}};
    std::vector<HeaderChange> changes = {
        {HeaderChange::Kind::add, "X-First", "1"},
        {HeaderChange::Kind::remove, "x-spam", ""},
        {HeaderChange::Kind::add, "X-Second", "2"},
        {HeaderChange::Kind::add, "X-Spam", "no"},
    };
    apply_header_changes(headers, changes);
    ASSERT_EQ(headers.size(), 5u);
    EXPECT_EQ(headers[0].name, "X-First");
    EXPECT_EQ(headers[1].name, "X-Second");
    EXPECT_EQ(headers[2].name, "X-Spam");
    EXPECT_EQ(headers[2].value, " no");
    EXPECT_EQ(headers[3].name, "Received");
    EXPECT_EQ(headers[4].name, "Subject");
    std::vector<HeaderChange> remove_added = {{HeaderChange::Kind::add, "X-T", "1"},
                                              {HeaderChange::Kind::remove, "X-T", ""},
                                              {HeaderChange::Kind::add, "X-U", "2"}};
    std::vector<HeaderField> h2 = {{"Subject", " s"}};
    apply_header_changes(h2, remove_added);
    ASSERT_EQ(h2.size(), 2u);
    EXPECT_EQ(h2[0].name, "X-U");
}

TEST(PolicyLimits, Validation) {
    PolicyLimits l;
    EXPECT_TRUE(validate_limits(l));
    l.max_memory = 1000;
    EXPECT_FALSE(validate_limits(l));
    l = PolicyLimits{};
    l.max_time = std::chrono::milliseconds(0);
    EXPECT_FALSE(validate_limits(l));
    l = PolicyLimits{};
    l.states = 0;
    EXPECT_FALSE(validate_limits(l));
    EXPECT_EQ(failure_action_from_name("tempfail"), FailureAction::tempfail);
    EXPECT_EQ(failure_action_from_name("ignore"), FailureAction::ignore);
    EXPECT_FALSE(failure_action_from_name("accept"));
}

}  // namespace
}  // namespace postern::filter::policy
