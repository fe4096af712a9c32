// Fuzz target for src/filter/sieve: any input either fails to compile with at least one
// "line:col" error, or compiles and runs to an action list that is never empty (the implicit
// keep at least, or a cancelling action) within the limits.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/sieve/compile.h"
#include "filter/sieve/runtime.h"

namespace {

std::string_view g_input;

void check(bool ok) {
    if (ok)
        return;
    if (std::FILE* f = std::fopen("fuzz_sieve-failure.bin", "wb")) {
        std::fwrite(g_input.data(), 1, g_input.size(), f);
        std::fclose(f);
    }
    std::abort();
}

const char* kMessage =
    "From: a@example.org\r\nTo: b+x@example.test\r\nSubject: fuzz =?utf-8?q?t=C3=A9st?=\r\n"
    "Date: Tue, 14 Nov 2023 10:00:00 +0100\r\nX-Postern-Spam-Level: 7\r\n"
    "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\ntext\r\n--b--\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace postern::sieve;
    g_input = std::string_view(reinterpret_cast<const char*>(data), size);
    CompileOptions options;
    options.parse.max_script_bytes = 64 * 1024;
    options.parse.max_nesting = 16;
    CompileResult c = compile(g_input, options);
    if (!c.program) {
        check(!c.errors.empty());
        return 0;
    }
    Environment env;
    ExecLimits limits;
    limits.instruction_budget = 20000;
    SieveMessage message{std::string(kMessage)};
    Envelope envelope{"a@example.org", "b+x@example.test", "", ""};
    ExecResult r = execute(*c.program, message, envelope, env, limits);
    check(r.ok || !r.errors.empty());
    check(!r.actions.actions().empty() || r.actions.cancelled());
    return 0;
}
