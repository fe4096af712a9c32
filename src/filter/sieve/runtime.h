// Running a compiled Sieve Program against one message for one recipient: the message view
// (headers, envelope, body, size; editheader changes it), the Environment the host provides
// (mailboxes, included scripts, duplicate tracking, clock), and the Runtime that walks the
// tree within an instruction budget and builds the ActionList (actions.h). Not thread-safe:
// one Runtime per message and recipient; the Program is shared.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "filter/sieve/actions.h"
#include "filter/sieve/compile.h"
#include "filter/sieve/match.h"
#include "mime/message.h"

namespace postern::sieve {

struct Envelope {
    std::string from;     // "" for the null sender
    std::string to;       // the recipient this run is for
    std::string orig_to;  // original recipient (before alias expansion), "" if unknown
    std::string auth;     // authenticated submitter, "" if none
};

// The message under test. editheader changes go through set_headers() so tests see them.
class SieveMessage {
  public:
    SieveMessage() { set_raw(""); }
    explicit SieveMessage(std::string raw) { set_raw(std::move(raw)); }
    void set_raw(std::string raw);

    const std::string& raw() const { return raw_; }
    const mime::ParsedMessage& parsed() const { return parsed_; }
    std::uint64_t size() const { return raw_.size(); }

    struct Field {
        std::string name;
        std::string raw_value;  // after the colon, folds kept, no final line break
    };
    const std::vector<Field>& fields() const { return fields_; }
    // Top-level fields named `name` (case-insensitive), raw values in order.
    std::vector<std::string_view> raw_values(std::string_view name) const;
    std::string_view body() const;               // bytes after the header's blank line
    void set_fields(std::vector<Field> fields);  // rebuilds raw() with the same body

  private:
    std::string raw_;
    mime::ParsedMessage parsed_;
    std::vector<Field> fields_;
    std::size_t body_offset_ = 0;
};

class Environment {
  public:
    virtual ~Environment() = default;
    virtual bool mailbox_exists(std::string_view /*mailbox*/) { return true; }
    // include :personal / :global (RFC 6609 §3.2): the script's source, or nullopt.
    virtual std::optional<std::string> load_script(bool /*global*/, std::string_view /*name*/) {
        return std::nullopt;
    }
    // duplicate (RFC 7352): true when `id` was tracked under `handle` and has not expired.
    virtual bool duplicate_seen(std::string_view /*handle*/, std::string_view /*id*/) {
        return false;
    }
    virtual std::int64_t now() const;        // seconds since the epoch
    virtual int local_zone_minutes() const;  // offset east of UTC for date tests
    virtual std::string_view domain() const { return "localhost"; }
    virtual std::string_view host() const { return domain(); }
    // environment (RFC 5183 §4.1): the value of `item` (lower case), nullopt when unknown.
    // The default knows name, version, location ("MDA"), phase ("during"), domain and host;
    // a delivery adds remote-ip. ext_environment.cpp.
    virtual std::optional<std::string> environment_item(std::string_view item) const;
    // special-use (RFC 8579): the mailbox carrying the attribute `use` ("\\Junk",
    // case-insensitive), nullopt when none does; whether `mailbox` carries it.
    virtual std::optional<std::string> special_use_mailbox(std::string_view /*use*/) {
        return std::nullopt;
    }
    virtual bool has_special_use(std::string_view /*mailbox*/, std::string_view /*use*/) {
        return false;
    }
};

struct ExecLimits {
    std::size_t max_actions = 32;
    std::size_t max_redirects = 4;
    std::uint64_t instruction_budget = 1'000'000;  // nodes evaluated, values compared
    std::size_t max_include_depth = 10;
    std::size_t max_includes = 32;
    std::size_t max_variables = 256;
    std::size_t max_variable_size = 4096;
    std::size_t max_match_values = 10000;  // header values, body parts seen by one test
};

struct ExecResult {
    ActionList actions;  // finished: implicit keep added when not cancelled
    bool ok = true;      // false: runtime error; actions then hold only the implicit keep
    std::vector<std::string> errors;  // "line:col: message"; when ok, warnings
    std::string message;              // the message after editheader changes
    struct Duplicate {
        std::string handle, id;
        std::uint64_t seconds;
    };
    std::vector<Duplicate> duplicates;  // duplicate ids to track once delivery is done
};

// Runs `program`. `message` is changed by editheader. The caller executes the actions.
ExecResult execute(const Program& program, SieveMessage& message, const Envelope& envelope,
                   Environment& environment, const ExecLimits& limits = {});

// The state of one run; command implementations (commands.cpp, tests.cpp, and the test
// suite's extension) use it.
class Runtime {
  public:
    Runtime(const Program& program, SieveMessage& message, const Envelope& envelope,
            Environment& environment, const ExecLimits& limits);

    Flow run_block(const std::vector<Node>& block);
    Flow run_program(const Program& program);  // top level of a script (also includes)
    bool eval(const Node& test);

    // Errors end the run with Flow::error.
    Flow error(const Node& node, std::string message);
    bool failed() const { return failed_; }
    void clear_failure() {
        failed_ = false;
        errors_.clear();
    }
    bool charge(std::uint64_t units = 1);  // false (and error) when the budget is spent

    // Strings with variables expanded (RFC 5229 §3).
    std::string expand(const Argument& arg, std::size_t i = 0) const;
    std::string str(const Argument& arg) const { return expand(arg, 0); }
    std::vector<std::string> list(const Argument& arg) const;

    // Matches `values` against `keys` with the node's comparator/match type/relation, and
    // sets ${0}..${9} on success for :matches/:regex.
    bool match(const Node& node, const std::vector<std::string>& values,
               const std::vector<std::string>& keys);
    bool match_key_arg(const Node& node, const std::vector<std::string>& values,
                       const Argument& keys) {
        return match(node, values, list(keys));
    }

    // Variables.
    std::optional<std::string> variable(std::string_view name) const;
    bool set_variable(const Node& node, std::string_view name, std::string value);
    void declare_global(std::string_view name);

    // Message access.
    std::vector<std::string> header_values(std::string_view name, bool decode = true) const;
    std::vector<std::string> address_values(const Node& node, std::string_view header) const;
    // The same over raw field values (a MIME part's fields, RFC 5703 §4.3).
    std::vector<std::string> address_values(const Node& node,
                                            const std::vector<std::string_view>& raws) const;
    std::string address_part(const Node& node, std::string_view addr) const;

    SieveMessage& message() { return message_; }
    const Envelope& envelope() const { return envelope_; }
    Envelope& mutable_envelope() { return envelope_; }
    Environment& env() { return env_; }
    const ExecLimits& limits() const { return limits_; }
    ActionList& actions() { return actions_; }
    const Program& program() const { return *program_; }
    std::vector<std::string>& errors() { return errors_; }
    std::vector<ExecResult::Duplicate>& duplicates() { return duplicates_; }
    std::string& flags() { return flags_; }  // imap4flags internal variable, space separated
    std::map<std::string, std::string>& locals() { return locals_; }
    std::map<std::string, std::string>& globals() { return *globals_; }
    std::vector<std::string>& match_vars() { return match_vars_; }

    std::shared_ptr<const std::string> edited;  // the message after the last editheader change
    bool suppress_match_vars = false;           // body tests leave ${0}..${9} alone (RFC 5173 §6)

    // include bookkeeping
    std::size_t include_depth = 0;
    std::size_t includes = 0;
    std::vector<std::string> included_once;
    std::vector<std::string> include_stack;
    // Set while an included script runs: names declared "global" there.
    std::vector<std::string>* declared_globals = nullptr;
    const Program* current = nullptr;

    // foreverypart (RFC 5703 §3): the parts the running loops are at, innermost last, and the
    // name a "break :name" is looking for on its way up.
    std::vector<std::uint32_t> loop_parts;
    std::string break_name;

  private:
    const Program* program_;
    SieveMessage& message_;
    Envelope envelope_;
    Environment& env_;
    ExecLimits limits_;
    ActionList actions_;
    std::vector<std::string> errors_;
    std::vector<ExecResult::Duplicate> duplicates_;
    std::string flags_;
    std::map<std::string, std::string> locals_;
    std::shared_ptr<std::map<std::string, std::string>> globals_;
    std::vector<std::string> match_vars_;
    std::vector<std::string> top_globals_;
    std::uint64_t budget_;
    bool failed_ = false;
};

// Flag list helpers (RFC 5232 §3): split on spaces, de-duplicate case-insensitively.
std::vector<std::string> split_flags(std::string_view text);
std::string join_flags(const std::vector<std::string>& flags);

}  // namespace postern::sieve
