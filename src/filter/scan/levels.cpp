// Spam/virus level mapping (RFC 5235) and header lookups in a raw message (RFC 5322 §2.2).
#include "filter/scan/levels.h"

#include <algorithm>
#include <cmath>

#include "base/strings.h"

namespace postern::filter::scan {

const std::vector<std::string>& scan_header_names() {
    static const std::vector<std::string> names = {
        std::string(kSpamLevelHeader), std::string(kVirusLevelHeader),
        std::string(kSpamScoreHeader), std::string(kSpamStatusHeader),
        std::string(kVirusStatusHeader)};
    return names;
}

int spam_level(double score, double required) {
    if (!(required > 0))
        required = 5.0;
    double ratio = score / required;
    if (!(ratio > 0))
        return 1;
    if (ratio >= 2)
        return 10;
    if (ratio >= 1)
        return 9;
    return std::clamp(1 + static_cast<int>(std::floor(ratio * 8)), 1, 8);
}

int spam_percent(double score, double required) {
    if (!(required > 0))
        required = 5.0;
    double ratio = score / (2 * required);
    if (!(ratio > 0))
        return 0;
    return std::clamp(static_cast<int>(std::lround(ratio * 100)), 0, 100);
}

namespace {

// Calls f(name, value_with_folds) for each field of the header section until f returns true.
template <class F>
void for_each_field(std::string_view raw, F&& f) {
    std::size_t pos = 0;
    while (pos < raw.size()) {
        auto eol = raw.find('\n', pos);
        auto line_end = eol == std::string_view::npos ? raw.size() : eol;
        std::string_view line = raw.substr(pos, line_end - pos);
        if (!line.empty() && line.back() == '\r')
            line.remove_suffix(1);
        if (line.empty())
            return;  // end of the header section
        auto next = eol == std::string_view::npos ? raw.size() : eol + 1;
        // Continuation lines.
        auto field_end = next;
        while (field_end < raw.size() && (raw[field_end] == ' ' || raw[field_end] == '\t')) {
            auto e = raw.find('\n', field_end);
            field_end = e == std::string_view::npos ? raw.size() : e + 1;
        }
        auto colon = line.find(':');
        if (colon != std::string_view::npos) {
            auto name = line.substr(0, colon);
            while (!name.empty() && (name.back() == ' ' || name.back() == '\t'))
                name.remove_suffix(1);
            auto value = raw.substr(pos + colon + 1, field_end - pos - colon - 1);
            if (f(name, value))
                return;
        }
        pos = field_end;
    }
}

}  // namespace

std::optional<std::string> header_value(std::string_view raw, std::string_view name) {
    std::optional<std::string> out;
    for_each_field(raw, [&](std::string_view n, std::string_view v) {
        if (!iequals(n, name))
            return false;
        std::string s;
        for (char c : v)
            if (c != '\r' && c != '\n')
                s.push_back(c);
        auto b = s.find_first_not_of(" \t");
        s = b == std::string::npos ? std::string() : s.substr(b);
        while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
            s.pop_back();
        out = std::move(s);
        return true;
    });
    return out;
}

bool has_header(std::string_view raw, std::string_view name) {
    bool found = false;
    for_each_field(raw, [&](std::string_view n, std::string_view) {
        found = iequals(n, name);
        return found;
    });
    return found;
}

}  // namespace postern::filter::scan
