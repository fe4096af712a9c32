// IMAP receiver: framing of lines and literals, continuation requests, streaming of message
// literals, every limit and what each violation leaves behind. Every input is fed whole, one
// byte at a time and in random pieces, and must give the same transcript.
#include "proto/imap/receiver.h"

#include <gtest/gtest.h>

#include "proto/imap/test_util.h"

namespace postern::proto::imap {
namespace {

using namespace std::string_literals;
using testing::receive;
using testing::receive_all_ways;
using testing::Transcript;

TEST(ImapReceiver, FramesSimpleLines) {
    Transcript t = receive_all_ways("a1 NOOP\r\nb2 CAPABILITY\nc3 LOGOUT\r\n");
    EXPECT_EQ(t.events, "ccc");
    ASSERT_EQ(t.commands.size(), 3u);
    EXPECT_EQ(t.commands[0].text, "a1 NOOP");
    EXPECT_EQ(t.commands[0].octets, 9u);
    EXPECT_EQ(t.commands[1].text, "b2 CAPABILITY");  // bare LF accepted
    EXPECT_EQ(t.commands[1].octets, 14u);
    EXPECT_EQ(t.commands[2].text, "c3 LOGOUT");
    EXPECT_TRUE(t.commands[0].literals.empty());
}

TEST(ImapReceiver, StopsAtEachCommand) {
    Receiver r;
    const std::string input = "a NOOP\r\nb NOOP\r\n";
    auto p = r.feed(input);
    EXPECT_EQ(p.event, Receiver::Event::command);
    EXPECT_EQ(p.consumed, 8u);  // the pipelined command is left for the next call
    EXPECT_EQ(r.take_command().text, "a NOOP");
    p = r.feed(std::string_view(input).substr(8));
    EXPECT_EQ(p.event, Receiver::Event::command);
    EXPECT_EQ(r.take_command().text, "b NOOP");
}

TEST(ImapReceiver, IncompleteLineNeedsMore) {
    Receiver r;
    EXPECT_TRUE(r.idle());
    auto p = r.feed("a NOO");
    EXPECT_EQ(p.event, Receiver::Event::need_more);
    EXPECT_EQ(p.consumed, 5u);
    EXPECT_FALSE(r.idle());
    p = r.feed("P\r");
    EXPECT_EQ(p.event, Receiver::Event::need_more);
    p = r.feed("\n");
    EXPECT_EQ(p.event, Receiver::Event::command);
    EXPECT_EQ(r.take_command().text, "a NOOP");
    EXPECT_TRUE(r.idle());
}

TEST(ImapReceiver, SkipsEmptyLinesBetweenCommands) {
    Transcript t = receive_all_ways("\r\n\n\r\na NOOP\r\n\r\n");
    EXPECT_EQ(t.events, "c");
    ASSERT_EQ(t.commands.size(), 1u);
    EXPECT_EQ(t.commands[0].text, "a NOOP");
    EXPECT_EQ(t.consumed, 15u);
}

TEST(ImapReceiver, KeepsBareCrForTheParser) {
    Transcript t = receive_all_ways("a NO\rOP\r\n");
    ASSERT_EQ(t.commands.size(), 1u);
    EXPECT_EQ(t.commands[0].text, "a NO\rOP");
}

TEST(ImapReceiver, SynchronizingLiteralsAskForContinuation) {
    Transcript t = receive_all_ways("a LOGIN {3}\r\nbob {6}\r\nsecret\r\n");
    EXPECT_EQ(t.events, "++c");
    EXPECT_EQ(t.continuation_literals, (std::vector<std::size_t>{0, 1}));
    ASSERT_EQ(t.commands.size(), 1u);
    const FramedCommand& c = t.commands[0];
    EXPECT_EQ(c.text, "a LOGIN {3}bob {6}secret");
    ASSERT_EQ(c.literals.size(), 2u);
    EXPECT_EQ(c.literals[0].marker, 8u);
    EXPECT_EQ(c.literals[0].data, 11u);
    EXPECT_EQ(c.literals[0].size, 3u);
    EXPECT_TRUE(c.literals[0].sync);
    EXPECT_FALSE(c.literals[0].binary);
    EXPECT_FALSE(c.literals[0].message);
    EXPECT_EQ(c.literals[1].marker, 15u);
    EXPECT_EQ(c.literals[1].data, 18u);
    EXPECT_EQ(c.octets, 30u);
}

TEST(ImapReceiver, ContinuationComesRightAfterTheMarker) {
    Receiver r;
    const std::string input = "a LOGIN {3}\r\nbob pw\r\n";
    auto p = r.feed(input);
    EXPECT_EQ(p.event, Receiver::Event::continuation);
    EXPECT_EQ(p.consumed, 13u);  // nothing of the literal is read before the "+" is sent
    p = r.feed(std::string_view(input).substr(13));
    EXPECT_EQ(p.event, Receiver::Event::command);
    EXPECT_EQ(r.take_command().text, "a LOGIN {3}bob pw");
}

TEST(ImapReceiver, NonSynchronizingLiteralsNeedNoContinuation) {
    Transcript t = receive_all_ways("a LOGIN {3+}\r\nbob {6+}\n\"se\r\nt\r\n");
    EXPECT_EQ(t.events, "c");
    ASSERT_EQ(t.commands.size(), 1u);
    EXPECT_EQ(t.commands[0].text, "a LOGIN {3+}bob {6+}\"se\r\nt");
    ASSERT_EQ(t.commands[0].literals.size(), 2u);
    EXPECT_FALSE(t.commands[0].literals[0].sync);
    EXPECT_EQ(t.commands[0].literals[1].data, 20u);
}

TEST(ImapReceiver, LiteralDataIsNotScanned) {
    // A literal's data may hold CRLF, quotes and markers: none of it frames anything.
    const std::string data = "x\"{5}\r\ny\r\n";
    Transcript t = receive_all_ways("a X {" + std::to_string(data.size()) + "}\r\n" + data +
                                    " z\r\nb NOOP\r\n");
    EXPECT_EQ(t.events, "+cc");
    ASSERT_EQ(t.commands.size(), 2u);
    EXPECT_EQ(t.commands[0].text, "a X {10}" + data + " z");
    EXPECT_EQ(t.commands[1].text, "b NOOP");
}

TEST(ImapReceiver, Literal8) {
    const std::string input = "a APPEND INBOX ~{5}\r\nab\0cd\r\n"s;
    Transcript t = receive_all_ways(input);
    EXPECT_EQ(t.events, "+c");
    ASSERT_EQ(t.commands.size(), 1u);
    const FramedLiteral& l = t.commands[0].literals.at(0);
    EXPECT_TRUE(l.binary);
    EXPECT_TRUE(l.message);
    EXPECT_EQ(l.marker, 15u);  // the "~"
    EXPECT_EQ(t.commands[0].text.substr(l.data), "ab\0cd"s);

    t = receive_all_ways("a APPEND INBOX ~{2+}\r\n\0\0\r\n"s);
    EXPECT_EQ(t.events, "c");
    EXPECT_FALSE(t.commands.at(0).literals.at(0).sync);
}

TEST(ImapReceiver, MarkersInsideQuotedStringsAreText) {
    // An unterminated quoted string ends at the line end: no literal, the parser says BAD.
    Transcript t = receive_all_ways("a LOGIN \"{3}\r\nb NOOP\r\n");
    EXPECT_EQ(t.events, "cc");
    EXPECT_EQ(t.commands.at(0).text, "a LOGIN \"{3}");
    EXPECT_TRUE(t.commands[0].literals.empty());
    // An escaped quote does not end the string.
    t = receive_all_ways("a LOGIN \"x\\\" {3}\r\nb NOOP\r\n");
    EXPECT_EQ(t.events, "cc");
    // A closed string followed by a marker is a literal.
    t = receive_all_ways("a LOGIN \"x\\\\\" {3}\r\nabc\r\n");
    EXPECT_EQ(t.events, "+c");
}

TEST(ImapReceiver, MarkerOnlyAtTheEndOfALine) {
    Transcript t = receive_all_ways("a X {3} y\r\nb X {3}y\r\nc X {}\r\nd X {+}\r\ne X {3-}\r\n");
    EXPECT_EQ(t.events, "ccccc");
    for (const auto& c : t.commands)
        EXPECT_TRUE(c.literals.empty()) << c.text;
}

TEST(ImapReceiver, MessageLiteralsAreRecognised) {
    ReceiverOptions o;
    o.limits.max_literal = 8;
    o.limits.max_message_literal = 100;
    // The mailbox literal is ordinary; the messages (also inside UTF8 (...)) are not.
    Transcript t = receive_all_ways(
        "a APPEND {5}\r\nINBOX (\\Seen) {20}\r\n01234567890123456789 UTF8 (~{12}\r\n"
        "0123456789ab)\r\n",
        o);
    EXPECT_EQ(t.events, "+++c");
    ASSERT_EQ(t.commands.size(), 1u);
    const auto& lits = t.commands[0].literals;
    ASSERT_EQ(lits.size(), 3u);
    EXPECT_FALSE(lits[0].message);
    EXPECT_TRUE(lits[1].message);
    EXPECT_TRUE(lits[2].message);
    // REPLACE: number, mailbox, then the message; with UID too.
    t = receive_all_ways("a UID REPLACE 4 {3}\r\nbox {20}\r\n01234567890123456789\r\n", o);
    EXPECT_EQ(t.events, "++c");
    ASSERT_EQ(t.commands.size(), 1u);
    EXPECT_FALSE(t.commands[0].literals[0].message);
    EXPECT_TRUE(t.commands[0].literals[1].message);
    // Elsewhere a 20-octet literal is over max_literal.
    t = receive_all_ways("a LOGIN {20}\r\n", o);
    EXPECT_EQ(t.events, "e");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::literal_too_large);
}

TEST(ImapReceiver, StreamsMessageLiterals) {
    ReceiverOptions o;
    o.stream_message_literals = true;
    const std::string message = "Subject: hi\r\n\r\nbody\r\n";
    const std::string input = "a APPEND {5}\r\nINBOX {" + std::to_string(message.size()) + "}\r\n" +
                              message + " {0}\r\n\r\nb NOOP\r\n";
    Transcript t = receive_all_ways(input, o);
    EXPECT_EQ(t.events, "++d+cc");
    EXPECT_EQ(t.streamed, message);
    ASSERT_EQ(t.commands.size(), 2u);
    const FramedCommand& c = t.commands[0];
    EXPECT_EQ(c.text, "a APPEND {5}INBOX {21} {0}");  // the mailbox kept, the message not
    ASSERT_EQ(c.literals.size(), 3u);
    EXPECT_FALSE(c.literals[0].streamed);
    EXPECT_TRUE(c.literals[1].streamed);
    EXPECT_FALSE(c.literals[2].streamed);  // empty: nothing to stream
    EXPECT_EQ(c.octets, input.size() - 8);

    Receiver r(o);
    auto p = r.feed("a APPEND INBOX {4+}\r\nab");
    EXPECT_EQ(p.event, Receiver::Event::literal_data);
    EXPECT_EQ(p.chunk, "ab");
    EXPECT_EQ(p.literal_index, 0u);
    EXPECT_FALSE(p.literal_end);
    p = r.feed("cd\r\n");
    EXPECT_EQ(p.event, Receiver::Event::literal_data);
    EXPECT_EQ(p.chunk, "cd");
    EXPECT_TRUE(p.literal_end);
    EXPECT_EQ(p.consumed, 2u);
    p = r.feed("\r\n");
    EXPECT_EQ(p.event, Receiver::Event::command);
}

TEST(ImapReceiver, PlainLines) {
    Receiver r;
    r.expect_plain_line();
    Transcript t = receive(r, "dGVzdA== {5}\r\n");
    EXPECT_EQ(t.events, "c");
    ASSERT_EQ(t.commands.size(), 1u);
    EXPECT_EQ(t.commands[0].text, "dGVzdA== {5}");
    EXPECT_TRUE(t.commands[0].literals.empty());
    // An empty line is an (empty) SASL response, not skipped.
    r.expect_plain_line();
    t = receive(r, "\r\n");
    EXPECT_EQ(t.events, "c");
    EXPECT_EQ(t.commands.at(0).text, "");
    // Back to commands afterwards.
    t = receive(r, "a LOGIN {1}\r\nx y\r\n");
    EXPECT_EQ(t.events, "+c");
}

TEST(ImapReceiver, ResetDropsAPartialCommand) {
    Receiver r;
    r.feed("a LOGIN {3+}\r\nb");
    EXPECT_FALSE(r.idle());
    r.reset();
    EXPECT_TRUE(r.idle());
    Transcript t = receive(r, "b NOOP\r\n");
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
}

TEST(ImapReceiver, LineTooLongIsSkippedToTheEnd) {
    ReceiverOptions o;
    o.limits.max_line = 16;
    Transcript t = receive_all_ways("a NOOP 0123456789abcdef\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].kind, ReceiveErrorKind::line_too_long);
    EXPECT_EQ(t.errors[0].tag, "a");
    EXPECT_FALSE(t.errors[0].close);
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
    // Exactly at the limit is fine.
    t = receive_all_ways("a NOOP 012345678\r\n", o);
    EXPECT_EQ(t.events, "c");
}

TEST(ImapReceiver, LineTooLongWithALiteral) {
    ReceiverOptions o;
    o.limits.max_line = 16;
    // Synchronizing: no "+" is sent, so the client sends no data and the command ends here.
    Transcript t = receive_all_ways("a LOGIN xxxxxxxxxxxxxxxx {3}\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
    // Non-synchronizing: its data and the rest of the command are skipped.
    t = receive_all_ways("a LOGIN xxxxxxxxxxxxxxxx {5+}\r\n{3}\r\n rest\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");
    EXPECT_EQ(t.errors.at(0).tag, "a");
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
}

TEST(ImapReceiver, TagIsReportedOnlyWhenValid) {
    ReceiverOptions o;
    o.limits.max_line = 8;
    Transcript t = receive_all_ways("a*b NOOP NOOP NOOP\r\n", o);
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].tag, "");
    t = receive_all_ways("abcdefghijklmnop\r\n", o);  // the tag never ended
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].tag, "");
    t = receive_all_ways("(a NOOP NOOP NOOP\r\n", o);
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].tag, "");
    t = receive_all_ways("\"a\" NOOP NOOP NOOP\r\n", o);
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].tag, "");
    // A SASL line or IDLE's DONE has no tag, whatever its first word is.
    Receiver r(o);
    r.expect_plain_line();
    Transcript p = receive(r, "DONE and more and more\r\n");
    ASSERT_EQ(p.errors.size(), 1u);
    EXPECT_EQ(p.errors[0].kind, ReceiveErrorKind::line_too_long);
    EXPECT_EQ(p.errors[0].tag, "");
}

TEST(ImapReceiver, SynchronizingLiteralTooLarge) {
    ReceiverOptions o;
    o.limits.max_literal = 4;
    Transcript t = receive_all_ways("a LOGIN {5}\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");  // BAD instead of "+": the connection goes on
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].kind, ReceiveErrorKind::literal_too_large);
    EXPECT_EQ(t.errors[0].tag, "a");
    EXPECT_TRUE(t.errors[0].too_big);
    EXPECT_FALSE(t.errors[0].reply_no);
    EXPECT_FALSE(t.errors[0].close);
    t = receive_all_ways("a LOGIN {4}\r\nbob! x\r\n", o);
    EXPECT_EQ(t.events, "+c");
}

TEST(ImapReceiver, NonSynchronizingLiteralTooLargeCloses) {
    ReceiverOptions o;
    o.limits.max_literal = 4;
    Transcript t = receive_all_ways("a LOGIN {5+}\r\nhello x\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "e");
    EXPECT_TRUE(t.closed);
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::literal_too_large);
    EXPECT_TRUE(t.errors[0].close);
    EXPECT_TRUE(t.errors[0].too_big);
    EXPECT_EQ(t.consumed, 14u);  // nothing after the marker line
}

TEST(ImapReceiver, LiteralMinus) {
    ReceiverOptions o;
    o.non_sync = NonSyncLiterals::minus;
    const std::string ok(4096, 'x');
    Transcript t = receive_all_ways("a LOGIN u {4096+}\r\n" + ok + "\r\n", o);
    EXPECT_EQ(t.events, "c");
    t = receive_all_ways("a LOGIN u {4097+}\r\n" + ok + "x\r\n", o);
    EXPECT_EQ(t.events, "e");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::literal_minus);
    EXPECT_TRUE(t.errors[0].close);
    EXPECT_TRUE(t.errors[0].too_big);
    // A synchronizing literal of the same size is fine, and so is LITERAL+.
    t = receive_all_ways("a LOGIN u {4097}\r\n" + ok + "x\r\n", o);
    EXPECT_EQ(t.events, "+c");
    o.non_sync = NonSyncLiterals::plus;
    t = receive_all_ways("a LOGIN u {4097+}\r\n" + ok + "x\r\n", o);
    EXPECT_EQ(t.events, "c");
}

TEST(ImapReceiver, SetNonSyncAfterEnable) {
    Receiver r;
    r.set_non_sync(NonSyncLiterals::minus);
    EXPECT_EQ(r.options().non_sync, NonSyncLiterals::minus);
    Transcript t = receive(r, "a LOGIN u {5000+}\r\n");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::literal_minus);
}

TEST(ImapReceiver, MessageTooLarge) {
    ReceiverOptions o;
    o.limits.max_message_literal = 10;
    Transcript t = receive_all_ways("a APPEND INBOX {11}\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");
    ASSERT_EQ(t.errors.size(), 1u);
    EXPECT_EQ(t.errors[0].kind, ReceiveErrorKind::literal_too_large);
    EXPECT_TRUE(t.errors[0].reply_no);  // NO [TOOBIG] (RFC 9051 §7.1)
    EXPECT_TRUE(t.errors[0].too_big);
    EXPECT_FALSE(t.errors[0].close);
    t = receive_all_ways("a APPEND INBOX {11+}\r\n01234567890\r\n", o);
    EXPECT_TRUE(t.closed);
    t = receive_all_ways("a APPEND INBOX {10}\r\n0123456789\r\n", o);
    EXPECT_EQ(t.events, "+c");
}

TEST(ImapReceiver, MessagesTotal) {
    ReceiverOptions o;
    o.limits.max_message_total = 10;
    Transcript t = receive_all_ways("a APPEND INBOX {6}\r\n012345 {5}\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "+ec");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::command_too_large);
    EXPECT_TRUE(t.errors[0].reply_no);
    EXPECT_FALSE(t.errors[0].close);
}

TEST(ImapReceiver, CommandTooLarge) {
    ReceiverOptions o;
    o.limits.max_command = 40;
    // Lines and ordinary literals count together.
    Transcript t = receive_all_ways("a LOGIN {20}\r\n01234567890123456789 {20}\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "+ec");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::command_too_large);
    EXPECT_FALSE(t.errors[0].close);
    // Over the limit in the line text: skipped to the end of the command.
    t = receive_all_ways("a X {5+}\r\n01234 " + std::string(40, 'y') + "\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
}

TEST(ImapReceiver, TooManyLiterals) {
    ReceiverOptions o;
    o.limits.max_literals = 2;
    Transcript t = receive_all_ways("a X {1+}\r\na {1+}\r\nb {1+}\r\nc {1+}\r\nd\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "ec");  // the extra ones are small enough to skip
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::too_many_literals);
    EXPECT_FALSE(t.errors[0].close);
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
    t = receive_all_ways("a X {1}\r\na {1}\r\nb {1}\r\nb NOOP\r\n", o);
    EXPECT_EQ(t.events, "++ec");
}

TEST(ImapReceiver, HugeLiteralSizes) {
    // Not a number64: a synchronizing one is refused, a non-synchronizing one loses the stream.
    Transcript t = receive_all_ways("a LOGIN {99999999999999999999}\r\nb NOOP\r\n");
    EXPECT_EQ(t.events, "ec");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::bad_literal);
    EXPECT_FALSE(t.errors[0].close);
    t = receive_all_ways("a LOGIN {99999999999999999999+}\r\nb NOOP\r\n");
    EXPECT_EQ(t.events, "e");
    EXPECT_TRUE(t.errors.at(0).close);
    // The largest number64 is a size, just too large.
    t = receive_all_ways("a APPEND INBOX {9223372036854775807}\r\n");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::literal_too_large);
    t = receive_all_ways("a APPEND INBOX {9223372036854775808}\r\n");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::bad_literal);
}

TEST(ImapReceiver, MegabyteLine) {
    const std::string input = "a NOOP " + std::string(1 << 20, 'x') + "\r\nb NOOP\r\n";
    Transcript t = receive_all_ways(input, {}, 0);  // byte at a time would take long
    EXPECT_EQ(t.events, "ec");
    EXPECT_EQ(t.errors.at(0).kind, ReceiveErrorKind::line_too_long);
    EXPECT_EQ(t.errors[0].tag, "a");
    EXPECT_EQ(t.commands.at(0).text, "b NOOP");
    // And byte by byte through one receiver, to be sure the state machine agrees.
    Receiver r;
    Transcript b = receive(r, input, 1);
    EXPECT_EQ(b.events, "ec");
}

TEST(ImapReceiver, NulBytesAreFramedForTheParser) {
    Transcript t = receive_all_ways("a NO\0OP\r\nb NOOP\r\n"s);
    EXPECT_EQ(t.events, "cc");
    EXPECT_EQ(t.commands.at(0).text, "a NO\0OP"s);
}

TEST(ImapReceiver, UntakenCommandIsDropped) {
    Receiver r;
    auto p = r.feed("a NOOP\r\n");
    EXPECT_EQ(p.event, Receiver::Event::command);
    p = r.feed("b NOOP\r\n");
    EXPECT_EQ(p.event, Receiver::Event::command);
    EXPECT_EQ(r.take_command().text, "b NOOP");
}

}  // namespace
}  // namespace postern::proto::imap
