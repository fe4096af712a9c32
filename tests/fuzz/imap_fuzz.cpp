// Fuzz target for the IMAP command codec (src/proto/imap: receiver and parser, RFC 9051 §2.2,
// §4, §6, §9 and the extensions it parses). The input is framed by receivers fed whole, split
// at an input-chosen point and (for small inputs) one byte at a time: they must agree on every
// command, continuation and error. Each framed command is parsed under default and tight
// limits; a parsed command must respect those limits (search tree shape and depth, sequence
// set size). Message literals streamed instead of buffered must give the same octets.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "proto/imap/parser.h"
#include "proto/imap/receiver.h"

namespace {

using namespace postern::proto::imap;

std::string_view g_input;

// On a failed invariant, keep the input (the GCC driver does not save crashes itself).
void check(bool ok) {
    if (ok)
        return;
    if (std::FILE* f = std::fopen("fuzz_imap-failure.bin", "wb")) {
        std::fwrite(g_input.data(), 1, g_input.size(), f);
        std::fclose(f);
    }
    std::abort();
}

struct Transcript {
    std::string events;
    std::vector<FramedCommand> commands;
    std::vector<ReceiveError> errors;
    std::string streamed;  // data of streamed literals of the commands framed
    std::string pending;   // data of streamed literals of the command being framed
};

Transcript receive(const ReceiverOptions& options, std::string_view input, std::size_t split,
                   bool bytewise) {
    Receiver r(options);
    Transcript t;
    std::size_t offset = 0;
    while (offset < input.size()) {
        std::size_t n = input.size() - offset;
        if (bytewise)
            n = 1;
        else if (offset < split)
            n = split - offset;
        std::string_view piece = input.substr(offset, n);
        offset += n;
        while (!piece.empty()) {
            auto p = r.feed(piece);
            check(p.consumed <= piece.size());
            piece.remove_prefix(p.consumed);
            switch (p.event) {
                case Receiver::Event::need_more:
                    check(piece.empty());
                    break;
                case Receiver::Event::continuation:
                    t.events += '+';
                    break;
                case Receiver::Event::literal_data:
                    t.pending.append(p.chunk);
                    break;
                case Receiver::Event::command:
                    t.events += 'c';
                    t.streamed += t.pending;
                    t.pending.clear();
                    t.commands.push_back(r.take_command());
                    check(r.idle());
                    break;
                case Receiver::Event::error:
                    t.events += 'e';
                    t.pending.clear();
                    t.errors.push_back(r.take_error());
                    if (t.errors.back().close)
                        return t;
                    break;
            }
            if (p.consumed == 0 && p.event == Receiver::Event::need_more)
                break;
        }
    }
    return t;
}

void same(const Transcript& a, const Transcript& b) {
    check(a.events == b.events);
    check(a.streamed == b.streamed);
    check(a.commands.size() == b.commands.size());
    for (std::size_t i = 0; i < a.commands.size(); ++i) {
        check(a.commands[i].text == b.commands[i].text);
        check(a.commands[i].literals.size() == b.commands[i].literals.size());
        check(a.commands[i].octets == b.commands[i].octets);
    }
    check(a.errors.size() == b.errors.size());
    for (std::size_t i = 0; i < a.errors.size(); ++i) {
        check(a.errors[i].kind == b.errors[i].kind);
        check(a.errors[i].tag == b.errors[i].tag);
        check(a.errors[i].close == b.errors[i].close);
    }
}

void check_set(const SequenceSet& set, const ParserLimits& limits) {
    check(set.ranges.size() <= limits.max_sequence_ranges);
    check(!set.saved || set.ranges.empty());
    check(set.saved || !set.ranges.empty());
}

void check_program(const SearchProgram& p, const ParserLimits& limits) {
    check(!p.keys.empty());
    check(p.keys.size() <= limits.max_search_keys + 1);
    check(p.keys[0].kind == SearchKeyKind::and_);
    // Depth by walking parents forward: children always come after their parent.
    std::vector<std::size_t> depth(p.keys.size(), 0);
    for (std::size_t i = 0; i < p.keys.size(); ++i) {
        const SearchKey& k = p.keys[i];
        if (k.kind == SearchKeyKind::or_)
            check(k.children.size() == 2);
        else if (k.kind == SearchKeyKind::not_)
            check(k.children.size() == 1);
        else if (k.kind == SearchKeyKind::and_)
            check(!k.children.empty());
        else
            check(k.children.empty());
        for (auto c : k.children) {
            check(c > i && c < p.keys.size());
            depth[c] = depth[i] + 1;
            check(depth[c] <= limits.max_search_depth + 1);
        }
        if (k.kind == SearchKeyKind::sequence_set || k.kind == SearchKeyKind::uid)
            check_set(k.set, limits);
    }
}

void check_command(const Command& c, const ParserLimits& limits) {
    check(!c.tag.empty());
    check(c.name != CommandName::unknown);
    if (const auto* s = std::get_if<Search>(&c.args))
        check_program(s->program, limits);
    else if (const auto* so = std::get_if<Sort>(&c.args))
        check_program(so->program, limits);
    else if (const auto* th = std::get_if<Thread>(&c.args))
        check_program(th->program, limits);
    else if (const auto* f = std::get_if<Fetch>(&c.args)) {
        check_set(f->set, limits);
        check(!f->items.empty());
    } else if (const auto* st = std::get_if<Store>(&c.args))
        check_set(st->set, limits);
    else if (const auto* a = std::get_if<Append>(&c.args))
        check(!a->messages.empty());
}

void parse_all(const Transcript& t) {
    ParserOptions tight;
    tight.limits.max_sequence_ranges = 4;
    tight.limits.max_search_depth = 3;
    tight.limits.max_search_keys = 8;
    tight.limits.max_list_items = 4;
    tight.utf8_quoted = false;
    for (const auto& framed : t.commands) {
        for (const ParserOptions& o : {ParserOptions{}, tight}) {
            auto r = parse_command(framed, o);
            if (r) {
                check_command(*r, o.limits);
            } else {
                check(!r.error().reason.empty());
                check(r.error().kind != ParseErrorKind::no_tag || r.error().tag.empty());
            }
        }
        (void)parse_sasl_line(framed.text);
        (void)is_idle_done(framed.text);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    g_input = input;
    const std::size_t split = size == 0 ? 0 : data[0] % (size + 1);

    ReceiverOptions defaults;
    ReceiverOptions tight;
    tight.limits.max_line = 64;
    tight.limits.max_literal = 16;
    tight.limits.max_message_literal = 64;
    tight.limits.max_message_total = 100;
    tight.limits.max_command = 128;
    tight.limits.max_literals = 3;
    tight.non_sync = NonSyncLiterals::minus;

    for (const ReceiverOptions& o : {defaults, tight}) {
        Transcript whole = receive(o, input, 0, false);
        same(whole, receive(o, input, split, false));
        if (size <= 4096)
            same(whole, receive(o, input, 0, true));
        parse_all(whole);

        // Streaming the message literals hands out the same octets the buffered run kept.
        ReceiverOptions streaming = o;
        streaming.stream_message_literals = true;
        Transcript streamed = receive(streaming, input, split, false);
        check(streamed.commands.size() == whole.commands.size());
        check(streamed.errors.size() == whole.errors.size());
        std::string kept;
        for (const auto& c : whole.commands) {
            for (const auto& l : c.literals) {
                if (l.message && l.size > 0)
                    kept.append(c.text, l.data, static_cast<std::size_t>(l.size));
            }
        }
        for (const auto& c : streamed.commands) {
            for (const auto& l : c.literals)
                check(l.streamed == (l.message && l.size > 0));
        }
        check(streamed.streamed == kept);
        parse_all(streamed);
    }
    return 0;
}
