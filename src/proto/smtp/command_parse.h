// Internal to the command parser: the pieces command_parser.cpp and mail_params.cpp share.
// Not part of the public API.
#pragma once

#include <string_view>

#include "proto/smtp/command.h"

namespace postern::proto::smtp::detail {

inline std::unexpected<CommandError> reject(Verb verb, Reply reply) {
    return std::unexpected(CommandError{verb, std::move(reply), false, std::nullopt});
}

// MAIL and RCPT: `args` is everything after the verb and its space.
ParseResult parse_mail(std::string_view args, const ParserOptions& options);
ParseResult parse_rcpt(std::string_view args, const ParserOptions& options);

}  // namespace postern::proto::smtp::detail
