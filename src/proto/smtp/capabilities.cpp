// EHLO keyword parsing for the client (RFC 5321 §4.1.1.1 ehlo-line grammar; the keywords of
// RFC 1870 §4, 2034 §3, 2920 §3, 3030 §2-§3, 3207 §4, 3461 §4, 4954 §3, 6152 §2, 6531 §3.2).
#include "proto/smtp/capabilities.h"

#include <algorithm>

#include "base/strings.h"

namespace postern::proto::smtp {
namespace {

constexpr std::size_t kMaxListed = 32;

void add_unique(std::vector<std::string>& list, std::string value) {
    if (value.empty() || list.size() >= kMaxListed)
        return;
    if (std::find(list.begin(), list.end(), value) == list.end())
        list.push_back(std::move(value));
}

}  // namespace

bool ServerCapabilities::supports_auth(std::string_view mechanism) const {
    for (const auto& m : auth_mechanisms) {
        if (iequals(m, mechanism))
            return true;
    }
    return false;
}

ServerCapabilities parse_capabilities(const Reply& reply) {
    ServerCapabilities caps;
    if (reply.lines.empty())
        return caps;
    caps.greeting = reply.lines.front();
    for (std::size_t i = 1; i < reply.lines.size(); ++i) {
        std::string_view line = trim(reply.lines[i]);
        std::size_t sep = line.find_first_of(" =");
        std::string keyword = to_upper(line.substr(0, sep));
        std::string_view params = sep == std::string_view::npos ? "" : line.substr(sep + 1);
        if (keyword == "SIZE") {
            auto n = params.size() <= 20 ? parse_uint(trim(params)) : std::nullopt;
            caps.size = n ? *n : 0;
        } else if (keyword == "PIPELINING") {
            caps.pipelining = true;
        } else if (keyword == "STARTTLS") {
            caps.starttls = true;
        } else if (keyword == "8BITMIME") {
            caps.eight_bit_mime = true;
        } else if (keyword == "SMTPUTF8") {
            caps.smtputf8 = true;
        } else if (keyword == "DSN") {
            caps.dsn = true;
        } else if (keyword == "CHUNKING") {
            caps.chunking = true;
        } else if (keyword == "BINARYMIME") {
            caps.binarymime = true;
        } else if (keyword == "ENHANCEDSTATUSCODES") {
            caps.enhanced_status_codes = true;
        } else if (keyword == "AUTH") {
            for (auto m : split(params, ' ')) {
                // sasl-mech is at most 20 characters (RFC 4422 §3.1); longer is noise.
                if (trim(m).size() <= 20)
                    add_unique(caps.auth_mechanisms, to_upper(trim(m)));
            }
        } else {
            add_unique(caps.other, std::move(keyword));
        }
    }
    return caps;
}

}  // namespace postern::proto::smtp
