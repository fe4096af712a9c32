// The setting registry, value parsing/formatting and inheritance resolution.
#include "directory/settings.h"

#include <algorithm>

#include "base/strings.h"
#include "base/units.h"

namespace postern::directory {
namespace {

constexpr std::string_view kServiceNames[] = {"smtp",        "imap", "pop3",      "webmail",
                                              "managesieve", "dav",  "activesync"};
constexpr std::string_view kOverQuotaChoices[] = {"temporary", "permanent"};

constexpr SettingDef kRegistry[] = {
    {.name = key::kQuota,
     .type = SettingType::size,
     .default_text = "0",
     .zero_is_unlimited = true,
     .description = "mailbox quota in bytes; 0 = unlimited"},
    {.name = key::kMaxMessageSize,
     .type = SettingType::size,
     .default_text = "0",
     .zero_is_unlimited = true,
     .description =
         "largest message the account may send or receive; 0 = the service's limit only"},
    {.name = key::kServices,
     .type = SettingType::string_list,
     .default_text = "smtp,imap,pop3,webmail,managesieve,dav",
     .choices = kServiceNames,
     .description = "services the account may log in to"},
    {.name = key::kSendLimitPerHour,
     .type = SettingType::integer,
     .default_text = "0",
     .max = 1'000'000'000,
     .zero_is_unlimited = true,
     .description = "messages the account may send per hour; 0 = unlimited"},
    {.name = key::kPasswordMinLength,
     .type = SettingType::integer,
     .default_text = "10",
     .min = 1,
     .max = 128,
     .description = "shortest password accepted, in characters"},
    {.name = key::kPasswordClasses,
     .type = SettingType::integer,
     .default_text = "2",
     .min = 0,
     .max = 4,
     .description = "how many of lower-case, upper-case, digits, symbols a password must contain"},
    {.name = key::kOverQuotaReply,
     .type = SettingType::enumeration,
     .default_text = "temporary",
     .choices = kOverQuotaChoices,
     .description =
         "SMTP reply for an over-quota recipient: temporary (452 4.2.2) or permanent (552 5.2.2)"},
    {.name = key::kApop,
     .type = SettingType::boolean,
     .default_text = "false",
     .description = "allow POP3 APOP: keeps the password in the clear from the next password "
                    "login on (docs/pop3.md)"},
    {.name = key::kIdentityConfirmation,
     .type = SettingType::boolean,
     .default_text = "false",
     .description = "hold mail from unconfirmed senders in \"Unconfirmed\" and send them one "
                    "challenge (docs/smtp-protection.md)"},
};

Result<std::uint64_t> parse_number(const SettingDef& def, std::string_view text) {
    auto bad = [&](std::string why) {
        return fail(Errc::invalid_argument, "setting " + std::string(def.name) + ": " + why);
    };
    std::optional<std::uint64_t> value;
    if (def.zero_is_unlimited && iequals(text, "unlimited")) {
        value = 0;
    } else if (def.type == SettingType::size) {
        value = parse_size(text);
        if (!value)
            return bad("'" + std::string(text) + "' is not a size (like 512, 64K, 10M, 2G)");
    } else {
        value = parse_uint(text);
        if (!value)
            return bad("'" + std::string(text) + "' is not a non-negative integer");
    }
    if (*value < def.min || *value > def.max) {
        return bad(std::to_string(*value) + " is out of range " + std::to_string(def.min) + ".." +
                   std::to_string(def.max));
    }
    return *value;
}

Result<SettingValue> parse_list(const SettingDef& def, std::string_view text) {
    std::vector<bool> chosen(def.choices.size(), false);
    std::string items(text);
    std::replace_if(
        items.begin(), items.end(), [](char c) { return c == ' ' || c == '\t'; }, ',');
    for (auto item : split(items, ',')) {
        item = trim(item);
        if (item.empty())
            continue;
        if (iequals(item, "none") && trim(text).size() == item.size())
            break;
        auto it = std::find_if(def.choices.begin(), def.choices.end(),
                               [&](std::string_view c) { return iequals(c, item); });
        if (it == def.choices.end()) {
            std::string allowed;
            for (auto c : def.choices)
                allowed += (allowed.empty() ? "" : ", ") + std::string(c);
            return fail(Errc::invalid_argument, "setting " + std::string(def.name) +
                                                    ": unknown item '" + std::string(item) +
                                                    "' (allowed: " + allowed + ")");
        }
        chosen[static_cast<std::size_t>(it - def.choices.begin())] = true;
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < chosen.size(); ++i) {
        if (chosen[i])
            out.emplace_back(def.choices[i]);
    }
    return out;
}

}  // namespace

std::string_view level_name(SettingLevel level) {
    switch (level) {
        case SettingLevel::builtin:
            return "default";
        case SettingLevel::server:
            return "server";
        case SettingLevel::domain:
            return "domain";
        case SettingLevel::account_class:
            return "class";
        case SettingLevel::account:
            return "account";
    }
    return "?";
}

std::span<const SettingDef> setting_registry() {
    return kRegistry;
}

const SettingDef* find_setting(std::string_view name) {
    for (const auto& def : kRegistry) {
        if (def.name == name)
            return &def;
    }
    return nullptr;
}

Result<SettingValue> parse_setting(const SettingDef& def, std::string_view text) {
    text = trim(text);
    switch (def.type) {
        case SettingType::size:
        case SettingType::integer: {
            auto n = parse_number(def, text);
            if (!n)
                return fail(n.error());
            return SettingValue(*n);
        }
        case SettingType::boolean: {
            for (auto t : {"true", "yes", "on", "1"}) {
                if (iequals(text, t))
                    return SettingValue(true);
            }
            for (auto f : {"false", "no", "off", "0"}) {
                if (iequals(text, f))
                    return SettingValue(false);
            }
            return fail(Errc::invalid_argument, "setting " + std::string(def.name) + ": '" +
                                                    std::string(text) + "' is not true or false");
        }
        case SettingType::string_list:
            return parse_list(def, text);
        case SettingType::enumeration:
            for (auto c : def.choices) {
                if (iequals(c, text))
                    return SettingValue(std::string(c));
            }
            std::string allowed;
            for (auto c : def.choices)
                allowed += (allowed.empty() ? "" : ", ") + std::string(c);
            return fail(Errc::invalid_argument, "setting " + std::string(def.name) + ": '" +
                                                    std::string(text) + "' is not one of " +
                                                    allowed);
    }
    return fail(Errc::internal, "unknown setting type");
}

std::string format_setting(const SettingDef& def, const SettingValue& value) {
    (void)def;
    if (auto* n = std::get_if<std::uint64_t>(&value))
        return std::to_string(*n);
    if (auto* b = std::get_if<bool>(&value))
        return *b ? "true" : "false";
    if (auto* list = std::get_if<std::vector<std::string>>(&value))
        return join(*list, ",");
    return std::get<std::string>(value);
}

Result<std::string> canonical_setting_text(std::string_view name, std::string_view text) {
    const auto* def = find_setting(name);
    if (!def) {
        std::string known;
        for (const auto& d : kRegistry)
            known += (known.empty() ? "" : ", ") + std::string(d.name);
        return fail(Errc::invalid_argument, "unknown setting '" + std::string(name.substr(0, 100)) +
                                                "' (known: " + known + ")");
    }
    auto value = parse_setting(*def, text);
    if (!value)
        return fail(value.error());
    return format_setting(*def, *value);
}

std::vector<EffectiveSetting> resolve_settings(std::span<const StoredSetting> stored) {
    std::vector<EffectiveSetting> out;
    out.reserve(std::size(kRegistry));
    for (const auto& def : kRegistry) {
        EffectiveSetting e{std::string(def.name), *parse_setting(def, def.default_text),
                           std::string(def.default_text), SettingLevel::builtin};
        for (const auto& s : stored) {
            if (s.key != def.name || s.level <= e.level)
                continue;
            auto value = parse_setting(def, s.value);
            if (!value)
                continue;
            e.value = std::move(*value);
            e.text = format_setting(def, e.value);
            e.level = s.level;
        }
        out.push_back(std::move(e));
    }
    return out;
}

bool AccountSettings::allows(std::string_view service) const {
    return std::any_of(services.begin(), services.end(),
                       [&](const std::string& s) { return iequals(s, service); });
}

AccountSettings typed_settings(std::span<const EffectiveSetting> effective) {
    AccountSettings out;
    for (const auto& e : effective) {
        const auto* n = std::get_if<std::uint64_t>(&e.value);
        if (e.key == key::kQuota && n) {
            out.quota = *n;
        } else if (e.key == key::kMaxMessageSize && n) {
            out.max_message_size = *n;
        } else if (e.key == key::kSendLimitPerHour && n) {
            out.send_limit_per_hour = *n;
        } else if (e.key == key::kPasswordMinLength && n) {
            out.password_policy.min_length = static_cast<unsigned>(*n);
        } else if (e.key == key::kPasswordClasses && n) {
            out.password_policy.required_classes = static_cast<unsigned>(*n);
        } else if (e.key == key::kServices) {
            if (const auto* list = std::get_if<std::vector<std::string>>(&e.value))
                out.services = *list;
        } else if (e.key == key::kApop) {
            if (const auto* b = std::get_if<bool>(&e.value))
                out.apop = *b;
        } else if (e.key == key::kIdentityConfirmation) {
            if (const auto* b = std::get_if<bool>(&e.value))
                out.identity_confirmation = *b;
        } else if (e.key == key::kOverQuotaReply) {
            if (const auto* s = std::get_if<std::string>(&e.value))
                out.over_quota_permanent = *s == "permanent";
        }
    }
    return out;
}

}  // namespace postern::directory
