// Sieve tests: RFC 5228 §5 (address, allof, anyof, envelope, exists, false, header, not, size,
// true), RFC 5173 (body), RFC 5260 (date, currentdate, :index), RFC 5229 §5 (string), RFC 5232
// §4 (hasflag), RFC 5235 (spamtest, spamtestplus, virustest), RFC 5490 §3.1 (mailboxexists),
// RFC 7352 (duplicate).
#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "base/strings.h"
#include "filter/sieve/commands.h"
#include "filter/sieve/runtime.h"
#include "mime/address.h"
#include "mime/body_text.h"
#include "mime/date.h"
#include "mime/header_text.h"

namespace postern::sieve {

namespace {

bool literal(const Argument& a) {
    return std::none_of(a.dynamic.begin(), a.dynamic.end(), [](bool d) { return d; });
}

bool valid_header_name(std::string_view name) {
    if (name.empty())
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return static_cast<unsigned char>(c) > 32 && static_cast<unsigned char>(c) < 127 &&
               c != ':';
    });
}

bool check_header_names(Validator& v, const Argument& a, std::string_view what) {
    if (!literal(a))
        return true;
    for (const auto& s : a.strings) {
        if (!valid_header_name(s)) {
            v.error(a.pos, fmt::format("{}: invalid header name '{}'", what, s));
            return false;
        }
    }
    return true;
}

// RFC 5228 §5.1: the address test is restricted to header fields that hold addresses (at
// least From, To, Cc, Bcc, Sender, Resent-From, Resent-To). These are the RFC 5322 §3.6.2,
// §3.6.3 and §3.6.6 fields plus common ones that carry an address list (RFC 2076).
bool is_address_header(std::string_view name) {
    static constexpr std::string_view kHeaders[] = {
        "from",
        "sender",
        "reply-to",
        "to",
        "cc",
        "bcc",
        "resent-from",
        "resent-sender",
        "resent-reply-to",
        "resent-to",
        "resent-cc",
        "resent-bcc",
        "return-path",
        "delivered-to",
        "envelope-to",
        "x-original-to",
        "x-original-from",
        "apparently-to",
        "errors-to",
        "return-receipt-to",
        "disposition-notification-to",
        "mail-followup-to",
        "mail-reply-to",
        "x-beenthere",
        // RFC 2076 (common, non-standard)
        "for-approval",
        "for-handling",
        "for-comment",
        "x-admin",
        "read-receipt-to",
        "x-confirm-reading-to",
        "return-receipt-requested",
        "registered-mail-reply-requested-by",
        "abuse-reports-to",
        "x-complaints-to",
        "x-report-abuse-to",
    };
    return std::any_of(std::begin(kHeaders), std::end(kHeaders),
                       [&](std::string_view h) { return iequals(h, name); });
}

bool check_address_headers(Validator& v, const Argument& a) {
    if (!check_header_names(v, a, "address"))
        return false;
    if (!literal(a))
        return true;
    for (const auto& s : a.strings) {
        if (!is_address_header(s)) {
            v.error(a.pos, fmt::format("specified header '{}' is not allowed for the address "
                                       "test (it holds no addresses)",
                                       s));
            return false;
        }
    }
    return true;
}

// Selects the field values :index / :last ask for (RFC 5260 §6).
std::vector<std::string> apply_index(const Node& node, std::vector<std::string> values) {
    const Argument* idx = node.tag_value("index");
    if (!idx)
        return values;
    std::size_t n = static_cast<std::size_t>(idx->number);
    if (n == 0 || n > values.size())
        return {};
    return {node.has_tag("last") ? values[values.size() - n] : values[n - 1]};
}

bool eval_header(Runtime& rt, const Node& node) {
    if (node.has_tag("mime"))
        return eval_mime_header(rt, node);
    std::vector<std::string> values;
    for (const auto& name : rt.list(node.pos_arg(0))) {
        if (!valid_header_name(name))
            continue;
        auto v = apply_index(node, rt.header_values(name));
        for (auto& x : v)
            values.push_back(std::move(x));
        if (values.size() > rt.limits().max_match_values)
            break;
    }
    return rt.match(node, values, rt.list(node.pos_arg(1)));
}

bool eval_address(Runtime& rt, const Node& node) {
    if (node.has_tag("mime"))
        return eval_mime_address(rt, node);
    std::vector<std::string> values;
    for (const auto& name : rt.list(node.pos_arg(0))) {
        auto v = rt.address_values(node, name);
        for (auto& x : v)
            values.push_back(std::move(x));
    }
    return rt.match(node, values, rt.list(node.pos_arg(1)));
}

// An SMTP path (RFC 5321 §4.1.2), with or without the angle brackets; a source route is
// dropped. Returns "local@domain", "" for the null path, nullopt when the path is malformed.
bool valid_domain(std::string_view d) {
    if (d.empty())
        return false;
    if (d.front() == '[')
        return d.back() == ']' && d.size() > 2;
    std::size_t start = 0;
    while (start <= d.size()) {
        std::size_t dot = d.find('.', start);
        std::string_view label =
            d.substr(start, dot == std::string_view::npos ? d.npos : dot - start);
        if (label.empty() || !std::all_of(label.begin(), label.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
                       static_cast<unsigned char>(c) >= 0x80;
            }))
            return false;
        if (dot == std::string_view::npos)
            break;
        start = dot + 1;
    }
    return true;
}

std::optional<std::string> parse_smtp_path(std::string_view p) {
    while (!p.empty() && (p.front() == ' ' || p.front() == '\t'))
        p.remove_prefix(1);
    while (!p.empty() && (p.back() == ' ' || p.back() == '\t'))
        p.remove_suffix(1);
    bool open = !p.empty() && p.front() == '<', close = !p.empty() && p.back() == '>';
    if (open != close)
        return std::nullopt;
    if (open)
        p = p.substr(1, p.size() - 2);
    if (p.find_first_of("<>") != std::string_view::npos)
        return std::nullopt;
    if (p.empty())
        return std::string();
    if (p.front() == '@') {  // source route "@a,@b:"
        std::size_t colon = p.find(':');
        if (colon == std::string_view::npos)
            return std::nullopt;
        std::string_view route = p.substr(0, colon);
        std::size_t start = 0;
        while (start < route.size()) {
            std::size_t comma = route.find(',', start);
            std::string_view hop =
                route.substr(start, comma == route.npos ? route.npos : comma - start);
            if (hop.size() < 2 || hop[0] != '@' || !valid_domain(hop.substr(1)))
                return std::nullopt;
            if (comma == route.npos)
                break;
            start = comma + 1;
        }
        p = p.substr(colon + 1);
    }
    std::string local;
    std::size_t i = 0;
    if (!p.empty() && p[0] == '"') {
        ++i;
        while (i < p.size() && p[i] != '"') {
            if (p[i] == '\\' && i + 1 < p.size())
                ++i;
            local += p[i++];
        }
        if (i >= p.size())
            return std::nullopt;
        ++i;
    } else {
        // Lenient like deployed MTAs: dots anywhere in the local part (RFC 5321 would not).
        while (i < p.size() && p[i] != '@')
            local += p[i++];
        if (local.empty() || local.find_first_of(" \t()<>[]:;,\"\\") != std::string::npos)
            return std::nullopt;
    }
    if (i >= p.size())
        return local;  // a local part alone ("<MAILER-DAEMON>")
    if (p[i] != '@')
        return std::nullopt;
    std::string_view domain = p.substr(i + 1);
    if (!valid_domain(domain))
        return std::nullopt;
    return local + "@" + std::string(domain);
}

// "local@domain" with the local part quoted when it is not a dot-atom (RFC 5321 §4.1.2).
std::string quoted_address(std::string_view addr) {
    std::size_t at = addr.rfind('@');
    std::string_view local = at == std::string_view::npos ? addr : addr.substr(0, at);
    bool atom =
        !local.empty() && local.front() != '.' && local.back() != '.' &&
        local.find("..") == std::string_view::npos &&
        std::all_of(local.begin(), local.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) ||
                   std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos ||
                   static_cast<unsigned char>(c) >= 0x80;
        });
    if (atom)
        return std::string(addr);
    std::string out = "\"";
    for (char c : local) {
        if (c == '"' || c == '\\')
            out += '\\';
        out += c;
    }
    out += '"';
    if (at != std::string_view::npos)
        out += addr.substr(at);
    return out;
}

bool eval_envelope(Runtime& rt, const Node& node) {
    std::vector<std::string> values;
    const Envelope& env = rt.envelope();
    for (const auto& part : rt.list(node.pos_arg(0))) {
        std::string p = to_lower(part);
        const std::string* src = nullptr;
        if (p == "from")
            src = &env.from;
        else if (p == "to")
            src = &env.to;
        else if (p == "auth")
            src = &env.auth;
        else if (p == "orig_to")
            src = &env.orig_to;
        if (!src)
            continue;
        if (p != "from" && (src->empty() || *src == "<>"))
            continue;
        auto path = parse_smtp_path(*src);
        if (!path)
            continue;  // a malformed path matches nothing
        if (path->empty()) {
            values.emplace_back();  // the null reverse-path (RFC 5228 §5.4)
            continue;
        }
        if (static_cast<AddressPart>(node.address_part) == AddressPart::all) {
            values.push_back(quoted_address(*path));
            continue;
        }
        std::string part_value = rt.address_part(node, *path);
        if (part_value != "\x01")
            values.push_back(std::move(part_value));
    }
    return rt.match(node, values, rt.list(node.pos_arg(1)));
}

bool check_envelope(Validator& v, Node& node) {
    const Argument& a = node.pos_arg(0);
    if (!literal(a))
        return true;
    for (const auto& s : a.strings) {
        std::string p = to_lower(s);
        if (p != "from" && p != "to" && p != "auth" && p != "orig_to") {
            v.error(a.pos, fmt::format("envelope: unknown envelope part '{}'", s));
            return false;
        }
    }
    return true;
}

// ---- body (RFC 5173) -----------------------------------------------------------------------

bool content_type_matches(const mime::Part& part, std::string_view want) {
    if (want.empty())
        return true;
    std::string type = to_lower(part.content_type.type);
    std::string sub = to_lower(part.content_type.subtype);
    std::string w = to_lower(want);
    std::size_t slash = w.find('/');
    if (slash == std::string::npos)
        return type == w;
    if (w.find('/', slash + 1) != std::string::npos)
        return false;  // "text/plain/x" names no type
    return type == w.substr(0, slash) && sub == w.substr(slash + 1);
}

// The text of an HTML part for body :text: tags dropped, common entities decoded, tag and
// line boundaries as spaces.
std::string html_to_text(std::string_view html) {
    std::string out;
    std::size_t i = 0;
    while (i < html.size()) {
        char c = html[i];
        if (c == '<') {
            std::size_t close = html.find('>', i);
            if (close == std::string_view::npos)
                break;
            std::string tag = to_lower(html.substr(i + 1, std::min<std::size_t>(close - i - 1, 7)));
            if (tag.starts_with("script") || tag.starts_with("style")) {
                std::string end = tag.starts_with("script") ? "</script" : "</style";
                std::size_t e = to_lower(html.substr(close)).find(end);
                close = e == std::string::npos ? html.size() - 1 : html.find('>', close + e);
                if (close == std::string_view::npos)
                    break;
            }
            if (!out.empty() && out.back() != ' ')
                out += ' ';
            i = close + 1;
            continue;
        }
        if (c == '&') {
            static const std::pair<const char*, const char*> entities[] = {
                {"&amp;", "&"},   {"&lt;", "<"},   {"&gt;", ">"},
                {"&quot;", "\""}, {"&nbsp;", " "}, {"&#39;", "'"}};
            bool done = false;
            for (auto [name, text] : entities) {
                if (html.substr(i).starts_with(name)) {
                    out += text;
                    i += std::string_view(name).size();
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        if (c == '\r' || c == '\n' || c == '\t')
            c = ' ';
        if (c == ' ' && !out.empty() && out.back() == ' ') {
            ++i;
            continue;
        }
        out += c;
        ++i;
    }
    while (!out.empty() && out.front() == ' ')
        out.erase(out.begin());
    return out;
}

bool eval_body(Runtime& rt, const Node& node) {
    const SieveMessage& msg = rt.message();
    std::vector<std::string> values;
    if (node.has_tag("raw")) {
        values.emplace_back(msg.body());
    } else {
        std::vector<std::string> types;
        bool content = false;
        if (const Argument* c = node.tag_value("content")) {
            types = rt.list(*c);
            content = true;
        }
        const auto& parsed = msg.parsed();
        for (std::uint32_t i = 0; i < parsed.parts.size(); ++i) {
            const mime::Part& part = parsed.parts[i];
            if (part.kind != mime::PartKind::leaf) {
                if (!content || std::none_of(types.begin(), types.end(), [&](const std::string& t) {
                        return !t.empty() && content_type_matches(part, t);
                    }))
                    continue;
                std::string_view raw = msg.raw();
                auto slice = [&](std::uint64_t a, std::uint64_t b) {
                    if (a < b && b <= raw.size())
                        values.emplace_back(raw.substr(a, b - a));
                };
                if (part.kind == mime::PartKind::multipart) {
                    // RFC 5173 §5.2: a multipart's prologue and epilogue, as separate strings.
                    slice(part.body_start, part.preamble_end ? part.preamble_end : part.body_end);
                    if (part.epilogue_start)
                        slice(part.epilogue_start, part.body_end);
                } else {
                    // message/rfc822 (RFC 5173 §5.2): only the enclosed message's header,
                    // without the blank line that ends it.
                    if (!part.children.empty()) {
                        const mime::Part& inner = parsed.parts[part.children[0]];
                        std::uint64_t end = inner.body_start;
                        if (end >= 2 && raw.substr(end - 2, 2) == "\r\n")
                            end -= 2;
                        else if (end >= 1 && raw[end - 1] == '\n')
                            end -= 1;
                        slice(inner.header_start, end);
                    }
                }
                continue;
            }
            bool take = false;
            if (content) {
                take = std::any_of(types.begin(), types.end(), [&](const std::string& t) {
                    return content_type_matches(part, t);
                });
            } else {
                std::string type = to_lower(part.content_type.type);
                std::string sub = to_lower(part.content_type.subtype);
                take = mime::is_text_part(part) || (type == "application" && sub == "xhtml+xml");
                // A part whose type or transfer encoding cannot be read has no text to test.
                if ((part.flags & mime::part_flag::invalid_content_type) != 0 ||
                    sub.find('/') != std::string::npos ||
                    part.encoding == mime::TransferEncoding::unknown)
                    take = false;
            }
            if (!take)
                continue;
            std::string text = mime::decode_part_text(msg.raw(), part);
            std::string sub = to_lower(part.content_type.subtype);
            if (!content && (sub == "html" || sub == "xhtml+xml"))
                text = html_to_text(text);
            values.push_back(std::move(text));
            if (values.size() > rt.limits().max_match_values)
                break;
        }
    }
    std::erase_if(values, [](const std::string& v) { return v.empty(); });
    rt.suppress_match_vars = true;
    bool hit = rt.match(node, values, rt.list(node.pos_arg(0)));
    rt.suppress_match_vars = false;
    return hit;
}

// ---- date (RFC 5260) ---------------------------------------------------------------------

std::optional<int> parse_zone(std::string_view z) {
    if (z.size() != 5 || (z[0] != '+' && z[0] != '-'))
        return std::nullopt;
    for (std::size_t i = 1; i < 5; ++i)
        if (!std::isdigit(static_cast<unsigned char>(z[i])))
            return std::nullopt;
    int h = (z[1] - '0') * 10 + (z[2] - '0');
    int m = (z[3] - '0') * 10 + (z[4] - '0');
    if (h > 23 || m > 59)
        return std::nullopt;
    return (z[0] == '-' ? -1 : 1) * (h * 60 + m);
}

struct Civil {
    std::int64_t days;  // since 1970-01-01
    int year, month, day, hour, minute, second, zone;
};

Civil civil_from(std::int64_t unix, int zone) {
    std::int64_t t = unix + static_cast<std::int64_t>(zone) * 60;
    std::int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
    std::int64_t secs = t - days * 86400;
    // Howard Hinnant's civil_from_days.
    std::int64_t z = days + 719468;
    std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    std::int64_t doe = z - era * 146097;
    std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    std::int64_t y = yoe + era * 400;
    std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    std::int64_t mp = (5 * doy + 2) / 153;
    std::int64_t d = doy - (153 * mp + 2) / 5 + 1;
    std::int64_t m = mp < 10 ? mp + 3 : mp - 9;
    if (m <= 2)
        ++y;
    return {days,
            static_cast<int>(y),
            static_cast<int>(m),
            static_cast<int>(d),
            static_cast<int>(secs / 3600),
            static_cast<int>(secs / 60 % 60),
            static_cast<int>(secs % 60),
            zone};
}

std::string zone_text(int zone, bool colon) {
    int a = zone < 0 ? -zone : zone;
    return colon ? fmt::format("{}{:02}:{:02}", zone < 0 ? '-' : '+', a / 60, a % 60)
                 : fmt::format("{}{:02}{:02}", zone < 0 ? '-' : '+', a / 60, a % 60);
}

std::optional<std::string> date_part(const Civil& c, std::string_view part) {
    std::string p = to_lower(part);
    if (p == "year")
        return fmt::format("{:04}", c.year);
    if (p == "month")
        return fmt::format("{:02}", c.month);
    if (p == "day")
        return fmt::format("{:02}", c.day);
    if (p == "date")
        return fmt::format("{:04}-{:02}-{:02}", c.year, c.month, c.day);
    if (p == "julian")
        return std::to_string(c.days + 40587);
    if (p == "hour")
        return fmt::format("{:02}", c.hour);
    if (p == "minute")
        return fmt::format("{:02}", c.minute);
    if (p == "second")
        return fmt::format("{:02}", c.second);
    if (p == "time")
        return fmt::format("{:02}:{:02}:{:02}", c.hour, c.minute, c.second);
    if (p == "iso8601")
        return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}", c.year, c.month, c.day, c.hour,
                           c.minute, c.second, zone_text(c.zone, true));
    if (p == "std11") {
        static const char* wd[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
        static const char* mn[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
        int w = static_cast<int>(((c.days % 7) + 11) % 7);
        return fmt::format("{}, {:02} {} {:04} {:02}:{:02}:{:02} {}", wd[w], c.day, mn[c.month - 1],
                           c.year, c.hour, c.minute, c.second, zone_text(c.zone, false));
    }
    if (p == "zone")
        return zone_text(c.zone, false);
    if (p == "weekday")
        return std::to_string(((c.days % 7) + 11) % 7);
    return std::nullopt;
}

bool valid_date_part(std::string_view p) {
    static const char* parts[] = {"year",  "month",  "day",    "date", "julian",
                                  "hour",  "minute", "second", "time", "iso8601",
                                  "std11", "zone",   "weekday"};
    return std::any_of(std::begin(parts), std::end(parts),
                       [&](const char* x) { return iequals(x, p); });
}

bool check_date(Validator& v, Node& node, std::size_t part_index) {
    if (node.has_tag("zone") && node.has_tag("originalzone")) {
        v.error(node.pos, fmt::format("{}: :zone and :originalzone cannot be combined", node.name));
        return false;
    }
    if (const Argument* z = node.tag_value("zone")) {
        if (literal(*z) && !parse_zone(z->strings[0]))
            v.warning(z->pos, fmt::format("{}: invalid zone '{}'", node.name, z->strings[0]));
    }
    const Argument& part = node.pos_arg(part_index);
    if (literal(part) && !valid_date_part(part.strings[0])) {
        v.error(part.pos, fmt::format("{}: unknown date part '{}'", node.name, part.strings[0]));
        return false;
    }
    return true;
}

std::optional<int> wanted_zone(Runtime& rt, const Node& node) {
    if (const Argument* z = node.tag_value("zone"))
        return parse_zone(rt.str(*z));
    return rt.env().local_zone_minutes();
}

bool eval_date(Runtime& rt, const Node& node) {
    std::string header = rt.str(node.pos_arg(0));
    std::string part = rt.str(node.pos_arg(1));
    auto raw = rt.message().raw_values(header);
    std::vector<std::string> fields(raw.begin(), raw.end());
    fields = apply_index(node, std::move(fields));
    std::vector<std::string> values;
    for (auto& f : fields) {
        std::string_view text = f;
        if (iequals(header, "received")) {
            auto semi = text.rfind(';');
            if (semi != std::string_view::npos)
                text = text.substr(semi + 1);
        }
        auto dt = mime::parse_date(text);
        if (!dt)
            continue;
        int zone = dt->zone_minutes;
        if (!node.has_tag("originalzone")) {
            auto z = wanted_zone(rt, node);
            if (!z)
                continue;
            zone = *z;
        }
        auto v = date_part(civil_from(dt->to_unix(), zone), part);
        if (v)
            values.push_back(std::move(*v));
    }
    return rt.match(node, values, rt.list(node.pos_arg(2)));
}

bool eval_currentdate(Runtime& rt, const Node& node) {
    auto z = wanted_zone(rt, node);
    std::vector<std::string> values;
    if (z) {
        auto v = date_part(civil_from(rt.env().now(), *z), rt.str(node.pos_arg(0)));
        if (v)
            values.push_back(std::move(*v));
    }
    return rt.match(node, values, rt.list(node.pos_arg(1)));
}

// ---- spamtest / virustest (RFC 5235) ----------------------------------------------------

std::string test_level(Runtime& rt, std::string_view header, int max, bool percent) {
    auto v = rt.header_values(header);
    if (v.empty())
        return "0";
    std::string_view s = v[0];
    while (!s.empty() && (s[0] == ' ' || s[0] == '\t'))
        s.remove_prefix(1);
    int n = 0;
    std::size_t k = 0;
    while (k < s.size() && std::isdigit(static_cast<unsigned char>(s[k])) && n < 1000)
        n = n * 10 + (s[k++] - '0');
    if (k == 0 || n < 1)
        return "0";
    n = std::min(n, max);
    if (percent)
        return std::to_string((n - 1) * 100 / (max - 1));
    return std::to_string(n);
}

}  // namespace

void add_tests(Registry& r) {
    using S = CommandSpec::Sub;
    r.add({.name = "true", .is_test = true, .eval = [](Runtime&, const Node&) { return true; }});
    r.add({.name = "false", .is_test = true, .eval = [](Runtime&, const Node&) { return false; }});
    r.add(
        {.name = "not", .is_test = true, .sub = S::test, .eval = [](Runtime& rt, const Node& node) {
             return !rt.eval(node.tests[0]);
         }});
    r.add({.name = "anyof",
           .is_test = true,
           .sub = S::test_list,
           .eval = [](Runtime& rt, const Node& node) {
               for (const auto& t : node.tests) {
                   if (rt.eval(t))
                       return true;
                   if (rt.failed())
                       return false;
               }
               return false;
           }});
    r.add({.name = "allof",
           .is_test = true,
           .sub = S::test_list,
           .eval = [](Runtime& rt, const Node& node) {
               for (const auto& t : node.tests) {
                   if (!rt.eval(t))
                       return false;
               }
               return true;
           }});
    // :mime and :anychild (RFC 5703 §4), and for header the content-type options (§4.2).
    const TagSpec mime_tag{"mime", ArgType::none, "mime"};
    const TagSpec anychild_tag{"anychild", ArgType::none, "mime"};
    r.add({.name = "exists",
           .is_test = true,
           .tags = {mime_tag, anychild_tag},
           .positional = {ArgType::string_list},
           .check =
               [](Validator& v, Node& node) {
                   return check_header_names(v, node.pos_arg(0), "exists") &&
                          check_mime_tags(v, node);
               },
           .eval =
               [](Runtime& rt, const Node& node) {
                   if (node.has_tag("mime"))
                       return eval_mime_exists(rt, node);
                   for (const auto& h : rt.list(node.pos_arg(0)))
                       if (rt.message().raw_values(h).empty())
                           return false;
                   return true;
               }});
    r.add({.name = "size",
           .is_test = true,
           .tags = {{"over"}, {"under"}},
           .positional = {ArgType::number},
           .check =
               [](Validator& v, Node& node) {
                   if (node.has_tag("over") == node.has_tag("under")) {
                       v.error(node.pos, "size test expects exactly one of :over or :under");
                       return false;
                   }
                   return true;
               },
           .eval =
               [](Runtime& rt, const Node& node) {
                   std::uint64_t limit = node.pos_arg(0).number;
                   std::uint64_t size = rt.message().size();
                   return node.has_tag("over") ? size > limit : size < limit;
               }});
    r.add({.name = "header",
           .is_test = true,
           .tags = {mime_tag,
                    anychild_tag,
                    {"type", ArgType::none, "mime"},
                    {"subtype", ArgType::none, "mime"},
                    {"contenttype", ArgType::none, "mime"},
                    {"param", ArgType::string_list, "mime"}},
           .positional = {ArgType::string_list, ArgType::string_list},
           .match = true,
           .index = true,
           .check = check_mime_tags,
           .eval = eval_header});
    r.add({.name = "address",
           .is_test = true,
           .tags = {mime_tag, anychild_tag},
           .positional = {ArgType::string_list, ArgType::string_list},
           .match = true,
           .address_part = true,
           .index = true,
           .check =
               [](Validator& v, Node& node) {
                   return check_address_headers(v, node.pos_arg(0)) && check_mime_tags(v, node);
               },
           .eval = eval_address});
    r.add({.name = "envelope",
           .is_test = true,
           .extension = "envelope",
           .positional = {ArgType::string_list, ArgType::string_list},
           .match = true,
           .address_part = true,
           .check = check_envelope,
           .eval = eval_envelope});
    r.add({.name = "body",
           .is_test = true,
           .extension = "body",
           .tags = {{"raw"}, {"content", ArgType::string_list}, {"text"}},
           .positional = {ArgType::string_list},
           .match = true,
           .check =
               [](Validator& v, Node& node) {
                   int n = node.has_tag("raw") + node.has_tag("content") + node.has_tag("text");
                   if (n > 1) {
                       v.error(node.pos, "body: only one of :raw, :content and :text");
                       return false;
                   }
                   return true;
               },
           .eval = eval_body});
    r.add({.name = "date",
           .is_test = true,
           .extension = "date",
           .tags = {{"zone", ArgType::string}, {"originalzone"}},
           .positional = {ArgType::string, ArgType::string, ArgType::string_list},
           .match = true,
           .index = true,
           .check = [](Validator& v, Node& node) { return check_date(v, node, 1); },
           .eval = eval_date});
    r.add({.name = "currentdate",
           .is_test = true,
           .extension = "date",
           .tags = {{"zone", ArgType::string}},
           .positional = {ArgType::string, ArgType::string_list},
           .match = true,
           .check = [](Validator& v, Node& node) { return check_date(v, node, 0); },
           .eval = eval_currentdate});
    r.add({.name = "string",
           .is_test = true,
           .extension = "variables",
           .positional = {ArgType::string_list, ArgType::string_list},
           .match = true,
           .eval = [](Runtime& rt, const Node& node) {
               auto values = rt.list(node.pos_arg(0));
               if (static_cast<MatchType>(node.match_type) == MatchType::count)
                   std::erase_if(values, [](const std::string& s) { return s.empty(); });
               return rt.match(node, values, rt.list(node.pos_arg(1)));
           }});
    r.add({.name = "hasflag",
           .is_test = true,
           .extension = "imap4flags",
           .positional = {ArgType::string_list, ArgType::string_list},
           .min_positional = 1,
           .match = true,
           .eval = [](Runtime& rt, const Node& node) {
               std::vector<std::string> values;
               if (node.positional.size() == 2) {
                   for (const auto& var : rt.list(node.pos_arg(0)))
                       for (auto& f : split_flags(rt.variable(var).value_or("")))
                           values.push_back(std::move(f));
               } else {
                   values = split_flags(rt.flags());
               }
               std::vector<std::string> keys;
               for (const auto& k : rt.list(node.pos_arg(node.positional.size() - 1))) {
                   auto mt = static_cast<MatchType>(node.match_type);
                   if (mt == MatchType::count || mt == MatchType::value) {
                       keys.push_back(k);
                   } else {
                       for (auto& f : split_flags(k))
                           keys.push_back(std::move(f));
                   }
               }
               return rt.match(node, values, keys);
           }});
    r.add({.name = "spamtest",
           .is_test = true,
           .extension = "spamtest",
           .tags = {{"percent", ArgType::none, "spamtestplus"}},
           .positional = {ArgType::string},
           .match = true,
           .eval = [](Runtime& rt, const Node& node) {
               std::vector<std::string> v{
                   test_level(rt, "X-Postern-Spam-Level", 10, node.has_tag("percent"))};
               return rt.match(node, v, rt.list(node.pos_arg(0)));
           }});
    r.add({.name = "virustest",
           .is_test = true,
           .extension = "virustest",
           .positional = {ArgType::string},
           .match = true,
           .eval = [](Runtime& rt, const Node& node) {
               std::vector<std::string> v{test_level(rt, "X-Postern-Virus-Level", 5, false)};
               return rt.match(node, v, rt.list(node.pos_arg(0)));
           }});
    r.add({.name = "mailboxexists",
           .is_test = true,
           .extension = "mailbox",
           .positional = {ArgType::string_list},
           .eval = [](Runtime& rt, const Node& node) {
               for (const auto& m : rt.list(node.pos_arg(0)))
                   if (!rt.env().mailbox_exists(m))
                       return false;
               return true;
           }});
    r.add({.name = "duplicate",
           .is_test = true,
           .extension = "duplicate",
           .tags = {{"handle", ArgType::string},
                    {"header", ArgType::string},
                    {"uniqueid", ArgType::string},
                    {"seconds", ArgType::number},
                    {"last"}},
           .check =
               [](Validator& v, Node& node) {
                   if (node.has_tag("header") && node.has_tag("uniqueid")) {
                       v.error(node.pos, "duplicate: :header and :uniqueid cannot be combined");
                       return false;
                   }
                   return true;
               },
           .eval =
               [](Runtime& rt, const Node& node) {
                   std::string id;
                   if (const Argument* u = node.tag_value("uniqueid")) {
                       id = rt.str(*u);
                   } else {
                       std::string h = "Message-ID";
                       if (const Argument* a = node.tag_value("header"))
                           h = rt.str(*a);
                       auto v = rt.header_values(h, false);
                       if (v.empty())
                           return false;
                       id = v[0];
                   }
                   std::string handle;
                   if (const Argument* a = node.tag_value("handle"))
                       handle = rt.str(*a);
                   std::uint64_t seconds = 7 * 86400;
                   if (const Argument* s = node.tag_value("seconds"))
                       seconds = s->number;
                   bool seen = rt.env().duplicate_seen(handle, id);
                   for (const auto& d : rt.duplicates())
                       if (d.handle == handle && d.id == id)
                           seen = true;
                   if (!seen || node.has_tag("last"))
                       rt.duplicates().push_back({handle, id, seconds});
                   return seen;
               }});
}

const Registry& Registry::standard() {
    static const Registry registry = [] {
        Registry r;
        add_commands(r);
        add_tests(r);
        add_ihave(r);
        add_environment(r);
        add_special_use(r);
        add_mime(r);
        add_enotify(r);
        return r;
    }();
    return registry;
}

}  // namespace postern::sieve
