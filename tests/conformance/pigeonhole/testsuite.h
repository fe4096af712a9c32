// A test build of the Sieve interpreter with Pigeonhole's vnd.dovecot.testsuite extension
// (test, test_fail, test_set, test_script_compile, test_script_run, test_multiscript,
// test_result_action, test_result_execute, test_result_reset, test_message, test_error,
// test_mailbox_create), enough to run the .svtest files of Pigeonhole's test suite. Test-only:
// never linked into the daemon.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace postern::sieve::testsuite {

struct FileOutcome {
    int tests_passed = 0;
    std::vector<std::string> failed;  // "test name: reason"
    std::string file_error;           // compile error or an error outside any test block
    bool ok() const { return failed.empty() && file_error.empty(); }
};

// Runs one .svtest file (or .svtest.in template). `expect_failure`: the "failures/" mode, where
// every test block must fail.
FileOutcome run_file(const std::filesystem::path& file);

}  // namespace postern::sieve::testsuite
