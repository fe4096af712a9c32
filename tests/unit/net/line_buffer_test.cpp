#include "net/line_buffer.h"

#include <cstring>

#include <gtest/gtest.h>

namespace postern::net {
namespace {

void feed(LineBuffer& b, std::string_view bytes) {
    auto space = b.prepare(bytes.size());
    std::memcpy(space.data(), bytes.data(), bytes.size());
    b.commit(bytes.size());
}

// Collects every event for `input`, fed in chunks of `chunk` bytes.
std::vector<std::string> events(std::string_view input, std::size_t chunk,
                                std::size_t max_line = 16) {
    LineBuffer b(max_line);
    std::vector<std::string> out;
    for (std::size_t i = 0; i < input.size(); i += chunk) {
        feed(b, input.substr(i, chunk));
        while (true) {
            auto n = b.next_line();
            if (n.kind == LineBuffer::Kind::need_more)
                break;
            if (n.kind == LineBuffer::Kind::too_long) {
                out.push_back("<too long>");
            } else {
                out.push_back(std::string(n.text) + (n.crlf ? "|crlf" : "|lf"));
            }
        }
    }
    return out;
}

TEST(LineBuffer, SplitsLinesWholeAndByteByByte) {
    const std::pair<std::string, std::vector<std::string>> cases[] = {
        {"EHLO a\r\n", {"EHLO a|crlf"}},
        {"a\nb\r\n", {"a|lf", "b|crlf"}},
        {"\r\n\r\n", {"|crlf", "|crlf"}},
        {"no end", {}},
        {"x\r\ry\r\n", {"x\r\ry|crlf"}},  // bare CR stays inside the line
        {std::string("a\0b\r\n", 5), {std::string("a\0b|crlf", 8)}},
    };
    for (auto& [input, expected] : cases) {
        EXPECT_EQ(events(input, input.size() + 1), expected) << input;
        EXPECT_EQ(events(input, 1), expected) << input;
    }
}

TEST(LineBuffer, OverlongLineIsOneErrorThenRecovers) {
    std::string input = std::string(100, 'x') + "\r\nNOOP\r\n";
    std::vector<std::string> expected = {"<too long>", "NOOP|crlf"};
    EXPECT_EQ(events(input, input.size()), expected);
    EXPECT_EQ(events(input, 1), expected);
    EXPECT_EQ(events(input, 7), expected);
}

TEST(LineBuffer, ExactlyMaxLengthIsAccepted) {
    std::string line(16, 'y');
    EXPECT_EQ(events(line + "\r\n", 1), std::vector<std::string>{line + "|crlf"});
    EXPECT_EQ(events(line + "z\r\n", 1), std::vector<std::string>{"<too long>"});
}

TEST(LineBuffer, MemoryStaysFlatOnAHugeLine) {
    LineBuffer b(1024);
    bool reported = false;
    for (int i = 0; i < 1024; ++i) {  // 4 MiB with no line end
        feed(b, std::string(4096, 'a'));
        auto n = b.next_line();
        if (n.kind == LineBuffer::Kind::too_long)
            reported = true;
        EXPECT_LT(b.buffered().size(), 8192u);
    }
    EXPECT_TRUE(reported);
    feed(b, "\nQUIT\r\n");
    EXPECT_EQ(b.next_line().text, "QUIT");
}

TEST(LineBuffer, RawAccessAndClear) {
    LineBuffer b(64);
    feed(b, "APPEND {5}\r\nhelloSTARTTLS\r\ninjected\r\n");
    EXPECT_EQ(b.next_line().text, "APPEND {5}");
    EXPECT_EQ(b.buffered().substr(0, 5), "hello");
    b.consume(5);
    EXPECT_EQ(b.next_line().text, "STARTTLS");
    b.clear();  // what was pipelined after STARTTLS is gone
    EXPECT_EQ(b.next_line().kind, LineBuffer::Kind::need_more);
    EXPECT_TRUE(b.buffered().empty());
}

}  // namespace
}  // namespace postern::net

namespace postern::net {
namespace {

TEST(LineBuffer, ConsumingRawBytesKeepsLineSearchCorrect) {
    LineBuffer b(64);
    feed(b, "DATA\r\nbodyQ");
    EXPECT_EQ(b.next_line().text, "DATA");
    EXPECT_EQ(b.next_line().kind, LineBuffer::Kind::need_more);  // scans "bodyQ"
    b.consume(4);                                                // the DATA receiver takes "body"
    feed(b, "\r\n");
    EXPECT_TRUE(b.has_line());
    auto n = b.next_line();
    EXPECT_EQ(n.kind, LineBuffer::Kind::line);
    EXPECT_EQ(n.text, "Q");
    EXPECT_FALSE(b.has_line());
}

}  // namespace
}  // namespace postern::net
