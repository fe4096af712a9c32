// The ihave extension (RFC 5463): the "ihave" test (§4), decided when the script is compiled,
// and the "error" command (§5). A block guarded by an ihave of capabilities this server does
// not have is not validated (its commands may be unknown) and never runs.
#include <algorithm>

#include <fmt/format.h>

#include "filter/sieve/commands.h"
#include "filter/sieve/runtime.h"

namespace postern::sieve {

namespace {

// Extensions that change how the script is read (strings, "${...}"): they cannot be switched
// on for one block, so ihave answers false unless the script required them (RFC 5463 §4
// lets an implementation refuse capabilities it cannot load at that point).
bool lexical_extension(std::string_view ext) {
    return ext == "variables" || ext == "encoded-character";
}

constexpr std::size_t kMaxIhaveCapabilities = 64;

}  // namespace

void add_ihave(Registry& r) {
    r.add_extension("ihave");
    r.add({.name = "ihave",
           .is_test = true,
           .extension = "ihave",
           .positional = {ArgType::string_list},
           .check =
               [](Validator& v, Node& node) {
                   const Argument& caps = node.pos_arg(0);
                   if (caps.strings.size() > kMaxIhaveCapabilities) {
                       v.error(caps.pos, fmt::format("ihave: more than {} capabilities",
                                                     kMaxIhaveCapabilities));
                       return false;
                   }
                   bool all = true;
                   std::vector<std::string> found;
                   for (const auto& c : caps.strings) {
                       std::string ext = c;
                       std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char ch) {
                           return static_cast<char>(std::tolower(ch));
                       });
                       if (v.has(ext)) {
                           continue;
                       }
                       if (lexical_extension(ext) || !v.registry().has_extension(ext)) {
                           all = false;
                           continue;
                       }
                       found.push_back(std::move(ext));
                   }
                   node.decided = all ? 1 : 0;
                   if (!all) {
                       v.ihave_unknown = true;  // the guarded block is not validated
                       return true;
                   }
                   // Known: usable from here on, as if required (RFC 5463 §4).
                   for (auto& ext : found) {
                       if (ext == "spamtestplus")
                           v.program().extensions.insert("spamtest");
                       if (ext == "vacation-seconds")
                           v.program().extensions.insert("vacation");
                       v.program().extensions.insert(std::move(ext));
                   }
                   return true;
               },
           .eval = [](Runtime&, const Node& node) { return node.decided != 0; }});
    r.add({.name = "error",
           .extension = "ihave",
           .positional = {ArgType::string},
           .run = [](Runtime& rt, const Node& node) {
               return rt.error(node, fmt::format("error: {}", rt.str(node.pos_arg(0))));
           }});
}

}  // namespace postern::sieve
