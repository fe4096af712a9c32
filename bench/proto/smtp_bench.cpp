// SMTP codec throughput (RFC 5321): command parsing (commands per second), the DATA receiver
// and the BDAT chunk receiver (MB/s on a 10 KiB and a 10 MiB message, fed in 64 KiB socket-sized
// reads), the DATA sender, and reply parsing.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "proto/smtp/chunk_receiver.h"
#include "proto/smtp/command.h"
#include "proto/smtp/data_receiver.h"
#include "proto/smtp/data_sender.h"
#include "proto/smtp/reply_parser.h"

namespace {

using namespace postern::proto::smtp;

constexpr std::size_t kRead = 64 * 1024;

// A message of about `size` octets: headers, then 76-character text lines, some starting with
// a dot (stuffed on the wire).
std::string message(std::size_t size) {
    std::string m =
        "Received: from mx.example.net (mx.example.net [192.0.2.1])\r\n\tby mail.example.org\r\n"
        "From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>\r\nSubject: benchmark\r\n"
        "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\nMessage-ID: <1@example.org>\r\n\r\n";
    int i = 0;
    while (m.size() < size) {
        if (++i % 50 == 0)
            m += ".";
        m += "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tem\r\n";
    }
    return m;
}

ParserOptions options() {
    ParserOptions o;
    o.extensions.size_limit = 50 * 1024 * 1024;
    o.extensions.auth_mechanisms = {"PLAIN"};
    return o;
}

void BM_ParseMail(benchmark::State& state) {
    const ParserOptions o = options();
    const std::string line = "MAIL FROM:<alice.smith@example.org> SIZE=123456 BODY=8BITMIME";
    for (auto _ : state)
        benchmark::DoNotOptimize(parse_command(line, o));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseMail);

void BM_ParseRcptDsn(benchmark::State& state) {
    const ParserOptions o = options();
    const std::string line =
        "RCPT TO:<bob@example.net> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob+2Btag@example.net";
    for (auto _ : state)
        benchmark::DoNotOptimize(parse_command(line, o));
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseRcptDsn);

// A whole transaction's command lines, as a session parses them.
void BM_ParseSession(benchmark::State& state) {
    const ParserOptions o = options();
    const std::vector<std::string> lines = {"EHLO client.example.net",
                                            "MAIL FROM:<alice@example.org> SIZE=5000",
                                            "RCPT TO:<bob@example.net>",
                                            "RCPT TO:<carol@example.net>",
                                            "DATA",
                                            "RSET",
                                            "NOOP",
                                            "QUIT"};
    for (auto _ : state) {
        for (const auto& l : lines)
            benchmark::DoNotOptimize(parse_command(l, o));
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(lines.size()));
}
BENCHMARK(BM_ParseSession);

void BM_DataReceiver(benchmark::State& state) {
    const std::string wire = encode_data(message(static_cast<std::size_t>(state.range(0))));
    ContentLimits limits;
    limits.max_message_size = 64 * 1024 * 1024;
    limits.line_endings = state.range(1) ? LineEndingPolicy::normalize : LineEndingPolicy::reject;
    std::string out;
    out.reserve(wire.size());
    for (auto _ : state) {
        DataReceiver rx(limits);
        out.clear();
        for (std::size_t i = 0; i < wire.size(); i += kRead) {
            rx.feed(std::string_view(wire).substr(i, kRead), out);
        }
        benchmark::DoNotOptimize(out.data());
        if (!rx.complete())
            state.SkipWithError("no end of data");
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK(BM_DataReceiver)
    ->Args({10 * 1024, 0})
    ->Args({10 * 1024 * 1024, 0})
    ->Args({10 * 1024 * 1024, 1});

// The worst feeding a session could do: one octet per call.
void BM_DataReceiverByteAtATime(benchmark::State& state) {
    const std::string wire = encode_data(message(10 * 1024));
    std::string out;
    for (auto _ : state) {
        DataReceiver rx(ContentLimits{});
        out.clear();
        for (char c : wire)
            rx.feed(std::string_view(&c, 1), out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(wire.size()));
}
BENCHMARK(BM_DataReceiverByteAtATime);

void BM_ChunkReceiver(benchmark::State& state) {
    const std::string msg = message(static_cast<std::size_t>(state.range(0)));
    std::string out;
    out.reserve(msg.size());
    for (auto _ : state) {
        ChunkReceiver rx(ContentLimits{}, false);
        out.clear();
        rx.begin_chunk(msg.size(), true);
        for (std::size_t i = 0; i < msg.size(); i += kRead) {
            rx.feed(std::string_view(msg).substr(i, kRead), out);
        }
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(msg.size()));
}
BENCHMARK(BM_ChunkReceiver)->Arg(10 * 1024)->Arg(10 * 1024 * 1024);

void BM_DataEncoder(benchmark::State& state) {
    const std::string msg = message(static_cast<std::size_t>(state.range(0)));
    std::string out;
    out.reserve(msg.size() + msg.size() / 32);
    for (auto _ : state) {
        DataEncoder e;
        out.clear();
        for (std::size_t i = 0; i < msg.size(); i += kRead) {
            e.encode(std::string_view(msg).substr(i, kRead), out);
        }
        e.finish(out);
        benchmark::DoNotOptimize(out.data());
    }
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(msg.size()));
}
BENCHMARK(BM_DataEncoder)->Arg(10 * 1024)->Arg(10 * 1024 * 1024);

void BM_ReplyParserEhlo(benchmark::State& state) {
    const std::vector<std::string> lines = {"250-mx.example.net at your service",
                                            "250-SIZE 35882577",
                                            "250-8BITMIME",
                                            "250-STARTTLS",
                                            "250-ENHANCEDSTATUSCODES",
                                            "250-PIPELINING",
                                            "250-CHUNKING",
                                            "250 SMTPUTF8"};
    ReplyParser p;
    for (auto _ : state) {
        for (const auto& l : lines)
            p.feed_line(l);
        benchmark::DoNotOptimize(p.take());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ReplyParserEhlo);

}  // namespace
