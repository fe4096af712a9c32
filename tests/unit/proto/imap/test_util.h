// Helpers for the IMAP codec tests: drive a Receiver over an input fed whole, one byte at a time
// or in random pieces (acting as the client that waits for "+" before a synchronizing literal),
// and parse commands framed all three ways, checking that every way gives the same result.
#pragma once

#include <random>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

#include "proto/imap/parser.h"
#include "proto/imap/receiver.h"

namespace postern::proto::imap::testing {

// Everything a receiver reported for one input, in order.
struct Transcript {
    std::vector<FramedCommand> commands;
    std::vector<ReceiveError> errors;
    std::string events;    // one letter per event: c command, e error, + continuation, d data
    std::string streamed;  // streamed literal data, concatenated
    std::vector<std::size_t> continuation_literals;  // literal index of each "+"
    std::size_t consumed = 0;
    bool closed = false;  // stopped at an error that closes the connection
};

// piece == 0: all at once; otherwise pieces of that size; seed != 0: random sizes 1..64.
inline Transcript receive(Receiver& receiver, std::string_view input, std::size_t piece = 0,
                          unsigned seed = 0) {
    Transcript t;
    std::mt19937 rng(seed);
    std::size_t offset = 0;
    std::string_view pending;  // the part of the current piece not consumed yet
    while (true) {
        if (pending.empty()) {
            if (offset >= input.size())
                break;
            std::size_t n = input.size() - offset;
            if (seed != 0)
                n = std::min<std::size_t>(n, 1 + rng() % 64);
            else if (piece != 0)
                n = std::min(n, piece);
            pending = input.substr(offset, n);
            offset += n;
        }
        auto p = receiver.feed(pending);
        pending.remove_prefix(p.consumed);
        t.consumed += p.consumed;
        switch (p.event) {
            case Receiver::Event::need_more:
                break;
            case Receiver::Event::continuation:
                t.events += '+';
                t.continuation_literals.push_back(p.literal_index);
                break;
            case Receiver::Event::literal_data:
                if (t.events.empty() || t.events.back() != 'd')
                    t.events += 'd';
                t.streamed.append(p.chunk);
                break;
            case Receiver::Event::command:
                t.events += 'c';
                t.commands.push_back(receiver.take_command());
                break;
            case Receiver::Event::error: {
                t.events += 'e';
                t.errors.push_back(receiver.take_error());
                if (t.errors.back().close) {
                    t.closed = true;
                    return t;
                }
                break;
            }
        }
    }
    return t;
}

inline bool same_literals(const std::vector<FramedLiteral>& a,
                          const std::vector<FramedLiteral>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].marker != b[i].marker || a[i].data != b[i].data || a[i].size != b[i].size ||
            a[i].binary != b[i].binary || a[i].sync != b[i].sync || a[i].message != b[i].message ||
            a[i].streamed != b[i].streamed)
            return false;
    }
    return true;
}

inline void expect_same(const Transcript& a, const Transcript& b, std::string_view how) {
    EXPECT_EQ(a.events, b.events) << how;
    EXPECT_EQ(a.streamed, b.streamed) << how;
    EXPECT_EQ(a.consumed, b.consumed) << how;
    EXPECT_EQ(a.closed, b.closed) << how;
    EXPECT_EQ(a.continuation_literals, b.continuation_literals) << how;
    ASSERT_EQ(a.commands.size(), b.commands.size()) << how;
    for (std::size_t i = 0; i < a.commands.size(); ++i) {
        EXPECT_EQ(a.commands[i].text, b.commands[i].text) << how;
        EXPECT_EQ(a.commands[i].octets, b.commands[i].octets) << how;
        EXPECT_TRUE(same_literals(a.commands[i].literals, b.commands[i].literals)) << how;
    }
    ASSERT_EQ(a.errors.size(), b.errors.size()) << how;
    for (std::size_t i = 0; i < a.errors.size(); ++i) {
        EXPECT_EQ(a.errors[i].kind, b.errors[i].kind) << how;
        EXPECT_EQ(a.errors[i].tag, b.errors[i].tag) << how;
        EXPECT_EQ(a.errors[i].close, b.errors[i].close) << how;
        EXPECT_EQ(a.errors[i].too_big, b.errors[i].too_big) << how;
        EXPECT_EQ(a.errors[i].reply_no, b.errors[i].reply_no) << how;
    }
}

// Feeds `input` to fresh receivers whole, byte by byte and in random pieces; they must agree.
// Byte-by-byte is skipped for inputs over `byte_limit` octets (it is slow, not different).
inline Transcript receive_all_ways(std::string_view input, const ReceiverOptions& options = {},
                                   std::size_t byte_limit = 1 << 20) {
    Receiver whole(options);
    Transcript w = receive(whole, input);
    if (input.size() <= byte_limit) {
        Receiver bytes(options);
        expect_same(w, receive(bytes, input, 1), "byte at a time");
    }
    Receiver random(options);
    expect_same(w, receive(random, input, 0, 7), "random pieces");
    return w;
}

// Frames `input` (a CRLF is added when missing) all three ways, expects exactly one command
// and parses it.
inline ParseResult parse(std::string_view input, const ParserOptions& options = {},
                         const ReceiverOptions& receiver = {}) {
    std::string line(input);
    if (line.empty() || line.back() != '\n')
        line += "\r\n";
    Transcript t = receive_all_ways(line, receiver);
    if (t.commands.size() != 1 || !t.errors.empty()) {
        ADD_FAILURE() << "input did not frame to one command: " << input.substr(0, 200);
        return std::unexpected(ParseError{ParseErrorKind::syntax, {}, {}, {}, "framing"});
    }
    return parse_command(t.commands.front(), options);
}

// The arguments of a parsed command as T, or nullptr (with a test failure).
template <class T>
const T* args_of(const ParseResult& r) {
    if (!r) {
        ADD_FAILURE() << "parse failed: " << r.error().reason;
        return nullptr;
    }
    const T* p = std::get_if<T>(&r->args);
    if (!p)
        ADD_FAILURE() << "parsed to another command (index " << r->args.index() << ")";
    return p;
}

// The reason of a failed parse, or "<parsed>" when it did not fail.
inline std::string reason_of(const ParseResult& r) {
    return r ? std::string("<parsed>") : r.error().reason;
}

}  // namespace postern::proto::imap::testing
