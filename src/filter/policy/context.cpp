// Names of listener roles and recipient kinds as scripts see them.
#include "filter/policy/context.h"

#include <array>

namespace postern::filter::policy {
namespace {

constexpr std::array<std::string_view, 7> kKindNames = {
    "unknown", "account", "alias", "group", "forwarder", "list", "remote",
};

}  // namespace

std::string_view listener_role_name(ListenerRole role) {
    switch (role) {
        case ListenerRole::mx:
            return "mx";
        case ListenerRole::submission:
            return "submission";
        case ListenerRole::lmtp:
            return "lmtp";
    }
    return "mx";
}

std::string_view recipient_kind_name(RecipientKind kind) {
    return kKindNames[static_cast<std::size_t>(kind)];
}

std::optional<RecipientKind> recipient_kind_from_name(std::string_view name) {
    for (std::size_t i = 0; i < kKindNames.size(); ++i) {
        if (kKindNames[i] == name)
            return static_cast<RecipientKind>(i);
    }
    return std::nullopt;
}

}  // namespace postern::filter::policy
