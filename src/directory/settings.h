// Inherited account settings: the registry of typed keys, parsing of admin input into canonical
// values, and resolution account → class → domain → server → built-in default.
// Everything here is pure (no database) and safe to call from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "directory/password_policy.h"

namespace postern::directory {

enum class SettingType { size, integer, boolean, string_list, enumeration };

// Where an effective value came from, lowest precedence first.
enum class SettingLevel { builtin, server, domain, account_class, account };
std::string_view level_name(
    SettingLevel level);  // "default", "server", "domain", "class", "account"

// size and integer → std::uint64_t; boolean → bool; string_list → sorted, de-duplicated
// std::vector<std::string>; enumeration → std::string.
using SettingValue = std::variant<std::uint64_t, bool, std::vector<std::string>, std::string>;

struct SettingDef {
    std::string_view name;
    SettingType type;
    std::string_view default_text;  // canonical text of the built-in default
    std::uint64_t min = 0;          // size and integer
    std::uint64_t max = UINT64_MAX;
    // enumeration: the allowed values; string_list: the allowed items, in canonical order.
    std::span<const std::string_view> choices;
    bool zero_is_unlimited = false;  // size/integer: "unlimited" is accepted as 0
    std::string_view description;
};

// Setting key names, for code that reads a value by name.
namespace key {
inline constexpr std::string_view kQuota = "quota";
inline constexpr std::string_view kMaxMessageSize = "max_message_size";
inline constexpr std::string_view kServices = "services";
inline constexpr std::string_view kSendLimitPerHour = "send_limit_per_hour";
inline constexpr std::string_view kPasswordMinLength = "password_min_length";
inline constexpr std::string_view kPasswordClasses = "password_classes";
inline constexpr std::string_view kOverQuotaReply = "over_quota_reply";
inline constexpr std::string_view kApop = "apop";
inline constexpr std::string_view kIdentityConfirmation = "identity_confirmation";
}  // namespace key

// Every known key, in a stable order (the order listings show).
std::span<const SettingDef> setting_registry();
// nullptr for an unknown key. Keys are matched exactly (they are lower-case).
const SettingDef* find_setting(std::string_view name);

// Parses admin input for `def`: sizes accept "512", "64K", "10M", "1G"; booleans
// true/false/yes/no/on/off/1/0; lists comma- or space-separated items ("none" or "" = empty).
// Errc::invalid_argument names the key and what is wrong.
Result<SettingValue> parse_setting(const SettingDef& def, std::string_view text);
// The canonical text stored in the database: sizes/integers in decimal, booleans
// "true"/"false", lists comma-joined in registry order.
std::string format_setting(const SettingDef& def, const SettingValue& value);
// Both steps by key name: Errc::invalid_argument for an unknown key or a bad value.
Result<std::string> canonical_setting_text(std::string_view key, std::string_view text);

// An explicit value as stored at one level.
struct StoredSetting {
    SettingLevel level;
    std::string key;
    std::string value;  // canonical text
};

// The value that applies for one key, and the level that supplied it.
struct EffectiveSetting {
    std::string key;
    SettingValue value;
    std::string text;  // canonical text of value
    SettingLevel level = SettingLevel::builtin;
};

// For every registry key, the stored value of the highest level that sets it, or the
// built-in default. Stored values that no longer parse (say, a tightened range after an
// upgrade) and unknown keys are skipped, so the next level down applies.
std::vector<EffectiveSetting> resolve_settings(std::span<const StoredSetting> stored);

// Typed view of an account's effective settings for the services that enforce them.
struct AccountSettings {
    std::uint64_t quota = 0;                // bytes; 0 = unlimited
    std::uint64_t max_message_size = 0;     // bytes; 0 = only the service's own limit applies
    std::vector<std::string> services;      // "smtp", "imap", ...
    std::uint64_t send_limit_per_hour = 0;  // messages; 0 = unlimited
    PasswordPolicy password_policy;
    bool over_quota_permanent = false;  // over_quota_reply = permanent (5.2.2 instead of 4.2.2)
    bool apop = false;  // POP3 APOP allowed: the password is kept in the clear (docs/pop3.md)
    bool identity_confirmation = false;  // challenge unknown senders (docs/smtp-protection.md)

    bool allows(std::string_view service) const;
};
AccountSettings typed_settings(std::span<const EffectiveSetting> effective);

}  // namespace postern::directory
