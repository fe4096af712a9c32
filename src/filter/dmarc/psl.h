// The Public Suffix List (publicsuffix.org; Debian's publicsuffix package installs it at
// /usr/share/publicsuffix/public_suffix_list.dat) and the organizational domain of RFC 7489
// §3.2 built on it: the public suffix plus one label. Immutable once loaded; any thread.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_set>

#include "base/result.h"

namespace postern::filter::dmarc {

inline constexpr const char* kDefaultPslPath = "/usr/share/publicsuffix/public_suffix_list.dat";

class PublicSuffixList {
  public:
    // Parses the list's text (rules one per line, "//" comments, "*." wildcards, "!" exceptions;
    // internationalised rules are kept as written and match only names written the same way).
    static PublicSuffixList parse(std::string_view text);
    static Result<std::shared_ptr<const PublicSuffixList>> load(const std::filesystem::path& file);

    std::size_t size() const { return rules_.size() + wildcards_.size() + exceptions_.size(); }
    // The public suffix of `domain` (lower case, no trailing dot); the default rule "*" makes
    // the last label a suffix when no rule matches.
    std::string public_suffix(std::string_view domain) const;
    // RFC 7489 §3.2: the suffix plus one label, or `domain` itself when it is a suffix.
    std::string organizational_domain(std::string_view domain) const;

  private:
    std::unordered_set<std::string> rules_;
    std::unordered_set<std::string> wildcards_;   // "*.ck" stored as "ck"
    std::unordered_set<std::string> exceptions_;  // "!www.ck" stored as "www.ck"
};

}  // namespace postern::filter::dmarc
