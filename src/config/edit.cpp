// Line-based TOML editing: find the table header, then the key line within that table.
#include "config/edit.h"

#include <sstream>
#include <vector>

#include <toml++/toml.h>

#include "base/fs.h"
#include "base/strings.h"
#include "config/load.h"

namespace postern::config {
namespace {

// "[a.b]" → "a.b"; "[[a.b]]" → "[[a.b]]" (array tables never match a plain section); other
// lines → "".
std::string header_of(std::string_view line) {
    auto t = trim(line);
    if (auto hash = t.find('#'); hash != std::string_view::npos && t.starts_with('['))
        t = trim(t.substr(0, hash));
    if (t.starts_with("[[") && t.ends_with("]]"))
        return "[[" + std::string(trim(t.substr(2, t.size() - 4))) + "]]";
    if (t.starts_with('[') && t.ends_with(']'))
        return std::string(trim(t.substr(1, t.size() - 2)));
    return "";
}

bool defines_key(std::string_view line, std::string_view key) {
    auto t = trim(line);
    if (!t.starts_with(key))
        return false;
    auto rest = trim(t.substr(key.size()));
    return rest.starts_with('=');
}

}  // namespace

Result<std::string> set_key(std::string_view text, std::string_view section, std::string_view key,
                            std::string_view literal) {
    std::vector<std::string> lines;
    for (auto l : split(text, '\n'))
        lines.emplace_back(l);
    if (!lines.empty() && lines.back().empty())
        lines.pop_back();
    std::string assignment = std::string(key) + " = " + std::string(literal);

    std::size_t start = lines.size();  // index of the section header
    for (std::size_t i = 0; i < lines.size(); ++i) {
        if (header_of(lines[i]) == section) {
            start = i;
            break;
        }
    }
    if (start == lines.size()) {
        lines.push_back("");
        lines.push_back("[" + std::string(section) + "]");
        lines.push_back(assignment);
    } else {
        std::size_t end = start + 1, last_key = start;
        bool replaced = false;
        for (; end < lines.size() && header_of(lines[end]).empty(); ++end) {
            if (defines_key(lines[end], key)) {
                lines[end] = assignment;
                replaced = true;
                break;
            }
            if (!trim(lines[end]).empty() && !trim(lines[end]).starts_with('#'))
                last_key = end;
        }
        if (!replaced)
            lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(last_key + 1), assignment);
    }
    std::string out;
    for (auto& l : lines)
        out += l + "\n";

    // Parse back: the key must now hold exactly the value we meant.
    try {
        auto doc = toml::parse(out);
        auto expected = toml::parse("v = " + std::string(literal));
        auto got = doc.at_path(std::string(section) + "." + std::string(key));
        std::ostringstream got_text, expected_text;
        got_text << got;
        expected_text << expected["v"];
        if (!got || got_text.str() != expected_text.str()) {
            return fail(Errc::invalid_argument, "cannot edit [" + std::string(section) +
                                                    "] automatically; "
                                                    "please set " +
                                                    assignment + " by hand");
        }
    } catch (const toml::parse_error& e) {
        return fail(Errc::invalid_argument,
                    "edit would break the file: " + std::string(e.description()));
    }
    return out;
}

Status set_key_in_file(const std::filesystem::path& file, std::string_view section,
                       std::string_view key, std::string_view literal) {
    auto text = read_file(file);
    if (!text)
        return fail(text.error());
    auto edited = set_key(*text, section, key, literal);
    if (!edited)
        return fail(edited.error());
    auto check = load_string(*edited, file);
    if (!check)
        return fail(Errc::invalid_argument, check.error().to_string());
    std::error_code ec;
    auto perms = std::filesystem::status(file, ec).permissions();
    return write_file_atomic(file, *edited, ec ? 0644 : static_cast<int>(perms));
}

}  // namespace postern::config
