// The replies Postern's SMTP and LMTP servers send (RFC 5321 §4.2.2-§4.2.3, RFC 3463 codes), in
// one place so sessions never invent codes. Each function returns a fresh Reply the session may
// extend (e.g. add lines); texts are fixed English.
#pragma once

#include <cstdint>
#include <string_view>

#include "proto/smtp/reply.h"

namespace postern::proto::smtp::replies {

// --- positive -------------------------------------------------------------------------------
Reply greeting(std::string_view server_domain, bool lmtp);  // 220 <domain> ESMTP|LMTP
Reply helo(std::string_view server_domain);                 // 250 <domain> (after HELO)
Reply ok();                                                 // 250 2.0.0 Ok
Reply sender_ok();                                          // 250 2.1.0
Reply recipient_ok();                                       // 250 2.1.5
Reply start_data();                                         // 354 (no enhanced code)
Reply chunk_received(std::uint64_t octets);                 // 250 2.0.0 (BDAT not LAST)
Reply queued(std::string_view queue_id);                    // 250 2.0.0 Ok: queued as ID
Reply delivered(std::string_view recipient);                // 250 2.1.5 (LMTP, per RCPT)
Reply bye();                                                // 221 2.0.0
Reply help();                                               // 214 2.0.0
Reply ready_for_tls();                                      // 220 2.0.0
Reply auth_challenge(std::string_view base64);              // 334 (no enhanced code)
Reply auth_succeeded();                                     // 235 2.7.0
Reply vrfy_disabled();                                      // 252 2.0.0 (RFC 5321 §3.5.3)

// --- command syntax (the parser returns these) ----------------------------------------------
Reply unknown_command();                                // 500 5.5.2
Reply line_too_long();                                  // 500 5.5.2 (LineBuffer too_long)
Reply use_lhlo();                                       // 500 5.5.1 (HELO/EHLO in LMTP)
Reply syntax(std::string_view usage);                   // 501 5.5.4 <usage>
Reply bad_sender_address();                             // 553 5.1.7
Reply bad_recipient_address();                          // 553 5.1.3
Reply sender_too_long();                                // 501 5.1.7 Path too long
Reply recipient_too_long();                             // 501 5.1.3 Path too long
Reply non_ascii_address();                              // 553 5.6.7 (RFC 6531 §3.5)
Reply unsupported_parameter(std::string_view keyword);  // 555 5.5.4
Reply bad_parameter_value(std::string_view keyword);    // 501 5.5.4
Reply too_many_parameters();                            // 501 5.5.4
Reply duplicate_parameter(std::string_view keyword);    // 501 5.5.4
Reply declared_size_too_large();                        // 552 5.3.4 (RFC 1870 §6.1)
Reply bad_hello_argument();                             // 501 5.5.4

// --- sequence and policy (command_table.h and transaction.h return these) -------------------
Reply bad_sequence(std::string_view why);  // 503 5.5.1 <why>
Reply not_implemented();                   // 502 5.5.1
Reply expn_disabled();                     // 502 5.5.1
Reply tls_required();                      // 530 5.7.0 (RFC 3207 §4)
Reply tls_not_available();                 // 454 4.7.0 (RFC 3207 §4)
Reply auth_required();                     // 530 5.7.0 (RFC 4954 §6)
Reply too_many_recipients();               // 452 4.5.3
Reply no_valid_recipients();               // 554 5.5.1 (SMTP DATA/BDAT)
Reply sync_error();                        // 554 5.5.0 (pipelining abuse)

// --- AUTH (RFC 4954 §4, §6) -----------------------------------------------------------------
Reply auth_mechanism_unsupported();  // 504 5.5.4
Reply auth_cancelled();              // 501 5.7.0
Reply auth_malformed_response();     // 501 5.5.2
Reply auth_line_too_long();          // 500 5.5.6
Reply auth_failed();                 // 535 5.7.8
Reply auth_too_weak();               // 534 5.7.9
Reply auth_encryption_required();    // 538 5.7.11
Reply auth_temporary_failure();      // 454 4.7.0

// --- message content (content.h verdicts map here) ------------------------------------------
Reply message_too_large();         // 552 5.3.4
Reply bad_line_endings();          // 550 5.6.0 bare CR or LF
Reply nul_in_message();            // 550 5.6.0 NUL
Reply line_too_long_in_message();  // 550 5.6.0 >998 octets
Reply local_error();               // 451 4.3.0 (e.g. queue write)

// --- acceptance decisions of the receiving server (RFC 5321 §3.6, §4.2.2, RFC 3463) ----------
Reply relay_denied();                 // 554 5.7.1 relaying denied
Reply unknown_recipient();            // 550 5.1.1 no such user
Reply mailbox_disabled();             // 550 5.2.1 mailbox disabled
Reply recipient_temporary_failure();  // 451 4.3.0 (directory unavailable)
Reply mail_loop(std::uint32_t hops);  // 554 5.4.6 too many Received fields
Reply sender_not_owned();             // 553 5.7.1 MAIL FROM not the user's address
Reply from_header_not_owned();        // 550 5.7.1 From: not the user's address
Reply sending_rate_exceeded();        // 450 4.7.1 hourly sending limit
Reply header_too_large();             // 552 5.3.4 header block over the limit
Reply recipient_message_too_large();  // 552 5.3.4 declared SIZE over the recipient's limit
// A policy script's decision: `code` 400..599, enhanced code and text as the script gave them
// (validated by the policy engine).
Reply policy_reply(std::uint16_t code, std::optional<EnhancedCode> enhanced, std::string text);

// --- closing the connection -----------------------------------------------------------------
Reply too_many_errors();  // 421 4.7.0
Reply timeout();          // 421 4.4.2
Reply shutting_down();    // 421 4.3.2

}  // namespace postern::proto::smtp::replies
