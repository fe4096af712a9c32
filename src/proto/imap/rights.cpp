// ACL rights letters (RFC 4314 §2.1 standard rights, §2.1.1 obsolete "c" and "d").
#include "proto/imap/rights.h"

namespace postern::proto::imap {

std::optional<Right> right_of(char letter) {
    auto at = kAllRights.find(letter);
    if (at == std::string_view::npos)
        return std::nullopt;
    return static_cast<Right>(1u << at);
}

std::optional<Rights> parse_rights(std::string_view letters) {
    Rights out;
    for (char c : letters) {
        if (c == 'c') {
            out.add(Right::create_mailbox);
        } else if (c == 'd') {
            out.add(Right::delete_mailbox).add(Right::delete_messages).add(Right::expunge);
        } else if (auto r = right_of(c)) {
            out.add(*r);
        } else {
            return std::nullopt;
        }
    }
    return out;
}

std::string format_rights(Rights rights) {
    std::string out;
    for (char c : kAllRights)
        if (rights.has(*right_of(c)))
            out += c;
    return out;
}

}  // namespace postern::proto::imap
