// Address lists (RFC 5322 §3.4 with the §4.4 obsolete forms: routes, CFWS between dots,
// missing angle brackets; RFC 6532 UTF-8 in addresses; RFC 2047 in display names).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace postern::mime {

struct Mailbox {
    // Display name; for the legacy form "user@host (Full Name)" the comment. Empty if none.
    std::string name;
    std::string route;       // obsolete source route "@a.example,@b.example" (IMAP adl)
    std::string local_part;  // quotes and quoted-pairs resolved
    std::string domain;      // comments and whitespace removed; empty when missing

    // "local@domain" with the local part unquoted, as Sieve and sorting compare it; just the
    // local part when there is no domain (list URLs, "undisclosed-recipients"). Empty for a
    // name-only entry such as "(comment)".
    std::string addr_spec() const;
    bool has_address() const { return !local_part.empty() || !domain.empty(); }
    bool operator==(const Mailbox&) const = default;
};

struct Group {
    std::string name;
    std::vector<Mailbox> members;
    bool operator==(const Group&) const = default;
};

using Address = std::variant<Mailbox, Group>;

enum class NameDecoding {
    decoded,  // display names decoded to UTF-8 (RFC 2047), for display, search, Sieve
    raw,      // display names as written, quotes removed: what IMAP ENVELOPE carries
};

// Parses an address-list field body (From, To, Cc, Reply-To, ... and the angle-bracket URL
// lists of RFC 2369 List-* fields). Never fails: unparseable pieces become name-only or
// local-part-only entries, empty items are dropped.
std::vector<Address> parse_address_list(std::string_view raw_value,
                                        NameDecoding names = NameDecoding::decoded);

// The mailboxes of a list with groups flattened, in order.
std::vector<Mailbox> flatten(const std::vector<Address>& list);

}  // namespace postern::mime
