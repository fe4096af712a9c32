// BDAT chunks (RFC 3030): accumulation, the size limit, line endings across chunk boundaries,
// BINARYMIME, and the same results for any feeding pattern.
#include "proto/smtp/chunk_receiver.h"

#include <gtest/gtest.h>

#include "proto/smtp/data_sender.h"
#include "proto/smtp/test_util.h"

namespace postern::proto::smtp {
namespace {

using namespace std::string_literals;

ContentLimits limits(LineEndingPolicy p = LineEndingPolicy::reject, std::uint64_t max = 0) {
    ContentLimits l;
    l.line_endings = p;
    l.max_message_size = max;
    return l;
}

struct Result {
    std::string out;
    ContentVerdict verdict;
    ContentReport report;
    std::string leftover;  // input after the last chunk (the next command)
};

// Sends `chunks` as BDAT chunks (the last one LAST) through one stream, fed `step` octets at a
// time, the way a session reads them: command line, then the chunk's octets from its buffer.
Result receive_chunks(const std::vector<std::string>& chunks, const ContentLimits& l, bool binary,
                      std::size_t step, const std::string& after = "") {
    ChunkReceiver rx(l, binary);
    std::string stream;
    for (const auto& c : chunks)
        stream += c;
    stream += after;
    std::string buffered;
    std::size_t pos = 0;
    Result res;
    for (std::size_t i = 0; i < chunks.size(); ++i) {
        rx.begin_chunk(chunks[i].size(), i + 1 == chunks.size());
        while (true) {
            auto p = rx.feed(buffered, res.out);
            buffered.erase(0, p.consumed);
            if (p.chunk_complete)
                break;
            EXPECT_LT(pos, stream.size());
            buffered += stream.substr(pos, step);
            pos += step;
        }
    }
    EXPECT_TRUE(rx.finished());
    res.leftover = buffered + (pos < stream.size() ? stream.substr(pos) : "");
    res.verdict = rx.verdict();
    res.report = rx.report();
    return res;
}

void expect_all_ways(const std::vector<std::string>& chunks, const ContentLimits& l, bool binary,
                     const std::string& expected_out, ContentVerdict expected_verdict) {
    for (std::size_t step : {std::size_t{1}, std::size_t{3}, std::size_t{1000}}) {
        SCOPED_TRACE(step);
        Result r = receive_chunks(chunks, l, binary, step, "QUIT\r\n");
        EXPECT_EQ(r.out, expected_out);
        EXPECT_EQ(r.verdict, expected_verdict);
        EXPECT_EQ(r.leftover, "QUIT\r\n");
    }
}

TEST(ChunkReceiver, AccumulatesChunksWithoutDotStuffing) {
    // A "." line is content in BDAT, and so is "\r\n.\r\n".
    expect_all_ways({"Subject: x\r\n\r\n", ".\r\n", "..body\r\n"}, limits(), false,
                    "Subject: x\r\n\r\n.\r\n..body\r\n", ContentVerdict::accept);
    expect_all_ways({"abc"}, limits(), false, "abc", ContentVerdict::accept);
    expect_all_ways({"x\r\n", ""}, limits(), false, "x\r\n",
                    ContentVerdict::accept);  // BDAT 0 LAST
}

TEST(ChunkReceiver, CrLfSplitAcrossChunksIsOneLineEnd) {
    expect_all_ways({"line one\r", "\nline two\r\n"}, limits(), false, "line one\r\nline two\r\n",
                    ContentVerdict::accept);
}

TEST(ChunkReceiver, BareLineEndingsFollowThePolicy) {
    ContentReport report;
    Result r = receive_chunks({"a\nb\r", "c\r"}, limits(LineEndingPolicy::normalize), false, 1);
    EXPECT_EQ(r.out, "a\r\nb\r\nc\r\n");
    EXPECT_EQ(r.report.bare_lf, 1u);
    EXPECT_EQ(r.report.bare_cr, 2u);  // the CR ending the last chunk is bare too
    EXPECT_EQ(r.verdict, ContentVerdict::accept);

    Result rej = receive_chunks({"a\nb"}, limits(LineEndingPolicy::reject), false, 1);
    EXPECT_EQ(rej.verdict, ContentVerdict::bad_line_ending);
    EXPECT_EQ(rej.out, "a");

    // A smuggling attempt inside BDAT is plain content for us, and the DATA sender makes it
    // safe when it is relayed by DATA.
    Result s = receive_chunks({"hi\n.\nMAIL FROM:<x@evil.example>\r\n"},
                              limits(LineEndingPolicy::normalize), false, 1);
    EXPECT_EQ(s.out, "hi\r\n.\r\nMAIL FROM:<x@evil.example>\r\n");
    std::string wire = encode_data(s.out);
    EXPECT_EQ(wire.find("\r\n.\r\n"), wire.size() - 5);
}

TEST(ChunkReceiver, NulIsRefused) {
    Result r = receive_chunks({"a\0b\r\n"s}, limits(LineEndingPolicy::normalize), false, 1);
    EXPECT_EQ(r.verdict, ContentVerdict::nul);
}

TEST(ChunkReceiver, BinaryMimeIsOpaque) {
    std::string binary = "\0\r\r\n\n.\xff"s;
    expect_all_ways({binary, binary}, limits(), true, binary + binary, ContentVerdict::accept);
}

TEST(ChunkReceiver, SizeLimitCountsAllChunks) {
    std::vector<std::string> chunks(10, std::string(100, 'x'));
    Result r = receive_chunks(chunks, limits(LineEndingPolicy::reject, 950), false, 7);
    EXPECT_EQ(r.verdict, ContentVerdict::too_large);
    EXPECT_EQ(r.report.size, 1000u);
    EXPECT_EQ(r.report.received, 1000u);
    EXPECT_LE(r.out.size(), 950u);
    Result ok = receive_chunks(chunks, limits(LineEndingPolicy::reject, 1000), true, 7);
    EXPECT_EQ(ok.verdict, ContentVerdict::accept);
}

TEST(ChunkReceiver, HugeDeclaredChunkIsConsumedWithoutKeepingIt) {
    ChunkReceiver rx(limits(LineEndingPolicy::reject, 1024), false);
    rx.begin_chunk(10 * 1024 * 1024, true);
    std::string out;
    const std::string block(64 * 1024, 'b');
    std::uint64_t fed = 0;
    while (!rx.finished()) {
        auto p = rx.feed(block, out);
        fed += p.consumed;
    }
    EXPECT_EQ(fed, 10u * 1024 * 1024);
    EXPECT_LE(out.size(), 1024u);
    EXPECT_EQ(rx.verdict(), ContentVerdict::too_large);
}

}  // namespace
}  // namespace postern::proto::smtp
