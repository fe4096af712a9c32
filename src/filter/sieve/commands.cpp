// Sieve action and control commands: RFC 5228 §3-§4 (if, stop, require, keep, fileinto,
// redirect, discard), RFC 3894 (:copy), RFC 5429 (reject, ereject), RFC 5230 (vacation and
// vacation-seconds RFC 6131), RFC 5229 (set, modifiers), RFC 5232 (setflag/addflag/removeflag,
// :flags), RFC 5490 §3.2 (:create), RFC 5293 (addheader, deleteheader), RFC 6609 (include,
// return, global).
#include "filter/sieve/commands.h"

#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/utf8.h"
#include "filter/sieve/runtime.h"
#include "mime/address.h"
#include "mime/header_text.h"

namespace postern::sieve {

namespace {

using K = Action::Kind;

Flow add_action(Runtime& rt, const Node& node, Action a) {
    a.line = node.pos.line;
    a.message = rt.edited;
    std::string err =
        rt.actions().add(std::move(a), rt.limits().max_actions, rt.limits().max_redirects);
    if (!err.empty())
        return rt.error(node, err);
    return Flow::next;
}

std::vector<std::string> current_flags(Runtime& rt, const Node& node) {
    if (const Argument* f = node.tag_value("flags")) {
        std::vector<std::string> out;
        for (const auto& s : rt.list(*f)) {
            for (auto& x : split_flags(s))
                if (std::none_of(out.begin(), out.end(),
                                 [&](const std::string& g) { return iequals(g, x); }))
                    out.push_back(std::move(x));
        }
        return out;
    }
    return split_flags(rt.flags());
}

// A redirect target is one RFC 5322 mailbox (RFC 5228 §4.2): an addr-spec, or a display
// name and an addr-spec in angle brackets, with white space and comments around the words.
// Words of a local part are separated by dots (runs of dots and leading or trailing dots are
// tolerated, as in obs-local-part); the local part is ASCII.
bool valid_redirect_address(std::string_view text) {
    enum class T : std::uint8_t { word, dot, at, lt, gt, literal, bad };
    struct Tok {
        T type;
        bool ascii = true;
    };
    std::vector<Tok> toks;
    std::size_t i = 0;
    auto atext = [](unsigned char c) {
        return std::isalnum(c) ||
               std::string_view("!#$%&'*+-/=?^_`{|}~").find(static_cast<char>(c)) !=
                   std::string_view::npos ||
               c >= 0x80;
    };
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            ++i;
        } else if (c == '(') {  // comment, nesting
            int depth = 0;
            for (; i < text.size(); ++i) {
                if (text[i] == '\\') {
                    ++i;
                } else if (text[i] == '(') {
                    ++depth;
                } else if (text[i] == ')' && --depth == 0) {
                    break;
                }
            }
            if (i >= text.size())
                return false;
            ++i;
        } else if (c == '"') {
            bool closed = false;
            for (++i; i < text.size(); ++i) {
                if (text[i] == '\\') {
                    ++i;
                } else if (text[i] == '"') {
                    closed = true;
                    break;
                }
            }
            if (!closed)
                return false;
            ++i;
            toks.push_back({T::word});
        } else if (c == '[') {
            std::size_t close = text.find(']', i);
            if (close == std::string_view::npos)
                return false;
            i = close + 1;
            toks.push_back({T::literal});
        } else if (atext(c)) {
            Tok t{T::word};
            for (; i < text.size() && atext(static_cast<unsigned char>(text[i])); ++i)
                if (static_cast<unsigned char>(text[i]) >= 0x80)
                    t.ascii = false;
            toks.push_back(t);
        } else {
            T t = c == '.'   ? T::dot
                  : c == '@' ? T::at
                  : c == '<' ? T::lt
                  : c == '>' ? T::gt
                             : T::bad;
            if (t == T::bad)
                return false;
            toks.push_back({t});
            ++i;
        }
    }
    std::size_t b = 0, e = toks.size();
    auto lt = std::find_if(toks.begin(), toks.end(), [](const Tok& t) { return t.type == T::lt; });
    if (lt != toks.end()) {
        // display-name (phrase: words, dots tolerated) "<" addr-spec ">"
        for (auto it = toks.begin(); it != lt; ++it)
            if (it->type != T::word && it->type != T::dot)
                return false;
        b = static_cast<std::size_t>(lt - toks.begin()) + 1;
        if (e == 0 || toks[e - 1].type != T::gt || e - 1 < b)
            return false;
        --e;
    }
    // addr-spec = local-part "@" domain
    std::size_t at = b;
    while (at < e && toks[at].type != T::at)
        ++at;
    if (at == e)
        return false;
    bool words = false;
    for (std::size_t k = b; k < at; ++k) {
        if (toks[k].type == T::word) {
            if (!toks[k].ascii || (k > b && toks[k - 1].type == T::word))
                return false;
            words = true;
        } else if (toks[k].type != T::dot) {
            return false;
        }
    }
    if (!words || at + 1 >= e)
        return false;
    if (toks[at + 1].type == T::literal)
        return at + 2 == e;
    // domain = dot-atom
    for (std::size_t k = at + 1; k < e; ++k) {
        bool word_expected = (k - at - 1) % 2 == 0;
        if (toks[k].type != (word_expected ? T::word : T::dot))
            return false;
    }
    return toks[e - 1].type == T::word;
}

// The address in its simplest form: display name dropped, the local part quoted only when it
// is not a dot-atom (RFC 5321 §4.1.2).
std::string clean_address(std::string_view text) {
    auto list = mime::flatten(mime::parse_address_list(text));
    if (list.empty())
        return std::string(text);
    const std::string& local = list[0].local_part;
    bool atom =
        !local.empty() && local.front() != '.' && local.back() != '.' &&
        local.find("..") == std::string::npos &&
        std::all_of(local.begin(), local.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) ||
                   std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos ||
                   static_cast<unsigned char>(c) >= 0x80;
        });
    std::string out;
    if (atom) {
        out = local;
    } else {
        out = "\"";
        for (char c : local) {
            if (c == '"' || c == '\\')
                out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "@" + list[0].domain;
}

bool literal(const Argument& a) {
    return std::none_of(a.dynamic.begin(), a.dynamic.end(), [](bool d) { return d; });
}

bool check_mailbox(Validator& v, Node& node) {
    const Argument& a = node.pos_arg(0);
    if (literal(a) && !is_valid_utf8(a.strings[0])) {
        v.error(a.pos, "mailbox name is not valid UTF-8");
        return false;
    }
    return true;
}

bool check_fileinto(Validator& v, Node& node) {
    return check_mailbox(v, node) && check_fileinto_special_use(v, node);
}

// ---- set modifiers (RFC 5229 §4.1) ----------------------------------------------------------

std::string quote_wildcard(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '*' || c == '?' || c == '\\')
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::string quote_regex(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (std::string_view("\\^$.[]|()?*+{}").find(c) != std::string_view::npos)
            out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

std::string encode_url(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~')
            out.push_back(static_cast<char>(c));
        else
            out += fmt::format("%{:02X}", c);
    }
    return out;
}

std::size_t utf8_length(std::string_view s) {
    std::size_t n = 0;
    for (unsigned char c : s)
        if ((c & 0xC0) != 0x80)
            ++n;
    return n;
}

std::string set_modifiers(const Node& node, std::string value) {
    // Precedence 40 (lower/upper), 30 (lowerfirst/upperfirst), 20 (quote*), 15 (encodeurl), 10
    // (length).
    if (node.has_tag("lower"))
        for (auto& c : value)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (node.has_tag("upper"))
        for (auto& c : value)
            c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (node.has_tag("lowerfirst") && !value.empty())
        value[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(value[0])));
    if (node.has_tag("upperfirst") && !value.empty())
        value[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(value[0])));
    if (node.has_tag("quotewildcard"))
        value = quote_wildcard(value);
    if (node.has_tag("quoteregex"))
        value = quote_regex(value);
    if (node.has_tag("encodeurl"))
        value = encode_url(value);
    if (node.has_tag("length"))
        value = std::to_string(utf8_length(value));
    return value;
}

Flow run_set(Runtime& rt, const Node& node) {
    std::string name = rt.str(node.pos_arg(0));
    std::string value = set_modifiers(node, rt.str(node.pos_arg(1)));
    rt.set_variable(node, name, std::move(value));
    return rt.failed() ? Flow::error : Flow::next;
}

bool check_set(Validator& v, Node& node) {
    if (node.positional.size() < 1)
        return false;
    const Argument& name = node.pos_arg(0);
    // RFC 5229 §4: the name is a constant string.
    if (!literal(name) || !valid_variable_name(name.strings[0], false)) {
        v.error(name.pos, fmt::format("invalid variable name '{}'", name.strings[0]));
        return false;
    }
    if (name.strings[0].size() > v.max_variable_name) {
        v.error(name.pos, "variable name is too long");
        return false;
    }
    if (auto dot = name.strings[0].find('.');
        dot != std::string::npos && !known_namespace(v, name.strings[0].substr(0, dot))) {
        v.error(name.pos, fmt::format("unknown variable namespace '{}' in '{}'",
                                      name.strings[0].substr(0, dot), name.strings[0]));
        return false;
    }
    std::string lower = to_lower(name.strings[0]);  // names are case-insensitive (§3)
    if (!v.declared_variables.contains(lower)) {
        if (v.declared_variables.size() == v.max_variables) {
            v.error(name.pos, fmt::format("too many variables set (limit {})", v.max_variables));
            v.declared_variables.insert(lower);  // reported once
            return false;
        }
        if (v.declared_variables.size() < v.max_variables)
            v.declared_variables.insert(std::move(lower));
    }
    int groups[5] = {0, 0, 0, 0, 0};
    for (const auto& [t, i] : node.tags) {
        if (t == "lower" || t == "upper")
            ++groups[0];
        if (t == "lowerfirst" || t == "upperfirst")
            ++groups[1];
        if (t == "quotewildcard" || t == "quoteregex")
            ++groups[2];
    }
    if (groups[0] > 1 || groups[1] > 1 || groups[2] > 1) {
        v.error(node.pos, "set: modifiers of the same precedence cannot be combined");
        return false;
    }
    return true;
}

// ---- imap4flags commands -------------------------------------------------------------------

Flow run_flag_command(Runtime& rt, const Node& node, int op) {
    std::string* target = &rt.flags();
    std::string varname;
    const Argument* list_arg = &node.pos_arg(node.positional.size() - 1);
    std::string var_value;
    if (node.positional.size() == 2) {
        varname = rt.str(node.pos_arg(0));
        var_value = rt.variable(varname).value_or("");
        target = &var_value;
    }
    std::vector<std::string> given;
    for (const auto& s : rt.list(*list_arg))
        for (auto& f : split_flags(s))
            given.push_back(std::move(f));
    std::vector<std::string> cur = split_flags(*target);
    if (op == 0) {
        cur.clear();
        for (auto& f : given)
            if (std::none_of(cur.begin(), cur.end(),
                             [&](const std::string& g) { return iequals(g, f); }))
                cur.push_back(f);
    } else if (op == 1) {
        for (auto& f : given)
            if (std::none_of(cur.begin(), cur.end(),
                             [&](const std::string& g) { return iequals(g, f); }))
                cur.push_back(f);
    } else {
        std::erase_if(cur, [&](const std::string& g) {
            return std::any_of(given.begin(), given.end(),
                               [&](const std::string& f) { return iequals(f, g); });
        });
    }
    *target = join_flags(cur);
    if (!varname.empty())
        rt.set_variable(node, varname, *target);
    return rt.failed() ? Flow::error : Flow::next;
}

bool check_flag_command(Validator& v, Node& node) {
    if (node.positional.size() == 2) {
        const Argument& a = node.pos_arg(0);
        if (!a.single) {
            v.error(a.pos, fmt::format("{}: the variable name must be a single string", node.name));
            return false;
        }
        if (!v.has("variables")) {
            v.error(a.pos,
                    fmt::format("{}: a variable name needs the 'variables' extension", node.name));
            return false;
        }
        if (literal(a) && !valid_variable_name(a.strings[0], false)) {
            v.error(a.pos, fmt::format("invalid variable name '{}'", a.strings[0]));
            return false;
        }
    }
    return true;
}

// ---- vacation ------------------------------------------------------------------------------

Flow run_vacation(Runtime& rt, const Node& node) {
    Action a;
    a.kind = K::vacation;
    VacationAction& v = a.vacation;
    v.reason = rt.str(node.pos_arg(0));
    if (const Argument* s = node.tag_value("subject"))
        v.subject = rt.str(*s);
    if (const Argument* f = node.tag_value("from")) {
        v.from = rt.str(*f);
        if (!v.from.empty() && !valid_redirect_address(v.from)) {
            // RFC 5230 §4.4: an invalid :from is an error of the script's data; ignore it.
            v.from.clear();
        }
    }
    if (const Argument* ad = node.tag_value("addresses"))
        v.addresses = rt.list(*ad);
    if (const Argument* h = node.tag_value("handle"))
        v.handle = rt.str(*h);
    v.mime = node.has_tag("mime");
    std::uint64_t seconds = 7 * 86400;
    if (const Argument* d = node.tag_value("days"))
        seconds = d->number * 86400;
    if (const Argument* s = node.tag_value("seconds"))
        seconds = s->number;
    // RFC 5230 §4.1: at least one day unless :seconds (RFC 6131) asks for less.
    if (node.has_tag("days") && seconds < 86400)
        seconds = 86400;
    v.seconds = std::min<std::uint64_t>(seconds, 90ull * 86400);
    if (v.handle.empty()) {
        v.handle = fmt::format("{}\x1f{}\x1f{}\x1f{}", v.subject, v.from, v.mime ? 1 : 0, v.reason);
    }
    return add_action(rt, node, std::move(a));
}

bool check_vacation(Validator& v, Node& node) {
    if (node.has_tag("days") && node.has_tag("seconds")) {
        v.error(node.pos, "vacation: :days and :seconds cannot be combined");
        return false;
    }
    if (const Argument* f = node.tag_value("from")) {
        if (literal(*f) && !valid_redirect_address(f->strings[0])) {
            v.error(f->pos,
                    fmt::format("vacation :from '{}' is not a valid address", f->strings[0]));
            return false;
        }
    }
    if (const Argument* ad = node.tag_value("addresses")) {
        for (const auto& s : ad->strings) {
            if (literal(*ad) && !valid_redirect_address(s)) {
                v.error(ad->pos, fmt::format("vacation :addresses '{}' is not a valid address", s));
                return false;
            }
        }
    }
    return true;
}

// ---- editheader ----------------------------------------------------------------------------

bool protected_header(std::string_view name) {
    return iequals(name, "Received") || iequals(name, "Auto-Submitted");
}

bool valid_field_name(std::string_view name) {
    if (name.empty() || name.size() > 997)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) > 32 && static_cast<unsigned char>(c) < 127 &&
               c != ':';
    });
}

std::string fold_value(std::string_view value) {
    // Keep the field on lines under 78 characters where there is whitespace to fold at.
    std::string out;
    std::size_t col = 0;
    for (std::size_t i = 0; i < value.size(); ++i) {
        char c = value[i];
        if (c == '\r' || c == '\n')
            continue;  // no bare line breaks in a field
        if ((c == ' ' || c == '\t') && col > 70) {
            out += "\r\n";
            col = 0;
        }
        out.push_back(c);
        ++col;
    }
    return out;
}

Flow run_addheader(Runtime& rt, const Node& node) {
    std::string name = rt.str(node.pos_arg(0));
    std::string value = rt.str(node.pos_arg(1));
    if (!valid_field_name(name))
        return rt.error(node, fmt::format("addheader: invalid field name '{}'", name));
    if (protected_header(name))
        return Flow::next;  // RFC 5293 §6: silently ignored
    auto fields = rt.message().fields();
    SieveMessage::Field f{name, " " + fold_value(value)};
    if (node.has_tag("last"))
        fields.push_back(std::move(f));
    else
        fields.insert(fields.begin(), std::move(f));
    rt.message().set_fields(std::move(fields));
    rt.edited = std::make_shared<const std::string>(rt.message().raw());
    return Flow::next;
}

bool check_addheader(Validator& v, Node& node) {
    const Argument& n = node.pos_arg(0);
    if (literal(n) && !valid_field_name(n.strings[0])) {
        v.error(n.pos, fmt::format("addheader: invalid field name '{}'", n.strings[0]));
        return false;
    }
    return true;
}

Flow run_deleteheader(Runtime& rt, const Node& node) {
    std::string name = rt.str(node.pos_arg(0));
    if (!valid_field_name(name))
        return rt.error(node, fmt::format("deleteheader: invalid field name '{}'", name));
    if (protected_header(name))
        return Flow::next;
    std::vector<std::string> patterns;
    bool has_patterns = node.positional.size() > 1;
    if (has_patterns)
        patterns = rt.list(node.pos_arg(1));
    auto fields = rt.message().fields();
    std::size_t total = 0;
    for (const auto& f : fields)
        if (iequals(f.name, name))
            ++total;
    std::size_t want = 0;
    if (const Argument* idx = node.tag_value("index")) {
        std::size_t n = static_cast<std::size_t>(idx->number);
        if (n == 0 || n > total)
            return Flow::next;
        want = node.has_tag("last") ? total - n + 1 : n;
    }
    std::vector<SieveMessage::Field> kept;
    std::size_t seen = 0;
    bool changed = false;
    for (auto& f : fields) {
        if (!iequals(f.name, name)) {
            kept.push_back(std::move(f));
            continue;
        }
        ++seen;
        bool remove = want == 0 || seen == want;
        if (remove && has_patterns) {
            std::vector<std::string> value{mime::decode_unstructured(f.raw_value)};
            remove = rt.match(node, value, patterns);
            if (rt.failed())
                return Flow::error;
        }
        if (remove) {
            changed = true;
        } else {
            kept.push_back(std::move(f));
        }
    }
    if (changed) {
        rt.message().set_fields(std::move(kept));
        rt.edited = std::make_shared<const std::string>(rt.message().raw());
    }
    return Flow::next;
}

// ---- include (RFC 6609) --------------------------------------------------------------------

Flow run_include(Runtime& rt, const Node& node) {
    bool global = node.has_tag("global");
    std::string name = rt.str(node.pos_arg(0));
    std::string key = (global ? "global:" : "personal:") + name;
    if (node.has_tag("once") &&
        std::find(rt.included_once.begin(), rt.included_once.end(), key) != rt.included_once.end())
        return Flow::next;
    if (std::find(rt.include_stack.begin(), rt.include_stack.end(), key) != rt.include_stack.end())
        return rt.error(node, fmt::format("include: '{}' includes itself (recursion)", name));
    if (rt.include_depth + 1 > rt.limits().max_include_depth)
        return rt.error(node, "include: nested too deeply");
    if (++rt.includes > rt.limits().max_includes)
        return rt.error(node, "include: too many includes");
    auto source = rt.env().load_script(global, name);
    if (!source) {
        if (node.has_tag("optional"))
            return Flow::next;
        return rt.error(node, fmt::format("include: script '{}' not found", name));
    }
    CompileOptions options;
    options.registry = nullptr;
    CompileResult compiled = compile(*source);
    if (!compiled.program)
        return rt.error(
            node, fmt::format("include: script '{}' has errors: {}", name, compiled.error_text()));
    rt.included_once.push_back(key);
    rt.include_stack.push_back(key);
    ++rt.include_depth;
    // An included script has its own local variables; only "global" ones are shared.
    auto saved_locals = std::move(rt.locals());
    rt.locals().clear();
    std::vector<std::string> declared;
    auto* saved_declared = rt.declared_globals;
    rt.declared_globals = &declared;
    Flow f = rt.run_program(*compiled.program);
    rt.declared_globals = saved_declared;
    rt.locals() = std::move(saved_locals);
    --rt.include_depth;
    rt.include_stack.pop_back();
    if (f == Flow::returned)
        return Flow::next;
    return f;
}

}  // namespace

void add_commands(Registry& r) {
    using S = CommandSpec::Sub;
    for (const char* ext : {"fileinto",
                            "reject",
                            "ereject",
                            "envelope",
                            "copy",
                            "relational",
                            "comparator-i;octet",
                            "comparator-i;ascii-casemap",
                            "comparator-i;ascii-numeric",
                            "comparator-i;unicode-casemap",
                            "subaddress",
                            "spamtest",
                            "spamtestplus",
                            "virustest",
                            "vacation",
                            "vacation-seconds",
                            "imap4flags",
                            "body",
                            "variables",
                            "date",
                            "index",
                            "mailbox",
                            "encoded-character",
                            "include",
                            "editheader",
                            "duplicate",
                            "regex"})
        r.add_extension(ext);

    r.add({.name = "require", .run = [](Runtime&, const Node&) { return Flow::next; }});
    r.add({.name = "if", .sub = S::block});
    r.add({.name = "elsif", .sub = S::block});
    r.add({.name = "else", .sub = S::block});
    r.add({.name = "stop", .run = [](Runtime&, const Node&) { return Flow::stop; }});

    std::vector<TagSpec> flags_tag{{"flags", ArgType::string_list, "imap4flags"}};
    r.add({.name = "keep", .tags = flags_tag, .run = [](Runtime& rt, const Node& node) {
               Action a;
               a.kind = K::keep;
               a.mailbox = "INBOX";
               a.flags = current_flags(rt, node);
               return add_action(rt, node, std::move(a));
           }});
    r.add({.name = "fileinto",
           .extension = "fileinto",
           .tags = {{"copy", ArgType::none, "copy"},
                    {"flags", ArgType::string_list, "imap4flags"},
                    {"create", ArgType::none, "mailbox"},
                    {"specialuse", ArgType::string, "special-use"}},
           .positional = {ArgType::string},
           .check = check_fileinto,
           .run = [](Runtime& rt, const Node& node) {
               Action a;
               a.kind = K::fileinto;
               a.mailbox = rt.str(node.pos_arg(0));
               if (!is_valid_utf8(a.mailbox))
                   return rt.error(node, "fileinto: invalid folder name (not valid UTF-8)");
               a.copy = node.has_tag("copy");
               a.create = node.has_tag("create");
               a.flags = current_flags(rt, node);
               if (resolve_fileinto_special_use(rt, node, a) != Flow::next)
                   return Flow::error;
               return add_action(rt, node, std::move(a));
           }});
    r.add({.name = "redirect",
           .tags = {{"copy", ArgType::none, "copy"}},
           .positional = {ArgType::string},
           .check =
               [](Validator& v, Node& node) {
                   const Argument& a = node.pos_arg(0);
                   if (literal(a) && !valid_redirect_address(a.strings[0])) {
                       v.error(a.pos, fmt::format("redirect: invalid address '{}'", a.strings[0]));
                       return false;
                   }
                   return true;
               },
           .run =
               [](Runtime& rt, const Node& node) {
                   std::string addr = rt.str(node.pos_arg(0));
                   if (!valid_redirect_address(addr))
                       return rt.error(node, fmt::format("redirect: invalid address '{}'", addr));
                   Action a;
                   a.kind = K::redirect;
                   a.address = clean_address(addr);
                   a.copy = node.has_tag("copy");
                   return add_action(rt, node, std::move(a));
               }});
    r.add({.name = "discard", .run = [](Runtime& rt, const Node& node) {
               Action a;
               a.kind = K::discard;
               return add_action(rt, node, std::move(a));
           }});
    auto reject = [](K kind) {
        return [kind](Runtime& rt, const Node& node) {
            Action a;
            a.kind = kind;
            a.reason = rt.str(node.pos_arg(0));
            return add_action(rt, node, std::move(a));
        };
    };
    r.add({.name = "reject",
           .extension = "reject",
           .positional = {ArgType::string},
           .run = reject(K::reject)});
    r.add({.name = "ereject",
           .extension = "ereject",
           .positional = {ArgType::string},
           .run = reject(K::ereject)});
    r.add({.name = "vacation",
           .extension = "vacation",
           .tags = {{"days", ArgType::number},
                    {"seconds", ArgType::number, "vacation-seconds"},
                    {"subject", ArgType::string},
                    {"from", ArgType::string},
                    {"addresses", ArgType::string_list},
                    {"mime", ArgType::none},
                    {"handle", ArgType::string}},
           .positional = {ArgType::string},
           .check = check_vacation,
           .run = run_vacation});
    r.add({.name = "set",
           .extension = "variables",
           .tags = {{"lower"},
                    {"upper"},
                    {"lowerfirst"},
                    {"upperfirst"},
                    {"quotewildcard"},
                    {"quoteregex", ArgType::none, "regex"},
                    {"length"},
                    {"encodeurl", ArgType::none, "enotify"}},
           .positional = {ArgType::string, ArgType::string},
           .check = check_set,
           .run = run_set});
    for (int op = 0; op < 3; ++op) {
        static const char* names[] = {"setflag", "addflag", "removeflag"};
        r.add({.name = names[op],
               .extension = "imap4flags",
               .positional = {ArgType::string_list, ArgType::string_list},
               .min_positional = 1,
               .check = check_flag_command,
               .run = [op](Runtime& rt, const Node& node) {
                   return run_flag_command(rt, node, op);
               }});
    }
    r.add({.name = "addheader",
           .extension = "editheader",
           .tags = {{"last"}},
           .positional = {ArgType::string, ArgType::string},
           .check = check_addheader,
           .run = run_addheader});
    r.add({.name = "deleteheader",
           .extension = "editheader",
           .positional = {ArgType::string, ArgType::string_list},
           .min_positional = 1,
           .match = true,
           .index = true,
           .check =
               [](Validator& v, Node& node) {
                   if (node.has_tag("last") && !node.has_tag("index")) {
                       v.error(node.pos, "deleteheader: :last needs :index");
                       return false;
                   }
                   return check_addheader(v, node);
               },
           .run = run_deleteheader});
    r.add({.name = "include",
           .extension = "include",
           .tags = {{"personal"}, {"global"}, {"once"}, {"optional"}},
           .positional = {ArgType::string},
           .check =
               [](Validator& v, Node& node) {
                   if (node.has_tag("personal") && node.has_tag("global")) {
                       v.error(node.pos, "include: :personal and :global cannot be combined");
                       return false;
                   }
                   const Argument& a = node.pos_arg(0);
                   // RFC 6609 §3.2: the script name is a constant string (RFC 5229 §3).
                   if (!literal(a)) {
                       v.error(a.pos,
                               "include: the script name must be a constant string, "
                               "variables are not supported");
                       return false;
                   }
                   if (a.strings[0].find('/') != std::string::npos || a.strings[0].empty()) {
                       v.error(a.pos,
                               fmt::format("include: invalid script name '{}'", a.strings[0]));
                       return false;
                   }
                   return true;
               },
           .run = run_include});
    r.add({.name = "return", .extension = "include", .run = [](Runtime&, const Node&) {
               return Flow::returned;
           }});
    r.add({.name = "global",
           .extension = "include",
           .positional = {ArgType::string_list},
           .check =
               [](Validator& v, Node& node) {
                   if (!v.has("variables")) {
                       v.error(node.pos, "global command needs the 'variables' extension");
                       return false;
                   }
                   for (const auto& s : node.pos_arg(0).strings) {
                       if (!valid_variable_name(s, false)) {
                           v.error(node.pos, fmt::format("invalid variable name '{}'", s));
                           return false;
                       }
                   }
                   return true;
               },
           .run =
               [](Runtime& rt, const Node& node) {
                   for (const auto& s : rt.list(node.pos_arg(0)))
                       rt.declare_global(s);
                   return Flow::next;
               }});
}

std::string apply_set_modifiers(const Node& node, std::string value) {
    return set_modifiers(node, std::move(value));
}

bool check_set_modifiers(Validator& v, Node& node) {
    return check_set(v, node);
}

}  // namespace postern::sieve
