// The environment extension (RFC 5183): the "environment" test (§4) over the items the host
// knows (§4.1: domain, host, location, name, phase, remote-host, remote-ip, version).
#include <algorithm>

#include "filter/sieve/commands.h"
#include "filter/sieve/runtime.h"

#ifndef POSTERN_VERSION
#define POSTERN_VERSION "0"
#endif

namespace postern::sieve {

std::optional<std::string> Environment::environment_item(std::string_view item) const {
    if (item == "name")
        return std::string("Postern Sieve");
    if (item == "version")
        return std::string(POSTERN_VERSION);
    if (item == "location")
        return std::string("MDA");  // scripts run when the message is delivered to the store
    if (item == "phase")
        return std::string("during");
    if (item == "domain")
        return std::string(domain());
    if (item == "host")
        return std::string(host());
    return std::nullopt;
}

namespace {

constexpr std::size_t kMaxItemName = 256;

}  // namespace

void add_environment(Registry& r) {
    r.add_extension("environment");
    r.add({.name = "environment",
           .is_test = true,
           .extension = "environment",
           .positional = {ArgType::string, ArgType::string_list},
           .match = true,
           .eval = [](Runtime& rt, const Node& node) {
               std::string item = rt.str(node.pos_arg(0));
               if (item.size() > kMaxItemName)
                   return false;
               // Item names are case-insensitive (RFC 5183 §4).
               std::transform(item.begin(), item.end(), item.begin(),
                              [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
               auto value = rt.env().environment_item(item);
               if (!value)
                   return false;  // an unknown item never matches, not even :count (§4)
               std::vector<std::string> values{std::move(*value)};
               return rt.match(node, values, rt.list(node.pos_arg(1)));
           }});
}

}  // namespace postern::sieve
