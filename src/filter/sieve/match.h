// Comparators (RFC 4790 §9: i;octet, i;ascii-casemap; RFC 2244 i;ascii-numeric via RFC 5228
// §2.7.3), match types :is/:contains/:matches (RFC 5228 §2.7.1), :regex (POSIX extended), and
// the relational :value/:count operators (RFC 5231 §4). Pure; thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace postern::sieve {

enum class Comparator { ascii_casemap, octet, ascii_numeric, unicode_casemap };
enum class MatchType { is, contains, matches, regex, value, count };
enum class Relation { gt, ge, lt, le, eq, ne };
enum class AddressPart { all, localpart, domain, user, detail };

std::optional<Comparator> comparator_from_name(std::string_view name);
std::optional<Relation> relation_from_name(std::string_view name);

// Equality / ordering under a comparator: negative, 0, positive.
int compare(Comparator c, std::string_view a, std::string_view b);
bool relation_holds(Relation r, int cmp);

// :matches with '*' and '?' (backslash escapes them). On success and when `captures` is set,
// it receives ${0} (the whole value) then one entry per wildcard, left to right.
bool glob_match(Comparator c, std::string_view value, std::string_view pattern,
                std::vector<std::string>* captures);

bool contains(Comparator c, std::string_view value, std::string_view key);

// POSIX extended regular expression (RFC draft-ietf-sieve-regex); captures like glob_match.
// Returns nullopt when the pattern does not compile.
std::optional<bool> regex_match(Comparator c, std::string_view value, std::string_view pattern,
                                std::vector<std::string>* captures);
bool regex_valid(std::string_view pattern);

// Unicode case folding (i;unicode-casemap, RFC 5051): the folded UTF-8 text.
std::string unicode_fold(std::string_view text);

}  // namespace postern::sieve
