// Command line parsing (RFC 5321 §4.1.1 command syntax, §2.4 case-insensitive verbs; HELO/EHLO
// §4.1.1.1 and LHLO RFC 2033 §4.1; BDAT RFC 3030 §2; STARTTLS RFC 3207 §4; AUTH RFC 4954 §4;
// VRFY/EXPN SMTPUTF8 RFC 6531 §3.7.4.2). MAIL and RCPT parameters are in mail_params.cpp.
#include <array>

#include "base/strings.h"
#include "base/utf8.h"
#include "proto/smtp/command.h"
#include "proto/smtp/command_parse.h"
#include "proto/smtp/replies.h"

namespace postern::proto::smtp {
namespace {

using detail::reject;

constexpr std::array<std::string_view, kVerbCount> kVerbNames = {
    "HELO", "EHLO", "LHLO", "MAIL", "RCPT", "DATA",     "BDAT", "RSET",
    "NOOP", "QUIT", "VRFY", "EXPN", "HELP", "STARTTLS", "AUTH", ""};

// Verbs of other protocols that mean the peer is not an SMTP client at all (an HTTP request
// relayed through an open proxy); talking on only helps the abuse.
constexpr std::array<std::string_view, 6> kForeignVerbs = {"GET", "POST",    "HEAD",
                                                           "PUT", "CONNECT", "OPTIONS"};

bool has_controls(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            return true;
    }
    return false;
}

std::string_view strip_spaces(std::string_view s) {
    while (!s.empty() && (s.front() == ' '))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

std::string_view usage(Verb verb) {
    switch (verb) {
        case Verb::helo:
            return "HELO domain";
        case Verb::ehlo:
            return "EHLO domain";
        case Verb::lhlo:
            return "LHLO domain";
        case Verb::bdat:
            return "BDAT size [LAST]";
        case Verb::vrfy:
            return "VRFY address";
        case Verb::expn:
            return "EXPN list";
        case Verb::auth:
            return "AUTH mechanism [initial-response]";
        default:
            return verb_name(verb);
    }
}

ParseResult parse_hello(Verb verb, std::string_view arg, const ParserOptions& o) {
    if (arg.empty() || arg.size() > o.limits.max_argument) {
        return reject(verb, replies::syntax(usage(verb)));
    }
    Hello h{verb, {}, HelloKind::invalid};
    if (arg.front() == '[') {
        if (auto literal = normalize_address_literal(arg)) {
            h.name = std::move(*literal);
            h.kind = HelloKind::address_literal;
        }
    } else if (is_valid_domain(arg, false)) {
        h.name = to_lower(arg);
        h.kind = HelloKind::domain;
    }
    if (h.kind == HelloKind::invalid) {
        if (o.strict_hello)
            return reject(verb, replies::bad_hello_argument());
        h.name.assign(arg);
    }
    return h;
}

bool is_sasl_mechanism(std::string_view m) {
    // sasl-mech = 1*20 (UPPER-ALPHA / DIGIT / HYPHEN / UNDERSCORE), RFC 4422 §3.1; any case here.
    if (m.empty() || m.size() > 20)
        return false;
    for (char c : m) {
        char u = ascii_upper(c);
        if (!((u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' || u == '_')) {
            return false;
        }
    }
    return true;
}

bool is_base64_text(std::string_view s) {
    if (s == "=")
        return true;
    for (char c : s) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=';
        if (!ok)
            return false;
    }
    return !s.empty();
}

ParseResult parse_auth(std::string_view args, const ParserOptions& o) {
    auto parts = split(args, ' ');
    if (args.empty() || parts.size() > 2 || parts[0].empty()) {
        return reject(Verb::auth, replies::syntax(usage(Verb::auth)));
    }
    Auth a;
    a.mechanism = to_upper(parts[0]);
    bool offered = o.extensions.auth_mechanisms.empty();  // none offered: check_command says 503
    for (const auto& m : o.extensions.auth_mechanisms)
        offered = offered || iequals(m, parts[0]);
    if (!is_sasl_mechanism(parts[0]) || !offered) {
        return reject(Verb::auth, replies::auth_mechanism_unsupported());
    }
    if (parts.size() == 2) {
        if (!is_base64_text(parts[1]))
            return reject(Verb::auth, replies::auth_malformed_response());
        a.initial_response.emplace(parts[1]);
    }
    return a;
}

ParseResult parse_bdat(std::string_view args) {
    auto parts = split(args, ' ');
    std::optional<std::uint64_t> size;
    if (!args.empty() && parts[0].size() <= 20)
        size = parse_uint(parts[0]);
    if (!size) {
        // Without a size the octets that follow cannot be told from commands: close.
        CommandError e{Verb::bdat, replies::syntax(usage(Verb::bdat)), true, std::nullopt};
        return std::unexpected(std::move(e));
    }
    bool last = parts.size() == 2 && iequals(parts[1], "LAST");
    if (parts.size() > 2 || (parts.size() == 2 && !last)) {
        CommandError e{Verb::bdat, replies::syntax(usage(Verb::bdat)), false, *size};
        return std::unexpected(std::move(e));
    }
    return Bdat{*size, last};
}

// VRFY/EXPN String [SP "SMTPUTF8"] (RFC 5321 §4.1.1.6-7, RFC 6531 §3.7.4.2).
template <class T>
ParseResult parse_lookup(Verb verb, std::string_view args, const ParserOptions& o) {
    T t;
    std::string_view arg = args;
    if (o.extensions.smtputf8 && arg.size() > 9 &&
        istarts_with(arg.substr(arg.size() - 9), " SMTPUTF8")) {
        arg = strip_spaces(arg.substr(0, arg.size() - 9));
        t.smtputf8 = true;
    }
    if (arg.empty() || arg.size() > o.limits.max_argument) {
        return reject(verb, replies::syntax(usage(verb)));
    }
    if (!is_ascii(arg) && (!t.smtputf8 || !is_valid_utf8(arg))) {
        return reject(verb, replies::non_ascii_address());
    }
    t.argument.assign(arg);
    return t;
}

}  // namespace

std::string_view verb_name(Verb verb) {
    return kVerbNames[static_cast<std::size_t>(verb)];
}

Verb identify_verb(std::string_view line, Dialect dialect) {
    std::string_view word = line.substr(0, line.find(' '));
    for (std::size_t i = 0; i + 1 < kVerbCount; ++i) {
        if (iequals(word, kVerbNames[i])) {
            auto v = static_cast<Verb>(i);
            if (v == Verb::lhlo && dialect != Dialect::lmtp)
                return Verb::unknown;
            return v;
        }
    }
    return Verb::unknown;
}

Verb verb_of(const Command& command) {
    struct Visitor {
        Verb operator()(const Hello& h) const { return h.verb; }
        Verb operator()(const MailFrom&) const { return Verb::mail; }
        Verb operator()(const RcptTo&) const { return Verb::rcpt; }
        Verb operator()(const Data&) const { return Verb::data; }
        Verb operator()(const Bdat&) const { return Verb::bdat; }
        Verb operator()(const Rset&) const { return Verb::rset; }
        Verb operator()(const Noop&) const { return Verb::noop; }
        Verb operator()(const Quit&) const { return Verb::quit; }
        Verb operator()(const Vrfy&) const { return Verb::vrfy; }
        Verb operator()(const Expn&) const { return Verb::expn; }
        Verb operator()(const Help&) const { return Verb::help; }
        Verb operator()(const StartTls&) const { return Verb::starttls; }
        Verb operator()(const Auth&) const { return Verb::auth; }
    };
    return std::visit(Visitor{}, command);
}

ParseResult parse_command(std::string_view line, const ParserOptions& o) {
    // Trailing blanks are a common client quirk and never meaningful.
    while (!line.empty() && (line.back() == ' ' || line.back() == '\t'))
        line.remove_suffix(1);
    const Verb verb = identify_verb(line, o.dialect);
    if (verb == Verb::unknown) {
        std::string_view word = line.substr(0, line.find(' '));
        bool foreign = false;
        for (auto f : kForeignVerbs)
            foreign = foreign || iequals(word, f);
        CommandError e{Verb::unknown, replies::unknown_command(), foreign, std::nullopt};
        return std::unexpected(std::move(e));
    }
    if (o.dialect == Dialect::lmtp && (verb == Verb::helo || verb == Verb::ehlo)) {
        return reject(verb, replies::use_lhlo());
    }
    std::string_view args;
    if (line.size() > verb_name(verb).size())
        args = line.substr(verb_name(verb).size());
    if (has_controls(args)) {
        // A CR, NUL or other control in a command is never valid; BDAT's size is still needed.
        if (verb == Verb::bdat) {
            CommandError e{verb, replies::syntax(usage(verb)), true, std::nullopt};
            return std::unexpected(std::move(e));
        }
        return reject(verb, replies::syntax(usage(verb)));
    }
    args = strip_spaces(args);

    switch (verb) {
        case Verb::helo:
        case Verb::ehlo:
        case Verb::lhlo:
            return parse_hello(verb, args, o);
        case Verb::mail:
            return detail::parse_mail(args, o);
        case Verb::rcpt:
            return detail::parse_rcpt(args, o);
        case Verb::bdat:
            return parse_bdat(args);
        case Verb::auth:
            return parse_auth(args, o);
        case Verb::vrfy:
            return parse_lookup<Vrfy>(verb, args, o);
        case Verb::expn:
            return parse_lookup<Expn>(verb, args, o);
        case Verb::help:
            if (args.size() > o.limits.max_argument)
                return reject(verb, replies::syntax("HELP [topic]"));
            return Help{std::string(args)};
        case Verb::noop:
            return Noop{};  // RFC 5321 §4.1.1.9: any argument is ignored
        default:
            break;
    }
    // DATA, RSET, QUIT, STARTTLS take no argument (RFC 3207 §4: 501 for STARTTLS with one).
    if (!args.empty())
        return reject(verb, replies::syntax(usage(verb)));
    switch (verb) {
        case Verb::data:
            return Data{};
        case Verb::rset:
            return Rset{};
        case Verb::quit:
            return Quit{};
        default:
            return StartTls{};
    }
}

}  // namespace postern::proto::smtp
