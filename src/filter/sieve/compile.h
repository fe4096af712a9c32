// The Sieve validator and compiled form: a Registry of command/test specifications (core RFC
// 5228 §3-§5 plus extensions), compile() = parse + validate (require'd extensions, argument
// types and tags, unknown commands -> "line:col: message"), and Program, the immutable
// validated tree that execute() (runtime.h) walks. A Program is shared between threads.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "filter/sieve/ast.h"
#include "filter/sieve/parser.h"

namespace postern::sieve {

class Runtime;
class Validator;

enum class ArgType : std::uint8_t { none, string, string_list, number };

struct TagSpec {
    std::string name;
    ArgType arg = ArgType::none;
    std::string extension;  // required extension, "" when part of the command's own
};

// What a command returns to the walker.
// loop_break: "break" (RFC 5703 §3) on its way to the foreverypart it ends.
enum class Flow : std::uint8_t { next, stop, error, returned, test_failed, loop_break };

struct CommandSpec {
    std::string name;
    bool is_test = false;
    bool both = false;      // usable as a command and as a test (the test suite's test_message)
    std::string extension;  // "" = core
    std::vector<TagSpec> tags;
    std::vector<ArgType> positional;
    std::size_t min_positional = SIZE_MAX;  // SIZE_MAX: all of them
    bool match = false;                     // :comparator and match types (and relational)
    bool address_part = false;              // :all/:localpart/:domain (+ :user/:detail)
    bool index = false;                     // :index N / :last (RFC 5260 §6)
    enum class Sub : std::uint8_t { none, test, test_list, block, block_optional } sub = Sub::none;
    std::function<bool(Validator&, Node&)> check;  // extra validation; false = error reported
    std::function<Flow(Runtime&, const Node&)> run;
    std::function<bool(Runtime&, const Node&)> eval;
};

class Registry {
  public:
    // Every command, test and extension Postern implements.
    static const Registry& standard();

    void add(CommandSpec spec);
    void add_extension(std::string name) { extensions_.insert(std::move(name)); }
    // An extension that may only be required together with `needs` (RFC 5703 §7 extracttext).
    void add_extension(std::string name, std::vector<std::string> needs) {
        needs_[name] = std::move(needs);
        extensions_.insert(std::move(name));
    }
    const std::vector<std::string>* needs(std::string_view name) const {
        auto it = needs_.find(name);
        return it == needs_.end() ? nullptr : &it->second;
    }
    const CommandSpec* find(std::string_view name) const;
    bool has_extension(std::string_view name) const;
    const std::set<std::string>& extensions() const { return extensions_; }

  private:
    std::map<std::string, CommandSpec, std::less<>> specs_;
    std::set<std::string> extensions_;
    std::map<std::string, std::vector<std::string>, std::less<>> needs_;
};

struct CompileOptions {
    ParseLimits parse;
    const Registry* registry = nullptr;  // nullptr: Registry::standard()
    std::size_t max_variable_name = 64;
    std::size_t max_variables = 256;      // distinct names set by one script (ExecLimits too)
    std::size_t max_match_variable = 32;  // highest ${N} a script may refer to
};

struct Program {
    Script script;
    std::set<std::string> extensions;  // require'd
    std::string hash;                  // SHA-256 hex of the source
    bool variables = false;
    bool has(std::string_view ext) const { return extensions.count(std::string(ext)) != 0; }
};

struct CompileResult {
    std::shared_ptr<const Program> program;  // null on error
    std::vector<SyntaxError> errors;
    std::vector<SyntaxError> warnings;
    std::string error_text() const;  // errors joined by newlines
};

CompileResult compile(std::string_view source, const CompileOptions& options = {});

// Validation context handed to CommandSpec::check.
class Validator {
  public:
    Validator(const Registry& registry, Program& program, std::vector<SyntaxError>& errors,
              std::vector<SyntaxError>& warnings)
        : registry_(registry), program_(program), errors_(errors), warnings_(warnings) {}
    // Records an error; past max_errors, one more saying so, then nothing (see gave_up()).
    void error(Position pos, std::string message) {
        if (errors_.size() < max_errors) {
            errors_.push_back({pos, std::move(message)});
        } else if (!gave_up_) {
            errors_.push_back(
                {pos, "too many errors (limit " + std::to_string(max_errors) + "), giving up"});
            gave_up_ = true;
        }
    }
    bool gave_up() const { return gave_up_; }
    void warning(Position pos, std::string message) {
        warnings_.push_back({pos, std::move(message)});
    }
    bool has(std::string_view ext) const { return program_.has(ext); }
    const Registry& registry() const { return registry_; }
    Program& program() { return program_; }
    std::size_t max_variable_name = 64;
    // Set by an ihave test naming a capability this server lacks (RFC 5463 §4): the block of
    // the if/elsif it guards is then not validated.
    bool ihave_unknown = false;
    // The commands whose blocks are being validated, outermost first (foreverypart, break).
    std::vector<const Node*> enclosing;
    std::size_t max_variables = 256;
    std::size_t max_match_variable = 32;
    std::size_t max_errors = 100;
    std::set<std::string, std::less<>> declared_variables;  // names set so far (set command)

  private:
    const Registry& registry_;
    Program& program_;
    std::vector<SyntaxError>& errors_;
    std::vector<SyntaxError>& warnings_;
    bool gave_up_ = false;
};

// Variable name syntax (RFC 5229 §3): identifier *("." identifier), or digits.
bool valid_variable_name(std::string_view name, bool allow_digits);

// Whether a variable namespace ("global" of include, RFC 6609 §3.4) is available to the
// script being validated (compared case-insensitively).
bool known_namespace(const Validator& v, std::string_view ns);

// Compiled programs by content hash. Thread-safe; bounded (least recently used dropped).
class ProgramCache {
  public:
    explicit ProgramCache(std::size_t capacity = 256);
    CompileResult get(std::string_view source, const CompileOptions& options = {});
    std::size_t size() const;
    std::uint64_t hits() const;

  private:
    struct Impl;
    std::shared_ptr<Impl> impl_;
    std::size_t capacity_;
};

std::string sha256_hex(std::string_view data);

}  // namespace postern::sieve
