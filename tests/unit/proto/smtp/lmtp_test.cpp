// LMTP (RFC 2033 §4.2): one reply per accepted recipient after the end of data, written by the
// server and collected by the client.
#include "proto/smtp/lmtp.h"

#include <gtest/gtest.h>

#include "proto/smtp/replies.h"

namespace postern::proto::smtp {
namespace {

TEST(Lmtp, ServerWritesOneReplyPerRecipient) {
    std::vector<Reply> per = {replies::delivered("a@example.org"),
                              make_reply(452, EnhancedCode{4, 2, 2}, "Mailbox full"),
                              make_reply(550, EnhancedCode{5, 1, 1}, "No such user")};
    EXPECT_EQ(format_lmtp_replies(per, true),
              "250 2.1.5 <a@example.org> delivered\r\n452 4.2.2 Mailbox full\r\n"
              "550 5.1.1 No such user\r\n");
    auto same = same_reply_for_all(replies::message_too_large(), 3);
    ASSERT_EQ(same.size(), 3u);
    EXPECT_EQ(format_lmtp_replies(same, true),
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n"
              "552 5.3.4 Message size exceeds fixed maximum message size\r\n");
}

TEST(Lmtp, ClientCollectsAllReplies) {
    LmtpReplyCollector c(3);
    EXPECT_EQ(c.feed_line("250 2.1.5 ok"), ReplyParser::Status::need_more);
    EXPECT_EQ(c.feed_line("452-4.2.2 Mailbox"), ReplyParser::Status::need_more);
    EXPECT_EQ(c.feed_line("452 4.2.2 full"), ReplyParser::Status::need_more);
    EXPECT_FALSE(c.complete());
    EXPECT_EQ(c.feed_line("550 5.1.1 unknown"), ReplyParser::Status::complete);
    ASSERT_TRUE(c.complete());
    ASSERT_EQ(c.replies().size(), 3u);
    EXPECT_EQ(c.replies()[1], (Reply{452, EnhancedCode{4, 2, 2}, {"Mailbox", "full"}}));
    EXPECT_EQ(c.replies()[2].code, 550);
    EXPECT_EQ(c.feed_line("250 extra"), ReplyParser::Status::complete);  // ignored
    EXPECT_EQ(c.replies().size(), 3u);
}

TEST(Lmtp, ClientStopsOnBrokenServer) {
    LmtpReplyCollector c(2);
    EXPECT_EQ(c.feed_line("250 ok"), ReplyParser::Status::need_more);
    EXPECT_EQ(c.feed_line("garbage"), ReplyParser::Status::malformed);
    EXPECT_EQ(c.replies().size(), 1u);
    EXPECT_FALSE(c.complete());
}

TEST(Lmtp, RoundTrip) {
    std::vector<Reply> per = {replies::delivered("a@example.org"),
                              Reply{550, EnhancedCode{5, 7, 1}, {"Rejected", "by policy"}}};
    std::string wire = format_lmtp_replies(per, true);
    LmtpReplyCollector c(per.size());
    std::size_t start = 0;
    while (start < wire.size()) {
        auto eol = wire.find("\r\n", start);
        c.feed_line(std::string_view(wire).substr(start, eol - start));
        start = eol + 2;
    }
    ASSERT_TRUE(c.complete());
    EXPECT_EQ(c.replies(), per);
}

}  // namespace
}  // namespace postern::proto::smtp
