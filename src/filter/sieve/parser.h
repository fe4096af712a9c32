// Sieve lexer and parser (RFC 5228 §2 and §8): comments, quoted and multi-line strings,
// numbers with K/M/G quantifiers, string lists, tags, test lists and blocks, into an ast.h
// tree. Hostile input is bounded by ParseLimits; errors carry line:column. After an error the
// parser recovers and goes on, so one run reports up to max_errors errors. Pure; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "filter/sieve/ast.h"

namespace postern::sieve {

struct ParseLimits {
    std::size_t max_script_bytes = 512 * 1024;
    std::size_t max_nesting = 32;  // blocks and test lists inside each other
    std::size_t max_string_bytes = 128 * 1024;
    std::size_t max_list_items = 1024;  // strings in one list, tests in one test list
    std::size_t max_commands = 20000;   // nodes in the whole script
    std::size_t max_arguments = 32;     // arguments of one command or test
    std::size_t max_identifier = 32;    // characters of a command, test or tag name
    std::size_t max_errors = 100;       // reported errors; one more says parsing gave up
};

struct SyntaxError {
    Position pos;
    std::string message;
    std::string to_string() const;  // "line:col: message"
};

struct ParseResult {
    Script script;
    std::vector<SyntaxError> errors;  // empty on success; at most max_errors + 1
    bool ok() const { return errors.empty(); }
};

ParseResult parse_script(std::string_view source, const ParseLimits& limits = {});

}  // namespace postern::sieve
