// MAIL FROM / RCPT TO: paths and every parameter, valid and invalid, and how the advertised
// extensions decide what is allowed (RFC 5321 §4.1.1.2-3, RFC 1870, 3030, 3461, 4954, 6152, 6531).
#include <gtest/gtest.h>

#include "proto/smtp/command.h"
#include "proto/smtp/test_util.h"

namespace postern::proto::smtp {
namespace {

using testing::code_of;
using testing::describe;

struct Case {
    std::string line;
    std::optional<Command> command;
    const char* reply = nullptr;
};

ParserOptions options() {
    ParserOptions o;
    o.extensions.size_limit = 10'000'000;
    o.extensions.auth_mechanisms = {"PLAIN"};
    o.extensions.binarymime = true;
    return o;
}

void run(const std::vector<Case>& cases, const ParserOptions& o) {
    for (const auto& c : cases) {
        auto r = parse_command(c.line, o);
        if (c.command) {
            ASSERT_TRUE(r) << "'" << c.line << "' -> " << code_of(r.error().reply) << " "
                           << r.error().reply.text();
            EXPECT_EQ(*r, *c.command) << "'" << c.line << "' -> " << describe(*r);
        } else {
            ASSERT_FALSE(r) << "'" << c.line << "' -> " << describe(*r);
            EXPECT_EQ(code_of(r.error().reply), c.reply)
                << "'" << c.line << "' " << r.error().reply.text();
        }
    }
}

Mailbox mb(std::string local, std::string domain) {
    return {std::move(local), std::move(domain)};
}

MailFrom mail(std::optional<Mailbox> sender) {
    MailFrom m;
    m.sender = std::move(sender);
    return m;
}

TEST(MailFrom, PathsAndParameters) {
    MailFrom sized = mail(mb("a", "example.org"));
    sized.size = 12345;
    MailFrom eight = mail(mb("a", "example.org"));
    eight.body = Body::eight_bit_mime;
    MailFrom binary = mail(mb("a", "example.org"));
    binary.body = Body::binary_mime;
    MailFrom seven = mail(mb("a", "example.org"));
    seven.body = Body::seven_bit;
    MailFrom utf8 = mail(mb("j\xC3\xB6rg", "example.org"));
    utf8.smtputf8 = true;
    MailFrom dsn = mail(mb("a", "example.org"));
    dsn.ret = Ret::headers;
    dsn.envid = "QQ314159 x+y";
    MailFrom authed = mail(mb("a", "example.org"));
    authed.auth = "e+e@example.org";
    MailFrom auth_null = mail(mb("a", "example.org"));
    auth_null.auth = "";
    MailFrom all = mail(std::nullopt);
    all.size = 0;
    all.body = Body::eight_bit_mime;
    all.smtputf8 = true;
    all.ret = Ret::full;
    all.envid = "id";

    const std::vector<Case> cases = {
        {"MAIL FROM:<a@example.org>", mail(mb("a", "example.org"))},
        {"mail from:<a@Example.ORG>", mail(mb("a", "example.org"))},
        {"MAIL FROM:<>", mail(std::nullopt)},
        {"MAIL FROM: <a@example.org>", mail(mb("a", "example.org"))},  // tolerated space
        {"MAIL FROM:<@relay.example:a@example.org>", mail(mb("a", "example.org"))},
        {"MAIL FROM:<a@example.org> SIZE=12345", sized},
        {"MAIL FROM:<a@example.org> size=12345", sized},
        {"MAIL FROM:<a@example.org>  SIZE=12345", sized},  // repeated spaces tolerated
        {"MAIL FROM:<a@example.org> BODY=8BITMIME", eight},
        {"MAIL FROM:<a@example.org> BODY=8bitmime", eight},
        {"MAIL FROM:<a@example.org> BODY=7BIT", seven},
        {"MAIL FROM:<a@example.org> BODY=BINARYMIME", binary},
        {"MAIL FROM:<j\xC3\xB6rg@example.org> SMTPUTF8", utf8},
        {"MAIL FROM:<a@example.org> RET=HDRS ENVID=QQ314159+20x+2By", dsn},
        {"MAIL FROM:<a@example.org> AUTH=e+2Be@example.org", authed},
        {"MAIL FROM:<a@example.org> AUTH=<>", auth_null},
        {"MAIL FROM:<> SIZE=0 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=id", all},

        {"MAIL", {}, "501 5.5.4"},
        {"MAIL TO:<a@example.org>", {}, "501 5.5.4"},
        {"MAIL FROM", {}, "501 5.5.4"},
        {"MAIL FROM:", {}, "553 5.1.7"},
        {"MAIL FROM:a@example.org", {}, "553 5.1.7"},
        {"MAIL FROM:<a@example.org", {}, "553 5.1.7"},
        {"MAIL FROM:<a@example.org>x", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org>>", {}, "501 5.5.4"},
        {"MAIL FROM:<a@@example.org>", {}, "553 5.1.7"},
        {"MAIL FROM:<postmaster>", {}, "553 5.1.7"},
        {"MAIL FROM:<j\xC3\xB6rg@example.org>", {}, "553 5.6.7"},  // SMTPUTF8 missing
        {"MAIL FROM:<" + std::string(2000, 'a') + "@example.org>", {}, "501 5.1.7"},
        {"MAIL FROM:<a@example.org> SIZE", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> SIZE=", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> SIZE=-1", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> SIZE=1e6", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> SIZE=123456789012345678901", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> SIZE=10000001", {}, "552 5.3.4"},
        {"MAIL FROM:<a@example.org> SIZE=1 SIZE=2", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> BODY=8BIT", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> BODY", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> SMTPUTF8=yes", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> RET=ALL", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> ENVID=a=b", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> ENVID=+0A", {}, "501 5.5.4"},  // decodes to a control
        {"MAIL FROM:<a@example.org> ENVID=" + std::string(101, 'x'), {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> AUTH=+00", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> XFOO=1", {}, "555 5.5.4"},
        {"MAIL FROM:<a@example.org> NOTIFY=NEVER", {}, "555 5.5.4"},  // RCPT parameter
        {"MAIL FROM:<a@example.org> -X=1", {}, "501 5.5.4"},
        {"MAIL FROM:<a@example.org> =1", {}, "501 5.5.4"},
    };
    run(cases, options());
}

TEST(MailFrom, ParametersNeedTheirExtension) {
    ParserOptions o = options();
    o.extensions = Extensions::basic();  // after HELO
    run({{"MAIL FROM:<a@example.org>", mail(mb("a", "example.org"))},
         {"MAIL FROM:<a@example.org> SIZE=1", {}, "555 5.5.4"},
         {"MAIL FROM:<a@example.org> BODY=8BITMIME", {}, "555 5.5.4"},
         {"MAIL FROM:<a@example.org> BODY=7BIT", {}, "555 5.5.4"},
         {"MAIL FROM:<a@example.org> SMTPUTF8", {}, "555 5.5.4"},
         {"MAIL FROM:<a@example.org> RET=FULL", {}, "555 5.5.4"},
         {"MAIL FROM:<a@example.org> ENVID=x", {}, "555 5.5.4"},
         {"MAIL FROM:<a@example.org> AUTH=<>", {}, "555 5.5.4"},
         {"MAIL FROM:<j\xC3\xB6rg@example.org> SMTPUTF8", {}, "553 5.6.7"}},
        o);

    ParserOptions no_binary = options();
    no_binary.extensions.binarymime = false;
    run({{"MAIL FROM:<a@example.org> BODY=BINARYMIME", {}, "501 5.5.4"}}, no_binary);
    ParserOptions no_chunking = options();
    no_chunking.extensions.chunking = false;
    run({{"MAIL FROM:<a@example.org> BODY=BINARYMIME", {}, "501 5.5.4"}}, no_chunking);

    ParserOptions strict = options();
    strict.addresses.allow_space_after_colon = false;
    run({{"MAIL FROM: <a@example.org>", {}, "501 5.5.4"}}, strict);
    ParserOptions unbracketed = options();
    unbracketed.addresses.allow_unbracketed = true;
    run({{"MAIL FROM:a@example.org", mail(mb("a", "example.org"))}}, unbracketed);

    ParserOptions unlimited = options();
    unlimited.extensions.size_limit = 0;
    MailFrom big = mail(mb("a", "example.org"));
    big.size = 99999999999ULL;
    run({{"MAIL FROM:<a@example.org> SIZE=99999999999", big}}, unlimited);
}

TEST(MailFrom, ParameterCountIsBounded) {
    std::string line = "MAIL FROM:<a@example.org>";
    for (int i = 0; i < 10000; ++i)
        line += " X" + std::to_string(i) + "=1";
    auto r = parse_command(line, options());
    ASSERT_FALSE(r);
    EXPECT_EQ(code_of(r.error().reply), "501 5.5.4");
    EXPECT_EQ(r.error().reply.text(), "Too many parameters");
}

TEST(RcptTo, PathsAndParameters) {
    auto rcpt = [](Mailbox m, std::uint8_t n = 0, std::optional<OriginalRecipient> o = {}) {
        return RcptTo{std::move(m), n, std::move(o)};
    };
    const std::vector<Case> cases = {
        {"RCPT TO:<b@example.net>", rcpt(mb("b", "example.net"))},
        {"rcpt to:<B@EXAMPLE.NET>", rcpt(mb("B", "example.net"))},
        {"RCPT TO: <b@example.net>", rcpt(mb("b", "example.net"))},
        {"RCPT TO:<postmaster>", rcpt(mb("postmaster", ""))},
        {"RCPT TO:<PostMaster>", rcpt(mb("postmaster", ""))},
        {"RCPT TO:<@hosta.int,@jkl.org:userc@d.bar.org>", rcpt(mb("userc", "d.bar.org"))},
        {"RCPT TO:<\"a b\"@example.net>", rcpt(mb("a b", "example.net"))},
        {"RCPT TO:<j\xC3\xB6rg@example.net>", rcpt(mb("j\xC3\xB6rg", "example.net"))},
        {"RCPT TO:<b@example.net> NOTIFY=SUCCESS,FAILURE",
         rcpt(mb("b", "example.net"), notify::success | notify::failure)},
        {"RCPT TO:<b@example.net> NOTIFY=NEVER", rcpt(mb("b", "example.net"), notify::never)},
        {"RCPT TO:<b@example.net> ORCPT=rfc822;b+2Bx@example.net",
         rcpt(mb("b", "example.net"), 0,
              OriginalRecipient{"rfc822", "b+x@example.net", "rfc822;b+2Bx@example.net"})},
        {"RCPT TO:<b@example.net> notify=delay orcpt=RFC822;b@example.net",
         rcpt(mb("b", "example.net"), notify::delay,
              OriginalRecipient{"rfc822", "b@example.net", "RFC822;b@example.net"})},

        {"RCPT", {}, "501 5.5.4"},
        {"RCPT FROM:<b@example.net>", {}, "501 5.5.4"},
        {"RCPT TO:", {}, "553 5.1.3"},
        {"RCPT TO:<>", {}, "553 5.1.3"},
        {"RCPT TO:<b>", {}, "553 5.1.3"},
        {"RCPT TO:<b@example.net", {}, "553 5.1.3"},
        {"RCPT TO:<b@exa mple.net>", {}, "553 5.1.3"},
        {"RCPT TO:<" + std::string(1 << 20, 'b') + "@example.net>", {}, "501 5.1.3"},
        {"RCPT TO:<b@example.net> NOTIFY=NEVER,SUCCESS", {}, "501 5.5.4"},
        {"RCPT TO:<b@example.net> NOTIFY=", {}, "501 5.5.4"},
        {"RCPT TO:<b@example.net> ORCPT=b@example.net", {}, "501 5.5.4"},
        {"RCPT TO:<b@example.net> ORCPT=rfc822;+ZZ", {}, "501 5.5.4"},
        {"RCPT TO:<b@example.net> SIZE=1", {}, "555 5.5.4"},
        {"RCPT TO:<b@example.net> NOTIFY=NEVER NOTIFY=NEVER", {}, "501 5.5.4"},
        {"RCPT TO:<b@example.net>\x7f", {}, "501 5.5.4"},
    };
    run(cases, options());

    ParserOptions no_dsn = options();
    no_dsn.extensions.dsn = false;
    run({{"RCPT TO:<b@example.net> NOTIFY=NEVER", {}, "555 5.5.4"},
         {"RCPT TO:<b@example.net> ORCPT=rfc822;b@example.net", {}, "555 5.5.4"}},
        no_dsn);
    ParserOptions no_utf8 = options();
    no_utf8.extensions.smtputf8 = false;
    run({{"RCPT TO:<j\xC3\xB6rg@example.net>", {}, "553 5.6.7"}}, no_utf8);
}

TEST(RcptTo, StrictLengthsAreConfigurable) {
    ParserOptions o = options();
    o.addresses.limits = AddressLimits::rfc();
    run({{"RCPT TO:<" + std::string(65, 'b') + "@example.net>", {}, "501 5.1.3"}}, o);
    run({{"RCPT TO:<" + std::string(65, 'b') + "@example.net>",
          RcptTo{mb(std::string(65, 'b'), "example.net"), 0, std::nullopt}}},
        options());
}

}  // namespace
}  // namespace postern::proto::smtp
