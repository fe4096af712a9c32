// Fuzz target for src/proto/managesieve (RFC 5804). The input is framed whole and in pieces of
// a size taken from its first byte: both give the same commands and errors. Every parsed
// command names a known keyword; every string argument written with append_string() and
// framed again parses back to itself.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "proto/managesieve/command.h"
#include "proto/managesieve/responses.h"

namespace {

using namespace postern::proto::managesieve;

std::string_view g_input;

void check(bool ok) {
    if (ok)
        return;
    if (std::FILE* f = std::fopen("fuzz_managesieve-failure.bin", "wb")) {
        std::fwrite(g_input.data(), 1, g_input.size(), f);
        std::fclose(f);
    }
    std::abort();
}

// "c:<text>" per command, "e:<kind>:<close>" per error, in order.
std::vector<std::string> frame(std::string_view input, std::size_t step) {
    ReceiverLimits limits;
    limits.max_line = 256;
    limits.max_literal = 512;
    limits.max_skip = 4096;
    Receiver r(limits);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < input.size()) {
        auto piece = input.substr(pos, std::min(step, input.size() - pos));
        while (!piece.empty()) {
            auto p = r.feed(piece);
            check(p.consumed <= piece.size());
            piece.remove_prefix(p.consumed);
            pos += p.consumed;
            if (p.event == Receiver::Event::command) {
                auto c = r.take_command();
                out.push_back("c:" + c.text);
            } else if (p.event == Receiver::Event::error) {
                auto e = r.take_error();
                out.push_back("e:" + std::to_string(static_cast<int>(e.kind)) + ":" +
                              (e.close ? "1" : "0"));
                if (e.close)
                    return out;
            } else {
                check(piece.empty());
                break;
            }
        }
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    g_input = input;
    std::size_t step = size == 0 ? 1 : (static_cast<unsigned char>(input[0]) % 7) + 1;
    auto whole = frame(input, input.size() + 1);
    check(whole == frame(input, step));

    Receiver r;
    std::string_view rest = input;
    while (!rest.empty()) {
        auto p = r.feed(rest);
        rest.remove_prefix(p.consumed);
        if (p.event == Receiver::Event::need_more)
            break;
        if (p.event == Receiver::Event::error) {
            if (r.take_error().close)
                break;
            continue;
        }
        auto framed = r.take_command();
        auto c = parse_command(framed);
        if (!c)
            continue;
        check(allowed_states(c->name) != 0);
        for (const auto& s : c->strings) {
            std::string line = "NOOP ";
            append_string(line, s);
            line += "\r\n";
            Receiver again;
            auto q = again.feed(line);
            check(q.event == Receiver::Event::command && q.consumed == line.size());
            auto back = parse_command(again.take_command());
            check(back && back->strings.size() == 1 && back->strings[0] == s);
        }
    }
    return 0;
}
