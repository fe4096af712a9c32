// Fuzz target for src/proto/pop3 (RFC 1939 commands, multi-line bodies). Every line is parsed
// as a command (a command that parses names a known keyword and has its arguments in range).
// The whole input is written as a RETR body: the result ends with the terminator, no line
// before it is a lone ".", and undoing the byte-stuffing gives the input with CRLF line
// endings back; TOP bodies are prefixes of it.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proto/pop3/command.h"
#include "proto/pop3/responses.h"

namespace {

using namespace postern::proto::pop3;

std::string_view g_input;

void check(bool ok) {
    if (ok)
        return;
    if (std::FILE* f = std::fopen("fuzz_pop3-failure.bin", "wb")) {
        std::fwrite(g_input.data(), 1, g_input.size(), f);
        std::fclose(f);
    }
    std::abort();
}

// The input with every line ending made CRLF and a final CRLF added (what RETR promises).
std::string normalized(std::string_view raw) {
    std::string out;
    std::size_t i = 0;
    while (i < raw.size()) {
        auto lf = raw.find('\n', i);
        auto end = lf == std::string_view::npos ? raw.size() : lf;
        auto line = raw.substr(i, end - i);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        out.append(line);
        out += "\r\n";
        i = lf == std::string_view::npos ? raw.size() : lf + 1;
    }
    return out;
}

// Removes the terminator and the byte-stuffing; nullopt-like empty flag when malformed.
bool unstuff(std::string_view body, std::string& out) {
    if (body.size() < 3 || body.substr(body.size() - 3) != ".\r\n")
        return false;
    body.remove_suffix(3);
    std::size_t i = 0;
    while (i < body.size()) {
        auto crlf = body.find("\r\n", i);
        if (crlf == std::string_view::npos)
            return false;
        auto line = body.substr(i, crlf - i);
        if (line == ".")
            return false;  // would end the response early
        if (!line.empty() && line.front() == '.') {
            if (line.size() < 2 || line[1] != '.')
                return false;
            line.remove_prefix(1);
        }
        out.append(line);
        out += "\r\n";
        i = crlf + 2;
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    g_input = input;
    std::size_t i = 0;
    while (i <= input.size()) {
        auto lf = input.find('\n', i);
        auto end = lf == std::string_view::npos ? input.size() : lf;
        auto c = parse_command(input.substr(i, end - i));
        if (c) {
            check(allowed_states(c->name) != 0);
            check(!command_keyword(c->name).empty());
            if (c->name == CommandName::apop)
                check(c->digest.size() == 32);
        }
        if (lf == std::string_view::npos)
            break;
        i = lf + 1;
    }
    std::string body;
    append_message(body, input);
    std::string back;
    check(unstuff(body, back));
    check(back == normalized(input));
    check(wire_size(input) == back.size());
    for (std::uint64_t n : {0ull, 1ull, 3ull}) {
        std::string top;
        append_message(top, input, n);
        std::string top_back;
        check(unstuff(top, top_back));
        check(back.starts_with(top_back));
    }
    return 0;
}
