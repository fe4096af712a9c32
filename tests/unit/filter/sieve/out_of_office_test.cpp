// Out-of-office: validation, and the generated vacation script run by the interpreter on the
// fixture's clock (2023-11-14): date range, internal/external senders, :addresses, quoting.
#include "filter/sieve/out_of_office.h"

#include "sieve_fixture.h"

namespace postern::sieve {
namespace {

using testing::run_script;

OutOfOffice away() {
    OutOfOffice o;
    o.enabled = true;
    o.subject = "Away \"until\" Monday";
    o.text = "I am away.\r\nBack on Monday \\ Tuesday.";
    return o;
}

bool replies(const OutOfOffice& o, const std::string& sender,
             std::vector<std::string> domains = {"acme.example.com"}) {
    auto script = generate_out_of_office_script(o, {"roadrunner+fast@acme.example.com"}, domains);
    auto r =
        run_script(script, testing::kMessage, {sender, "roadrunner+fast@acme.example.com", "", ""});
    EXPECT_TRUE(r.compiled.program) << script << "\n" << r.compiled.error_text();
    EXPECT_TRUE(r.result.ok) << script;
    for (const auto& a : r.result.actions.actions())
        if (a.kind == Action::Kind::vacation) {
            EXPECT_EQ(a.vacation.subject, o.subject);
            EXPECT_EQ(a.vacation.reason, o.text);
            EXPECT_EQ(a.vacation.seconds, std::uint64_t{o.days} * 86400);
            return true;
        }
    return false;
}

TEST(OutOfOffice, Validation) {
    EXPECT_EQ(validate(away()), "");
    auto o = away();
    o.start = "2023-11-3";
    EXPECT_NE(validate(o), "");
    o.start = "2023-11-20";
    o.end = "2023-11-10";
    EXPECT_EQ(validate(o), "end is before start");
    o = away();
    o.days = 0;
    EXPECT_NE(validate(o), "");
    o.days = 91;
    EXPECT_NE(validate(o), "");
    o = away();
    o.subject = "a\r\nBcc: x@y";
    EXPECT_NE(validate(o), "");
    o = away();
    o.text.clear();
    EXPECT_NE(validate(o), "");
    o.enabled = false;
    EXPECT_EQ(validate(o), "");  // a disabled setting may be empty
    o.text = "\xff";
    EXPECT_NE(validate(o), "");
    OutOfOffice::ReplyTo r{};
    EXPECT_TRUE(parse_reply_to("external", r));
    EXPECT_EQ(r, OutOfOffice::ReplyTo::external);
    EXPECT_FALSE(parse_reply_to("friends", r));
}

TEST(OutOfOffice, DateRange) {
    auto o = away();
    EXPECT_TRUE(replies(o, "coyote@desert.example.org"));
    o.start = "2023-11-14";
    o.end = "2023-11-14";
    EXPECT_TRUE(replies(o, "coyote@desert.example.org"));
    o.start = "2023-11-15";
    o.end = "";
    EXPECT_FALSE(replies(o, "coyote@desert.example.org"));
    o.start = "";
    o.end = "2023-11-13";
    EXPECT_FALSE(replies(o, "coyote@desert.example.org"));
}

TEST(OutOfOffice, InternalAndExternalSenders) {
    auto o = away();
    o.reply_to = OutOfOffice::ReplyTo::external;
    EXPECT_TRUE(replies(o, "coyote@desert.example.org"));
    EXPECT_FALSE(replies(o, "boss@acme.example.com"));
    o.reply_to = OutOfOffice::ReplyTo::internal;
    EXPECT_FALSE(replies(o, "coyote@desert.example.org"));
    EXPECT_TRUE(replies(o, "boss@ACME.example.com"));
    EXPECT_FALSE(replies(o, "boss@acme.example.com", {}));
}

TEST(OutOfOffice, ScriptCarriesAddressesAndDays) {
    auto o = away();
    o.days = 3;
    auto script = generate_out_of_office_script(o, {"a@x.test", "b@x.test"}, {});
    EXPECT_NE(script.find(":days 3"), std::string::npos);
    EXPECT_NE(script.find(":addresses [\"a@x.test\", \"b@x.test\"]"), std::string::npos);
    EXPECT_NE(script.find("\"Away \\\"until\\\" Monday\""), std::string::npos);
    EXPECT_TRUE(compile(script).program);
}

}  // namespace
}  // namespace postern::sieve
