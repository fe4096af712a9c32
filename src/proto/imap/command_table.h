// IMAP command rules as data (RFC 9051 §6: the state each command is valid in, and which may take
// the UID prefix, §6.4.9): the session checks them once before executing a parsed command.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "proto/imap/command.h"

namespace postern::proto::imap {

// Connection states (RFC 9051 §3), bits of CommandRule::states.
namespace state {
inline constexpr std::uint8_t not_authenticated = 1 << 0;
inline constexpr std::uint8_t authenticated = 1 << 1;
inline constexpr std::uint8_t selected = 1 << 2;
inline constexpr std::uint8_t any = not_authenticated | authenticated | selected;
}  // namespace state

struct CommandRule {
    CommandName name;
    std::string_view keyword;  // upper case, as on the wire
    std::uint8_t states;       // state:: bits where the command is valid
    bool uid_prefix;           // valid after "UID"
    std::string_view rfc;      // where the command is defined (for readers and docs)
};

// One row per CommandName (unknown included, last), indexed by its value.
std::span<const CommandRule> command_table();
const CommandRule& rule_for(CommandName name);

// The command a keyword names (case-insensitive; "EXAMINE" gives examine), or unknown.
CommandName find_command(std::string_view keyword);

}  // namespace postern::proto::imap
