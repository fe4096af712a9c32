// Sieve: compile + run of a 200-rule script per message, and run alone with the compiled form
// from the cache (what delivery does after the first message), in µs per message.
#include <string>

#include <benchmark/benchmark.h>

#include "filter/sieve/compile.h"
#include "filter/sieve/runtime.h"

namespace {

using namespace postern::sieve;

std::string two_hundred_rules() {
    std::string s =
        "require [\"fileinto\", \"envelope\", \"relational\", \"comparator-i;ascii-numeric\", "
        "\"variables\", \"imap4flags\", \"body\", \"subaddress\"];\n";
    for (int i = 0; i < 200; ++i) {
        switch (i % 5) {
            case 0:
                s += "if header :contains \"subject\" \"project-" + std::to_string(i) +
                     "\" { fileinto \"Projects/" + std::to_string(i) + "\"; stop; }\n";
                break;
            case 1:
                s += "if address :domain :is \"from\" \"customer" + std::to_string(i) +
                     ".example\" { addflag \"$Customer\"; fileinto \"Customers\"; }\n";
                break;
            case 2:
                s += "if allof (envelope :detail \"to\" \"list" + std::to_string(i) +
                     "\", header :matches \"list-id\" \"*<list" + std::to_string(i) +
                     ".*>\") { fileinto \"Lists/${1}\"; }\n";
                break;
            case 3:
                s += "if header :value \"ge\" :comparator \"i;ascii-numeric\" \"x-priority\" \"" +
                     std::to_string(100 + i) + "\" { discard; }\n";
                break;
            default:
                s += "if anyof (header :is \"x-mailer\" \"bulk-" + std::to_string(i) +
                     "\", size :over 10M) { fileinto \"Junk\"; }\n";
                break;
        }
    }
    return s;
}

const char* kMessage =
    "Return-Path: <someone@example.org>\r\n"
    "Received: from mx.example.org by mx.example.test; Tue, 14 Nov 2023 10:00:00 +0000\r\n"
    "From: Someone <someone@example.org>\r\n"
    "To: user+news@example.test\r\n"
    "Subject: Quarterly numbers\r\n"
    "Date: Tue, 14 Nov 2023 10:00:00 +0000\r\n"
    "Message-ID: <bench@example.org>\r\n"
    "X-Priority: 3\r\n"
    "Content-Type: text/plain\r\n\r\n"
    "Hello, the numbers are attached.\r\n";

void BM_SieveCompileAndRun200Rules(benchmark::State& state) {
    std::string script = two_hundred_rules();
    Environment env;
    Envelope envelope{"someone@example.org", "user+news@example.test", "", ""};
    for (auto _ : state) {
        auto compiled = compile(script);
        SieveMessage message{std::string(kMessage)};
        auto result = execute(*compiled.program, message, envelope, env);
        benchmark::DoNotOptimize(result.actions.actions().size());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SieveCompileAndRun200Rules)->Unit(benchmark::kMicrosecond);

void BM_SieveCachedRun200Rules(benchmark::State& state) {
    std::string script = two_hundred_rules();
    ProgramCache cache;
    Environment env;
    Envelope envelope{"someone@example.org", "user+news@example.test", "", ""};
    for (auto _ : state) {
        auto compiled = cache.get(script);
        SieveMessage message{std::string(kMessage)};
        auto result = execute(*compiled.program, message, envelope, env);
        benchmark::DoNotOptimize(result.actions.actions().size());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SieveCachedRun200Rules)->Unit(benchmark::kMicrosecond);

void BM_SieveCompileOnly200Rules(benchmark::State& state) {
    std::string script = two_hundred_rules();
    for (auto _ : state) {
        auto compiled = compile(script);
        benchmark::DoNotOptimize(compiled.program.get());
    }
}
BENCHMARK(BM_SieveCompileOnly200Rules)->Unit(benchmark::kMicrosecond);

}  // namespace
