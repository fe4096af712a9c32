// The special-use extension (RFC 8579): the specialuse_exists test (§3) and fileinto
// :specialuse (§4), over the special-use attributes (RFC 6154) the host's store assigns.
#include <algorithm>

#include <fmt/format.h>

#include "base/utf8.h"
#include "filter/sieve/commands.h"
#include "filter/sieve/runtime.h"

namespace postern::sieve {

namespace {

constexpr std::size_t kMaxSpecialUseLength = 64;
constexpr std::size_t kMaxSpecialUseFlags = 64;

bool literal(const Argument& a) {
    return std::none_of(a.dynamic.begin(), a.dynamic.end(), [](bool d) { return d; });
}

bool literal_at(const Argument& a, std::size_t i) {
    return i >= a.dynamic.size() || !a.dynamic[i];
}

// The mailbox argument of specialuse_exists: the first of two positional arguments.
const Argument* mailbox_arg(const Node& node) {
    return node.positional.size() == 2 ? &node.pos_arg(0) : nullptr;
}

}  // namespace

// RFC 8579 §2: use-attr = "\" atom (RFC 3501 atom: no specials, controls or spaces).
bool valid_special_use(std::string_view flag) {
    if (flag.size() < 2 || flag.size() > kMaxSpecialUseLength || flag[0] != '\\')
        return false;
    for (char c : flag.substr(1)) {
        auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f ||
            std::string_view("(){%*\"\\]").find(c) != std::string_view::npos)
            return false;
    }
    return true;
}

bool check_fileinto_special_use(Validator& v, Node& node) {
    const Argument* su = node.tag_value("specialuse");
    if (!su)
        return true;
    if (literal(*su) && !valid_special_use(su->strings[0])) {
        v.error(su->pos,
                fmt::format("fileinto :specialuse: invalid special-use flag '{}'", su->strings[0]));
        return false;
    }
    return true;
}

Flow resolve_fileinto_special_use(Runtime& rt, const Node& node, Action& action) {
    const Argument* su = node.tag_value("specialuse");
    if (!su)
        return Flow::next;
    std::string use = rt.str(*su);
    if (!valid_special_use(use))
        return rt.error(node, fmt::format("fileinto :specialuse: invalid special-use flag '{}'",
                                          use.substr(0, kMaxSpecialUseLength)));
    // RFC 8579 §4: the mailbox that has the attribute; without one, the named mailbox (which
    // :create makes, and then the host assigns it the attribute).
    if (auto box = rt.env().special_use_mailbox(use))
        action.mailbox = std::move(*box);
    action.special_use = std::move(use);
    return Flow::next;
}

void add_special_use(Registry& r) {
    r.add_extension("special-use");
    r.add({.name = "specialuse_exists",
           .is_test = true,
           .extension = "special-use",
           // One argument: the flags; two: the mailbox (one string), then the flags.
           .positional = {ArgType::string_list, ArgType::string_list},
           .min_positional = 1,
           .check =
               [](Validator& v, Node& node) {
                   if (node.positional.size() == 2 && !node.pos_arg(0).single) {
                       v.error(node.pos_arg(0).pos,
                               "specialuse_exists: the mailbox must be a string, not a list");
                       return false;
                   }
                   const Argument& flags = node.pos_arg(node.positional.size() - 1);
                   if (flags.strings.size() > kMaxSpecialUseFlags) {
                       v.error(flags.pos, fmt::format("specialuse_exists: more than {} flags",
                                                      kMaxSpecialUseFlags));
                       return false;
                   }
                   for (std::size_t i = 0; i < flags.strings.size(); ++i) {
                       if (literal_at(flags, i) && !valid_special_use(flags.strings[i])) {
                           v.error(flags.pos,
                                   fmt::format("specialuse_exists: invalid special-use flag '{}'",
                                               flags.strings[i]));
                           return false;
                       }
                   }
                   if (const Argument* box = mailbox_arg(node)) {
                       if (literal(*box) && !is_valid_utf8(box->strings[0]))
                           v.warning(box->pos,
                                     "specialuse_exists: mailbox name is not valid "
                                     "UTF-8 (the test is always false)");
                   }
                   return true;
               },
           .eval =
               [](Runtime& rt, const Node& node) {
                   std::optional<std::string> mailbox;
                   if (const Argument* box = mailbox_arg(node)) {
                       mailbox = rt.str(*box);
                       // RFC 8579 §3: a name that is not valid is a mailbox that does not exist.
                       if (!is_valid_utf8(*mailbox) || !rt.env().mailbox_exists(*mailbox))
                           return false;
                   }
                   const Argument& flags = node.pos_arg(node.positional.size() - 1);
                   for (const auto& use : rt.list(flags)) {
                       if (!rt.charge())
                           return false;
                       if (!valid_special_use(use))
                           return false;
                       if (mailbox ? !rt.env().has_special_use(*mailbox, use)
                                   : !rt.env().special_use_mailbox(use))
                           return false;
                   }
                   return true;
               }});
}

}  // namespace postern::sieve
