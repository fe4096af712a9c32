// POP3 responses: status lines with RFC 2449 codes, byte-stuffing (RFC 1939 §3), TOP cuts,
// line-ending repair, and the octet counts the multi-line bodies have.
#include "proto/pop3/responses.h"

#include <gtest/gtest.h>

namespace postern::proto::pop3 {
namespace {

TEST(Pop3Responses, StatusLines) {
    std::string out;
    append_ok(out, "2 320");
    append_err(out, "Maildrop is locked", code::in_use);
    append_ok(out, "");
    append_err(out, "evil\r\n+OK injected");
    EXPECT_EQ(out, "+OK 2 320\r\n-ERR [IN-USE] Maildrop is locked\r\n+OK\r\n-ERR evil\r\n");
}

TEST(Pop3Responses, ChallengeAndLines) {
    std::string out;
    append_challenge(out, "");
    append_challenge(out, "cj1hYmM=");
    append_line(out, "1 120");
    append_line(out, ".hidden");
    append_end(out);
    EXPECT_EQ(out, "+ \r\n+ cj1hYmM=\r\n1 120\r\n..hidden\r\n.\r\n");
}

TEST(Pop3Responses, MessageIsByteStuffed) {
    std::string out;
    append_message(out, "Subject: x\r\n\r\n.\r\n..two\r\nend\r\n");
    EXPECT_EQ(out, "Subject: x\r\n\r\n..\r\n...two\r\nend\r\n.\r\n");
}

TEST(Pop3Responses, MessageLineEndingsRepaired) {
    std::string out;
    append_message(out, "A: 1\n\nbody\nlast");
    EXPECT_EQ(out, "A: 1\r\n\r\nbody\r\nlast\r\n.\r\n");
    EXPECT_EQ(wire_size("A: 1\n\nbody\nlast"), std::string("A: 1\r\n\r\nbody\r\nlast\r\n").size());
    EXPECT_EQ(wire_size("A: 1\r\n\r\nx\r\n"), 11u);
    EXPECT_EQ(wire_size("x\r"), 3u);  // a CR at the very end is a line ending too
    EXPECT_EQ(wire_size(""), 0u);
    out.clear();
    append_message(out, "");
    EXPECT_EQ(out, ".\r\n");
}

TEST(Pop3Responses, Top) {
    const std::string m = "A: 1\r\nB: 2\r\n\r\nl1\r\n.l2\r\nl3\r\n";
    std::string out;
    append_message(out, m, 0);
    EXPECT_EQ(out, "A: 1\r\nB: 2\r\n\r\n.\r\n");
    out.clear();
    append_message(out, m, 2);
    EXPECT_EQ(out, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\n.\r\n");
    out.clear();
    append_message(out, m, 100);
    EXPECT_EQ(out, "A: 1\r\nB: 2\r\n\r\nl1\r\n..l2\r\nl3\r\n.\r\n");
    out.clear();
    append_message(out, "A: 1\r\nB: 2\r\n", 5);  // no body at all
    EXPECT_EQ(out, "A: 1\r\nB: 2\r\n.\r\n");
}

}  // namespace
}  // namespace postern::proto::pop3
