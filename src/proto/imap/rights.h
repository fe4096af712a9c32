// ACL rights (RFC 4314 §2.1, §2.1.1): the eleven standard rights as a bit set, parsed from and
// written as the letters of the protocol.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace postern::proto::imap {

// Every right this server knows, in the order rights strings are written.
inline constexpr std::string_view kAllRights = "lrswipkxtea";

enum class Right : std::uint16_t {
    lookup = 1 << 0,           // l: LIST shows the mailbox
    read = 1 << 1,             // r: SELECT, EXAMINE, STATUS, FETCH, SEARCH, COPY from
    seen = 1 << 2,             // s: keep \Seen (STORE, implicit on FETCH, APPEND, COPY)
    write = 1 << 3,            // w: other flags and keywords
    insert = 1 << 4,           // i: APPEND, COPY/MOVE into
    post = 1 << 5,             // p: submit to the mailbox's address (kept; no such address yet)
    create_mailbox = 1 << 6,   // k: CREATE below it, RENAME into it
    delete_mailbox = 1 << 7,   // x: DELETE, RENAME away
    delete_messages = 1 << 8,  // t: \Deleted (STORE, APPEND, COPY), MOVE from (with e)
    expunge = 1 << 9,          // e: EXPUNGE, expunge on CLOSE, MOVE from (with t)
    admin = 1 << 10,           // a: SETACL, DELETEACL, GETACL, LISTRIGHTS
};

class Rights {
  public:
    constexpr Rights() = default;
    static constexpr Rights all() { return Rights(0x7ff); }
    constexpr bool has(Right r) const { return (bits_ & static_cast<std::uint16_t>(r)) != 0; }
    constexpr bool any_of(Rights other) const { return (bits_ & other.bits_) != 0; }
    constexpr bool empty() const { return bits_ == 0; }
    constexpr Rights& add(Right r) {
        bits_ |= static_cast<std::uint16_t>(r);
        return *this;
    }
    constexpr Rights& add(Rights other) {
        bits_ |= other.bits_;
        return *this;
    }
    constexpr Rights& remove(Rights other) {
        bits_ &= static_cast<std::uint16_t>(~other.bits_);
        return *this;
    }
    constexpr bool operator==(const Rights&) const = default;

  private:
    constexpr explicit Rights(std::uint16_t bits) : bits_(bits) {}
    std::uint16_t bits_ = 0;
};

// The rights a string of letters names. The obsolete "c" means "k" and "d" means "x", "t" and
// "e" (RFC 4314 §2.1.1, the RFC 2086 reading where "d" controls DELETE). nullopt when a letter
// is no right of RFC 4314 (SETACL answers BAD then, RFC 4314 §3.1).
std::optional<Rights> parse_rights(std::string_view letters);
// The letters of `rights`, in kAllRights order ("" for none).
std::string format_rights(Rights rights);
// The one right a letter names (not "c" or "d"); nullopt for any other character.
std::optional<Right> right_of(char letter);

}  // namespace postern::proto::imap
