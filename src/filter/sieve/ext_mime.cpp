// The MIME part tests and iteration (RFC 5703): the foreverypart loop and break (§3), the
// :mime and :anychild options of header, address and exists with :type, :subtype,
// :contenttype and :param (§4), and extracttext (§7). Parts come from the MIME parser's tree
// of the message (src/mime), so a loop visits them in document order.
#include <algorithm>

#include <fmt/format.h>

#include "base/strings.h"
#include "filter/sieve/commands.h"
#include "filter/sieve/runtime.h"
#include "mime/body_text.h"
#include "mime/content_type.h"
#include "mime/header_text.h"

namespace postern::sieve {

namespace {

// Nested foreverypart loops, counted at compile time and, across include, at run time.
constexpr std::size_t kMaxLoopDepth = 4;

std::uint32_t current_part(const Runtime& rt) {
    return rt.loop_parts.empty() ? 0 : rt.loop_parts.back();
}

void add_descendants(const mime::ParsedMessage& m, std::uint32_t part,
                     std::vector<std::uint32_t>& out) {
    // Iterative: a part's descendants follow it in the (pre-order) parts vector.
    for (std::uint32_t i = part + 1; i < m.parts.size(); ++i) {
        std::uint32_t up = m.parts[i].parent;
        while (up != mime::kNoPart && up != part)
            up = m.parts[up].parent;
        if (up != part)
            break;
        out.push_back(i);
    }
}

// The parts a :mime test looks at (RFC 5703 §4.1): the current part, with :anychild also
// every part inside it.
std::vector<std::uint32_t> scope(const Runtime& rt, const Node& node) {
    const auto& m = const_cast<Runtime&>(rt).message().parsed();
    std::uint32_t p = current_part(rt);
    if (p >= m.parts.size())
        return {};
    std::vector<std::uint32_t> out{p};
    if (node.has_tag("anychild"))
        add_descendants(m, p, out);
    return out;
}

bool valid_field_name(std::string_view name) {
    if (name.empty())
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        auto u = static_cast<unsigned char>(c);
        return u > 32 && u < 127 && c != ':';
    });
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n'))
        s.pop_back();
    return s;
}

std::vector<std::string_view> part_fields(const mime::ParsedMessage& m, std::uint32_t part,
                                          std::string_view name) {
    std::vector<std::string_view> out;
    for (const auto& h : m.headers_of(part))
        if (h.is(name))
            out.emplace_back(h.raw_value);
    return out;
}

const Node* innermost_loop(const Validator& v, const std::string* name) {
    for (auto it = v.enclosing.rbegin(); it != v.enclosing.rend(); ++it) {
        const Node* n = *it;
        if (n->name != "foreverypart")
            continue;
        if (!name)
            return n;
        const Argument* loop_name = n->tag_value("name");
        if (loop_name && loop_name->strings[0] == *name)
            return n;
    }
    return nullptr;
}

// Visible text of an HTML part for extracttext: tags, comments, scripts and styles dropped,
// the common character references decoded.
std::string html_to_text(std::string_view html) {
    std::string out;
    std::size_t i = 0;
    auto skip_to = [&](std::string_view end) {
        std::size_t e = html.find(end, i);
        i = e == std::string_view::npos ? html.size() : e + end.size();
    };
    while (i < html.size()) {
        char c = html[i];
        if (c == '<') {
            std::string head = to_lower(html.substr(i, 8));
            if (head.starts_with("<!--")) {
                skip_to("-->");
            } else if (head.starts_with("<script")) {
                skip_to("</script>");
            } else if (head.starts_with("<style")) {
                skip_to("</style>");
            } else {
                skip_to(">");
            }
            continue;
        }
        if (c == '&') {
            static constexpr std::pair<std::string_view, std::string_view> kRefs[] = {
                {"&amp;", "&"},   {"&lt;", "<"},  {"&gt;", ">"},
                {"&quot;", "\""}, {"&#39;", "'"}, {"&nbsp;", " "}};
            bool done = false;
            for (auto [ref, text] : kRefs) {
                if (html.substr(i, ref.size()) == ref) {
                    out += text;
                    i += ref.size();
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        out.push_back(c);
        ++i;
    }
    return out;
}

std::string utf8_prefix(std::string_view s, std::uint64_t chars) {
    std::size_t i = 0;
    std::uint64_t n = 0;
    while (i < s.size()) {
        if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
            if (n == chars)
                break;
            ++n;
        }
        ++i;
    }
    return std::string(s.substr(0, i));
}

}  // namespace

bool check_mime_tags(Validator& v, Node& node) {
    bool mime = node.has_tag("mime");
    int options = 0;
    for (const char* t : {"type", "subtype", "contenttype", "param"}) {
        if (!node.has_tag(t))
            continue;
        ++options;
        if (!mime) {
            v.error(node.pos, fmt::format("{}: :{} needs :mime", node.name, t));
            return false;
        }
    }
    if (options > 1) {
        v.error(node.pos,
                fmt::format("{}: only one of :type, :subtype, :contenttype and :param", node.name));
        return false;
    }
    if (node.has_tag("anychild") && !mime) {
        v.error(node.pos, fmt::format("{}: :anychild needs :mime", node.name));
        return false;
    }
    return true;
}

bool eval_mime_header(Runtime& rt, const Node& node) {
    const auto& m = rt.message().parsed();
    const auto parts = scope(rt, node);
    const bool type = node.has_tag("type"), subtype = node.has_tag("subtype"),
               contenttype = node.has_tag("contenttype");
    const Argument* param = node.tag_value("param");
    std::vector<std::string> param_names;
    if (param)
        param_names = rt.list(*param);
    std::vector<std::string> values;
    for (const auto& name : rt.list(node.pos_arg(0))) {
        if (!valid_field_name(name))
            continue;
        for (std::uint32_t p : parts) {
            for (auto raw : part_fields(m, p, name)) {
                if (!rt.charge())
                    return false;
                if (values.size() >= rt.limits().max_match_values)
                    break;
                if (!type && !subtype && !contenttype && !param) {
                    values.push_back(mime::decode_unstructured(trimmed(std::string(raw))));
                    continue;
                }
                auto ct = iequals(name, "content-disposition")
                              ? mime::parse_content_disposition(raw)
                              : mime::parse_content_type(raw);
                if (!ct)
                    continue;
                if (type) {
                    values.push_back(ct->type);
                } else if (subtype) {
                    values.push_back(ct->subtype);
                } else if (contenttype) {
                    values.push_back(ct->subtype.empty() ? ct->type : ct->type + "/" + ct->subtype);
                } else {
                    auto decoded = mime::decode_params(ct->params);
                    for (const auto& want : param_names)
                        for (const auto& dp : decoded)
                            if (iequals(dp.name, want))
                                values.push_back(dp.value);
                }
            }
        }
    }
    return rt.match(node, values, rt.list(node.pos_arg(1)));
}

bool eval_mime_address(Runtime& rt, const Node& node) {
    const auto& m = rt.message().parsed();
    const auto parts = scope(rt, node);
    std::vector<std::string> values;
    for (const auto& name : rt.list(node.pos_arg(0))) {
        if (!valid_field_name(name))
            continue;
        for (std::uint32_t p : parts) {
            if (!rt.charge())
                return false;
            for (auto& a : rt.address_values(node, part_fields(m, p, name)))
                values.push_back(std::move(a));
            if (values.size() >= rt.limits().max_match_values)
                break;
        }
    }
    return rt.match(node, values, rt.list(node.pos_arg(1)));
}

bool eval_mime_exists(Runtime& rt, const Node& node) {
    const auto& m = rt.message().parsed();
    const auto parts = scope(rt, node);
    // Every named field is in some part of the scope (not necessarily the same one).
    for (const auto& name : rt.list(node.pos_arg(0))) {
        if (!rt.charge() || !valid_field_name(name))
            return false;
        if (std::none_of(parts.begin(), parts.end(),
                         [&](std::uint32_t p) { return m.find_header(p, name) != nullptr; }))
            return false;
    }
    return true;
}

void add_mime(Registry& r) {
    using S = CommandSpec::Sub;
    r.add_extension("mime");
    r.add_extension("foreverypart");
    r.add_extension("extracttext", {"variables", "foreverypart"});

    r.add({.name = "foreverypart",
           .extension = "foreverypart",
           .tags = {{"name", ArgType::string}},
           .sub = S::block,
           .check =
               [](Validator& v, Node& node) {
                   std::size_t outer =
                       std::count_if(v.enclosing.begin(), v.enclosing.end(),
                                     [](const Node* n) { return n->name == "foreverypart"; });
                   if (outer >= kMaxLoopDepth) {
                       v.error(node.pos, fmt::format("foreverypart: loops nested deeper than {}",
                                                     kMaxLoopDepth));
                       return false;
                   }
                   return true;
               },
           .run =
               [](Runtime& rt, const Node& node) {
                   if (rt.loop_parts.size() >= kMaxLoopDepth)
                       return rt.error(node,
                                       fmt::format("foreverypart: loops nested deeper than {} "
                                                   "(through include)",
                                                   kMaxLoopDepth));
                   const auto& m = rt.message().parsed();
                   // The outermost loop visits every part, the message itself first; a nested
                   // loop the parts inside the one its enclosing loop is at.
                   std::vector<std::uint32_t> parts;
                   if (rt.loop_parts.empty()) {
                       for (std::uint32_t i = 0; i < m.parts.size(); ++i)
                           parts.push_back(i);
                   } else {
                       add_descendants(m, rt.loop_parts.back(), parts);
                   }
                   std::string name;
                   if (const Argument* n = node.tag_value("name"))
                       name = n->strings[0];
                   for (std::uint32_t p : parts) {
                       if (!rt.charge())
                           return Flow::error;
                       rt.loop_parts.push_back(p);
                       Flow f = rt.run_block(node.block);
                       rt.loop_parts.pop_back();
                       if (f == Flow::loop_break) {
                           if (rt.break_name.empty() || rt.break_name == name) {
                               rt.break_name.clear();
                               return Flow::next;
                           }
                           return f;  // for an outer loop
                       }
                       if (f != Flow::next)
                           return f;
                   }
                   return Flow::next;
               }});
    r.add({.name = "break",
           .extension = "foreverypart",
           .tags = {{"name", ArgType::string}},
           .check =
               [](Validator& v, Node& node) {
                   const Argument* name = node.tag_value("name");
                   if (!innermost_loop(v, nullptr)) {
                       v.error(node.pos, "break: not inside a foreverypart loop");
                       return false;
                   }
                   if (name && !innermost_loop(v, &name->strings[0])) {
                       v.error(node.pos,
                               fmt::format("break: no enclosing foreverypart loop is named '{}'",
                                           name->strings[0]));
                       return false;
                   }
                   return true;
               },
           .run =
               [](Runtime& rt, const Node& node) {
                   const Argument* name = node.tag_value("name");
                   rt.break_name = name ? name->strings[0] : std::string();
                   return Flow::loop_break;
               }});
    r.add({.name = "extracttext",
           .extension = "extracttext",
           .tags = {{"lower"},
                    {"upper"},
                    {"lowerfirst"},
                    {"upperfirst"},
                    {"quotewildcard"},
                    {"quoteregex", ArgType::none, "regex"},
                    {"length"},
                    {"encodeurl", ArgType::none, "enotify"},
                    {"first", ArgType::number}},
           .positional = {ArgType::string},
           .check =
               [](Validator& v, Node& node) {
                   if (!innermost_loop(v, nullptr)) {
                       v.error(node.pos, "extracttext: not inside a foreverypart loop");
                       return false;
                   }
                   const Argument& var = node.pos_arg(0);
                   if (!valid_variable_name(var.strings[0], false)) {
                       v.error(var.pos, fmt::format("extracttext: invalid variable name '{}'",
                                                    var.strings[0]));
                       return false;
                   }
                   return check_set_modifiers(v, node);
               },
           .run =
               [](Runtime& rt, const Node& node) {
                   const auto& m = rt.message().parsed();
                   std::uint32_t p = current_part(rt);
                   std::string text;
                   // RFC 5703 §7: the text of a text part; other parts give "".
                   if (p < m.parts.size() && m.parts[p].kind == mime::PartKind::leaf &&
                       mime::is_text_part(m.parts[p])) {
                       const auto& part = m.parts[p];
                       // Decode no more raw bytes than can fill a variable (which is cut at
                       // max_variable_size): base64 and charsets stay well under 16 to 1.
                       mime::Part bounded = part;
                       std::uint64_t cap =
                           16 * static_cast<std::uint64_t>(rt.limits().max_variable_size);
                       if (bounded.body_size() > cap)
                           bounded.body_end = bounded.body_start + cap;
                       text = mime::decode_part_text(rt.message().raw(), bounded);
                       if (part.content_type.subtype == "html")
                           text = html_to_text(text);
                   }
                   if (const Argument* first = node.tag_value("first"))
                       text = utf8_prefix(text, first->number);
                   // A variable holds at most max_variable_size bytes (RFC 5229 §6): cut at a
                   // character boundary before the modifiers, so :length tells what is kept.
                   if (text.size() > rt.limits().max_variable_size) {
                       std::size_t cut = rt.limits().max_variable_size;
                       while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80)
                           --cut;
                       text.resize(cut);
                   }
                   std::string value = apply_set_modifiers(node, std::move(text));
                   rt.set_variable(node, node.pos_arg(0).strings[0], std::move(value));
                   return rt.failed() ? Flow::error : Flow::next;
               }});
}

}  // namespace postern::sieve
