// ManageSieve responses (RFC 5804 §1.2-§1.3, §4): OK/NO/BYE with an optional response code
// and human-readable text, strings (quoted when they can be, literals otherwise), capability
// lines, LISTSCRIPTS lines and SASL challenges. Everything appends to a caller's buffer.
#pragma once

#include <string>
#include <string_view>

namespace postern::proto::managesieve {

// Response codes (RFC 5804 §1.3), written "(CODE)" after OK/NO/BYE.
namespace code {
inline constexpr std::string_view auth_too_weak = "AUTH-TOO-WEAK";
inline constexpr std::string_view encrypt_needed = "ENCRYPT-NEEDED";
inline constexpr std::string_view quota = "QUOTA";
inline constexpr std::string_view quota_maxscripts = "QUOTA/MAXSCRIPTS";
inline constexpr std::string_view quota_maxsize = "QUOTA/MAXSIZE";
inline constexpr std::string_view transition_needed = "TRANSITION-NEEDED";
inline constexpr std::string_view trylater = "TRYLATER";
inline constexpr std::string_view active = "ACTIVE";
inline constexpr std::string_view nonexistent = "NONEXISTENT";
inline constexpr std::string_view alreadyexists = "ALREADYEXISTS";
inline constexpr std::string_view warnings = "WARNINGS";
}  // namespace code

// A string as RFC 5804 §4 writes it: quoted ("..." with \" and \\) when at most 1024 octets
// without CR, LF or NUL; otherwise a literal "{n}\r\n<octets>".
void append_string(std::string& out, std::string_view text);

// "OK", "NO" or "BYE", then " (CODE)" when `code` is set, then " <string>" when `text` is set,
// then CRLF. `code` is written as given: callers pass the constants above, or a whole
// "TAG {string}" / "SASL {string}" code built with append_string.
void append_ok(std::string& out, std::string_view text = {}, std::string_view code = {});
void append_no(std::string& out, std::string_view text = {}, std::string_view code = {});
void append_bye(std::string& out, std::string_view text = {}, std::string_view code = {});

// A code with a string argument: "TAG \"x\"", "SASL \"base64\"".
std::string code_with_string(std::string_view name, std::string_view value);

// One capability line: "NAME" or "NAME" "value" (RFC 5804 §1.7); SIEVE and SASL always carry
// their (possibly empty) value.
void append_capability(std::string& out, std::string_view name, std::string_view value = {});
void append_capability_flag(std::string& out, std::string_view name);

// One LISTSCRIPTS line: the name, with " ACTIVE" for the active script (RFC 5804 §2.7).
void append_script_line(std::string& out, std::string_view name, bool active);

// A SASL challenge: the base64 data as a string, CRLF (RFC 5804 §2.1).
void append_challenge(std::string& out, std::string_view base64);

}  // namespace postern::proto::managesieve
