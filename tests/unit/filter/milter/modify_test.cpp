// Milter modifications applied to a message and its envelope: every action, sendmail's index
// semantics, actions the filter did not negotiate, hostile addresses.
#include "filter/milter/modify.h"

#include <gtest/gtest.h>

namespace postern::filter::milter {
namespace {

using namespace std::string_literals;

const std::string kRaw =
    "Received: from x\r\n\tby y\r\nFrom: a@example.org\r\nSubject: one\r\nX-Tag: 1\r\n"
    "X-Tag: 2\r\n\r\nbody line\r\n";

struct Edit {
    std::string raw = kRaw;
    MilterEnvelope env{"a@example.org", "", {"b@example.com", "c@example.com"}, {}, {}};
    EditResult apply(std::vector<Modification> mods, std::uint32_t actions = action::all,
                     bool leading_space = false) {
        return apply_modifications(raw, env, mods, actions, leading_space);
    }
};

TEST(MilterModify, AddAndInsertHeaders) {
    Edit e;
    auto r = e.apply({{reply::addheader, "X-Added", "yes", 0},
                      {reply::insheader, "X-Top", "first", 0},
                      {reply::insheader, "X-Third", "v", 2},
                      {reply::insheader, "X-Last", "far\nfolded", 99}});
    EXPECT_TRUE(r.message_changed);
    EXPECT_FALSE(r.envelope_changed);
    EXPECT_EQ(e.raw,
              "X-Top: first\r\nReceived: from x\r\n\tby y\r\nX-Third: v\r\nFrom: a@example.org\r\n"
              "Subject: one\r\nX-Tag: 1\r\nX-Tag: 2\r\nX-Added: yes\r\nX-Last: far\r\n\tfolded\r\n"
              "\r\nbody line\r\n");
}

TEST(MilterModify, ChangeHeaderByOccurrence) {
    Edit e;
    e.apply({{reply::chgheader, "x-tag", "two", 2},      // names compare case-insensitively
             {reply::chgheader, "Subject", "new", 0},    // index 0 counts as 1
             {reply::chgheader, "X-Tag", "", 1},         // empty value deletes
             {reply::chgheader, "X-Missing", "", 1},     // deleting nothing does nothing
             {reply::chgheader, "X-New", "added", 3}});  // no 3rd occurrence: added
    EXPECT_EQ(e.raw,
              "Received: from x\r\n\tby y\r\nFrom: a@example.org\r\nSubject: new\r\n"
              "X-Tag: two\r\nX-New: added\r\n\r\nbody line\r\n");
}

TEST(MilterModify, LeadingSpaceNegotiated) {
    Edit e;
    e.apply({{reply::addheader, "X-A", " spaced", 0}}, action::all, true);
    EXPECT_NE(e.raw.find("X-A: spaced\r\n\r\n"), std::string::npos) << e.raw;
}

TEST(MilterModify, ReplaceBody) {
    Edit e;
    auto r = e.apply(
        {{reply::replbody, "", "new\nbody\r\nend", 0}, {reply::addheader, "X-After", "1", 0}});
    EXPECT_TRUE(r.message_changed);
    EXPECT_EQ(e.raw,
              "Received: from x\r\n\tby y\r\nFrom: a@example.org\r\nSubject: one\r\nX-Tag: 1\r\n"
              "X-Tag: 2\r\nX-After: 1\r\n\r\nnew\r\nbody\r\nend");
}

TEST(MilterModify, EnvelopeChanges) {
    Edit e;
    auto r = e.apply({{reply::addrcpt, "<d@example.net>", "", 0},
                      {reply::addrcpt_par, "e@example.net", "NOTIFY=NEVER", 0},
                      {reply::addrcpt, "<B@example.com>", "", 0},  // already there
                      {reply::delrcpt, "<c@EXAMPLE.com>", "", 0},
                      {reply::delrcpt, "<nobody@example.com>", "", 0},
                      {reply::chgfrom, "<bounce@example.org>", "SIZE=10", 0}});
    EXPECT_TRUE(r.envelope_changed);
    EXPECT_FALSE(r.message_changed);
    EXPECT_EQ(e.raw, kRaw);
    EXPECT_EQ(e.env.recipients,
              (std::vector<std::string>{"b@example.com", "d@example.net", "e@example.net"}));
    EXPECT_EQ(e.env.added, (std::vector<std::string>{"d@example.net", "e@example.net"}));
    EXPECT_EQ(e.env.removed, std::vector<std::string>{"c@example.com"});
    EXPECT_EQ(e.env.sender, "bounce@example.org");
    EXPECT_EQ(e.env.sender_args, "SIZE=10");
    ASSERT_EQ(r.ignored.size(), 1u);  // DELRCPT of a non-recipient
    // CHGFROM <> is the null sender.
    e.apply({{reply::chgfrom, "<>", "", 0}});
    EXPECT_EQ(e.env.sender, "");
}

TEST(MilterModify, Quarantine) {
    Edit e;
    auto r = e.apply({{reply::quarantine, "virus", "", 0}});
    ASSERT_TRUE(r.quarantine);
    EXPECT_EQ(*r.quarantine, "virus");
    EXPECT_EQ(e.raw, kRaw);
}

TEST(MilterModify, ActionsNotNegotiatedAreIgnored) {
    Edit e;
    auto r = e.apply({{reply::addheader, "X-A", "1", 0},
                      {reply::replbody, "", "x", 0},
                      {reply::addrcpt, "d@example.net", "", 0},
                      {reply::chgfrom, "x@example.net", "", 0},
                      {reply::quarantine, "q", "", 0}},
                     action::addhdrs);
    EXPECT_EQ(r.ignored.size(), 4u);
    EXPECT_FALSE(r.quarantine);
    EXPECT_EQ(e.env.recipients.size(), 2u);
    EXPECT_EQ(e.env.sender, "a@example.org");
    EXPECT_NE(e.raw.find("X-A: 1\r\n\r\nbody line\r\n"), std::string::npos);
}

TEST(MilterModify, HostileAddressesAreIgnored) {
    Edit e;
    auto r = e.apply({{reply::addrcpt, "<>", "", 0},
                      {reply::addrcpt, "a b@example.com", "", 0},
                      {reply::addrcpt, std::string(600, 'x') + "@example.com", "", 0},
                      {reply::chgfrom, "<a<b>", "", 0},
                      {reply::delrcpt, "\x01", "", 0}});
    EXPECT_EQ(r.ignored.size(), 5u);
    EXPECT_EQ(e.env.recipients.size(), 2u);
    EXPECT_EQ(bare_address(" <x@y> "), "x@y");
    EXPECT_FALSE(bare_address("x\r\n@y"));
}

TEST(MilterModify, MessagesWithoutBodyOrFinalNewline) {
    std::string raw = "Subject: a\r\nX-B: b";
    MilterEnvelope env;
    std::vector<Modification> mods = {{reply::addheader, "X-C", "c", 0}};
    apply_modifications(raw, env, mods, action::all, false);
    EXPECT_EQ(raw, "Subject: a\r\nX-B: b\r\nX-C: c\r\n\r\n");
    // A line that is no header field starts the body (as sendmail reads it).
    std::string odd = "Subject: a\r\nnot a header\r\nmore\r\n";
    apply_modifications(odd, env, mods, action::all, false);
    EXPECT_EQ(odd, "Subject: a\r\nX-C: c\r\n\r\nnot a header\r\nmore\r\n");
}

}  // namespace
}  // namespace postern::filter::milter
