// Names of the queue's enums as admins and logs see them.
#include "queue/types.h"

#include <array>

#include "base/strings.h"

namespace postern::queue {

std::string_view ret_name(Ret r) {
    switch (r) {
        case Ret::full:
            return "FULL";
        case Ret::headers:
            return "HDRS";
        case Ret::unspecified:
            break;
    }
    return "";
}

std::string_view body_type_name(BodyType b) {
    switch (b) {
        case BodyType::seven_bit:
            return "7BIT";
        case BodyType::eight_bit_mime:
            return "8BITMIME";
        case BodyType::binary_mime:
            return "BINARYMIME";
        case BodyType::unspecified:
            break;
    }
    return "";
}

std::string_view lane_name(Lane l) {
    switch (l) {
        case Lane::processing:
            return "processing";
        case Lane::local:
            return "local";
        case Lane::remote:
            return "remote";
    }
    return "?";
}

namespace {
constexpr std::array<std::string_view, 10> kRecipientStateNames = {
    "pending", "queued",   "sending",   "deferred", "delivered",
    "failed",  "rejected", "discarded", "expanded", "removed",
};
}

std::string_view recipient_state_name(RecipientState s) {
    auto i = static_cast<std::size_t>(s);
    return i < kRecipientStateNames.size() ? kRecipientStateNames[i] : "?";
}

std::optional<RecipientState> parse_recipient_state(std::string_view name) {
    for (std::size_t i = 0; i < kRecipientStateNames.size(); ++i)
        if (iequals(name, kRecipientStateNames[i]))
            return static_cast<RecipientState>(i);
    return std::nullopt;
}

std::string notify_text(std::uint8_t bits) {
    if (bits & notify::never)
        return "NEVER";
    std::string out;
    auto add = [&out](std::string_view s) {
        if (!out.empty())
            out += ',';
        out += s;
    };
    if (bits & notify::success)
        add("SUCCESS");
    if (bits & notify::failure)
        add("FAILURE");
    if (bits & notify::delay)
        add("DELAY");
    return out;
}

std::string address_domain(std::string_view address) {
    auto at = address.rfind('@');
    if (at == std::string_view::npos)
        return {};
    return to_lower(address.substr(at + 1));
}

}  // namespace postern::queue
