// The SMTP replies a milter's answers become at each SMTP step (docs/milter.md "Replies at SMTP
// time"): defaults, REPLYCODE, greetings limited to 554/421, a status of the wrong class.
#include "services/smtp_in/milter_hooks.h"

#include <gtest/gtest.h>

namespace postern::services::smtp_in {
namespace {

using filter::milter::StepReply;

StepReply answer(StepReply::Kind kind, std::string code = "", std::string status = "",
                 std::string text = "") {
    StepReply r;
    r.kind = kind;
    r.smtp_code = std::move(code);
    r.status = std::move(status);
    r.text = std::move(text);
    return r;
}

std::string wire(const proto::smtp::Reply& r) {
    std::string out;
    proto::smtp::append_reply(out, r, true);
    return out;
}

TEST(MilterReplies, DefaultsPerStage) {
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::reject), MilterStage::rcpt)),
              "550 5.7.1 Command rejected\r\n");
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::tempfail), MilterStage::message)),
              "451 4.7.1 Please try again later\r\n");
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::reject), MilterStage::connect)),
              "554 5.7.1 Command rejected\r\n");
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::tempfail), MilterStage::connect)),
              "421 4.7.1 Please try again later\r\n");
    EXPECT_EQ(wire(milter_unavailable_reply(MilterStage::connect)).substr(0, 10), "421 4.7.1 ");
    EXPECT_EQ(wire(milter_unavailable_reply(MilterStage::mail)).substr(0, 10), "451 4.7.1 ");
}

TEST(MilterReplies, ReplyCodeKeepsCodeStatusAndText) {
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::reject, "553", "5.1.8", "bad sender"),
                                MilterStage::mail)),
              "553 5.1.8 bad sender\r\n");
    // A status of the other class than the code is replaced.
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::tempfail, "452", "5.2.2", "full"),
                                MilterStage::rcpt)),
              "452 4.7.1 full\r\n");
    // A greeting is 554 or 421 whatever the milter said; its text stays.
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::reject, "550", "5.7.0", "go away"),
                                MilterStage::connect)),
              "554 5.7.0 go away\r\n");
    // Line breaks in the milter's text cannot start a second reply line.
    EXPECT_EQ(wire(milter_reply(answer(StepReply::Kind::reject, "550", "", "a\r\n250 ok"),
                                MilterStage::message)),
              "550 5.7.1 a??250 ok\r\n");
}

}  // namespace
}  // namespace postern::services::smtp_in
