// Public Suffix List matching (publicsuffix.org/list "Formal Algorithm"); RFC 7489 §3.2.
#include "filter/dmarc/psl.h"

#include <fstream>
#include <sstream>
#include <vector>

#include "base/strings.h"

namespace postern::filter::dmarc {

PublicSuffixList PublicSuffixList::parse(std::string_view text) {
    PublicSuffixList psl;
    std::size_t pos = 0;
    while (pos < text.size()) {
        auto eol = text.find('\n', pos);
        auto line =
            text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
        pos = eol == std::string_view::npos ? text.size() : eol + 1;
        // A rule is the first word of the line.
        auto end = line.find_first_of(" \t\r");
        line = line.substr(0, end);
        if (line.empty() || line.starts_with("//"))
            continue;
        std::string rule = to_lower(line);
        if (rule.starts_with("!"))
            psl.exceptions_.insert(rule.substr(1));
        else if (rule.starts_with("*."))
            psl.wildcards_.insert(rule.substr(2));
        else
            psl.rules_.insert(rule);
    }
    return psl;
}

Result<std::shared_ptr<const PublicSuffixList>> PublicSuffixList::load(
    const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in)
        return std::unexpected(
            Error{Errc::not_found, "cannot read the Public Suffix List " + file.string()});
    std::stringstream ss;
    ss << in.rdbuf();
    auto psl = std::make_shared<PublicSuffixList>(parse(ss.str()));
    if (psl->size() == 0)
        return std::unexpected(Error{Errc::invalid_argument, file.string() + " holds no rules"});
    return std::shared_ptr<const PublicSuffixList>(std::move(psl));
}

std::string PublicSuffixList::public_suffix(std::string_view domain) const {
    std::string d = to_lower(domain);
    if (!d.empty() && d.back() == '.')
        d.pop_back();
    // Label boundaries, from the whole name down to the last label.
    std::vector<std::size_t> starts{0};
    for (std::size_t i = 0; i < d.size(); ++i)
        if (d[i] == '.')
            starts.push_back(i + 1);
    // The longest matching rule wins; an exception rule makes its parent the suffix.
    for (std::size_t k = 0; k < starts.size(); ++k) {
        std::string_view candidate = std::string_view(d).substr(starts[k]);
        std::string key(candidate);
        if (exceptions_.contains(key))
            return k + 1 < starts.size() ? d.substr(starts[k + 1]) : key;
        if (rules_.contains(key))
            return key;
        // "*.parent": candidate matches when its parent is a wildcard rule.
        if (k + 1 < starts.size() && wildcards_.contains(d.substr(starts[k + 1])))
            return key;
    }
    return starts.empty() ? d : d.substr(starts.back());
}

std::string PublicSuffixList::organizational_domain(std::string_view domain) const {
    std::string d = to_lower(domain);
    if (!d.empty() && d.back() == '.')
        d.pop_back();
    auto suffix = public_suffix(d);
    if (suffix.size() >= d.size())
        return d;
    // One label more than the suffix.
    auto head = std::string_view(d).substr(0, d.size() - suffix.size() - 1);
    auto dot = head.rfind('.');
    return std::string(dot == std::string_view::npos ? head : head.substr(dot + 1)) + "." + suffix;
}

}  // namespace postern::filter::dmarc
