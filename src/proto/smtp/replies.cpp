// The fixed reply catalogue (RFC 5321 §4.2.2-§4.2.3; enhanced codes from RFC 3463 §3, RFC 3207
// §4, RFC 4954 §6, RFC 6531 §3.5 and the IANA "SMTP Enhanced Status Codes" registry).
#include "proto/smtp/replies.h"

#include <string>

namespace postern::proto::smtp::replies {
namespace {

Reply r(std::uint16_t code, std::uint8_t k, std::uint16_t s, std::uint16_t d, std::string text) {
    return make_reply(code, EnhancedCode{k, s, d}, std::move(text));
}

Reply plain(std::uint16_t code, std::string text) {
    return make_reply(code, std::nullopt, std::move(text));
}

}  // namespace

Reply greeting(std::string_view server_domain, bool lmtp) {
    return plain(220, std::string(server_domain) + (lmtp ? " LMTP ready" : " ESMTP ready"));
}
Reply helo(std::string_view server_domain) {
    return plain(250, std::string(server_domain));
}
Reply ok() {
    return r(250, 2, 0, 0, "Ok");
}
Reply sender_ok() {
    return r(250, 2, 1, 0, "Sender ok");
}
Reply recipient_ok() {
    return r(250, 2, 1, 5, "Recipient ok");
}
Reply start_data() {
    return plain(354, "End data with <CR><LF>.<CR><LF>");
}
Reply chunk_received(std::uint64_t octets) {
    return r(250, 2, 0, 0, std::to_string(octets) + " octets received");
}
Reply queued(std::string_view queue_id) {
    return r(250, 2, 0, 0, "Ok: queued as " + std::string(queue_id));
}
Reply delivered(std::string_view recipient) {
    return r(250, 2, 1, 5, "<" + std::string(recipient) + "> delivered");
}
Reply bye() {
    return r(221, 2, 0, 0, "Bye");
}
Reply help() {
    return r(214, 2, 0, 0,
             "Commands: HELO EHLO MAIL RCPT DATA BDAT RSET NOOP QUIT HELP VRFY STARTTLS AUTH");
}
Reply ready_for_tls() {
    return r(220, 2, 0, 0, "Ready to start TLS");
}
Reply auth_challenge(std::string_view base64) {
    return plain(334, std::string(base64));
}
Reply auth_succeeded() {
    return r(235, 2, 7, 0, "Authentication successful");
}
Reply vrfy_disabled() {
    return r(252, 2, 0, 0, "Cannot VRFY user, but will accept message and attempt delivery");
}

Reply unknown_command() {
    return r(500, 5, 5, 2, "Command not recognized");
}
Reply line_too_long() {
    return r(500, 5, 5, 2, "Line too long");
}
Reply use_lhlo() {
    return r(500, 5, 5, 1, "This is an LMTP server: use LHLO");
}
Reply syntax(std::string_view usage) {
    return r(501, 5, 5, 4, "Syntax: " + std::string(usage));
}
Reply bad_sender_address() {
    return r(553, 5, 1, 7, "Bad sender address syntax");
}
Reply bad_recipient_address() {
    return r(553, 5, 1, 3, "Bad recipient address syntax");
}
Reply sender_too_long() {
    return r(501, 5, 1, 7, "Path too long");
}
Reply recipient_too_long() {
    return r(501, 5, 1, 3, "Path too long");
}
Reply non_ascii_address() {
    return r(553, 5, 6, 7, "Non-ASCII addresses need SMTPUTF8");
}
Reply unsupported_parameter(std::string_view keyword) {
    return r(555, 5, 5, 4, "Unsupported parameter " + std::string(keyword));
}
Reply bad_parameter_value(std::string_view keyword) {
    return r(501, 5, 5, 4, "Bad value for " + std::string(keyword));
}
Reply too_many_parameters() {
    return r(501, 5, 5, 4, "Too many parameters");
}
Reply duplicate_parameter(std::string_view keyword) {
    return r(501, 5, 5, 4, "Duplicate parameter " + std::string(keyword));
}
Reply declared_size_too_large() {
    return r(552, 5, 3, 4, "Message size exceeds fixed maximum message size");
}
Reply bad_hello_argument() {
    return r(501, 5, 5, 4, "Invalid domain name or address literal");
}

Reply bad_sequence(std::string_view why) {
    return r(503, 5, 5, 1, std::string(why));
}
Reply not_implemented() {
    return r(502, 5, 5, 1, "Command not implemented");
}
Reply expn_disabled() {
    return r(502, 5, 5, 1, "EXPN is disabled");
}
Reply tls_required() {
    return r(530, 5, 7, 0, "Must issue a STARTTLS command first");
}
Reply tls_not_available() {
    return r(454, 4, 7, 0, "TLS not available due to temporary reason");
}
Reply auth_required() {
    return r(530, 5, 7, 0, "Authentication required");
}
Reply too_many_recipients() {
    return r(452, 4, 5, 3, "Too many recipients");
}
Reply no_valid_recipients() {
    return r(554, 5, 5, 1, "No valid recipients");
}
Reply sync_error() {
    return r(554, 5, 5, 0, "SMTP protocol synchronization error");
}

Reply auth_mechanism_unsupported() {
    return r(504, 5, 5, 4, "Unrecognized authentication type");
}
Reply auth_cancelled() {
    return r(501, 5, 7, 0, "Authentication cancelled");
}
Reply auth_malformed_response() {
    return r(501, 5, 5, 2, "Cannot decode response");
}
Reply auth_line_too_long() {
    return r(500, 5, 5, 6, "Authentication Exchange line is too long");
}
Reply auth_failed() {
    return r(535, 5, 7, 8, "Authentication credentials invalid");
}
Reply auth_too_weak() {
    return r(534, 5, 7, 9, "Authentication mechanism is too weak");
}
Reply auth_encryption_required() {
    return r(538, 5, 7, 11, "Encryption required for requested authentication mechanism");
}
Reply auth_temporary_failure() {
    return r(454, 4, 7, 0, "Temporary authentication failure");
}

Reply message_too_large() {
    return r(552, 5, 3, 4, "Message size exceeds fixed maximum message size");
}
Reply bad_line_endings() {
    return r(550, 5, 6, 0, "Message contains bare CR or LF characters (RFC 5321 section 2.3.8)");
}
Reply nul_in_message() {
    return r(550, 5, 6, 0, "Message contains NUL characters");
}
Reply line_too_long_in_message() {
    return r(550, 5, 6, 0, "Message contains overlong lines (RFC 5322 section 2.1.1)");
}
Reply local_error() {
    return r(451, 4, 3, 0, "Local error in processing");
}

Reply relay_denied() {
    return r(554, 5, 7, 1, "Relaying denied");
}
Reply unknown_recipient() {
    return r(550, 5, 1, 1, "No such user here");
}
Reply mailbox_disabled() {
    return r(550, 5, 2, 1, "Mailbox disabled, not accepting messages");
}
Reply recipient_temporary_failure() {
    return r(451, 4, 3, 0, "Recipient cannot be verified now, try again later");
}
Reply mail_loop(std::uint32_t hops) {
    return r(554, 5, 4, 6, "Mail loop detected: " + std::to_string(hops) + " Received fields");
}
Reply sender_not_owned() {
    return r(553, 5, 7, 1, "Sender address does not belong to the authenticated user");
}
Reply from_header_not_owned() {
    return r(550, 5, 7, 1, "From: address does not belong to the authenticated user");
}
Reply sending_rate_exceeded() {
    return r(450, 4, 7, 1, "Hourly sending limit reached, try again later");
}
Reply header_too_large() {
    return r(552, 5, 3, 4, "Message header too large");
}
Reply recipient_message_too_large() {
    return r(552, 5, 3, 4, "Message too large for this recipient");
}
Reply policy_reply(std::uint16_t code, std::optional<EnhancedCode> enhanced, std::string text) {
    return make_reply(code, enhanced, std::move(text));
}

Reply too_many_errors() {
    return r(421, 4, 7, 0, "Too many errors, closing connection");
}
Reply timeout() {
    return r(421, 4, 4, 2, "Timeout exceeded, closing connection");
}
Reply shutting_down() {
    return r(421, 4, 3, 2, "Service shutting down, closing connection");
}

}  // namespace postern::proto::smtp::replies
