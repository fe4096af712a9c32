// Parse throughput of the streaming MIME parser (RFC 5322/2045/2046): a typical 10 KiB
// message, a 20 MB base64 attachment, header-only input; plus feeding cost, decoding and the
// structure blob. Figures are bytes of raw message per second.
#include <string>

#include <benchmark/benchmark.h>

#include "mime/body_text.h"
#include "mime/parser.h"
#include "mime/structure.h"
#include "mime/structure_codec.h"

namespace {

using namespace postern::mime;

std::string header_block() {
    std::string h;
    for (int i = 0; i < 6; ++i) {
        h += "Received: from mx" + std::to_string(i) +
             ".example.net (mx.example.net [192.0.2.1])\r\n\tby mail.example.org (Postern) with "
             "ESMTPS id 4A1B2C3D4E" +
             std::to_string(i) + ";\r\n\tTue, 1 Jul 2025 10:52:37 +0200\r\n";
    }
    h += "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.net; s=sel;\r\n"
         "\th=from:to:subject:date:message-id; bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
         "\tb=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB4nujc7YopdG5dWLSdNg6xNAZpOPr+"
         "kHxt1IrE+NahM6L/LbvaHutKVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV4bmp/"
         "YzhwvcubU4=\r\n";
    h += "From: =?utf-8?q?J=C3=BCrgen_M=C3=BCller?= <juergen@example.net>\r\n"
         "To: Alice <alice@example.org>, \"Bob B.\" <bob@example.org>\r\n"
         "Cc: team: carol@example.org, dave@example.org;\r\n"
         "Subject: Re: [project] =?utf-8?q?Zusammenfassung_der_=C3=84nderungen?=\r\n"
         "Date: Tue, 1 Jul 2025 10:52:37 +0200\r\n"
         "Message-ID: <20250701105237.1234@example.net>\r\n"
         "In-Reply-To: <20250630091500.99@example.org>\r\n"
         "References: <20250629080000.1@example.org> <20250630091500.99@example.org>\r\n"
         "MIME-Version: 1.0\r\n"
         "X-Mailer: Benchmark 1.0\r\n";
    return h;
}

// About 10 KiB: a typical multipart/alternative text + HTML message.
std::string typical_message() {
    std::string m = header_block();
    m += "Content-Type: multipart/alternative; boundary=\"=_alt_0123456789\"\r\n\r\n";
    m += "--=_alt_0123456789\r\nContent-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
    for (int i = 0; i < 40; ++i) {
        m += "Line " + std::to_string(i) +
             " of the plain text body, =C3=A4 and some more words.\r\n";
    }
    m += "--=_alt_0123456789\r\nContent-Type: text/html; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n\r\n<html><body>\r\n";
    while (m.size() < 10 * 1024 - 40)
        m += "<p>Paragraph of HTML text with <b>markup</b>.</p>\r\n";
    m += "</body></html>\r\n--=_alt_0123456789--\r\n";
    return m;
}

// A short text part and a 20 MB base64 attachment in 76-character lines.
std::string attachment_message() {
    std::string m = header_block();
    m += "Content-Type: multipart/mixed; boundary=\"=_mixed_0123456789\"\r\n\r\n"
         "--=_mixed_0123456789\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
         "Please find the file attached.\r\n"
         "--=_mixed_0123456789\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; "
         "filename=\"report.pdf\"\r\n\r\n";
    const std::string line =
        "JVBERi0xLjcKJeLjz9MKMSAwIG9iago8PC9UeXBlL0NhdGFsb2cvUGFnZXMgMiAwIFI+PgplbmRv\r\n";
    while (m.size() < 20 * 1024 * 1024)
        m += line;
    m += "--=_mixed_0123456789--\r\n";
    return m;
}

std::string header_only() {
    return header_block() + "Content-Type: text/plain\r\n\r\n";
}

void parse_whole(benchmark::State& state, const std::string& msg) {
    for (auto _ : state) {
        MessageParser parser;
        parser.feed(msg);
        ParsedMessage m = parser.finish();
        benchmark::DoNotOptimize(m);
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(msg.size()));
}

void BM_ParseTypical10KiB(benchmark::State& state) {
    static const std::string msg = typical_message();
    parse_whole(state, msg);
}
BENCHMARK(BM_ParseTypical10KiB);

void BM_ParseAttachment20MB(benchmark::State& state) {
    static const std::string msg = attachment_message();
    parse_whole(state, msg);
}
BENCHMARK(BM_ParseAttachment20MB)->Unit(benchmark::kMillisecond);

void BM_ParseHeaderOnly(benchmark::State& state) {
    static const std::string msg = header_only();
    parse_whole(state, msg);
}
BENCHMARK(BM_ParseHeaderOnly);

// The 20 MB message arriving in 64 KiB network-sized chunks.
void BM_ParseAttachment20MBChunked(benchmark::State& state) {
    static const std::string msg = attachment_message();
    const std::size_t chunk = 64 * 1024;
    for (auto _ : state) {
        MessageParser parser;
        for (std::size_t i = 0; i < msg.size(); i += chunk) {
            parser.feed(std::string_view(msg).substr(i, chunk));
        }
        benchmark::DoNotOptimize(parser.finish());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(msg.size()));
}
BENCHMARK(BM_ParseAttachment20MBChunked)->Unit(benchmark::kMillisecond);

// Worst-case feeding: one byte per call.
void BM_ParseTypicalByteAtATime(benchmark::State& state) {
    static const std::string msg = typical_message();
    for (auto _ : state) {
        MessageParser parser;
        for (char c : msg)
            parser.feed(std::string_view(&c, 1));
        benchmark::DoNotOptimize(parser.finish());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(msg.size()));
}
BENCHMARK(BM_ParseTypicalByteAtATime);

// Parsing plus decoded text of every text part (what the store indexes at append).
void BM_ParseAndExtractTextTypical(benchmark::State& state) {
    static const std::string msg = typical_message();
    for (auto _ : state) {
        TextCollector texts;
        MessageParser parser({}, &texts);
        parser.feed(msg);
        benchmark::DoNotOptimize(parser.finish());
        benchmark::DoNotOptimize(texts.texts());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(msg.size()));
}
BENCHMARK(BM_ParseAndExtractTextTypical);

// Base64 decoding of the attachment (IMAP BINARY).
void BM_DecodeAttachment20MB(benchmark::State& state) {
    static const std::string msg = attachment_message();
    static const ParsedMessage parsed = parse_message(msg);
    const Part& part = parsed.parts[2];
    for (auto _ : state)
        benchmark::DoNotOptimize(decode_part(msg, part));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(part.body_size()));
}
BENCHMARK(BM_DecodeAttachment20MB)->Unit(benchmark::kMillisecond);

// ENVELOPE/BODYSTRUCTURE data from a parsed message, and the cache blob both ways.
void BM_BuildAndEncodeStructure(benchmark::State& state) {
    static const std::string msg = typical_message();
    static const ParsedMessage parsed = parse_message(msg);
    for (auto _ : state)
        benchmark::DoNotOptimize(encode_structure(build_structure(parsed)));
}
BENCHMARK(BM_BuildAndEncodeStructure);

void BM_DecodeStructureBlob(benchmark::State& state) {
    static const std::string blob =
        encode_structure(build_structure(parse_message(typical_message())));
    for (auto _ : state)
        benchmark::DoNotOptimize(decode_structure(blob));
    state.counters["blob_bytes"] = static_cast<double>(blob.size());
}
BENCHMARK(BM_DecodeStructureBlob);

}  // namespace
