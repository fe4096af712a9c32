// The enotify extension (RFC 5435: notify §3, valid_notify_method §4,
// notify_method_capability §5, set :encodeurl §6) with the mailto method (RFC 5436), and the
// mailto URI syntax (RFC 6068 §2). The notification itself is built in outgoing.cpp and sent
// by delivery like a redirect.
#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "base/utf8.h"
#include "filter/sieve/commands.h"
#include "filter/sieve/enotify.h"
#include "filter/sieve/runtime.h"
#include "mime/address.h"

namespace postern::sieve {

namespace {

bool unreserved(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

// RFC 6068 §2 some-delims, allowed raw in header names and values.
bool some_delim(char c) {
    return std::string_view("!$'()*+,;:@").find(c) != std::string_view::npos;
}

// Percent-decodes `in`, allowing raw the characters `allowed` accepts. False on a bad escape,
// a disallowed character or a decoded NUL/CR/LF.
template <typename Allowed>
bool pct_decode(std::string_view in, Allowed allowed, std::string& out) {
    out.clear();
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
                !std::isxdigit(static_cast<unsigned char>(in[i + 2])))
                return false;
            auto v = static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
            if (v == '\0')
                return false;
            out.push_back(v);
            i += 2;
            continue;
        }
        if (!allowed(c))
            return false;
        out.push_back(c);
    }
    return true;
}

bool valid_field_name(std::string_view name) {
    return !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 32 && u < 127 && c != ':';
    });
}

bool add_recipients(std::string_view decoded, std::vector<std::string>& to, std::string* error) {
    std::size_t start = 0;
    while (start <= decoded.size()) {
        std::size_t comma = decoded.find(',', start);
        std::string_view one = decoded.substr(
            start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (!one.empty()) {
            if (!valid_notify_address(one)) {
                *error = fmt::format("invalid recipient '{}'", one.substr(0, 256));
                return false;
            }
            if (to.size() >= kMaxNotifyRecipients) {
                *error = fmt::format("more than {} recipients", kMaxNotifyRecipients);
                return false;
            }
            to.emplace_back(one);
        }
        if (comma == std::string_view::npos)
            break;
        start = comma + 1;
    }
    return true;
}

bool literal(const Argument& a) {
    return std::none_of(a.dynamic.begin(), a.dynamic.end(), [](bool d) { return d; });
}

// Checks of the notify arguments shared by compile time (literal strings) and run time.
std::string check_from(std::string_view from) {
    return valid_notify_address(from) ? "" : fmt::format("invalid :from address '{}'", from);
}

std::string check_importance(std::string_view importance) {
    return importance == "1" || importance == "2" || importance == "3"
               ? ""
               : fmt::format("invalid :importance '{}' (1, 2 or 3)", importance);
}

}  // namespace

std::string notify_scheme(std::string_view uri) {
    std::size_t colon = uri.find(':');
    if (colon == std::string_view::npos || colon == 0 || colon > 32)
        return "";
    return to_lower(uri.substr(0, colon));
}

bool valid_notify_address(std::string_view address) {
    if (address.empty() || address.size() > 320 ||
        address.find_first_of("<> \t\r\n\"") != std::string_view::npos)
        return false;
    auto list = mime::flatten(mime::parse_address_list(address));
    return list.size() == 1 && !list[0].local_part.empty() && !list[0].domain.empty() &&
           list[0].route.empty();
}

bool valid_notify_option(std::string_view option) {
    std::size_t eq = option.find('=');
    if (eq == std::string_view::npos || eq == 0)
        return false;
    std::string_view name = option.substr(0, eq);
    if (!std::isalpha(static_cast<unsigned char>(name[0])))
        return false;
    if (!std::all_of(name.begin(), name.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
        }))
        return false;
    return option.find_first_of("\r\n") == std::string_view::npos;
}

std::optional<MailtoUri> parse_mailto(std::string_view uri, std::string* error) {
    std::string scratch;
    if (!error)
        error = &scratch;
    if (uri.size() > kMaxMailtoLength) {
        *error = "mailto URI is too long";
        return std::nullopt;
    }
    if (notify_scheme(uri) != "mailto") {
        *error = "not a mailto URI";
        return std::nullopt;
    }
    std::string_view rest = uri.substr(7);
    std::size_t q = rest.find('?');
    std::string_view to_part = rest.substr(0, q);
    MailtoUri out;
    std::string decoded;
    // RFC 6068 §2: the to part is addr-specs joined by ",", percent-encoded.
    if (!pct_decode(
            to_part,
            [](char c) {
                return unreserved(c) ||
                       std::string_view("!$'*+,@").find(c) != std::string_view::npos;
            },
            decoded)) {
        *error = "invalid character or escape in the mailto recipients";
        return std::nullopt;
    }
    if (!add_recipients(decoded, out.to, error))
        return std::nullopt;
    if (q != std::string_view::npos) {
        std::string_view fields = rest.substr(q + 1);
        std::size_t start = 0;
        std::size_t count = 0;
        while (start <= fields.size()) {
            std::size_t amp = fields.find('&', start);
            std::string_view field = fields.substr(
                start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
            start = amp == std::string_view::npos ? fields.size() + 1 : amp + 1;
            if (field.empty())
                continue;
            if (++count > kMaxMailtoHeaders) {
                *error = fmt::format("more than {} mailto header fields", kMaxMailtoHeaders);
                return std::nullopt;
            }
            std::size_t eq = field.find('=');
            if (eq == std::string_view::npos) {
                *error = "mailto header field without '='";
                return std::nullopt;
            }
            auto qchar = [](char c) { return unreserved(c) || some_delim(c); };
            std::string name, value;
            if (!pct_decode(field.substr(0, eq), qchar, name) ||
                !pct_decode(field.substr(eq + 1), qchar, value)) {
                *error = "invalid character or escape in a mailto header field";
                return std::nullopt;
            }
            if (!valid_field_name(name)) {
                *error = fmt::format("invalid mailto header name '{}'", name.substr(0, 128));
                return std::nullopt;
            }
            if (iequals(name, "to")) {
                if (!add_recipients(value, out.to, error))
                    return std::nullopt;
            } else if (iequals(name, "body")) {
                out.body = std::move(value);
            } else {
                if (value.find_first_of("\r\n") != std::string::npos) {
                    *error = "line break in a mailto header value";
                    return std::nullopt;
                }
                out.headers.emplace_back(std::move(name), std::move(value));
            }
        }
    }
    if (out.to.empty()) {
        *error = "mailto URI without a recipient";
        return std::nullopt;
    }
    return out;
}

std::string check_notify_uri(std::string_view uri) {
    std::string scheme = notify_scheme(uri);
    if (scheme.empty())
        return "invalid notification URI (no method)";
    if (scheme != "mailto")
        return fmt::format("unsupported notification method '{}'", scheme.substr(0, 32));
    std::string error;
    if (!parse_mailto(uri, &error))
        return "invalid mailto URI: " + error;
    return "";
}

void add_enotify(Registry& r) {
    r.add_extension("enotify");
    r.add({.name = "notify",
           .extension = "enotify",
           .tags = {{"from", ArgType::string},
                    {"importance", ArgType::string},
                    {"options", ArgType::string_list},
                    {"message", ArgType::string}},
           .positional = {ArgType::string},
           .check =
               [](Validator& v, Node& node) {
                   std::vector<std::pair<const Argument*, std::string>> problems;
                   const Argument& method = node.pos_arg(0);
                   if (literal(method))
                       problems.emplace_back(&method, check_notify_uri(method.strings[0]));
                   if (const Argument* a = node.tag_value("from"); a && literal(*a))
                       problems.emplace_back(a, check_from(a->strings[0]));
                   if (const Argument* a = node.tag_value("importance"); a && literal(*a))
                       problems.emplace_back(a, check_importance(a->strings[0]));
                   if (const Argument* a = node.tag_value("options"); a && literal(*a)) {
                       if (a->strings.size() > kMaxNotifyOptions)
                           problems.emplace_back(a, "too many :options");
                       for (const auto& o : a->strings)
                           if (!valid_notify_option(o))
                               problems.emplace_back(
                                   a, fmt::format("invalid :options entry '{}'", o.substr(0, 64)));
                   }
                   for (const auto& [arg, why] : problems) {
                       if (why.empty())
                           continue;
                       v.error(arg->pos, "notify: " + why);
                       return false;  // one error per command
                   }
                   return true;
               },
           .run =
               [](Runtime& rt, const Node& node) {
                   Action a;
                   a.kind = Action::Kind::notify;
                   a.notify.method = rt.str(node.pos_arg(0));
                   std::string why = check_notify_uri(a.notify.method);
                   if (const Argument* f = node.tag_value("from")) {
                       a.notify.from = rt.str(*f);
                       if (why.empty())
                           why = check_from(a.notify.from);
                   }
                   a.notify.importance = "2";
                   if (const Argument* i = node.tag_value("importance")) {
                       a.notify.importance = rt.str(*i);
                       if (why.empty())
                           why = check_importance(a.notify.importance);
                   }
                   if (const Argument* o = node.tag_value("options")) {
                       a.notify.options = rt.list(*o);
                       for (const auto& opt : a.notify.options)
                           if (why.empty() && !valid_notify_option(opt))
                               why = "invalid :options entry";
                   }
                   if (const Argument* m = node.tag_value("message"))
                       a.notify.message = rt.str(*m);
                   if (!why.empty())
                       return rt.error(node, "notify: " + why);
                   std::size_t sent = static_cast<std::size_t>(std::count_if(
                       rt.actions().actions().begin(), rt.actions().actions().end(),
                       [](const Action& x) { return x.kind == Action::Kind::notify; }));
                   if (sent >= kMaxNotifyActions)
                       return rt.error(node,
                                       fmt::format("notify: more than {} notifications in one "
                                                   "run",
                                                   kMaxNotifyActions));
                   a.line = node.pos.line;
                   a.message = rt.edited;
                   std::string err = rt.actions().add(std::move(a), rt.limits().max_actions,
                                                      rt.limits().max_redirects);
                   if (!err.empty())
                       return rt.error(node, err);
                   return Flow::next;
               }});
    r.add({.name = "valid_notify_method",
           .is_test = true,
           .extension = "enotify",
           .positional = {ArgType::string_list},
           .eval = [](Runtime& rt, const Node& node) {
               for (const auto& uri : rt.list(node.pos_arg(0)))
                   if (!check_notify_uri(uri).empty())
                       return false;
               return true;
           }});
    r.add({.name = "notify_method_capability",
           .is_test = true,
           .extension = "enotify",
           .positional = {ArgType::string, ArgType::string, ArgType::string_list},
           .match = true,
           .eval = [](Runtime& rt, const Node& node) {
               std::string uri = rt.str(node.pos_arg(0));
               if (!check_notify_uri(uri).empty())
                   return false;
               // RFC 5435 §5: "online" is the one capability; mail cannot tell (RFC 5436 §2.6).
               if (!iequals(rt.str(node.pos_arg(1)), "online"))
                   return false;
               std::vector<std::string> values{"maybe"};
               return rt.match(node, values, rt.list(node.pos_arg(2)));
           }});
}

}  // namespace postern::sieve
