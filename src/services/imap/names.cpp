// LIST wildcard matching (RFC 9051 §6.3.9) and special-use attributes (RFC 6154 §2).
#include "services/imap/names.h"

#include <array>
#include <utility>

#include "base/strings.h"
#include "store/api/types.h"

namespace postern::services::imap {

namespace {

constexpr std::array<std::pair<std::string_view, std::uint32_t>, 7> kSpecialUse{{
    {"\\All", store::kAll},
    {"\\Archive", store::kArchive},
    {"\\Drafts", store::kDrafts},
    {"\\Flagged", store::kFlaggedUse},
    {"\\Junk", store::kJunk},
    {"\\Sent", store::kSent},
    {"\\Trash", store::kTrash},
}};

}  // namespace

bool list_match(std::string_view pattern, std::string_view name) {
    // reach[j]: name[0..j) is matched by the pattern prefix seen so far.
    std::vector<char> reach(name.size() + 1, 0), next(name.size() + 1, 0);
    reach[0] = 1;
    for (char p : pattern) {
        std::fill(next.begin(), next.end(), 0);
        if (p == '*' || p == '%') {
            bool carry = false;
            for (std::size_t j = 0; j <= name.size(); ++j) {
                // A run may start at any reached point; "%" runs stop at a delimiter.
                if (p == '%' && j > 0 && name[j - 1] == kDelimiter)
                    carry = false;
                if (reach[j])
                    carry = true;
                next[j] = carry ? 1 : 0;
            }
        } else {
            for (std::size_t j = 0; j < name.size(); ++j)
                if (reach[j] && name[j] == p)
                    next[j + 1] = 1;
        }
        reach.swap(next);
    }
    return reach[name.size()] != 0;
}

std::string join_reference(std::string_view reference, std::string_view pattern) {
    if (reference.empty())
        return std::string(pattern);
    std::string out(reference);
    if (!pattern.empty() && out.back() == kDelimiter && pattern.front() == kDelimiter)
        out.pop_back();
    out += pattern;
    return out;
}

std::optional<std::uint32_t> special_use_bit(std::string_view attribute) {
    for (auto [name, bit] : kSpecialUse)
        if (iequals(name, attribute))
            return bit;
    return std::nullopt;
}

std::vector<std::string> special_use_attributes(std::uint32_t bits) {
    std::vector<std::string> out;
    for (auto [name, bit] : kSpecialUse)
        if (bits & bit)
            out.emplace_back(name);
    return out;
}

}  // namespace postern::services::imap
