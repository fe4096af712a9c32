// MAIL FROM and RCPT TO: the path and the ESMTP parameters (RFC 5321 §4.1.1.2-3 and §4.1.2
// Mail-parameters/Rcpt-parameters; SIZE RFC 1870 §6; BODY RFC 6152 §2 and RFC 3030 §3; SMTPUTF8
// RFC 6531 §3.4; RET/ENVID/NOTIFY/ORCPT RFC 3461 §4; AUTH= RFC 4954 §5; 555 per §4.1.1.11).
#include "base/strings.h"
#include "base/utf8.h"
#include "proto/smtp/command_parse.h"
#include "proto/smtp/replies.h"
#include "proto/smtp/xtext.h"

namespace postern::proto::smtp::detail {
namespace {

struct Param {
    std::string_view keyword;
    std::optional<std::string_view> value;
};

// esmtp-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-")
bool is_keyword(std::string_view k) {
    if (k.empty() || k.front() == '-')
        return false;
    for (char c : k) {
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok)
            return false;
    }
    return true;
}

// esmtp-value = 1*(%d33-60 / %d62-126), plus UTF-8 under SMTPUTF8 (RFC 6531 §3.3).
bool is_value(std::string_view v, bool utf8) {
    if (v.empty())
        return false;
    for (char c : v) {
        auto u = static_cast<unsigned char>(c);
        if (u >= 0x80 && utf8)
            continue;
        if (u < 33 || u > 126 || c == '=')
            return false;
    }
    return !utf8 || is_valid_utf8(v);
}

Reply address_reply(AddressError e, PathKind kind) {
    bool sender = kind == PathKind::reverse;
    switch (e) {
        case AddressError::too_long:
            return sender ? replies::sender_too_long() : replies::recipient_too_long();
        case AddressError::non_ascii:
            return replies::non_ascii_address();
        case AddressError::syntax:
            break;
    }
    return sender ? replies::bad_sender_address() : replies::bad_recipient_address();
}

// Splits "FROM:<path> params" into the path and the parameters. On failure `error` is set.
struct Envelope {
    std::optional<PathParse> path;
    std::vector<Param> params;
    std::optional<Reply> error;
};

Envelope split_envelope(std::string_view args, std::string_view prefix, PathKind kind,
                        const ParserOptions& o, std::string_view usage) {
    Envelope env;
    if (!istarts_with(args, prefix)) {
        env.error = replies::syntax(usage);
        return env;
    }
    std::string_view rest = args.substr(prefix.size());
    if (!rest.empty() && rest.front() == ' ') {
        if (!o.addresses.allow_space_after_colon) {
            env.error = replies::syntax(usage);
            return env;
        }
        while (!rest.empty() && rest.front() == ' ')
            rest.remove_prefix(1);
    }
    auto path = parse_path(rest, kind, o.addresses, o.extensions.smtputf8);
    if (!path) {
        env.error = address_reply(path.error(), kind);
        return env;
    }
    rest = rest.substr(path->length);
    env.path = std::move(*path);
    if (rest.empty())
        return env;
    if (rest.front() != ' ') {
        env.error = replies::syntax(usage);
        return env;
    }
    for (auto token : split(rest, ' ')) {
        if (token.empty())
            continue;  // tolerate repeated spaces
        if (env.params.size() == o.limits.max_parameters) {
            env.error = replies::too_many_parameters();
            return env;
        }
        Param p;
        auto eq = token.find('=');
        p.keyword = token.substr(0, eq);
        if (eq != std::string_view::npos)
            p.value = token.substr(eq + 1);
        if (!is_keyword(p.keyword) || (p.value && !is_value(*p.value, o.extensions.smtputf8))) {
            env.error = replies::syntax(usage);
            return env;
        }
        for (const auto& seen : env.params) {
            if (iequals(seen.keyword, p.keyword)) {
                env.error = replies::duplicate_parameter(to_upper(p.keyword));
                return env;
            }
        }
        env.params.push_back(p);
    }
    return env;
}

// RFC 3461 §4.4: ENVID decodes to printable US-ASCII.
bool is_printable_ascii(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7E)
            return false;
    }
    return true;
}

bool has_control(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7F)
            return true;
    }
    return false;
}

}  // namespace

ParseResult parse_mail(std::string_view args, const ParserOptions& o) {
    constexpr std::string_view kUsage = "MAIL FROM:<address> [parameters]";
    auto env = split_envelope(args, "FROM:", PathKind::reverse, o, kUsage);
    if (env.error)
        return reject(Verb::mail, std::move(*env.error));
    const Extensions& ext = o.extensions;
    MailFrom m;
    m.sender = std::move(env.path->mailbox);
    for (const auto& p : env.params) {
        const std::string name = to_upper(p.keyword);
        auto unsupported = [&] { return reject(Verb::mail, replies::unsupported_parameter(name)); };
        auto bad_value = [&] { return reject(Verb::mail, replies::bad_parameter_value(name)); };
        if (name == "SIZE") {
            if (!ext.size)
                return unsupported();
            std::optional<std::uint64_t> size;
            if (p.value && p.value->size() <= 20)
                size = parse_uint(*p.value);
            if (!size)
                return bad_value();
            if (ext.size_limit && *size > ext.size_limit) {
                return reject(Verb::mail, replies::declared_size_too_large());
            }
            m.size = size;
        } else if (name == "BODY") {
            bool binary_offered = ext.binarymime && ext.chunking;
            if (!ext.eight_bit_mime && !binary_offered)
                return unsupported();
            auto body = p.value ? parse_body(*p.value) : std::nullopt;
            if (!body)
                return bad_value();
            if (*body == Body::eight_bit_mime && !ext.eight_bit_mime)
                return bad_value();
            if (*body == Body::binary_mime && !binary_offered)
                return bad_value();
            m.body = *body;
        } else if (name == "SMTPUTF8") {
            if (!ext.smtputf8)
                return unsupported();
            if (p.value)
                return bad_value();
            m.smtputf8 = true;
        } else if (name == "RET") {
            if (!ext.dsn)
                return unsupported();
            auto ret = p.value ? parse_ret(*p.value) : std::nullopt;
            if (!ret)
                return bad_value();
            m.ret = *ret;
        } else if (name == "ENVID") {
            if (!ext.dsn)
                return unsupported();
            if (!p.value || p.value->size() > kMaxEnvidLength)
                return bad_value();
            auto envid = xtext_decode(*p.value);
            if (!envid || !is_printable_ascii(*envid))
                return bad_value();
            m.envid = std::move(envid);
        } else if (name == "AUTH") {
            if (!ext.auth())
                return unsupported();
            if (!p.value || p.value->size() > o.limits.max_argument)
                return bad_value();
            if (*p.value == "<>") {
                m.auth.emplace();
            } else {
                auto who = xtext_decode(*p.value, ext.smtputf8);
                if (!who || who->empty() || has_control(*who)) {
                    return bad_value();
                }
                m.auth = std::move(who);
            }
        } else {
            return unsupported();
        }
    }
    // RFC 6531 §3.4: a UTF-8 reverse-path needs the SMTPUTF8 parameter on this MAIL.
    if (m.sender && m.sender->is_utf8() && !m.smtputf8) {
        return reject(Verb::mail, replies::non_ascii_address());
    }
    return m;
}

ParseResult parse_rcpt(std::string_view args, const ParserOptions& o) {
    constexpr std::string_view kUsage = "RCPT TO:<address> [parameters]";
    auto env = split_envelope(args, "TO:", PathKind::forward, o, kUsage);
    if (env.error)
        return reject(Verb::rcpt, std::move(*env.error));
    RcptTo r;
    r.recipient = std::move(*env.path->mailbox);
    for (const auto& p : env.params) {
        const std::string name = to_upper(p.keyword);
        if (name != "NOTIFY" && name != "ORCPT") {
            return reject(Verb::rcpt, replies::unsupported_parameter(name));
        }
        if (!o.extensions.dsn)
            return reject(Verb::rcpt, replies::unsupported_parameter(name));
        if (name == "NOTIFY") {
            auto bits = p.value ? parse_notify(*p.value) : std::nullopt;
            if (!bits)
                return reject(Verb::rcpt, replies::bad_parameter_value(name));
            r.notify = *bits;
        } else {
            auto orcpt = p.value ? parse_orcpt(*p.value, o.extensions.smtputf8) : std::nullopt;
            if (!orcpt)
                return reject(Verb::rcpt, replies::bad_parameter_value(name));
            r.orcpt = std::move(orcpt);
        }
    }
    return r;
}

}  // namespace postern::proto::smtp::detail
