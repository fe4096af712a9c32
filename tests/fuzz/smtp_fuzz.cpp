// Fuzz target for src/proto/smtp (RFC 5321 commands, DATA/BDAT, replies). Every line is parsed
// as a command under two option sets, and MAIL/RCPT that parse are formatted by the client side
// and parsed back to the same value. The input is received as DATA (whole, split at an
// input-chosen point, and byte by byte for small inputs: identical results; the end is the
// first CRLF.CRLF and nothing else; a normalized message relayed through the DATA sender reads
// back identically) and as a BDAT chunk, and read as server replies (a parsed reply written
// and read again is unchanged).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/smtp/address.h"
#include "proto/smtp/capabilities.h"
#include "proto/smtp/chunk_receiver.h"
#include "proto/smtp/client_commands.h"
#include "proto/smtp/command_table.h"
#include "proto/smtp/data_receiver.h"
#include "proto/smtp/data_sender.h"
#include "proto/smtp/reply_parser.h"
#include "proto/smtp/xtext.h"

namespace {

using namespace postern::proto::smtp;

std::string_view g_input;

// On a failed invariant, keep the input (the GCC driver does not save crashes itself).
void check(bool ok) {
    if (ok)
        return;
    if (std::FILE* f = std::fopen("fuzz_smtp-failure.bin", "wb")) {
        std::fwrite(g_input.data(), 1, g_input.size(), f);
        std::fclose(f);
    }
    std::abort();
}

ParserOptions full_options() {
    ParserOptions o;
    o.extensions.size_limit = 1 << 20;
    o.extensions.auth_mechanisms = {"PLAIN", "LOGIN"};
    o.extensions.starttls = true;
    o.extensions.binarymime = true;
    o.extensions.vrfy = true;
    o.extensions.expn = true;
    o.addresses.allow_unbracketed = true;
    return o;
}

ServerCapabilities everything() {
    ServerCapabilities c;
    c.size = 0;
    c.pipelining = c.eight_bit_mime = c.smtputf8 = c.dsn = c.chunking = c.binarymime = true;
    c.auth_mechanisms = {"PLAIN"};
    return c;
}

void round_trip(const Command& command, const ParserOptions& o) {
    std::string line;
    if (const auto* m = std::get_if<MailFrom>(&command)) {
        auto formatted = format_mail_from(*m, everything());
        check(formatted.has_value());
        line = *formatted;
        MailFrom expected = *m;
        if (expected.body == Body::seven_bit)
            expected.body = Body::unspecified;  // not sent
        auto back = parse_command(std::string_view(line).substr(0, line.size() - 2), o);
        check(back.has_value() && std::get<MailFrom>(*back) == expected);
    } else if (const auto* r = std::get_if<RcptTo>(&command)) {
        auto formatted = format_rcpt_to(*r, everything());
        check(formatted.has_value());
        line = *formatted;
        auto back = parse_command(std::string_view(line).substr(0, line.size() - 2), o);
        check(back.has_value() && std::get<RcptTo>(*back) == *r);
    }
}

void exercise_commands(std::string_view in) {
    static const ParserOptions full = full_options();
    static const ParserOptions basic = [] {
        ParserOptions o;
        o.extensions = Extensions::basic();
        o.dialect = Dialect::lmtp;
        o.addresses.limits = AddressLimits::rfc();
        o.strict_hello = true;
        return o;
    }();
    SessionFacts facts{.greeted = true};
    std::size_t lines = 0;
    while (!in.empty() && lines++ < 64) {
        auto eol = in.find('\n');
        std::string_view line = in.substr(0, eol);
        in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 1);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        for (const ParserOptions* o : {&full, &basic}) {
            auto r = accept_command(line, *o, facts);
            if (r) {
                std::string_view trimmed = line;
                while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t')) {
                    trimmed.remove_suffix(1);
                }
                check(verb_of(*r) == identify_verb(trimmed, o->dialect));
                if (o == &full)
                    round_trip(*r, *o);
            } else {
                const Reply& reply = r.error().reply;
                check(reply.code >= 200 && reply.code <= 599 && !reply.lines.empty());
                check(!format_reply(reply, true).empty());
            }
        }
        (void)parse_path(line, PathKind::forward, full.addresses, true);
        if (auto x = xtext_decode(line, true)) {
            check(xtext_decode(xtext_encode(*x)) == *x);
        }
    }
}

struct DataRun {
    std::string out;
    std::size_t consumed = 0;
    bool complete = false;
};

DataRun run_data(std::string_view in, const ContentLimits& l, std::size_t step) {
    DataReceiver rx(l);
    DataRun r;
    for (std::size_t i = 0; i < in.size() && !r.complete; i += step) {
        auto piece = in.substr(i, step);
        auto p = rx.feed(piece, r.out);
        check(p.consumed <= piece.size());
        r.consumed += p.consumed;
        r.complete = p.complete;
        if (!p.complete)
            check(p.consumed == piece.size());
    }
    check(rx.report().received == r.consumed);
    return r;
}

void exercise_data(std::string_view in, std::size_t split) {
    // Where the data must end: the first CRLF "." CRLF, the start counting as after a CRLF.
    std::string framed = "\r\n";
    framed.append(in);
    auto end = framed.find("\r\n.\r\n");
    const std::size_t expected = end == std::string::npos ? std::string::npos : end + 3;

    for (auto policy : {LineEndingPolicy::reject, LineEndingPolicy::normalize}) {
        ContentLimits l;
        l.line_endings = policy;
        l.max_message_size = 4096;
        DataRun whole = run_data(in, l, in.size() ? in.size() : 1);
        DataRun halves = run_data(in, l, split ? split : 1);
        check(whole.out == halves.out && whole.consumed == halves.consumed &&
              whole.complete == halves.complete);
        if (in.size() <= 512) {
            DataRun bytes = run_data(in, l, 1);
            check(whole.out == bytes.out && whole.consumed == bytes.consumed);
        }
        check(whole.complete == (expected != std::string::npos));
        if (whole.complete)
            check(whole.consumed == expected);

        if (policy == LineEndingPolicy::normalize && whole.complete) {
            DataReceiver rx(l);
            std::string out;
            rx.feed(in, out);
            if (rx.verdict() == ContentVerdict::accept) {
                std::string wire = encode_data(out);
                check(("\r\n" + wire).find("\r\n.\r\n") == wire.size() - 3);
                DataRun again = run_data(wire, l, wire.size());
                check(again.complete && again.consumed == wire.size() && again.out == out);
            }
        }
    }
}

void exercise_bdat(std::string_view in, std::size_t split) {
    for (bool binary : {false, true}) {
        ContentLimits l;
        l.line_endings = LineEndingPolicy::normalize;
        std::string a, b;
        ChunkReceiver whole(l, binary);
        whole.begin_chunk(in.size(), true);
        auto p = whole.feed(in, a);
        check(p.consumed == in.size() && whole.finished());
        ChunkReceiver parts(l, binary);
        std::size_t first = std::min(split, in.size());
        parts.begin_chunk(first, false);
        parts.feed(in.substr(0, first), b);
        parts.begin_chunk(in.size() - first, true);
        parts.feed(in.substr(first), b);
        check(parts.finished() && a == b && whole.verdict() == parts.verdict());
        if (binary && whole.verdict() == ContentVerdict::accept)
            check(a == in);
    }
}

void exercise_replies(std::string_view in) {
    ReplyParser parser(ReplyLimits{1024, 64});
    std::size_t lines = 0;
    while (!in.empty() && lines++ < 256) {
        auto eol = in.find("\r\n");
        std::string_view line = in.substr(0, eol);
        in.remove_prefix(eol == std::string_view::npos ? in.size() : eol + 2);
        auto status = parser.feed_line(line);
        if (status == ReplyParser::Status::complete) {
            Reply r = parser.take();
            (void)parse_capabilities(r);
            bool plain = true;
            for (const auto& l : r.lines) {
                plain = plain && l.size() < 400;
                for (char c : l)
                    plain = plain && static_cast<unsigned char>(c) >= 0x20 && c != 0x7F;
            }
            if (!plain)
                continue;
            // Written by our server and read back by our client: unchanged.
            std::string wire = format_reply(r, true);
            ReplyParser again;
            std::size_t start = 0;
            ReplyParser::Status s = ReplyParser::Status::need_more;
            while (start < wire.size()) {
                auto e = wire.find("\r\n", start);
                s = again.feed_line(std::string_view(wire).substr(start, e - start));
                start = e + 2;
            }
            check(s == ReplyParser::Status::complete && again.take() == r);
        } else if (status != ReplyParser::Status::need_more) {
            parser.reset();
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view in(reinterpret_cast<const char*>(data), size);
    g_input = in;
    std::size_t split = size ? data[0] % (size + 1) : 0;
    exercise_commands(in);
    exercise_data(in, split);
    exercise_bdat(in, split);
    exercise_replies(in);
    return 0;
}
