// Validation of a parsed Sieve script: RFC 5228 §2.6-§2.7 (argument and tag rules), §3.2
// (require), §3.1 (if/elsif/else order), RFC 5229 §3 (variable name syntax), RFC 5228 §2.10.5
// and RFC 5435 (encoded-character, §2.4.2.4 of RFC 5228 via RFC 5228 errata/RFC 5435 §2).
#include "filter/sieve/compile.h"

#include <algorithm>
#include <list>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "base/strings.h"
#include "filter/sieve/match.h"

namespace postern::sieve {

void Registry::add(CommandSpec spec) {
    std::string name = spec.name;
    specs_[name] = std::move(spec);
}

const CommandSpec* Registry::find(std::string_view name) const {
    auto it = specs_.find(name);
    return it == specs_.end() ? nullptr : &it->second;
}

bool Registry::has_extension(std::string_view name) const {
    return extensions_.count(std::string(name)) != 0;
}

std::string CompileResult::error_text() const {
    std::string out;
    for (const auto& e : errors) {
        if (!out.empty())
            out += '\n';
        out += e.to_string();
    }
    return out;
}

bool valid_variable_name(std::string_view name, bool allow_digits) {
    if (name.empty())
        return false;
    if (std::isdigit(static_cast<unsigned char>(name[0]))) {
        if (!allow_digits)
            return false;
        return std::all_of(name.begin(), name.end(),
                           [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
    }
    bool start = true;
    for (char c : name) {
        if (c == '.') {
            if (start)
                return false;
            start = true;
            continue;
        }
        bool alpha = std::isalpha(static_cast<unsigned char>(c)) || c == '_';
        if (start && !alpha)
            return false;
        if (!alpha && !std::isdigit(static_cast<unsigned char>(c)))
            return false;
        start = false;
    }
    return !start;
}

bool known_namespace(const Validator& v, std::string_view ns) {
    return v.has("include") && iequals(ns, "global");
}

std::string sha256_hex(std::string_view data) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
    std::string out;
    for (unsigned int i = 0; i < len; ++i)
        out += fmt::format("{:02x}", md[i]);
    return out;
}

namespace {

void append_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

// RFC 5228 §2.4.2.4 encoded-character: "${hex:41 42}" and "${unicode:263a}". Sequences that
// are not well-formed stay as written; an invalid code point is an error.
bool decode_encoded_characters(std::string& s, std::string* error) {
    if (s.find("${") == std::string::npos)
        return true;
    std::string out;
    std::size_t i = 0;
    while (i < s.size()) {
        if (s.compare(i, 2, "${") != 0) {
            out.push_back(s[i++]);
            continue;
        }
        std::size_t close = s.find('}', i + 2);
        if (close == std::string::npos) {
            out.append(s, i, std::string::npos);
            break;
        }
        std::string_view inner(s.data() + i + 2, close - i - 2);
        std::size_t colon = inner.find(':');
        std::string kind;
        if (colon != std::string_view::npos) {
            for (char c : inner.substr(0, colon))
                kind.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
        }
        if (kind != "hex" && kind != "unicode") {
            out.append("${");
            i += 2;
            continue;
        }
        std::string_view body = inner.substr(colon + 1);
        std::string decoded;
        bool good = true;
        std::size_t k = 0;
        std::size_t items = 0;
        while (k < body.size()) {
            char c = body[k];
            if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
                ++k;
                continue;
            }
            std::size_t start = k;
            while (k < body.size() && std::isxdigit(static_cast<unsigned char>(body[k])))
                ++k;
            if (k == start || (k < body.size() && body[k] != ' ' && body[k] != '\t' &&
                               body[k] != '\r' && body[k] != '\n')) {
                good = false;
                break;
            }
            std::string_view hex = body.substr(start, k - start);
            ++items;
            if (kind == "hex") {
                if (hex.size() > 2) {
                    good = false;
                    break;
                }
                decoded.push_back(static_cast<char>(std::stoul(std::string(hex), nullptr, 16)));
            } else {
                while (hex.size() > 1 && hex[0] == '0')
                    hex.remove_prefix(1);
                if (hex.size() > 6) {
                    *error = "invalid unicode character in encoded-character";
                    return false;
                }
                auto cp = static_cast<std::uint32_t>(std::stoul(std::string(hex), nullptr, 16));
                if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
                    *error =
                        fmt::format("invalid unicode character U+{:X} in encoded-character", cp);
                    return false;
                }
                append_utf8(decoded, cp);
            }
        }
        if (!good) {
            out.append("${");
            i += 2;
            continue;
        }
        if (items == 0) {  // "${hex:}" has nothing to decode: literal
            out.append("${");
            i += 2;
            continue;
        }
        out += decoded;
        i = close + 1;
    }
    s = std::move(out);
    return true;
}

const char* arg_type_name(ArgType t) {
    switch (t) {
        case ArgType::string:
            return "a string";
        case ArgType::string_list:
            return "a string list";
        case ArgType::number:
            return "a number";
        case ArgType::none:
            return "nothing";
    }
    return "?";
}

bool arg_fits(const Argument& a, ArgType t) {
    switch (t) {
        case ArgType::string:
            return a.kind == Argument::Kind::string_list && a.single;
        case ArgType::string_list:
            return a.kind == Argument::Kind::string_list;
        case ArgType::number:
            return a.kind == Argument::Kind::number;
        case ArgType::none:
            return false;
    }
    return false;
}

const char* arg_kind_name(const Argument& a) {
    switch (a.kind) {
        case Argument::Kind::number:
            return "a number";
        case Argument::Kind::tag:
            return "a tag";
        case Argument::Kind::string_list:
            return a.single ? "a string" : "a string list";
    }
    return "?";
}

class Checker {
  public:
    Checker(const Registry& registry, Program& program, std::vector<SyntaxError>& errors,
            std::vector<SyntaxError>& warnings, const CompileOptions& options)
        : v_(registry, program, errors, warnings), errors_(errors) {
        v_.max_variable_name = options.max_variable_name;
        v_.max_variables = options.max_variables;
        v_.max_match_variable = options.max_match_variable;
        v_.max_errors = options.parse.max_errors;
    }

    void run(Script& script) {
        bool requires_done = false;
        for (auto& node : script.commands) {
            if (node.name == "require") {
                if (requires_done) {
                    v_.error(node.pos,
                             "require command can only be placed at top level at the beginning "
                             "of the file");
                    continue;
                }
                do_require(node);
            } else {
                requires_done = true;
            }
        }
        for (const auto& node : script.commands) {
            if (node.name != "require")
                break;
            for (const auto& ext : v_.program().script.requires_) {
                const auto* needs = v_.registry().needs(ext);
                for (std::size_t i = 0; needs && i < needs->size(); ++i)
                    if (!v_.has((*needs)[i]))
                        v_.error(node.pos, fmt::format("the '{}' extension cannot be used without "
                                                       "the '{}' extension",
                                                       ext, (*needs)[i]));
            }
            break;
        }
        v_.program().variables = v_.has("variables");
        commands(script.commands, 0, true);
    }

  private:
    Validator v_;
    std::vector<SyntaxError>& errors_;
    std::set<std::string> unknown_;  // command and test names reported as unknown
    std::set<std::pair<std::string, std::string>> unknown_tags_;  // (command, tag) reported

    void do_require(Node& node) {
        if (node.args.size() != 1 || node.args[0].kind != Argument::Kind::string_list ||
            !node.tests.empty() || node.has_block) {
            v_.error(node.pos, "require command expects one string list argument");
            return;
        }
        node.spec = v_.registry().find("require");
        for (auto& ext : node.args[0].strings) {
            std::string e = ext;
            std::transform(e.begin(), e.end(), e.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            if (!v_.registry().has_extension(e)) {
                v_.error(node.pos, fmt::format("require: unknown Sieve capability '{}'", ext));
                continue;
            }
            v_.program().extensions.insert(e);
            // spamtestplus implies spamtest (RFC 5235 §3.2), vacation-seconds implies vacation
            // (RFC 6131 §2).
            if (e == "spamtestplus")
                v_.program().extensions.insert("spamtest");
            if (e == "vacation-seconds")
                v_.program().extensions.insert("vacation");
            v_.program().script.requires_.push_back(e);
        }
    }

    // Validates a block's commands. Like RFC-conforming compilers, a command with an error
    // does not stop the walk: every command is checked, and its tests and block too when that
    // can say something new (a command that is unknown or misused is not descended into).
    void commands(std::vector<Node>& list, std::size_t depth, bool top) {
        const Node* prev = nullptr;
        for (auto& node : list) {
            if (v_.gave_up())
                return;
            if (node.name == "require") {
                if (!top)
                    v_.error(node.pos, "require command can only be placed at top level");
                prev = &node;
                continue;
            }
            if (context(node, false))
                command(node, depth, false, prev);
            prev = &node;
        }
    }

    // Resolves the node's specification: false (reported once per name) for an unknown name
    // or a command used as a test and the other way round.
    bool context(Node& node, bool as_test) {
        const CommandSpec* spec = v_.registry().find(node.name);
        if (!spec || (!spec->extension.empty() && !v_.has(spec->extension))) {
            if (!unknown_.insert(node.name).second)
                return false;
            if (spec && !spec->extension.empty()) {
                v_.error(
                    node.pos,
                    fmt::format("unknown {} '{}' (the '{}' extension is not required)",
                                spec->is_test ? "test" : "command", node.name, spec->extension));
            } else {
                v_.error(node.pos,
                         fmt::format("unknown {} '{}'", as_test ? "test" : "command", node.name));
            }
            return false;
        }
        if (spec->is_test != as_test && !spec->both) {
            v_.error(node.pos,
                     fmt::format("cannot use {} '{}' as a {}", spec->is_test ? "test" : "command",
                                 node.name, as_test ? "test" : "command"));
            return false;
        }
        node.spec = spec;
        return true;
    }

    // How many subordinate tests a command takes: 0, 1, or 2 for a test list.
    static int subtests_of(const CommandSpec& spec) {
        using Sub = CommandSpec::Sub;
        if (spec.sub == Sub::test || spec.name == "if" || spec.name == "elsif")
            return 1;
        return spec.sub == Sub::test_list ? 2 : 0;
    }

    bool check_subtests(Node& node, const CommandSpec& spec) {
        const char* kind = spec.is_test ? "test" : "command";
        switch (subtests_of(spec)) {
            case 0: {
                if (node.tests.empty())
                    return true;
                // A test where none belongs is mostly a typo: a missing ';' before the next
                // command, or a missing ':' before a tag.
                const Node& t = node.tests.front();
                const CommandSpec* other = v_.registry().find(t.name);
                if (other && other->is_test) {
                    v_.error(node.pos, fmt::format("the {} {} accepts no sub-tests, but tests are "
                                                   "specified",
                                                   node.name, kind));
                } else if (!other && tag_exists(spec, t.name)) {
                    v_.error(node.pos, fmt::format("missing colon ':' before the :{} tag of the "
                                                   "{} {}",
                                                   t.name, node.name, kind));
                } else {
                    v_.error(node.pos,
                             fmt::format("missing semicolon ';' after the {} {}", node.name, kind));
                }
                return false;
            }
            case 1:
                if (node.tests.empty()) {
                    v_.error(node.pos, fmt::format("the {} {} requires one sub-test, but none is "
                                                   "specified",
                                                   node.name, kind));
                    return false;
                }
                if (node.tests.size() > 1 || node.test_list) {
                    v_.error(node.pos, fmt::format("the {} {} requires one sub-test, but a list "
                                                   "of tests is specified",
                                                   node.name, kind));
                    return false;
                }
                return true;
            default:
                if (node.tests.empty()) {
                    v_.error(node.pos, fmt::format("the {} {} requires a list of sub-tests, but "
                                                   "none is specified",
                                                   node.name, kind));
                    return false;
                }
                if (!node.test_list) {
                    v_.error(node.pos, fmt::format("the {} {} requires a list of sub-tests, but "
                                                   "a single test is specified",
                                                   node.name, kind));
                    return false;
                }
                return true;
        }
    }

    bool check_block(const Node& node, const CommandSpec& spec) {
        using Sub = CommandSpec::Sub;
        if (spec.sub == Sub::block && !node.has_block) {
            v_.error(node.pos,
                     fmt::format("the {} command requires a block, but it is missing", node.name));
            return false;
        }
        if (spec.sub != Sub::block && spec.sub != Sub::block_optional && node.has_block) {
            v_.error(node.pos,
                     fmt::format("the {} command does not take a block, but one is specified",
                                 node.name));
            return false;
        }
        return true;
    }

    static bool tag_exists(const CommandSpec& spec, std::string_view t) {
        if (spec.match && (t == "is" || t == "contains" || t == "matches" || t == "regex" ||
                           t == "value" || t == "count" || t == "comparator"))
            return true;
        if (spec.address_part &&
            (t == "all" || t == "localpart" || t == "domain" || t == "user" || t == "detail"))
            return true;
        if (spec.index && (t == "index" || t == "last"))
            return true;
        return std::any_of(spec.tags.begin(), spec.tags.end(),
                           [&](const TagSpec& ts) { return ts.name == t; });
    }

    // node.spec is set (context() accepted it). Checks arguments, then tests and block, then
    // the command's own rules; an error in the arguments skips the later checks of the same
    // command (they would mostly repeat it) but not its tests and block.
    void command(Node& node, std::size_t depth, bool as_test, const Node* prev) {
        const CommandSpec& spec = *node.spec;
        if (!arguments(node, spec)) {
            check_subtests(node, spec);  // a tag without ':' parses as a test
        } else if (!check_subtests(node, spec) || (!as_test && !check_block(node, spec))) {
            // reported
        } else if ((node.name == "elsif" || node.name == "else") &&
                   (!prev || (prev->name != "if" && prev->name != "elsif"))) {
            v_.error(node.pos,
                     fmt::format("{} command must follow an if or elsif command", node.name));
        } else if (positional_types(node, spec) && spec.check) {
            spec.check(v_, node);
        }
        bool guarded = false;
        if (subtests_of(spec) > 0) {
            v_.ihave_unknown = false;
            for (auto& t : node.tests)
                if (context(t, true))
                    command(t, depth + 1, true, nullptr);
            // RFC 5463 §4: "if ihave" of a missing capability guards a block that may use it.
            guarded = v_.ihave_unknown && node.tests.size() == 1 && node.tests[0].name == "ihave";
            v_.ihave_unknown = false;
        }
        using Sub = CommandSpec::Sub;
        if (!as_test && node.has_block && !guarded &&
            (spec.sub == Sub::block || spec.sub == Sub::block_optional)) {
            v_.enclosing.push_back(&node);
            commands(node.block, depth + 1, false);
            v_.enclosing.pop_back();
        }
    }

    void strings(Argument& a) {
        a.dynamic.assign(a.strings.size(), false);
        for (std::size_t i = 0; i < a.strings.size(); ++i) {
            if (v_.has("encoded-character")) {
                std::string err;
                if (!decode_encoded_characters(a.strings[i], &err))
                    v_.error(a.pos, err);
            }
            if (v_.program().variables && a.strings[i].find("${") != std::string::npos) {
                a.dynamic[i] = true;
                check_references(a, a.strings[i]);
            }
        }
    }

    // RFC 5229 §3: a reference to a namespace no extension provides is an error, and so is a
    // match variable above the supported index. Reported once per argument.
    void check_references(const Argument& a, std::string_view s) {
        for (std::size_t at = s.find("${"); at != std::string_view::npos;
             at = s.find("${", at + 2)) {
            std::size_t end = at + 2;
            while (end < s.size() && (std::isalnum(static_cast<unsigned char>(s[end])) ||
                                      s[end] == '_' || s[end] == '.'))
                ++end;
            if (end >= s.size() || s[end] != '}')
                continue;
            std::string_view name = s.substr(at + 2, end - at - 2);
            if (!valid_variable_name(name, true))
                continue;
            if (std::isdigit(static_cast<unsigned char>(name[0]))) {
                if (name.size() > 9 || std::stoul(std::string(name)) > v_.max_match_variable) {
                    v_.error(a.pos, fmt::format("match variable ${{{}}} is out of range (at most "
                                                "${{{}}})",
                                                name, v_.max_match_variable));
                    return;
                }
            } else if (name.find('.') != std::string_view::npos &&
                       !known_namespace(v_, name.substr(0, name.find('.')))) {
                v_.error(a.pos, fmt::format("unknown variable namespace '{}' in ${{{}}}",
                                            name.substr(0, name.find('.')), name));
                return;
            }
        }
    }

    struct TagInfo {
        bool known = false;
        ArgType value = ArgType::none;
        std::string ext;  // extension the tag needs, "" for none
    };

    static TagInfo tag_info(const CommandSpec& spec, const std::string& t) {
        TagInfo info;
        if (spec.match && (t == "is" || t == "contains" || t == "matches" || t == "regex" ||
                           t == "value" || t == "count")) {
            info.known = true;
            if (t == "regex")
                info.ext = "regex";
            if (t == "value" || t == "count") {
                info.ext = "relational";
                info.value = ArgType::string;
            }
        } else if (spec.match && t == "comparator") {
            info.known = true;
            info.value = ArgType::string;
        } else if (spec.address_part && (t == "all" || t == "localpart" || t == "domain" ||
                                         t == "user" || t == "detail")) {
            info.known = true;
            if (t == "user" || t == "detail")
                info.ext = "subaddress";
        } else if (spec.index && (t == "index" || t == "last")) {
            info.known = true;
            if (spec.extension != "editheader")
                info.ext = "index";  // deleteheader has its own
            if (t == "index")
                info.value = ArgType::number;
        } else {
            for (const auto& ts : spec.tags) {
                if (ts.name == t) {
                    info.known = true;
                    info.value = ts.arg;
                    info.ext = ts.extension;
                    break;
                }
            }
        }
        return info;
    }

    // What the k-th (0-based) positional argument of a command is, for error messages.
    static std::string positional_name(const CommandSpec& spec, std::size_t k) {
        if (spec.match && k + 1 == spec.positional.size())
            return " (key list)";
        if (k == 0 && spec.name == "header")
            return " (header names)";
        if (k == 0 && spec.name == "address")
            return " (header list)";
        if (k == 0 && spec.name == "envelope")
            return " (envelope part)";
        return "";
    }

    // Tags first (RFC 5228 §2.6.2: tagged arguments precede the positional ones), then the
    // number of positional arguments. False after the first error: one bad argument makes
    // the rest of the command's checks mostly noise.
    bool arguments(Node& node, const CommandSpec& spec) {
        const char* kind = spec.is_test ? "test" : "command";
        std::size_t errors_before = errors_.size();
        for (const auto& a : node.args) {
            if (a.kind != Argument::Kind::tag || tag_info(spec, a.tag).known)
                continue;
            if (unknown_tags_.emplace(node.name, a.tag).second)
                v_.error(a.pos, fmt::format("unknown tagged argument ':{}' for the {} {} "
                                            "(reported only once at first occurrence)",
                                            a.tag, node.name, kind));
            return false;
        }
        bool saw_match = false, saw_comparator = false, saw_part = false;
        std::string match_tag;
        std::size_t i = 0;
        for (; i < node.args.size() && node.args[i].kind == Argument::Kind::tag; ++i) {
            const std::string& t = node.args[i].tag;
            Position pos = node.args[i].pos;
            TagInfo info = tag_info(spec, t);
            if (!info.ext.empty() && !v_.has(info.ext)) {
                v_.error(pos, fmt::format("tag ':{}' for {} needs the '{}' extension", t, node.name,
                                          info.ext));
                return false;
            }
            if (node.has_tag(t)) {
                v_.error(pos, fmt::format("tag ':{}' given more than once for the {} {}", t,
                                          node.name, kind));
                return false;
            }
            if (spec.match && (t == "is" || t == "contains" || t == "matches" || t == "regex" ||
                               t == "value" || t == "count")) {
                if (saw_match) {
                    v_.error(pos, fmt::format("multiple match types specified (:{} after :{})", t,
                                              match_tag));
                    return false;
                }
                saw_match = true;
                match_tag = t;
                node.match_type = static_cast<int>(t == "is"         ? MatchType::is
                                                   : t == "contains" ? MatchType::contains
                                                   : t == "matches"  ? MatchType::matches
                                                   : t == "regex"    ? MatchType::regex
                                                   : t == "value"    ? MatchType::value
                                                                     : MatchType::count);
            } else if (spec.match && t == "comparator") {
                if (saw_comparator) {
                    v_.error(pos, "multiple comparators specified");
                    return false;
                }
                saw_comparator = true;
            } else if (spec.address_part && (t == "all" || t == "localpart" || t == "domain" ||
                                             t == "user" || t == "detail")) {
                if (saw_part) {
                    v_.error(pos, "multiple address parts specified");
                    return false;
                }
                saw_part = true;
                node.address_part = static_cast<int>(t == "all"         ? AddressPart::all
                                                     : t == "localpart" ? AddressPart::localpart
                                                     : t == "domain"    ? AddressPart::domain
                                                     : t == "user"      ? AddressPart::user
                                                                        : AddressPart::detail);
            }
            if (info.value == ArgType::none) {
                node.tags.emplace_back(t, -1);
                continue;
            }
            if (i + 1 >= node.args.size() || !arg_fits(node.args[i + 1], info.value)) {
                v_.error(pos, fmt::format("tag ':{}' for {} expects {} argument", t, node.name,
                                          arg_type_name(info.value)));
                return false;
            }
            ++i;
            if (node.args[i].kind == Argument::Kind::string_list)
                strings(node.args[i]);
            node.tags.emplace_back(t, static_cast<int>(i));
        }
        if (spec.index) {  // RFC 5260 §6: :last only with :index, and fields count from 1
            if (node.has_tag("last") && !node.has_tag("index")) {
                v_.error(node.pos, fmt::format("the :last tag of the {} {} needs the :index tag",
                                               node.name, kind));
                return false;
            }
            if (const Argument* idx = node.tag_value("index"); idx && idx->number == 0) {
                v_.error(idx->pos, "the :index value must be 1 or more");
                return false;
            }
        }
        for (; i < node.args.size(); ++i) {
            Argument& a = node.args[i];
            if (a.kind == Argument::Kind::tag) {
                v_.error(a.pos, fmt::format("unexpected tagged argument ':{}' after the "
                                            "positional arguments of the {} {}",
                                            a.tag, node.name, kind));
                return false;
            }
            if (a.kind == Argument::Kind::string_list)
                strings(a);
            node.positional.push_back(static_cast<int>(i));
        }
        std::size_t min =
            spec.min_positional == SIZE_MAX ? spec.positional.size() : spec.min_positional;
        std::size_t n = node.positional.size();
        if (n < min || n > spec.positional.size()) {
            v_.error(node.pos,
                     fmt::format("the {} {} requires {} positional argument{}, but {} {} specified",
                                 node.name, kind,
                                 min == spec.positional.size()
                                     ? std::to_string(min)
                                     : fmt::format("{} to {}", min, spec.positional.size()),
                                 spec.positional.size() == 1 ? "" : "s", n, n == 1 ? "is" : "are"));
            return false;
        }
        if (spec.match && !match_options(node))
            return false;
        return errors_.size() == errors_before;
    }

    // The types of the positional arguments; checked after the tests and block, like the
    // command's own rules.
    bool positional_types(Node& node, const CommandSpec& spec) {
        for (std::size_t k = 0; k < node.positional.size(); ++k) {
            Argument& a = node.args[static_cast<std::size_t>(node.positional[k])];
            if (!arg_fits(a, spec.positional[k])) {
                v_.error(a.pos, fmt::format("the {} {} expects {} as argument {}{}, but {} was "
                                            "found",
                                            node.name, spec.is_test ? "test" : "command",
                                            arg_type_name(spec.positional[k]), k + 1,
                                            positional_name(spec, k), arg_kind_name(a)));
                return false;
            }
        }
        return true;
    }

    bool match_options(Node& node) {
        std::size_t errors_before = errors_.size();
        if (const Argument* c = node.tag_value("comparator")) {
            const std::string& name = c->strings[0];
            auto cmp = comparator_from_name(name);
            if (!cmp) {
                v_.error(c->pos, fmt::format("unknown comparator '{}'", name));
                return false;
            }
            std::string lname = name;
            std::transform(lname.begin(), lname.end(), lname.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            if (*cmp != Comparator::octet && *cmp != Comparator::ascii_casemap &&
                *cmp != Comparator::unicode_casemap && !v_.has("comparator-" + lname)) {
                v_.error(c->pos, fmt::format("comparator '{}' needs require \"comparator-{}\"",
                                             name, lname));
                return false;
            }
            node.comparator = static_cast<int>(*cmp);
            auto mt = static_cast<MatchType>(node.match_type);
            if (*cmp == Comparator::ascii_numeric &&
                (mt == MatchType::contains || mt == MatchType::matches || mt == MatchType::regex))
                v_.error(c->pos,
                         fmt::format("comparator '{}' does not support the :{} match type", name,
                                     mt == MatchType::contains  ? "contains"
                                     : mt == MatchType::matches ? "matches"
                                                                : "regex"));
        }
        auto mt = static_cast<MatchType>(node.match_type);
        if (mt == MatchType::value || mt == MatchType::count) {
            const Argument* r = node.tag_value(mt == MatchType::value ? "value" : "count");
            if (r) {
                auto rel = relation_from_name(r->strings[0]);
                if (!rel) {
                    v_.error(r->pos,
                             fmt::format("invalid relational match type '{}'", r->strings[0]));
                } else {
                    node.relation = static_cast<int>(*rel);
                }
            }
        }
        if (mt == MatchType::regex) {
            // Literal keys must compile; keys with variables are checked at run time.
            for (std::size_t k = 0; k < node.positional.size(); ++k) {
                (void)k;
            }
            if (!node.positional.empty()) {
                const Argument& keys = node.args[static_cast<std::size_t>(node.positional.back())];
                for (std::size_t s = 0; s < keys.strings.size(); ++s) {
                    if (!keys.dynamic.empty() && keys.dynamic[s])
                        continue;
                    if (!regex_valid(keys.strings[s]))
                        v_.error(keys.pos,
                                 fmt::format("invalid regular expression '{}'", keys.strings[s]));
                }
            }
        }
        return errors_.size() == errors_before;
    }
};

}  // namespace

CompileResult compile(std::string_view source, const CompileOptions& options) {
    CompileResult result;
    ParseResult parsed = parse_script(source, options.parse);
    if (!parsed.ok()) {
        result.errors = std::move(parsed.errors);
        return result;
    }
    auto program = std::make_shared<Program>();
    program->script = std::move(parsed.script);
    program->hash = sha256_hex(source);
    const Registry& registry = options.registry ? *options.registry : Registry::standard();
    Checker checker(registry, *program, result.errors, result.warnings, options);
    checker.run(program->script);
    if (result.errors.empty())
        result.program = std::move(program);
    return result;
}

struct ProgramCache::Impl {
    std::mutex mutex;
    std::list<std::string> order;  // most recent first
    std::unordered_map<std::string,
                       std::pair<std::shared_ptr<const Program>, std::list<std::string>::iterator>>
        map;
    std::uint64_t hits = 0;
};

ProgramCache::ProgramCache(std::size_t capacity)
    : impl_(std::make_shared<Impl>()), capacity_(capacity) {}

CompileResult ProgramCache::get(std::string_view source, const CompileOptions& options) {
    // The registry is part of the key: a test build's extra commands compile differently.
    std::string key =
        sha256_hex(source) + fmt::format(":{}", static_cast<const void*>(options.registry));
    {
        std::lock_guard lock(impl_->mutex);
        auto it = impl_->map.find(key);
        if (it != impl_->map.end()) {
            impl_->order.splice(impl_->order.begin(), impl_->order, it->second.second);
            ++impl_->hits;
            CompileResult r;
            r.program = it->second.first;
            return r;
        }
    }
    CompileResult r = compile(source, options);
    if (!r.program)
        return r;
    std::lock_guard lock(impl_->mutex);
    if (impl_->map.count(key))
        return r;
    impl_->order.push_front(key);
    impl_->map.emplace(key, std::make_pair(r.program, impl_->order.begin()));
    while (impl_->map.size() > capacity_ && !impl_->order.empty()) {
        impl_->map.erase(impl_->order.back());
        impl_->order.pop_back();
    }
    return r;
}

std::size_t ProgramCache::size() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->map.size();
}

std::uint64_t ProgramCache::hits() const {
    std::lock_guard lock(impl_->mutex);
    return impl_->hits;
}

}  // namespace postern::sieve
