// The Sieve tree walker: RFC 5228 §2.10 (evaluation, implicit keep, runtime errors), RFC 5229
// §3-§4 (variables, match variables), RFC 5228 §2.7 (match evaluation), §5.1/§5.7 (address
// and header value sources), RFC 5233 (subaddress), RFC 5231 §4 (:count).
#include "filter/sieve/runtime.h"

#include <algorithm>
#include <ctime>

#include <fmt/format.h>

#include "base/strings.h"
#include "mime/address.h"
#include "mime/header_text.h"
#include "mime/parser.h"

namespace postern::sieve {

// ---- SieveMessage -------------------------------------------------------------------------

void SieveMessage::set_raw(std::string raw) {
    raw_ = std::move(raw);
    parsed_ = mime::parse_message(raw_);
    fields_.clear();
    for (const auto& h : parsed_.headers_of(0)) {
        std::string v = h.raw_value;
        while (!v.empty() && (v.back() == '\n' || v.back() == '\r'))
            v.pop_back();
        fields_.push_back({h.name, std::move(v)});
    }
    body_offset_ = static_cast<std::size_t>(parsed_.root().body_start);
}

std::vector<std::string_view> SieveMessage::raw_values(std::string_view name) const {
    std::vector<std::string_view> out;
    for (const auto& f : fields_)
        if (iequals(f.name, name))
            out.push_back(f.raw_value);
    return out;
}

std::string_view SieveMessage::body() const {
    return std::string_view(raw_).substr(std::min(body_offset_, raw_.size()));
}

void SieveMessage::set_fields(std::vector<Field> fields) {
    std::string out;
    std::string_view nl = raw_.find("\r\n") != std::string::npos ? "\r\n" : "\n";
    for (const auto& f : fields) {
        out += f.name;
        out += ':';
        out += f.raw_value;
        out += nl;
    }
    out += nl;
    out += body();
    set_raw(std::move(out));
}

// ---- Environment ---------------------------------------------------------------------------

std::int64_t Environment::now() const {
    return static_cast<std::int64_t>(std::time(nullptr));
}

int Environment::local_zone_minutes() const {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    localtime_r(&t, &tm);
    return static_cast<int>(tm.tm_gmtoff / 60);
}

// ---- flags ---------------------------------------------------------------------------------

std::vector<std::string> split_flags(std::string_view text) {
    std::vector<std::string> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t'))
            ++i;
        std::size_t start = i;
        while (i < text.size() && text[i] != ' ' && text[i] != '\t')
            ++i;
        if (i > start) {
            std::string_view f = text.substr(start, i - start);
            if (std::none_of(out.begin(), out.end(),
                             [&](const std::string& g) { return iequals(g, f); }))
                out.emplace_back(f);
        }
    }
    return out;
}

std::string join_flags(const std::vector<std::string>& flags) {
    std::string out;
    for (const auto& f : flags) {
        if (!out.empty())
            out += ' ';
        out += f;
    }
    return out;
}

// ---- Runtime -------------------------------------------------------------------------------

Runtime::Runtime(const Program& program, SieveMessage& message, const Envelope& envelope,
                 Environment& environment, const ExecLimits& limits)
    : program_(&program),
      message_(message),
      envelope_(envelope),
      env_(environment),
      limits_(limits),
      globals_(std::make_shared<std::map<std::string, std::string>>()),
      budget_(limits.instruction_budget) {
    current = &program;
    declared_globals = &top_globals_;
}

bool Runtime::charge(std::uint64_t units) {
    if (budget_ < units) {
        budget_ = 0;
        if (!failed_) {
            failed_ = true;
            errors_.push_back(fmt::format("execution exceeded the instruction limit ({})",
                                          limits_.instruction_budget));
        }
        return false;
    }
    budget_ -= units;
    return true;
}

Flow Runtime::error(const Node& node, std::string message) {
    if (!failed_)
        errors_.push_back(fmt::format("{}:{}: {}", node.pos.line, node.pos.column, message));
    failed_ = true;
    return Flow::error;
}

Flow Runtime::run_program(const Program& program) {
    const Program* saved = current;
    current = &program;
    Flow f = run_block(program.script.commands);
    current = saved;
    return f;
}

Flow Runtime::run_block(const std::vector<Node>& block) {
    bool skip_else = false;  // an earlier if/elsif in this chain matched
    for (const Node& node : block) {
        if (!charge())
            return Flow::error;
        if (node.name == "require")
            continue;
        if (node.name == "if" || node.name == "elsif" || node.name == "else") {
            if (node.name == "if")
                skip_else = false;
            if (skip_else)
                continue;
            bool take = node.name == "else" ? true : eval(node.tests[0]);
            if (failed_)
                return Flow::error;
            if (take) {
                skip_else = true;
                Flow f = run_block(node.block);
                if (f != Flow::next)
                    return f;
            }
            continue;
        }
        skip_else = false;
        if (!node.spec || !node.spec->run)
            return error(node, "command is not executable");
        Flow f = node.spec->run(*this, node);
        if (failed_)
            return Flow::error;
        if (f != Flow::next)
            return f;
    }
    return Flow::next;
}

bool Runtime::eval(const Node& test) {
    if (!charge())
        return false;
    if (!test.spec || !test.spec->eval) {
        error(test, "test is not executable");
        return false;
    }
    return test.spec->eval(*this, test);
}

// ---- variables -----------------------------------------------------------------------------

std::optional<std::string> Runtime::variable(std::string_view name) const {
    if (!name.empty() && std::isdigit(static_cast<unsigned char>(name[0]))) {
        std::size_t n = 0;
        for (char c : name) {
            n = n * 10 + static_cast<std::size_t>(c - '0');
            if (n > 1000)
                return std::string();
        }
        return n < match_vars_.size() ? match_vars_[n] : std::string();
    }
    std::string key = to_lower(name);
    if (key.starts_with("global.")) {
        auto it = globals_->find(key.substr(7));
        return it == globals_->end() ? std::string() : it->second;
    }
    if (key.find('.') != std::string::npos) {
        // Namespaces other than global (environment, ...) are not set here.
        return std::nullopt;
    }
    if (declared_globals && std::find(declared_globals->begin(), declared_globals->end(), key) !=
                                declared_globals->end()) {
        auto it = globals_->find(key);
        return it == globals_->end() ? std::string() : it->second;
    }
    auto it = locals_.find(key);
    return it == locals_.end() ? std::string() : it->second;
}

void Runtime::declare_global(std::string_view name) {
    if (declared_globals) {
        std::string key = to_lower(name);
        if (std::find(declared_globals->begin(), declared_globals->end(), key) ==
            declared_globals->end())
            declared_globals->push_back(key);
    }
}

bool Runtime::set_variable(const Node& node, std::string_view name, std::string value) {
    if (value.size() > limits_.max_variable_size) {
        // RFC 5229 §6: truncate, keeping UTF-8 whole.
        std::size_t cut = limits_.max_variable_size;
        while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80)
            --cut;
        value.resize(cut);
    }
    std::string key = to_lower(name);
    std::map<std::string, std::string>* target = &locals_;
    if (key.starts_with("global.")) {
        key = key.substr(7);
        target = globals_.get();
    } else if (declared_globals && std::find(declared_globals->begin(), declared_globals->end(),
                                             key) != declared_globals->end()) {
        target = globals_.get();
    }
    if (!target->count(key) && target->size() >= limits_.max_variables) {
        error(node, fmt::format("too many variables (limit {})", limits_.max_variables));
        return false;
    }
    (*target)[key] = std::move(value);
    return true;
}

std::string Runtime::expand(const Argument& arg, std::size_t i) const {
    const std::string& s = arg.strings[i];
    if (arg.dynamic.size() <= i || !arg.dynamic[i])
        return s;
    std::string out;
    std::size_t k = 0;
    while (k < s.size()) {
        if (s[k] == '$' && k + 1 < s.size() && s[k + 1] == '{') {
            std::size_t close = s.find('}', k + 2);
            if (close != std::string::npos) {
                std::string_view name(s.data() + k + 2, close - k - 2);
                if (valid_variable_name(name, true)) {
                    if (auto v = variable(name)) {
                        out += *v;
                        k = close + 1;
                        continue;
                    }
                }
            }
        }
        out.push_back(s[k++]);
    }
    return out;
}

std::vector<std::string> Runtime::list(const Argument& arg) const {
    std::vector<std::string> out;
    out.reserve(arg.strings.size());
    for (std::size_t i = 0; i < arg.strings.size(); ++i)
        out.push_back(expand(arg, i));
    return out;
}

// ---- matching ------------------------------------------------------------------------------

bool Runtime::match(const Node& node, const std::vector<std::string>& values,
                    const std::vector<std::string>& keys) {
    auto cmp = static_cast<Comparator>(node.comparator);
    auto mt = static_cast<MatchType>(node.match_type);
    auto rel = static_cast<Relation>(node.relation);
    if (cmp == Comparator::unicode_casemap && mt != MatchType::count) {
        std::vector<std::string> fv, fk;
        for (const auto& v : values)
            fv.push_back(unicode_fold(v));
        for (const auto& k : keys)
            fk.push_back(unicode_fold(k));
        Node octet = node;  // same match type, octet comparison of the folded text
        octet.comparator = static_cast<int>(Comparator::octet);
        return match(octet, fv, fk);
    }
    if (!charge(values.size() * std::max<std::size_t>(keys.size(), 1)))
        return false;
    if (mt == MatchType::count) {
        std::string n = std::to_string(values.size());
        for (const auto& k : keys)
            if (relation_holds(rel, compare(cmp, n, k)))
                return true;
        return false;
    }
    bool want_captures = program_->variables && !suppress_match_vars &&
                         (mt == MatchType::matches || mt == MatchType::regex);
    std::vector<std::string> captures;
    for (const auto& v : values) {
        for (const auto& k : keys) {
            bool hit = false;
            switch (mt) {
                case MatchType::is:
                    hit = compare(cmp, v, k) == 0;
                    break;
                case MatchType::contains:
                    hit = contains(cmp, v, k);
                    break;
                case MatchType::matches:
                    hit = glob_match(cmp, v, k, want_captures ? &captures : nullptr);
                    break;
                case MatchType::regex: {
                    auto r = regex_match(cmp, v, k, want_captures ? &captures : nullptr);
                    if (!r) {
                        // A pattern built from variables that does not compile matches
                        // nothing; the run goes on and the problem is reported.
                        errors_.push_back(fmt::format("{}:{}: invalid regular expression '{}'",
                                                      node.pos.line, node.pos.column, k));
                        continue;
                    }
                    hit = *r;
                    break;
                }
                case MatchType::value:
                    hit = relation_holds(rel, compare(cmp, v, k));
                    break;
                case MatchType::count:
                    break;
            }
            if (hit) {
                if (want_captures)
                    match_vars_ = std::move(captures);
                return true;
            }
        }
    }
    return false;
}

// ---- message values ------------------------------------------------------------------------

std::vector<std::string> Runtime::header_values(std::string_view name, bool decode) const {
    std::vector<std::string> out;
    for (auto raw : message_.raw_values(name)) {
        if (decode) {
            out.push_back(mime::decode_unstructured(raw));
        } else {
            std::string v = mime::unfold(raw);
            std::size_t a = v.find_first_not_of(" \t");
            std::size_t b = v.find_last_not_of(" \t");
            out.push_back(a == std::string::npos ? std::string() : v.substr(a, b - a + 1));
        }
    }
    return out;
}

std::string Runtime::address_part(const Node& node, std::string_view addr) const {
    auto part = static_cast<AddressPart>(node.address_part);
    std::size_t at = addr.rfind('@');
    std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
    std::string_view domain =
        at == std::string_view::npos ? std::string_view() : addr.substr(at + 1);
    switch (part) {
        case AddressPart::all:
            return std::string(addr);
        case AddressPart::localpart:
            return std::string(local);
        case AddressPart::domain:
            return std::string(domain);
        case AddressPart::user: {
            std::size_t plus = local.find('+');
            return std::string(plus == std::string_view::npos ? local : local.substr(0, plus));
        }
        case AddressPart::detail: {
            std::size_t plus = local.find('+');
            // No separator: the detail does not exist (the caller skips "\x01").
            if (plus == std::string_view::npos)
                return std::string("\x01");
            return std::string(local.substr(plus + 1));
        }
    }
    return std::string(addr);
}

std::vector<std::string> Runtime::address_values(const Node& node, std::string_view header) const {
    return address_values(node, message_.raw_values(header));
}

std::vector<std::string> Runtime::address_values(const Node& node,
                                                 const std::vector<std::string_view>& raws) const {
    std::vector<std::string> out;
    std::vector<std::string_view> selected(raws.begin(), raws.end());
    if (const Argument* idx = node.tag_value("index")) {
        std::size_t n = static_cast<std::size_t>(idx->number);
        selected.clear();
        if (n >= 1 && n <= raws.size())
            selected.push_back(node.has_tag("last") ? raws[raws.size() - n] : raws[n - 1]);
    }
    bool all = static_cast<AddressPart>(node.address_part) == AddressPart::all;
    for (auto raw : selected) {
        auto list = mime::flatten(mime::parse_address_list(raw));
        bool any = false;
        for (const auto& m : list) {
            if (!m.has_address())
                continue;
            any = true;
            // An address without a local part or domain is not an address: only :all sees
            // its text (RFC 5228 §2.7.4).
            if (!all && (m.local_part.empty() || m.domain.empty()))
                continue;
            std::string p = address_part(node, m.addr_spec());
            if (p == "\x01")
                continue;
            out.push_back(std::move(p));
            if (out.size() >= limits_.max_match_values)
                return out;
        }
        if (!any && all) {
            // No address in the field: :all sees its text ("" for an empty field).
            std::string text = mime::unfold(raw);
            std::size_t a = text.find_first_not_of(" \t");
            std::size_t b = text.find_last_not_of(" \t");
            out.push_back(a == std::string::npos ? std::string() : text.substr(a, b - a + 1));
        }
    }
    return out;
}

// ---- execute -------------------------------------------------------------------------------

ExecResult execute(const Program& program, SieveMessage& message, const Envelope& envelope,
                   Environment& environment, const ExecLimits& limits) {
    ExecResult result;
    Runtime rt(program, message, envelope, environment, limits);
    Flow f = rt.run_program(program);
    std::vector<std::string> flags = split_flags(rt.flags());
    if (rt.failed() || f == Flow::error) {
        result.ok = false;
        result.errors = rt.errors();
        if (result.errors.empty())
            result.errors.push_back("script failed");
        result.actions = std::move(rt.actions());
        result.actions.fail_to_implicit_keep({});
    } else {
        result.actions = std::move(rt.actions());
        result.actions.finish(flags);
        result.duplicates = std::move(rt.duplicates());
        result.errors = rt.errors();  // problems that did not stop the run (warnings)
    }
    result.message = message.raw();
    return result;
}

}  // namespace postern::sieve
